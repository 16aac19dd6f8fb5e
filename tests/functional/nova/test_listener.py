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
"""nova-miglock-listener's work: static locks, reaping, reconciliation."""


from nova_miglock import reconcile
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients
from tests.functional.guest import http


class StaticMirrorTest(base.NovaTestCase):
    """Tags and properties reach the store from Nova's notifications."""

    def test_tag_added_and_removed_is_mirrored_for_the_scheduler(self):
        server = self.boot()
        self.api.put_server_tags(server['id'], ['miglock:static'])
        state = self.store.get_state(server['id'])
        self.assertEqual(['server tag miglock:static'], state.lock_reasons())
        self.assertEqual(['miglock.lock.static'], [
            e for e, _p, _d in self.our_notifications('miglock.lock.static')])
        self.api.api_delete('/servers/%s/tags' % server['id'])
        self.assertEqual([], self.store.get_state(
            server['id']).lock_reasons())

    def test_instances_without_static_locks_leave_no_rows(self):
        server = self.boot()
        self.api.post_server_metadata(server['id'], {'owner': 'ops'})
        self.assertEqual(0, self.store.get_state(server['id']).generation)
        self.assertEqual([], self.store.list_states(locked_only=False))


class ReconcileTest(base.NovaTestCase):
    """Tickets whose end was never notified are settled with Nova."""

    LISTENER = False  # the notifications are "lost"

    def setUp(self):
        super().setUp()
        self.nova = clients.novaclient_for(self)
        self.reconciler = reconcile.TicketReconciler(self.manager,
                                                     lambda: self.nova)

    def make_overdue(self, server):
        ticket = self.store.get_state(server['id']).ticket
        self.store.extend_ticket(server['id'], ticket.ticket_id, -1)
        return ticket

    def test_a_finished_migration_closes_its_overdue_ticket(self):
        server = self.boot(host='host1')
        self._live_migrate(server, api=self.admin_api)
        ticket = self.make_overdue(server)
        self.assertEqual(1, self.reconciler.run_once())
        state = self.store.get_state(server['id'])
        self.assertIsNone(state.ticket)
        ended = self.store.ledger(instance_uuid=server['id'])[-1]
        self.assertEqual(('move_ended', 'reconciled-completed'),
                         (ended['event'], ended['reason']))
        self.assertNotEqual(ticket.ticket_id, None)

    def test_a_resize_awaiting_confirmation_keeps_its_ticket(self):
        server = self.boot(host='host1')
        self._migrate_server(server, api=self.admin_api)
        ticket = self.make_overdue(server)
        self.assertEqual(0, self.reconciler.run_once())
        state = self.store.get_state(server['id'])
        self.assertEqual(ticket.ticket_id, state.ticket.ticket_id)
        self.assertEqual([], self.store.overdue_tickets())

    def test_a_deleted_instance_closes_its_ticket(self):
        server = self.boot()
        self.store.open_ticket(server['id'], project_id='p',
                               kind='live-migration', request_id='r',
                               static_locks=())
        self._delete_server(server)
        self._wait_until_deleted(server)
        self.make_overdue(server)
        self.assertEqual(1, self.reconciler.run_once())
        self.assertEqual('reconciled-instance-deleted', self.store.ledger(
            instance_uuid=server['id'])[-1]['reason'])


class ReapTest(base.NovaTestCase):

    def test_expired_holds_are_reaped_into_the_ledger_and_notified(self):
        server = self.boot()
        proxy = self.proxy_for(server)
        http.request(proxy.url, 'PUT', '/openstack/miglock/holds/db',
                     {'lease_seconds': 1})
        self.store.advance_clock(1.2)
        reaped = self.manager.reap()
        self.assertEqual(['db'], [h.holder for h, _s in reaped])
        (event,) = self.our_notifications('miglock.hold.expire')
        self.assertEqual('db', event[2]['holder'])
