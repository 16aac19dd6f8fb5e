# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""The cloud-config that installs the guest agent in a new instance.

The agent is one standard-library file, so it travels inside the user data
itself: no package repository or network access is needed in the guest.
"""

import base64
import gzip
import os

import yaml

from nova_miglock.agent import miglock as agent

ETC_GUEST = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'etc', 'guest')


def _agent_source():
    with open(agent.__file__.replace('.pyc', '.py'), 'rb') as stream:
        return stream.read()


def _packed(data):
    return base64.b64encode(gzip.compress(data, mtime=0)).decode('ascii')


def systemd_unit():
    path = os.path.join(ETC_GUEST, 'miglock@.service')
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as stream:
        return stream.read()


def cloud_config(endpoint=None):
    """A ``#cloud-config`` document installing ``/usr/local/bin/miglock``."""
    files = [{'path': '/usr/local/bin/miglock', 'permissions': '0755',
              'encoding': 'gz+b64', 'content': _packed(_agent_source())}]
    unit = systemd_unit()
    if unit is not None:
        files.append({'path': '/etc/systemd/system/miglock@.service',
                      'permissions': '0644', 'encoding': 'gz+b64',
                      'content': _packed(unit)})
    if endpoint:
        files.append({'path': '/etc/profile.d/miglock.sh',
                      'permissions': '0644',
                      'content': 'export MIGLOCK_ENDPOINT=%s\n' % endpoint})
    document = {'write_files': files}
    return '#cloud-config\n' + yaml.safe_dump(document, sort_keys=False)
