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
"""The in-process Nova every Nova-level test of ours runs against.

Real nova-api (with our api-paste.ini), conductor, scheduler, two fake
computes and placement, from Nova 34's own functional harness; the lock
store is a real SQLite file; the metadata API is served on a real socket.
"""

import io
import json
import os
import shutil
import sys
import tempfile
import threading

from nova.api import wsgi as nova_wsgi
import nova.conf
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.fixtures import conf as conf_fixture
from nova.tests.fixtures import notifications as nova_notifications
from nova.tests.functional import fixtures as func_fixtures
from nova.tests.functional import integrated_helpers
from oslo_messaging.notify import _impl_test as test_notifications
import sqlalchemy as sa

from nova_miglock import listener
from nova_miglock import manager as lock_manager
from nova_miglock import notifications
from nova_miglock import reconcile
from nova_miglock import store as lock_store
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import migration
from nova_miglock.testing.nova import clients
from nova_miglock.testing.nova import paste
from nova_miglock.testing.nova import servers

CONF = nova.conf.CONF
SECRET = 'miglock-functional-secret'
FILTER_PATH = ('nova_miglock.scheduler.filters.migration_lock.'
               'MigrationLockFilter')


class NovaTestCase(test.TestCase, integrated_helpers.InstanceHelperMixin):
    """Nova with nova-miglock plugged in as an operator would."""

    compute_driver = 'fake.MediumFakeDriver'
    compute_hosts = ('host1', 'host2')
    microversion = 'latest'
    # Which parts of nova-miglock are plugged into this Nova.
    GATE = True
    SCHEDULER_FILTER = True
    # Deliver Nova's versioned notifications to our listener's endpoint
    # as Nova emits them (the RabbitMQ test carries them for real).
    LISTENER = True

    def useFixture(self, fixture):
        result = super().useFixture(fixture)
        if isinstance(fixture, conf_fixture.ConfFixture):
            # Nova's ConfFixture points at an api-paste.ini the wheel does
            # not ship; ours is Nova's real one plus our filters.
            self.flags(api_paste_config=self.paste_path, group='wsgi')
        return result

    def _clear_attrs(self):
        """Keep attributes: pytest reads the test after its cleanups ran."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix='miglock-nova-')
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.paste_path = self.write_paste(
            os.path.join(self.workdir, 'api-paste.ini'))
        super().setUp()
        self.flags(compute_driver=self.compute_driver)
        self.flags(service_metadata_proxy=True,
                   metadata_proxy_shared_secret=SECRET, group='neutron')
        if self.SCHEDULER_FILTER:
            self.flags(available_filters=list(
                CONF.filter_scheduler.available_filters) + [FILTER_PATH],
                enabled_filters=list(
                    CONF.filter_scheduler.enabled_filters) + [
                        'MigrationLockFilter'], group='filter_scheduler')
        self.store = self._start_store()
        self._capture_our_notifications()
        self.manager = lock_manager.LockManager(CONF, store=self.store)

        self.policy = self.useFixture(nova_fixtures.RealPolicyFixture())
        self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
        self.glance = self.useFixture(nova_fixtures.GlanceFixture(self))
        self.useFixture(nova_fixtures.CinderFixture(self))
        self.placement = self.useFixture(
            func_fixtures.PlacementFixture()).api
        self.useFixture(nova_fixtures.AllServicesCurrent())
        self.notifier = self.useFixture(
            nova_fixtures.NotificationFixture(self))
        if self.LISTENER:
            self._forward_nova_notifications()
        self.api_fixture = self.useFixture(nova_fixtures.OSAPIFixture(
            api_version='v2.1'))
        self.api = self.api_fixture.api
        self.admin_api = self.api_fixture.admin_api
        self.api.microversion = self.microversion
        self.admin_api.microversion = self.microversion
        self.start_service('conductor')
        self.scheduler_service = self.start_service('scheduler')
        for host in self.compute_hosts:
            self._start_compute(host=host)
        self.metadata = self.useFixture(servers.MetadataServer(
            nova_wsgi.Loader().load_app('metadata')))

    def write_paste(self, path):
        return paste.write(path, gate=self.GATE)

    def _capture_our_notifications(self):
        """miglock.* notifications go to oslo.messaging's test driver."""
        self.flags(driver='test', group='miglock_notifications')
        notifications.reset_notifier()
        self.addCleanup(notifications.reset_notifier)
        test_notifications.reset()
        self.addCleanup(test_notifications.reset)

    def our_notifications(self, event_type=None):
        """``[(event_type, priority, payload data)]`` sent by us so far."""
        found = []
        for _ctxt, message, priority, _retry in test_notifications.\
                NOTIFICATIONS:
            if event_type in (None, message['event_type']):
                found.append((message['event_type'], priority,
                              message['payload']['miglock_object.data']))
        return found

    def _forward_nova_notifications(self):
        manager = lock_manager.LockManager(CONF, store=self.store)
        endpoint = listener.NovaEndpoint(manager, reconcile.TicketReconciler(
            manager, lambda: clients.novaclient_for(self),
            schedule=self.schedule))
        original = nova_notifications.FakeVersionedNotifier._notify

        def _notify(notifier, priority, ctxt, event_type, payload):
            original(notifier, priority, ctxt, event_type, payload)
            endpoint.handle(event_type,
                            notifier._serializer.serialize_entity(
                                ctxt, payload))

        self.stub_out('nova.tests.fixtures.notifications.'
                      'FakeVersionedNotifier._notify', _notify)

    def schedule(self, delay, function, *args):
        """A timer like the listener's, cancelled when the test ends."""
        timer = threading.Timer(delay, function, args)
        timer.daemon = True
        self.addCleanup(timer.cancel)
        timer.start()

    def store_path(self):
        """Where the embedded store of this test lives."""
        return os.path.join(self.workdir, 'miglock.sqlite')

    def _start_store(self):
        self.flags(connection='sqlite:///%s' % self.store_path(),
                   group='miglock_store')
        lock_store.reset_store()
        self.addCleanup(lock_store.reset_store)
        store = lock_store.get_store()
        migration.sync(store)
        return store

    def count_store_queries(self):
        """Every statement sent to the store."""
        statements = []

        def count(conn, cursor, statement, *args):
            if statement.split()[0].upper() not in ('BEGIN', 'COMMIT',
                                                    'ROLLBACK'):
                statements.append(statement)

        sa.event.listen(self.store.sql_engine, 'before_cursor_execute',
                        count)
        self.addCleanup(sa.event.remove, self.store.sql_engine,
                        'before_cursor_execute', count)
        return statements

    def boot(self, **kwargs):
        """Boot a server and wait until it is ACTIVE.

        Without ``flavor_id``, Nova's helper takes the first flavor Nova
        lists, sorted by flavor id; a flavor a test created, with a random
        uuid for id, sorted first one time in sixteen. Stock flavor 1
        (m1.tiny) instead.
        """
        kwargs.setdefault('flavor_id', '1')
        return self._create_server(networks='none', **kwargs)

    def stall(self, owner, name):
        """Make Nova's ``owner.name`` wait, when called, until released.

        :returns: ``(reached, release)`` events. A failing test releases
            it at cleanup, so no Nova thread is left waiting.
        """
        reached, release = threading.Event(), threading.Event()
        self.addCleanup(release.set)
        original = getattr(owner, name)

        def stalled(*args, **kwargs):
            reached.set()
            self.assertTrue(release.wait(60))
            return original(*args, **kwargs)

        self.stub_out('%s.%s.%s' % (owner.__module__, owner.__qualname__,
                                    name), stalled)
        return reached, release

    def wait_for_ticket_end(self, server):
        """Wait until the listener has closed the server's ticket.

        A live migration's ticket closes once Nova has recorded the end,
        shortly after its notification.
        """
        self._wait_for_assert(lambda: self.assertIsNone(
            self.store.get_state(server['id']).ticket))

    def identity_of(self, server, secret=SECRET):
        """The headers the Neutron metadata proxy adds for ``server``."""
        return {'X-Instance-ID': server['id'],
                'X-Tenant-ID': server['tenant_id'],
                'X-Instance-ID-Signature': servers.sign(secret,
                                                        server['id'])}

    def fingerprint(self, server):
        """What a refused guest request must leave as it was."""
        state = self.store.get_state(server['id'])
        return state.generation, state.holds, len(self.store.ledger())

    def assertStayed(self, server, host='host1'):
        """``server`` is ACTIVE on ``host`` and was never migrated."""
        shown = self.admin_api.get_server(server['id'])
        self.assertEqual(('ACTIVE', host, None), (
            shown['status'], shown['OS-EXT-SRV-ATTR:host'],
            shown['OS-EXT-STS:task_state']))
        self.assertEqual([], [
            m for m in self.admin_api.get_migrations()
            if m['instance_uuid'] == server['id']])

    def manage_json(self, *argv):
        """``nova-miglock-manage ARGV --format json`` in this process.

        :returns: ``(exit status, the JSON it printed)``; the command runs
            with this test's manager.
        """
        # Imported here: the CLI is not part of what every test loads.
        from nova_miglock.manage import cli

        parsed = cli.build_parser().parse_args(list(argv) +
                                               ['--format', 'json'])
        out = io.StringIO()
        self.stub_out('sys.stdout', out)
        try:
            status = parsed.func(self.manager, parsed)
        finally:
            sys.stdout = sys.__stdout__
        return status, json.loads(out.getvalue())

    def proxy_for(self, server, tenant_id=None, secret=SECRET):
        """The Neutron metadata proxy an instance's requests go through."""
        return self.useFixture(servers.NeutronMetadataProxy(
            self.metadata.port, server['id'],
            tenant_id or server['tenant_id'], secret))


__all__ = ['NovaTestCase', 'SECRET', 'driver']
