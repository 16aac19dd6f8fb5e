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
"""A tenant locks a server; the cloud refuses to move it until unlocked.

Runs against the cloud named by ``OS_CLOUD``, through Keystone: the tenant
(a member of its project) locks, the admin migrates; see cloud.py.
"""

from novaclient import exceptions as nova_exceptions

from tests.integration import cloud


class MigrationLockTest(cloud.Base):

    def live_migrate(self, server):
        self.nova.servers.live_migrate(server, host=None,
                                       block_migration='auto')

    def assertRefused(self, server, fragment):
        error = self.assertRaises(nova_exceptions.Conflict,
                                  self.live_migrate, server)
        self.assertIn(fragment, error.message)
        self.assertEqual('ACTIVE', self.nova.servers.get(server.id).status)

    def assertMoves(self, server):
        source = self.cloud_host(server)
        self.live_migrate(server)  # accepted: the gate let it through
        if self.cloud_hypervisors() < 2:
            self.skipTest('a single-host cloud cannot complete a live '
                          'migration')
        self.cloud_wait('the live migration', lambda: self.cloud_status(
            server, 'ACTIVE') and self.cloud_host(server) != source)

    def test_tag_lock_refuses_live_migration_until_removed(self):
        tenant = self.tenant()
        server = self.cloud_boot(client=tenant)
        tenant.servers.add_tag(server, 'miglock:static')
        self.assertRefused(server, 'server tag miglock:static')
        tenant.servers.delete_tag(server, 'miglock:static')
        self.assertMoves(server)

    def test_property_lock_refuses_live_migration_until_false(self):
        tenant = self.tenant()
        server = self.cloud_boot(client=tenant)
        tenant.servers.set_meta(server, {'miglock:static': 'true'})
        self.assertRefused(server, 'server property miglock:static=true')
        tenant.servers.set_meta(server, {'miglock:static': 'false'})
        self.assertMoves(server)

    def test_leased_hold_through_the_api(self):
        server = self.cloud_boot()
        reply, body = self.miglock('put', server, '/holds/it-batch', {
            'lease_seconds': 300, 'reason': 'integration test'})
        self.assertEqual(200, reply.status_code)
        self.assertEqual('operator', body['hold']['source'])
        self.assertRefused(server, 'hold by it-batch (operator) '
                                   '"integration test"')
        _reply, body = self.miglock('get', server)
        self.assertTrue(body['miglock']['migration_requested'])
        reply, _body = self.miglock('delete', server, '/holds/it-batch')
        self.assertEqual(204, reply.status_code)
        self.assertMoves(server)
