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
"""Migration tickets: holds wait out a move in flight; every end closes it.

The fake virt driver is Nova's own stand-in for a hypervisor; where a test
needs a live migration to stay in flight, or its pre-check to fail, the
driver's method is replaced, since no real hypervisor runs in Nova's
harness (the libvirt tests cover the real one).
"""

from nova.compute import manager as compute_manager
from nova import exception as nova_exception
from nova.virt import fake as fake_virt

from nova_miglock.testing.nova import base
from tests.functional.guest import http

HOLD = '/openstack/miglock/holds/db'


class TicketTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot(host='host1')
        self.proxy = self.proxy_for(self.server)

    def hold(self):
        return http.request(self.proxy.url, 'PUT', HOLD,
                            {'lease_seconds': 60})

    def assertEndedAndHoldable(self, outcome):
        """The move's ticket closes with ``outcome``; then a hold is 200."""
        self.wait_for_ticket_end(self.server)
        self.assertEqual(200, self.hold().status)
        self.assertEqual(outcome, [
            e for e in self.store.ledger(instance_uuid=self.server['id'])
            if e['event'] == 'move_ended'][0]['reason'])

    def start_live_migration(self, host=None):
        self.admin_api.post_server_action(
            self.server['id'],
            {'os-migrateLive': {'host': host, 'block_migration': 'auto'}})

    def test_hold_during_a_live_migration_in_flight_is_refused(self):
        in_flight, finish = self.stall(fake_virt.FakeDriver,
                                       'live_migration')
        self.start_live_migration()
        self.assertTrue(in_flight.wait(30))
        reply = self.hold()
        self.assertEqual(409, reply.status, reply.body)
        self.assertEqual('migration_in_progress', reply.error['reason'])
        self.assertEqual('15', reply.headers['Retry-After'])
        self.assertEqual('migrating', http.request(
            self.proxy.url, 'GET', '/openstack/miglock').json['state'])

        finish.set()
        self._wait_for_migration_status(self.server, ['completed'])
        self._wait_for_state_change(self.server, 'ACTIVE')
        self.assertEndedAndHoldable('completed')

    def test_a_live_migration_ends_when_nova_records_it_completed(self):
        """Holds wait until Nova's migration record says ``completed``.

        Nova's source host notifies ``instance.live_migration_post.end``
        (and the destination its ``_post_dest.end`` earlier still) before
        it saves the record; here it is held just in between.
        """
        # The last step before the record is saved.
        notified, saved = self.stall(compute_manager.ComputeManager,
                                     '_clean_instance_console_tokens')
        self.start_live_migration()
        self.assertTrue(notified.wait(30))
        self.assertIn('instance.live_migration_post.end', [
            n['event_type'] for n in self.notifier.versioned_notifications])
        (migration,) = self.admin_api.get_migrations()
        self.assertEqual('running', migration['status'])
        reply = self.hold()
        self.assertEqual(409, reply.status, reply.body)
        self.assertEqual('migration_in_progress', reply.error['reason'])

        saved.set()
        self._wait_for_migration_status(self.server, ['completed'])
        self.assertEndedAndHoldable('completed')

    def test_a_failed_pre_check_closes_the_ticket(self):
        def refuse(*args, **kwargs):
            raise nova_exception.MigrationPreCheckError(reason='test')

        self.stub_out('nova.virt.fake.FakeDriver.'
                      'check_can_live_migrate_destination', refuse)
        self.start_live_migration(host='host2')
        self._wait_for_migration_status(self.server, ['error'])
        self._wait_for_state_change(self.server, 'ACTIVE')
        self._wait_for_assert(lambda: self.assertIsNone(
            self.store.get_state(self.server['id']).ticket))
        self.assertEqual(200, self.hold().status)

    def test_cold_migration_ticket_lasts_until_the_resize_is_confirmed(self):
        self._migrate_server(self.server, api=self.admin_api)
        self.assertEqual(409, self.hold().status)
        self._confirm_resize(self.server)
        self.assertIsNone(self.store.get_state(self.server['id']).ticket)
        self.assertEqual(200, self.hold().status)

    def test_resize_revert_closes_the_ticket(self):
        flavor = self._create_flavor(name='bigger', memory_mb=4096)
        self.api.post_server_action(self.server['id'], {
            'resize': {'flavorRef': flavor}})
        self._wait_for_state_change(self.server, 'VERIFY_RESIZE')
        self.assertEqual(409, self.hold().status)
        self._revert_resize(self.server)
        self.assertEqual(200, self.hold().status)
        self.assertEqual('reverted', [
            e for e in self.store.ledger(instance_uuid=self.server['id'])
            if e['event'] == 'move_ended'][0]['reason'])

    def test_deleting_the_instance_ends_its_holds_and_ticket(self):
        self.assertEqual(200, self.hold().status)
        self._delete_server(self.server)
        self._wait_until_deleted(self.server)
        self.assertEqual((), self.store.get_state(self.server['id']).holds)


class EvacuationTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot(host='host1')
        self.proxy = self.proxy_for(self.server)
        reply = http.request(self.proxy.url, 'PUT', HOLD,
                             {'lease_seconds': 600, 'reason': 'etl'})
        self.assertEqual(200, reply.status)
        self.computes['host1'].stop()
        service = self.admin_api.get_services(host='host1',
                                              binary='nova-compute')[0]
        self.admin_api.put_service_force_down(service['id'], True)

    def test_evacuation_moves_the_instance_and_ends_its_holds(self):
        server = self._evacuate_server(self.server, expected_host='host2',
                                       expected_state='SHUTOFF')
        self.assertEqual('host2', server['OS-EXT-SRV-ATTR:host'])
        events = [(e['event'], e['holder'], e['reason'])
                  for e in self.store.ledger(instance_uuid=server['id'])]
        self.assertIn(('evacuated', 'db', 'evacuated'), events)
        (warning,) = self.our_notifications('miglock.hold.evacuated')
        self.assertEqual(('WARN', 'db'), (warning[1].upper(),
                                          warning[2]['holder']))
        self._wait_for_assert(lambda: self.assertIsNone(
            self.store.get_state(server['id']).ticket))

    def test_the_evacuation_lasts_until_the_destination_has_rebuilt_it(self):
        # Nova's API notifies instance.evacuate as the evacuation starts;
        # the instance is rebuilt on the destination afterwards.
        spawning, spawned = self.stall(fake_virt.FakeDriver, 'spawn')
        self.admin_api.post_server_action(self.server['id'], {
            'evacuate': {}})
        self.assertTrue(spawning.wait(30))
        reply = http.request(self.proxy.url, 'PUT', HOLD,
                             {'lease_seconds': 60})
        self.assertEqual((409, 'migration_in_progress'), (
            reply.status, reply.error['reason']))
        spawned.set()
        self._wait_for_migration_status(self.server, ['done'])
        self.wait_for_ticket_end(self.server)
        self.assertEqual('done', [
            e for e in self.store.ledger(instance_uuid=self.server['id'])
            if e['event'] == 'move_ended'][0]['reason'])

    def test_evacuation_can_be_refused_by_configuration(self):
        self.flags(evacuate_action='refuse', group='miglock')
        from nova.tests.functional.api import client as api_client
        error = self.assertRaises(
            api_client.OpenStackApiException,
            self.admin_api.post_server_action, self.server['id'],
            {'evacuate': {}})
        self.assertEqual(409, error.response.status_code)
        self.assertEqual(('db',), tuple(
            h.holder for h in self.store.get_state(self.server['id']).holds))


class FilterAloneTest(base.NovaTestCase):
    """The scheduler filter alone, with the gate left out of the API."""

    GATE = False
    LISTENER = False

    def setUp(self):
        super().setUp()
        self.server = self.boot(host='host1')
        self.store.acquire(self.server['id'], 'db',
                           project_id=self.server['tenant_id'],
                           source='guest', lease_seconds=600, reason='etl',
                           limits=self.manager_limits())

    def manager_limits(self):
        from nova_miglock import policy
        return policy.hold_limits(base.CONF)[0]

    def assertStaysOnHost1(self):
        self._wait_for_migration_status(self.server, ['error'])
        server = self._wait_for_state_change(self.server, 'ACTIVE')
        self.assertEqual('host1', server['OS-EXT-SRV-ATTR:host'])

    def test_live_migration_ends_in_no_valid_host_with_one_store_query(self):
        statements = self.count_store_queries()
        self.admin_api.post_server_action(
            self.server['id'],
            {'os-migrateLive': {'host': None, 'block_migration': 'auto'}})
        self.assertStaysOnHost1()
        self.assertEqual(1, len(statements), statements)
        self.assertIn('NoValidHost', str(self.admin_api.api_get(
            '/servers/%s/os-instance-actions' % self.server['id']).body) +
            self._get_fault_text())

    def _get_fault_text(self):
        actions = self.admin_api.get_instance_actions(self.server['id'])
        texts = []
        for action in actions:
            detail = self.admin_api.get_instance_action_details(
                self.server['id'], action['request_id'])
            texts += [str(e.get('traceback') or '') + str(e.get('result'))
                      for e in detail.get('events', [])]
        return ' '.join(texts)

    def test_cold_migration_is_refused_too(self):
        self.admin_api.post_server_action(self.server['id'],
                                          {'migrate': None})
        self.assertStaysOnHost1()

    def test_boot_is_never_blocked_even_with_a_locking_flavor(self):
        flavor = self._create_flavor(name='gpu',
                                     extra_spec={'miglock:static': 'true'})
        server = self.boot(flavor_id=flavor)
        self.assertEqual('ACTIVE', server['status'])


class FilterExemptionTest(base.NovaTestCase):
    """The filter alone judges a flavor's lock with the exemption."""

    GATE = False
    LISTENER = False

    def test_an_exemption_lifts_the_flavor_lock_in_the_filter(self):
        flavor = self._create_flavor(name='gpu',
                                     extra_spec={'miglock:static': 'true'})
        server = self.boot(flavor_id=flavor, host='host1')
        self.admin_api.post_server_action(server['id'], {'migrate': None})
        self._wait_for_migration_status(server, ['error'])
        self.assertEqual('host1', self._wait_for_state_change(
            server, 'ACTIVE')['OS-EXT-SRV-ATTR:host'])
        self.manager.exempt_static(server['id'], seconds=600,
                                   reason='host replacement',
                                   actor='operator:test')
        self._live_migrate(server, api=self.admin_api)
        self.assertEqual('host2', self.admin_api.get_server(server['id'])[
            'OS-EXT-SRV-ATTR:host'])
