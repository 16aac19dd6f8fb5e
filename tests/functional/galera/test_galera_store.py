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
"""The lock store on a real three-node Galera cluster.

On Galera a row lock (``SELECT ... FOR UPDATE``) holds on one node only:
two nodes can both decide, and the later commit fails certification with a
deadlock error. These tests make that happen on purpose (a second node
commits while the first is between its decision and its commit) and check
the store retries with the decision made again; then they race clients over
the three nodes while nodes are killed with SIGKILL and rejoin by state
transfer, and race them through a forward that switches nodes (HAProxy).

``MIGLOCK_GALERA_SECONDS`` sets the length of each race (15 s by default;
minutes for runs by hand: a node is then killed and brought back every
cycle, each node in turn).
"""

import contextlib
import datetime
import importlib.util
import itertools
import os
import re
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import models
from nova_miglock.testing import consistency
from nova_miglock.testing import tcp_forward as galera_forward
from nova_miglock.testing import workload

pytestmark = pytest.mark.xdist_group('galera')

SECONDS = float(os.environ.get('MIGLOCK_GALERA_SECONDS', '15'))
WORKERS = 9  # three per node when spread
LIMITS = lock.HoldLimits(max_lease=600, max_hold=3600, min_unlocked_gap=0,
                         max_holders=8)


def _acquire(store, instance, holder='guest', project='p1'):
    return store.try_acquire(instance, holder, project_id=project,
                             source=lock.SOURCE_GUEST, lease_seconds=300,
                             reason='test', limits=LIMITS)


def _open(store, instance, project='p1'):
    return store.open_ticket(instance, project_id=project,
                             kind='live-migration', request_id='req',
                             static_locks=())


@contextlib.contextmanager
def before_first_commit(store, action):
    """Run ``action`` once, just before ``store`` sends its next COMMIT.

    The store has then locked its row and decided on this node; ``action``
    commits a conflicting change on another node in between, which is the
    window multi-writer Galera leaves open.
    """
    fired = []

    def _commit(conn):
        if not fired:
            fired.append(action())

    sa.event.listen(store.sql_engine, 'commit', _commit)
    try:
        yield fired
    finally:
        sa.event.remove(store.sql_engine, 'commit', _commit)


def _conflicts(store):
    counts = {}
    workload.count_conflicts(
        store.sql_engine, lambda kind: counts.update({kind: counts.get(
            kind, 0) + 1}))
    return counts


def _ledger_events(store, instance):
    return [e['event'] for e in store.ledger(instance_uuid=instance)]


def test_a_move_decided_on_a_stale_node_is_retried_and_refused(node_stores):
    first, second = node_stores[0], node_stores[1]
    instance = str(uuid.uuid4())
    _acquire(first, instance)
    first.release(instance, 'guest', source=lock.SOURCE_GUEST)
    conflicts = _conflicts(second)
    # Node 2 has locked the row and found it free; node 1 grants a hold.
    with before_first_commit(second, lambda: _acquire(first, instance)):
        with pytest.raises(lock.InstanceLocked):
            _open(second, instance)
    assert conflicts.get('conflict_at_commit', 0) >= 1
    for store in node_stores:
        assert lock.EVENT_MOVE_ADMITTED not in _ledger_events(store,
                                                              instance)
        assert store.get_state(instance).ticket is None


def test_a_hold_decided_on_a_stale_node_is_retried_and_refused(node_stores):
    first, third = node_stores[0], node_stores[2]
    instance = str(uuid.uuid4())
    _acquire(first, instance)
    first.release(instance, 'guest', source=lock.SOURCE_GUEST)
    conflicts = _conflicts(third)
    with before_first_commit(third, lambda: _open(first, instance)):
        with pytest.raises(lock.MigrationInProgress):
            _acquire(third, instance, holder='late')
    assert conflicts.get('conflict_at_commit', 0) >= 1
    for store in node_stores:
        state = store.get_state(instance)
        assert state.ticket is not None and not state.holds


def test_a_project_quota_holds_across_nodes(node_stores):
    first, second = node_stores[0], node_stores[1]
    first.set_quota('p2', locked_instances=1)
    one, other = str(uuid.uuid4()), str(uuid.uuid4())
    # Node 2 counted no locked instance in p2; node 1 locks one meanwhile.
    with before_first_commit(second, lambda: _acquire(first, one,
                                                      project='p2')):
        with pytest.raises(lock.QuotaExceeded):
            _acquire(second, other, project='p2')
    locked = [s for s in first.list_states(project_id='p2') if s.holds]
    assert [s.instance_uuid for s in locked] == [one]


def test_an_acknowledged_hold_is_read_on_a_lagging_node(cluster,
                                                        node_stores):
    """A node that has not applied a commit yet waits for it to answer."""
    first, second = node_stores[0], node_stores[1]
    instance = str(uuid.uuid4())
    # Node 2 stops applying replicated commits while this lock is held.
    paused = cluster.nodes[1].connect()
    try:
        with paused.cursor() as cursor:
            cursor.execute('FLUSH TABLES WITH READ LOCK')
        _acquire(first, instance)
        resume = threading.Timer(0.5, _unlock, (paused,))
        resume.start()
        state = second.get_state(instance)
        resume.join()
    finally:
        paused.close()
    assert [h.holder for h in state.holds] == ['guest']


def _unlock(conn):
    with conn.cursor() as cursor:
        cursor.execute('UNLOCK TABLES')


# -- races under faults -----------------------------------------------------


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Faults(threading.Thread):
    """Kill a node with SIGKILL, bring it back, next node, until the end.

    The first kill comes once every client has acknowledged an operation
    (``ready()``) and a fifth of the race has passed; at least one cycle
    runs however short the race, the next ones while ten seconds remain.
    """

    def __init__(self, cluster, seconds, ready):
        super().__init__(daemon=True)
        self.cluster, self.seconds, self.ready = cluster, seconds, ready
        self.events, self.error = [], None

    def run(self):
        try:
            self._run()
        except Exception as exc:  # reported by the test thread
            self.error = exc

    def _run(self):
        started = time.monotonic()
        while not self.ready():
            if time.monotonic() > started + 60:
                raise AssertionError('the clients did not start in 60 s')
            time.sleep(0.1)
        deadline = time.monotonic() + self.seconds
        nodes = self.cluster.nodes
        victims = itertools.cycle(nodes[1:] + nodes[:1])
        time.sleep(min(3.0, self.seconds / 5))
        while not self.events or time.monotonic() + 10 < deadline:
            node = next(victims)
            self.cluster.kill(node)
            self.events.append(('killed', node.name, _utcnow()))
            self.cluster.restart(node)
            self.events.append(('rejoined', node.name, _utcnow()))
            time.sleep(1.0)


def _race(cluster, tmp_path, urls):
    outputs = [tmp_path / ('worker-%d.jsonl' % n) for n in range(WORKERS)]
    faults = Faults(cluster, SECONDS, ready=lambda: all(
        path.exists() and path.stat().st_size for path in outputs))
    faults.start()
    observations, counts = workload.run_race(
        urls, str(tmp_path), seconds=SECONDS, workers=WORKERS, faults=True)
    faults.join(timeout=120)
    assert not faults.is_alive(), 'a node did not rejoin in time'
    if faults.error:
        raise faults.error
    cluster.wait_synced()
    print('operations: %s' % dict(sorted(counts.items())))
    print('faults: %s' % ', '.join('%s %s at %s' % (kind, name, at.time())
                                   for kind, name, at in faults.events))
    print('slowest operation: %.1f s' % max(
        item['seconds'] for item in observations if item['kind'] ==
        'slowest'))
    assert counts['hold'] > 20 and counts['ticket'] >= 2
    assert counts['refused_locked'] > 0 and counts['refused_migrating'] > 0
    # The kill was felt, and failed closed.
    assert counts['unavailable'] > 0
    assert consistency.check_intervals(observations) == []
    return observations, counts


def _check_every_node(cluster, database, observations, conf):
    contents = []
    for node in cluster.nodes:
        store = driver.SQLLockStore(conf, connection=node.url(database))
        try:
            assert consistency.check_store(store) == [], node.name
            assert consistency.check_acknowledged(observations, store) == \
                [], node.name
            contents.append(_tables(store))
        finally:
            store.dispose()
    assert contents[0] == contents[1] == contents[2]


def _tables(store):
    with store.sql_engine.connect() as conn:
        return {table.name: sorted(tuple(map(str, row)) for row in
                                   conn.execute(sa.select(table)))
                for table in models.metadata.sorted_tables}


def test_race_with_clients_on_every_node_while_nodes_are_killed(
        cluster, galera_db, conf, tmp_path):
    urls = [node.url(galera_db) for node in cluster.nodes]
    observations, counts = _race(cluster, tmp_path, urls)
    # Clients on every node saw certification conflicts and retried.
    print('retries after a conflict: %d at commit, %d before' % (
        counts['conflict_at_commit'], counts['conflict_in_statement']))
    assert counts['conflict_at_commit'] > 0
    _check_every_node(cluster, galera_db, observations, conf)


def test_race_through_a_forward_that_switches_nodes(
        cluster, galera_db, conf, tmp_path):
    """Every client on one node at a time, as behind HAProxy."""
    proxy = galera_forward.Forward(cluster.nodes[1].port)
    check = galera_forward.HealthCheck(proxy, [
        (node.port, node.is_synced) for node in cluster.nodes])
    check.start()
    try:
        observations, counts = _race(cluster, tmp_path,
                                     [proxy.url(galera_db)])
    finally:
        check.stop()
        proxy.close()
    print('forward switched to ports %s' % check.switches)
    assert check.switches
    _check_every_node(cluster, galera_db, observations, conf)


def test_a_cluster_without_a_node_keeps_its_acknowledged_locks(
        cluster, node_stores):
    """A hold acknowledged just before its node dies is on the others."""
    first = node_stores[0]
    instance = str(uuid.uuid4())
    hold, _ = _acquire(node_stores[1], instance)
    cluster.kill(cluster.nodes[1])
    try:
        state = first.get_state(instance)
        assert [h.expires_at for h in state.holds] == [hold.expires_at]
        with pytest.raises(lock.InstanceLocked):
            _open(node_stores[2], instance)
        with pytest.raises(lock.StoreUnavailable):
            node_stores[1].get_state(instance)
    finally:
        cluster.restart(cluster.nodes[1])
    assert node_stores[1].get_state(instance).holds[0].holder == 'guest'


def test_a_node_that_cannot_catch_up_fails_closed_in_bounded_time(
        cluster, galera_db, conf):
    """Reads and decisions on a stuck node answer 503, not hang or 500."""
    conf.set_override('deadlock_retries', 1, group='miglock_store')
    first = driver.SQLLockStore(conf, connection=cluster.nodes[0].url(
        galera_db))
    stuck = driver.SQLLockStore(conf, connection=cluster.nodes[1].url(
        galera_db))
    instance = str(uuid.uuid4())
    stuck.get_state(instance)  # connected before the node gets stuck
    admin = cluster.nodes[1].connect()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SET GLOBAL wsrep_provider_options = "
                           "'repl.causal_read_timeout=PT1S'")
            cursor.execute('FLUSH TABLES WITH READ LOCK')
        _acquire(first, instance)
        started = time.monotonic()
        with pytest.raises(lock.StoreUnavailable):
            stuck.get_state(instance)
        with pytest.raises(lock.StoreUnavailable):
            stuck.release(instance, 'guest', source=lock.SOURCE_GUEST)
        # One wait for the read, two attempts of the release.
        assert time.monotonic() - started < 10
    finally:
        with admin.cursor() as cursor:
            cursor.execute('UNLOCK TABLES')
            cursor.execute("SET GLOBAL wsrep_provider_options = "
                           "'repl.causal_read_timeout=PT30S'")
        admin.close()
        first.dispose()
        stuck.dispose()
    assert [h.holder for h in stuck.get_state(instance).holds] == ['guest']


def test_the_bench_runs_on_the_cluster_and_ends_with_its_summary(
        cluster, capsys):
    path = os.path.join(workload.ROOT, 'bench', 'store_galera.py')
    spec = importlib.util.spec_from_file_location('store_galera', path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    summary = bench.run(0.3, (1, 2), 1, cluster=cluster)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == summary
    assert re.match(r'SUMMARY galera: 2 clients, distinct instances: '
                    r'single-writer [1-9]\d* pairs/s \(\d+\.\d+ of raw '
                    r'UPDATE\), multi-writer [1-9]\d* pairs/s', summary)
