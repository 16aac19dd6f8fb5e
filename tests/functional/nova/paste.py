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
"""An api-paste.ini for the in-process Nova: Nova's own, plus our filters.

Nova's wheel installs its ``api-paste.ini`` under ``<prefix>/etc/nova``;
the test harness reads it through ``[wsgi] api_paste_config``.
"""

import os
import sys

NOVA_PASTE = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')

METADATA_FILTER = """
[filter:miglock_metadata]
paste.filter_factory = nova_miglock.api.metadata:MigrationLockMetadata.factory
"""
GATE_FILTER = (
    '\n[filter:miglock_gate]\n'
    'paste.filter_factory = nova_miglock.api.gate:MigrationLockGate.factory\n'
    '\n[filter:miglock_api]\n'
    'paste.filter_factory = '
    'nova_miglock.api.server_locks:MigrationLockServers.factory\n')


def write(path, metadata=True, gate=True):
    with open(NOVA_PASTE) as stream:
        text = stream.read()
    if metadata:
        text = text.replace(
            'pipeline = cors http_proxy_to_wsgi metaapp',
            'pipeline = cors http_proxy_to_wsgi miglock_metadata metaapp')
        text += METADATA_FILTER
    if gate:
        text = text.replace(' keystonecontext ',
                            ' keystonecontext miglock_api miglock_gate ')
        text += GATE_FILTER
    with open(path, 'w') as stream:
        stream.write(text)
    return path
