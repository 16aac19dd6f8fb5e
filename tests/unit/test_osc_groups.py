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
"""The group budget commands' requests, without a cloud.

The functional test (tests/functional/nova/test_openstackclient_groups.py)
runs them against Nova; here a recording session stands in for
keystoneauth's, to pin down what is sent: version 1.1 for the group calls
only, and a budget as the API's schema takes it.
"""

from osc_lib import exceptions
import pytest

from nova_miglock.osc import client
from nova_miglock.osc.v1 import groups
from tests.unit import osc_fakes


@pytest.mark.parametrize('text, sent', [
    ('0', 0), ('3', 3), (' 12 ', 12), ('9999', 9999),
    ('0%', '0%'), ('25%', '25%'), ('100%', '100%'), ('07%', '7%')])
def test_a_budget_is_a_count_or_a_percentage(text, sent):
    assert groups.max_moving(text) == sent


@pytest.mark.parametrize('text', [
    '', '-1', '1.5', 'one', '101%', '10000', '%', '25 percent', 'True'])
def test_anything_else_is_not_a_budget(text):
    with pytest.raises(ValueError):
        groups.max_moving(text)


def test_group_calls_ask_for_version_1_1_and_the_rest_keep_1_0():
    session = osc_fakes.Session({'group': {'group': 'tag:db'}, 'groups': []})
    api = client.Client(session, 'http://nova/v2.1/')
    api.group_set('tag:db', '25%', project_id='p1')
    api.group_show('tag:db')
    api.groups(all_projects=True)
    api.group_delete('tag:db', project_id='p1')
    assert [(m, u, k['params'], k['json'],
             k['headers']['OpenStack-API-Version'])
            for m, u, k in session.sent] == [
        ('PUT', 'http://nova/v2.1/os-miglock/groups/tag:db',
         {'project_id': 'p1'}, {'group': {'max_moving': '25%'}},
         'miglock 1.1'),
        ('GET', 'http://nova/v2.1/os-miglock/groups/tag:db', {}, None,
         'miglock 1.1'),
        ('GET', 'http://nova/v2.1/os-miglock/groups',
         {'all_projects': 'true'}, None, 'miglock 1.1'),
        ('DELETE', 'http://nova/v2.1/os-miglock/groups/tag:db',
         {'project_id': 'p1'}, None, 'miglock 1.1')]
    session.answer = {'miglock': {}}
    api.show('0e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10')
    assert session.sent[-1][2]['headers']['OpenStack-API-Version'] == \
        'miglock 1.0'


def test_a_group_name_is_one_path_segment():
    session = osc_fakes.Session({'group': {}})
    client.Client(session, 'http://nova').group_show('tag:a/b?c')
    assert session.sent[0][1] == 'http://nova/os-miglock/groups/tag:a%2Fb%3Fc'


def test_a_server_group_name_is_looked_up_in_nova_and_a_key_is_not():
    session = osc_fakes.Session({'server_groups': [
        {'id': '0e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10', 'name': 'db'},
        {'id': '1e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10', 'name': 'web'},
        {'id': '2e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10', 'name': 'web'}]})
    api = client.Client(session, 'http://nova')
    assert api.find_group('tag:db') == 'tag:db'
    assert api.find_group('3e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10') == \
        '3e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10'
    assert session.sent == []
    assert api.find_group('db') == '0e2b2b16-4a2c-4d40-9c8d-3c1a1e7f6a10'
    # Nova's own API, at a compute version that shows every policy.
    assert [(m, u, k['headers']['OpenStack-API-Version'])
            for m, u, k in session.sent] == [
        ('GET', 'http://nova/os-server-groups', 'compute 2.15')]
    with pytest.raises(exceptions.CommandError, match='More than one'):
        api.find_group('web')
    with pytest.raises(exceptions.CommandError, match='No server group'):
        api.find_group('dbs')
