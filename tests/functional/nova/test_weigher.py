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
"""MigrationLockWeigher through Nova's real scheduler.

Two equal fake computes; the weigher is loaded by class path in
``[filter_scheduler] weight_classes`` after Nova's own weighers, and fed
by the in-memory drainability source (the store-backed one does not exist
yet; the source is the seam where it will plug in). Its profile table is
fitted from a ledger: instances of the "db" flavor and image lock half of
the time, instances of the "web" ones never. Each test first places
servers on chosen hosts so that Nova's spreading prefers one host by a
small margin, then checks where a new boot lands.
"""

import datetime

import nova.conf
from nova import context as nova_context
from nova.tests.fixtures import conf as conf_fixture

from nova_miglock import placement_refresh
from nova_miglock.planning import drainability
from nova_miglock.planning import model
from nova_miglock.planning import placement
from nova_miglock.planning import synthetic
from nova_miglock.planning import timebins
from nova_miglock.planning import world
from nova_miglock.scheduler.weighers import migration_lock
from nova_miglock.store.sql import models
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients

CONF = nova.conf.CONF
WEIGHER_PATH = ('nova_miglock.scheduler.weighers.migration_lock.'
                'MigrationLockWeigher')
DB_IMAGE = '155d900f-4e14-4e4c-a73d-069cbf4541e6'
WEB_IMAGE = 'a2459075-d96c-40d5-893e-577ff92e721c'
MONDAY = timebins.to_seconds(datetime.datetime(2026, 11, 23))
WEEK = timebins.WEEK


def history(db, web, lockers=2, quiet=6):
    """The profile table of a week of ledger.

    ``lockers`` instances of profile ``db`` are locked 2 h in every 4 h;
    ``quiet`` instances of profile ``web`` never lock.
    """
    guests = [world.Guest('db-%d' % i, project_id=db.project_id, jobs=[
        (t, t + 7200) for t in range(int(MONDAY) + 600 * i,
                                     int(MONDAY + WEEK - 7200), 14400)])
        for i in range(lockers)]
    timeline = world.TimelineWorld(guests)
    rows = []
    for guest in guests:
        rows += synthetic.history(timeline, guest.uuid, MONDAY,
                                  MONDAY + WEEK)
    inventory = {g.uuid: placement.Member(db, MONDAY) for g in guests}
    inventory.update({'web-%d' % i: placement.Member(web, MONDAY)
                      for i in range(quiet)})
    fitted = model.fit(rows, as_of=MONDAY + WEEK)
    fitted.window_start = MONDAY
    return placement.ProfileTable.from_model(fitted, inventory)


class FailingSource(drainability.DrainabilitySource):
    reads = 0

    def outlook(self, request):
        self.reads += 1
        raise RuntimeError('drainability store unreachable')


class MigrationLockWeigherTest(base.NovaTestCase):

    def useFixture(self, fixture):
        result = super().useFixture(fixture)
        if isinstance(fixture, conf_fixture.ConfFixture):
            # Before the scheduler starts: it loads its weighers once.
            self.flags(weight_classes=list(
                CONF.filter_scheduler.weight_classes) + [WEIGHER_PATH],
                group='filter_scheduler')
        return result

    def setUp(self):
        super().setUp()
        self.flags(weight_multiplier=4.0, group='miglock_weigher')
        project = self.api_fixture.project_id
        self.db_flavor = self._create_flavor(
            name='db', memory_mb=512, vcpu=1, disk=1, ephemeral=0)
        self.web_flavor = self._create_flavor(
            name='web', memory_mb=512, vcpu=1, disk=1, ephemeral=0)
        self.db = placement.Profile(project, self.db_flavor, DB_IMAGE)
        self.web = placement.Profile(project, self.web_flavor, WEB_IMAGE)
        self.source = drainability.InMemorySource(
            history(self.db, self.web))
        self.use_source(self.source)

    def use_source(self, source):
        migration_lock.set_source(source)
        self.addCleanup(migration_lock.set_source, None)

    def place(self, profile, host):
        """A server of ``profile`` on ``host``, as the source knows it."""
        flavor = self.db_flavor if profile == self.db else self.web_flavor
        image = DB_IMAGE if profile == self.db else WEB_IMAGE
        server = self._create_server(
            flavor_id=flavor, image_uuid=image, host=host, networks='none',
            api=self.admin_api)
        self.placed(server, host, profile)
        # What the periodic task would do: the host states Nova weighs
        # then count no build still in progress (IoOpsWeigher).
        self.computes[host].manager.update_available_resource(
            nova_context.get_admin_context())
        return server

    def placed(self, server, host, profile):
        self.source.place(server['id'], host, profile)

    def boot(self, profile):
        """A new server of ``profile``, placed by the scheduler."""
        flavor = self.db_flavor if profile == self.db else self.web_flavor
        image = DB_IMAGE if profile == self.db else WEB_IMAGE
        server = self._create_server(flavor_id=flavor, image_uuid=image,
                                     networks='none')
        return server['OS-EXT-SRV-ATTR:host']

    def slow_host1_fuller(self):
        """host1 holds a lock-prone server and one more server."""
        self.place(self.db, 'host1')
        self.place(self.web, 'host1')
        self.place(self.web, 'host2')
        self.source.reads = 0

    def test_lock_prone_boot_joins_the_slow_host_against_spreading(self):
        self.slow_host1_fuller()
        self.assertEqual('host1', self.boot(self.db))
        self.assertEqual(1, self.source.reads)

    def test_quiet_boot_keeps_to_the_quick_host_against_spreading(self):
        self.place(self.db, 'host1')
        self.place(self.web, 'host2')
        self.place(self.web, 'host2')
        self.assertEqual('host2', self.boot(self.web))

    def test_multiplier_zero_leaves_novas_choice_and_reads_nothing(self):
        self.flags(weight_multiplier=0.0, group='miglock_weigher')
        self.slow_host1_fuller()
        self.assertEqual('host2', self.boot(self.db))
        self.assertEqual(0, self.source.reads)

    def test_aggregate_metadata_overrides_the_multiplier(self):
        self.slow_host1_fuller()
        aggregate = self._create_aggregate('everything')
        for host in self.compute_hosts:
            self.admin_api.add_host_to_aggregate(aggregate, host)
        self.admin_api.post_aggregate_action(aggregate, {'set_metadata': {
            'metadata': {'miglock_weight_multiplier': '0'}}})
        self.assertEqual('host2', self.boot(self.db))

    def test_failing_source_weighs_nothing_and_the_boot_succeeds(self):
        self.slow_host1_fuller()
        failing = FailingSource()
        self.use_source(failing)
        self.assertEqual('host2', self.boot(self.db))
        self.assertEqual(1, failing.reads)
        self.assertIn('drainability source failed: drainability store '
                      'unreachable', self.stdlog.logger.output)

    def test_one_source_read_for_a_request_of_two_servers(self):
        self.slow_host1_fuller()
        body = self._build_server(name='pair', flavor_id=self.db_flavor,
                                  image_uuid=DB_IMAGE, networks='none')
        body.update(min_count=2, max_count=2)
        self.api.post_server({'server': body})
        pair = [s for s in self.api.get_servers(detail=True)
                if s['name'].startswith('pair')]
        self.assertEqual(2, len(pair))
        for server in pair:
            self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual(1, self.source.reads)


class StoreSourceWeigherTest(MigrationLockWeigherTest):
    """The deployed path: the listener's refresh, then the store's source.

    The refresh lists the in-process Nova's servers (admin novaclient of
    the harness, as ``[miglock_nova]`` would give) and fits the model from
    the ledger; the weigher reads the store. The ledger holds a week of
    history of the lock-prone server, so the store's clock is moved a week
    past the servers' creation.
    """

    # Independent of the source: run once, above.
    test_aggregate_metadata_overrides_the_multiplier = None
    test_failing_source_weighs_nothing_and_the_boot_succeeds = None

    def setUp(self):
        super().setUp()
        self.source = drainability.StoreSource(lambda: self.store)
        self.use_source(self.source)
        self.nova = clients.novaclient_for(self)

    def placed(self, server, host, profile):
        # Nova knows where it is; the refresh will list it.
        if profile == self.db:
            self.lockers.append(server['id'])

    def refresh(self):
        start = timebins.to_seconds(self.store.now())
        self.store.advance_clock(WEEK)
        guests = [world.Guest(uuid, project_id=self.db.project_id, jobs=[
            (t, t + 7200) for t in range(int(start) + 600,
                                         int(start + WEEK) - 7200, 14400)])
            for uuid in self.lockers]
        timeline = world.TimelineWorld(guests)
        rows = []
        for guest in guests:
            rows += synthetic.history(timeline, guest.uuid, start,
                                      start + WEEK - 600)
        with self.store.sql_engine.begin() as conn:
            conn.execute(models.ledger.insert(), rows)
        placement_refresh.PlacementRefresh(
            CONF, self.store, lambda: self.nova).run_once()
        self.source.reads = 0

    def slow_host1_fuller(self):
        self.lockers = []
        self.place(self.db, 'host1')
        self.place(self.web, 'host1')
        self.place(self.web, 'host2')
        self.refresh()

    def test_lock_prone_boot_joins_the_slow_host_against_spreading(self):
        self.slow_host1_fuller()
        self.assertEqual('host1', self.boot(self.db))
        self.assertEqual((1, 1), (self.source.reads, self.source.loads))

    def test_quiet_boot_keeps_to_the_quick_host_against_spreading(self):
        self.slow_host1_fuller()
        self.place(self.web, 'host2')
        self.assertEqual('host2', self.boot(self.web))

    def test_multiplier_zero_leaves_novas_choice_and_reads_nothing(self):
        self.flags(weight_multiplier=0.0, group='miglock_weigher')
        self.slow_host1_fuller()
        self.assertEqual('host2', self.boot(self.db))
        self.assertEqual(0, self.source.reads)

    def test_one_source_read_for_a_request_of_two_servers(self):
        self.slow_host1_fuller()
        super().test_one_source_read_for_a_request_of_two_servers()

    def test_nothing_refreshed_yet_leaves_novas_choice(self):
        self.lockers = []
        self.place(self.db, 'host1')
        self.place(self.web, 'host1')
        self.place(self.web, 'host2')
        self.assertEqual('host2', self.boot(self.db))
