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
"""A guest's hold refuses live migration through Nova's API, and only it.

Real nova-api (with the gate), conductor, scheduler (with the filter), two
fake computes and placement. The guest takes its hold over HTTP through the
metadata API, as in production.
"""

from nova.tests.functional.api import client as api_client

from nova_miglock import lock
from nova_miglock.testing.nova import base
from tests.functional.guest import http

HOLD = '/openstack/miglock/holds/db'


class LiveMigrationTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot(host='host1')
        self.proxy = self.proxy_for(self.server)

    def guest(self, method, path='/openstack/miglock', body=None):
        return http.request(self.proxy.url, method, path, body)

    def host_of(self, server):
        return self.admin_api.get_server(server['id'])[
            'OS-EXT-SRV-ATTR:host']

    def live_migrate(self, body):
        return self.admin_api.post_server_action(
            self.server['id'], {'os-migrateLive': body})

    def assertRefused(self, body, fragments=('hold by db (guest)',)):
        error = self.assertRaises(api_client.OpenStackApiException,
                                  self.live_migrate, body)
        self.assertEqual(409, error.response.status_code)
        fault = error.response.json()['conflictingRequest']
        self.assertEqual(409, fault['code'])
        for fragment in fragments:
            self.assertIn(fragment, fault['message'])
        self.assertStayed(self.server)
        return error

    def test_hold_refuses_then_release_lets_the_same_request_through(self):
        self.assertEqual(200, self.guest('PUT', HOLD, {
            'lease_seconds': 300, 'reason': 'checkpoint'}).status)
        error = self.assertRefused({'host': None, 'block_migration': 'auto'},
                                   ('live-migrate', 'hold by db (guest) '
                                    '"checkpoint" until', 'lock break'))
        self.assertTrue(0 < int(error.response.headers['Retry-After']) <= 300)
        # The guest is told by move requests, not by a refused move.
        self.assertNotIn('migration_requested', self.guest('GET').json)
        # The gate read the instance from Nova: the store knows its host.
        self.assertEqual('host1', self.store.get_state(
            self.server['id']).host)
        self.assertEqual(['miglock.move.refused'], [
            e for e, _p, _d in self.our_notifications(
                'miglock.move.refused')])

        self.assertEqual(204, self.guest('DELETE', HOLD).status)
        self._live_migrate(self.server, api=self.admin_api)
        self.assertEqual('host2', self.host_of(self.server))
        self.wait_for_ticket_end(self.server)
        self.assertIsNone(self.store.get_state(
            self.server['id']).migration_requested_at)
        events = [e['event'] for e in self.store.ledger(
            instance_uuid=self.server['id'])]
        self.assertEqual(['acquire', 'move_refused', 'release',
                          'move_admitted', 'move_ended'], events)
        self.assertEqual('completed', self.store.ledger(
            instance_uuid=self.server['id'])[-1]['reason'])

    def test_hold_refuses_migration_to_a_named_host(self):
        self.guest('PUT', HOLD, {'lease_seconds': 300})
        self.assertRefused({'host': 'host2', 'block_migration': 'auto'})

    def test_hold_refuses_forced_migration_at_an_old_microversion(self):
        self.guest('PUT', HOLD, {'lease_seconds': 300})
        self.admin_api.microversion = '2.30'
        self.assertRefused({'host': 'host2', 'block_migration': 'auto',
                            'force': True})

    def test_admins_get_no_bypass_but_a_break_lets_them_through(self):
        self.guest('PUT', HOLD, {'lease_seconds': 300})
        self.assertRefused({'host': None, 'block_migration': 'auto'})
        self.manager.break_locks(self.server['id'], reason='rack move',
                                 actor='operator:test')
        self._live_migrate(self.server, api=self.admin_api)
        self.assertEqual('host2', self.host_of(self.server))
        broken = self.our_notifications('miglock.hold.break')
        self.assertEqual('rack move', self.store.ledger(
            instance_uuid=self.server['id'])[2]['reason'])
        self.assertEqual(1, len(broken))

    def test_boot_and_unrelated_actions_pass_the_gate(self):
        self.guest('PUT', HOLD, {'lease_seconds': 300})
        self.admin_api.post_server_action(self.server['id'],
                                          {'reboot': {'type': 'SOFT'}})
        self._wait_for_state_change(self.server, 'ACTIVE')
        other = self.boot()
        self.assertEqual('ACTIVE', other['status'])

    def test_a_second_move_while_one_is_admitted_is_409(self):
        self.store.open_ticket(self.server['id'],
                               project_id=self.server['tenant_id'],
                               kind='cold-migration', request_id='other',
                               static_locks=())
        error = self.assertRaises(
            api_client.OpenStackApiException, self.live_migrate,
            {'host': None, 'block_migration': 'auto'})
        self.assertEqual(409, error.response.status_code)
        self.assertIn('another move', error.response.text)

    def test_nova_refusing_the_request_closes_the_ticket_at_once(self):
        # Nova itself refuses: the named host does not exist.
        error = self.assertRaises(
            api_client.OpenStackApiException, self.live_migrate,
            {'host': 'nowhere', 'block_migration': 'auto'})
        self.assertEqual(400, error.response.status_code)
        state = self.store.get_state(self.server['id'])
        self.assertIsNone(state.ticket)
        self.assertEqual('rejected-400', self.store.ledger(
            instance_uuid=self.server['id'])[-1]['reason'])
        self.guest('PUT', HOLD, {'lease_seconds': 60})
        self.assertEqual(lock.STATE_LOCKED, self.store.get_state(
            self.server['id']).state)

    def test_store_down_refuses_moves_unless_configured_open(self):
        from nova_miglock import store as lock_store
        self.flags(connection='mysql+pymysql://root:pw@127.0.0.1:1/x',
                   group='miglock_store')
        lock_store.reset_store()
        error = self.assertRaises(
            api_client.OpenStackApiException, self.live_migrate,
            {'host': None, 'block_migration': 'auto'})
        self.assertEqual(503, error.response.status_code)
        self.assertIn('migration lock store cannot be reached',
                      error.response.json()['serviceUnavailable']['message'])
        self.assertNotIn('pw', error.response.text)
        self.flags(fail_closed=False, group='miglock')
        self.live_migrate({'host': None, 'block_migration': 'auto'})
        self._wait_for_migration_status(self.server, ['completed'])

    def test_unshelving_an_offloaded_locked_instance_is_refused(self):
        self.flags(shelved_offload_time=0)
        self.guest('PUT', HOLD, {'lease_seconds': 300})
        self.api.post_server_action(self.server['id'], {'shelve': {}})
        self._wait_for_state_change(self.server, 'SHELVED_OFFLOADED')
        error = self.assertRaises(
            api_client.OpenStackApiException,
            self.api.post_server_action, self.server['id'],
            {'unshelve': None})
        self.assertEqual(409, error.response.status_code)
        self.assertIn('Cannot unshelve', error.response.text)
