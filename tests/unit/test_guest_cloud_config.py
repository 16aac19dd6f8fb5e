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
"""The cloud-config that installs the guest agent carries it byte for byte."""

import base64
import gzip

import yaml

from nova_miglock.agent import miglock
from nova_miglock.manage import guest


def _files(document):
    assert document.startswith('#cloud-config\n')
    return {f['path']: f for f in yaml.safe_load(document)['write_files']}


def test_agent_and_unit_are_embedded_exactly():
    files = _files(guest.cloud_config())
    agent = files['/usr/local/bin/miglock']
    assert agent['permissions'] == '0755'
    with open(miglock.__file__, 'rb') as stream:
        assert gzip.decompress(base64.b64decode(agent['content'])) == \
            stream.read()
    unit = files['/etc/systemd/system/miglock@.service']
    assert b'miglock run %i' in gzip.decompress(base64.b64decode(
        unit['content']))


def test_endpoint_override_is_written_to_the_environment():
    files = _files(guest.cloud_config(endpoint='http://10.0.0.1:8775'))
    assert files['/etc/profile.d/miglock.sh']['content'] == \
        'export MIGLOCK_ENDPOINT=http://10.0.0.1:8775\n'
