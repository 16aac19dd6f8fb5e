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
"""A drain of a host with two members of one group keeps the group budget.

Real nova-api with the gate, conductor, scheduler, three fake computes
and placement; only Keystone cannot run here, so the drain's novaclient is
the harness's (``drain.nova_for`` is the seam).
"""


from nova_miglock.drain import nova as nova_api
from nova_miglock.testing import consistency
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients


class GroupDrainTest(base.NovaTestCase):

    compute_hosts = ('host1', 'host2', 'host3')

    def setUp(self):
        super().setUp()
        self.nova = clients.novaclient_for(self, version=nova_api.MICROVERSION)
        self.stub_out('nova_miglock.manage.drain.nova_for',
                      lambda conf: self.nova)
        self.stub_out('nova_miglock.manage.drain._progress',
                      lambda start: lambda text: None)
        group = self.api.post_server_groups({
            'name': 'db', 'policy': 'soft-anti-affinity'})
        self.group = group['id']
        self.members = [self.boot_member(group['id']) for _ in range(2)]
        self.other = self.boot(host='host1')
        self.manager.set_group_budget(
            self.members[0]['tenant_id'], self.group, 1, actor='tenant',
            members=2, member_uuids=[m['id'] for m in self.members])

    def boot_member(self, group_id):
        body = self._build_server(networks='none', host='host1')
        server = self.admin_api.post_server({
            'server': body, 'os:scheduler_hints': {'group': group_id}})
        return self._wait_for_state_change(server, 'ACTIVE')

    def drain(self, *args):
        return self.manage_json('drain', *args)

    def test_the_drain_moves_one_member_at_a_time(self):
        status, report = self.drain('host1', '--within', '5m', '--parallel',
                                    '3', '--per-host', '3', '--poll', '1')
        self.assertEqual(0, status, report)
        self.assertEqual([], self.admin_api.get_servers(
            search_opts={'host': 'host1', 'all_tenants': True}))
        # The store's tickets: never both members moving at once ...
        self.assertEqual([], consistency.check_store_groups(self.store))
        members = {m['id'] for m in self.members}
        items = {i['instance']: i for i in report['instances']}
        first, second = sorted((items[m] for m in members),
                               key=lambda i: i['waited_seconds'])
        self.assertGreaterEqual(second['waited_seconds'],
                                first['ended_seconds'])
        # ... and the drain asked Nova once per member: it never sent the
        # move the budget would refuse.
        self.assertEqual((1, 1, 0, 0), (
            first['attempts'], second['attempts'], first['refused'],
            second['refused']))
        # The plan predicted the wait the budget causes.
        self.assertGreaterEqual(second['predicted_start_seconds'],
                                first['predicted_end_seconds'])
