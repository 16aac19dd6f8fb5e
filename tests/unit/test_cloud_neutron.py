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
"""The Neutron stand-in of the test cloud answers only what Nova reads."""

from tests.cloud import neutron

BASE = 'http://127.0.0.1:9696'


def test_every_list_is_empty():
    assert neutron.answer('GET', '/v2.0/ports?device_id=x', BASE) == (
        200, {'ports': []})
    assert neutron.answer('GET', '/v2.0/security-groups', BASE) == (
        200, {'security_groups': []})
    assert neutron.answer('GET', '/v2.0/extensions.json', BASE) == (
        200, {'extensions': []})


def test_the_root_names_v2():
    status, body = neutron.answer('GET', '/', BASE)
    assert status == 200
    assert body['versions'][0]['links'][0]['href'] == BASE + '/v2.0/'


def test_a_single_resource_is_not_found():
    status, body = neutron.answer('GET', '/v2.0/ports/abc', BASE)
    assert status == 404
    assert 'ports not found' in body['NeutronError']['message']


def test_writes_are_refused():
    for method in ('POST', 'PUT', 'DELETE'):
        status, body = neutron.answer(method, '/v2.0/ports', BASE)
        assert status == 405
        assert 'reads only' in body['NeutronError']['message']
