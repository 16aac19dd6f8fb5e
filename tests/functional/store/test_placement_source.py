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
"""The weigher's store-backed source, on every engine.

The listener's refresh fits the model from the real ledger and saves the
profile table and host costs; the scheduler's source reads them back. Nova
cannot run in a store test, so its server listing is a stand-in of
novaclient's shape here (the in-process Nova test of the weigher runs the
same refresh against real Nova).
"""

import types

from nova_miglock import placement_refresh
from nova_miglock.planning import drainability
from nova_miglock.planning import placement
from nova_miglock.planning import synthetic
from nova_miglock.planning import timebins
from nova_miglock.planning import world
from nova_miglock.store.sql import models

PROJECT = 'project-a'
DB = placement.Profile(PROJECT, 'db-flavor', 'db-image')
WEB = placement.Profile(PROJECT, 'web-flavor', 'web-image')


class Servers:
    """novaclient's ``servers.list`` over fixed servers."""

    def __init__(self, servers):
        self.servers = servers
        self.calls = []

    def list(self, **kwargs):
        self.calls.append(kwargs)
        return list(self.servers)


def server(uuid, profile, host, created):
    return types.SimpleNamespace(**{
        'id': uuid, 'tenant_id': profile.project_id,
        'flavor': {'id': profile.flavor}, 'image': {'id': profile.image},
        'created': created, 'OS-EXT-SRV-ATTR:host': host})


def seed(store, lockers, start, end):
    """Lockers locked 2 h in every 4 h from ``start`` to ``end``."""
    guests = [world.Guest(uuid, project_id=PROJECT, jobs=[
        (t, t + 7200) for t in range(int(start) + 600, int(end) - 7200,
                                     14400)]) for uuid in lockers]
    timeline = world.TimelineWorld(guests)
    rows = []
    for guest in guests:
        rows += synthetic.history(timeline, guest.uuid, start, end)
    with store.sql_engine.begin() as conn:
        conn.execute(models.ledger.insert(), rows)


def refreshed(store, conf):
    """A week of history: db-0 and db-1 lock half the time, web never."""
    now = timebins.to_seconds(store.now())
    start = now - timebins.WEEK
    created = timebins.to_datetime(start).isoformat() + 'Z'
    seed(store, ['db-0', 'db-1'], start, now - 600)
    nova = types.SimpleNamespace(servers=Servers([
        server('db-0', DB, 'host1', created),
        server('db-1', DB, 'host1', created),
        server('web-0', WEB, 'host2', created),
        server('web-1', WEB, 'host2', created),
        server('web-2', WEB, 'host3', created)]))
    placement_refresh.PlacementRefresh(conf, store, lambda: nova).run_once()
    return nova


def test_refresh_saves_what_makes_lock_prone_boots_gather(store, conf):
    nova = refreshed(store, conf)
    source = drainability.StoreSource(lambda: store)
    db, web = source.outlook(drainability.Request(DB)), \
        source.outlook(drainability.Request(WEB))
    # The lock-prone profile prefers costly hosts, the quiet one cheap.
    assert db.proneness > 0.2 and web.proneness < -0.2
    # host1 carries both lockers: by far the slowest to drain.
    assert web.costs['host1'] > 10 * max(web.costs['host2'],
                                         web.costs['host3'])
    # A lock-prone boot weighs the hosts of its own workload.
    assert dict(db.costs) == {'host1': web.costs['host1']}
    to_db = placement.weights(db.proneness, db.costs, ['host1', 'host2'])
    to_web = placement.weights(web.proneness, web.costs, ['host1', 'host2'])
    assert to_db[0] > to_db[1] and to_web[0] < to_web[1]
    # The whole inventory, every project, every page.
    assert nova.servers.calls == [{'detailed': True, 'limit': -1,
                                   'search_opts': {'all_tenants': True}}]


def test_source_reads_the_document_again_only_after_a_refresh(store, conf):
    refreshed(store, conf)
    source = drainability.StoreSource(lambda: store)
    for _ in range(3):
        source.outlook(drainability.Request(DB))
    assert source.loads == 1
    store.advance_clock(1)
    placement_refresh.PlacementRefresh(
        conf, store, lambda: types.SimpleNamespace(
            servers=Servers([]))).run_once()
    empty = source.outlook(drainability.Request(DB))
    assert source.loads == 2
    assert dict(empty.costs) == {}


def test_nothing_saved_yet_weighs_nothing(store):
    outlook = drainability.StoreSource(lambda: store).outlook(
        drainability.Request(DB))
    assert outlook.proneness == 0.0
    assert placement.weights(outlook.proneness, outlook.costs,
                             ['host1']) == [0.0]


def test_refresh_disabled_saves_nothing(store, conf):
    conf.set_override('placement_interval', 0, group='miglock_listener')
    try:
        refreshed(store, conf)
    finally:
        conf.clear_override('placement_interval', group='miglock_listener')
    assert store.load_history_model(drainability.SCOPE) is None
