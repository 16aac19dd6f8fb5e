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
"""Benchmark: acquire+release pairs per second on a three-node Galera cluster.

Starts the test cluster (``nova_miglock/testing/galera.py``), then for 1
and 16 client processes measures, interleaved and repeated:

- single-writer: every client on node 1 (HAProxy with one active backend);
- multi-writer: client n on node n % 3;

each on distinct instances, on one hot instance, and on distinct instances
without the store's read wait (``nowait``: ``wsrep_sync_wait=0``, what the
wait costs), beside the baseline of the same run and topology: the rate of
a single-row conditional UPDATE + COMMIT through the bare driver (one row
per client). Operations the store gave up on after its deadlock retries are
counted, not hidden.

    python bench/store_galera.py [--seconds 3] [--repeats 3] [--smoke]
    python bench/store.py --engines galera   (the same, from the store bench)
"""

import argparse
import os
import statistics
import sys
import time
import uuid

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_miglock import lock  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.testing import fixtures  # noqa: E402
from nova_miglock.testing import galera as galera_cluster  # noqa: E402
from nova_miglock.testing import workload  # noqa: E402

LIMITS = lock.HoldLimits(max_lease=3600, max_hold=10 ** 7,
                         min_unlocked_gap=0, max_holders=64)
TOPOLOGIES = ('single', 'multi')
# ``nowait``: distinct instances with the store's read wait switched off
# (wsrep_sync_wait=0), to show what it costs.
WORKLOADS = ('raw', 'distinct', 'hot', 'nowait')


def _store_client(url, instance, holder, sync_wait, start, seconds,
                  results):
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    if not sync_wait:
        @sa.event.listens_for(store.sql_engine, 'connect')
        def _no_wait(dbapi_conn, record):  # after the store's own listener
            with dbapi_conn.cursor() as cursor:
                cursor.execute('SET SESSION wsrep_sync_wait = 0')
    counts = {'pairs': 0, 'gave_up': 0, 'conflicts': 0}

    def count(kind):
        counts['conflicts'] += 1

    workload.count_conflicts(store.sql_engine, count)
    store.ping()
    start.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            store.try_acquire(instance, holder, project_id='bench',
                              source=lock.SOURCE_GUEST, lease_seconds=60,
                              reason='bench', limits=LIMITS)
            store.release(instance, holder, source=lock.SOURCE_GUEST)
            counts['pairs'] += 1
        except lock.StoreUnavailable:
            counts['gave_up'] += 1  # still contended after every retry
    store.dispose()
    results.put(counts)


def _raw_client(port, database, row_id, start, seconds, results):
    import pymysql
    conn = pymysql.connect(host='127.0.0.1', port=port, user='root',
                           database=database)
    cursor = conn.cursor()
    cursor.execute('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
    start.wait()
    value, count, deadline = 0, 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        cursor.execute('UPDATE bench_raw SET v = %s WHERE id = %s AND v = %s',
                       (value + 1, row_id, value))
        conn.commit()
        value, count = value + 1, count + 1
    conn.close()
    results.put({'pairs': count, 'gave_up': 0, 'conflicts': 0})


def _measure(target, args_list, seconds):
    totals = {'pairs': 0, 'gave_up': 0, 'conflicts': 0}
    for result in workload.clients_race(target, args_list, seconds):
        for key, value in result.items():
            totals[key] += value
    return dict(totals, rate=totals['pairs'] / seconds)


def _prepare(cluster, rows):
    database = cluster.create_database()
    store = driver.SQLLockStore(fixtures.make_conf(),
                                connection=cluster.nodes[0].url(database))
    migration.sync(store)
    store.dispose()
    conn = cluster.nodes[0].connect(database=database)
    with conn.cursor() as cursor:
        cursor.execute('CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, '
                       'v INTEGER NOT NULL)')
        cursor.executemany('INSERT INTO bench_raw VALUES (%s, 0)',
                           [(n,) for n in range(rows)])
    conn.close()
    return database


def _one(cluster, database, topology, clients, work, seconds):
    nodes = cluster.nodes

    def node(n):
        return nodes[n % len(nodes)] if topology == 'multi' else nodes[0]

    if work == 'raw':
        # Fresh rows each time: every client's UPDATE matches its row.
        conn = nodes[0].connect(database=database)
        with conn.cursor() as cursor:
            cursor.execute('UPDATE bench_raw SET v = 0')
        conn.close()
        cluster.wait_synced()
        return _measure(_raw_client, [(node(n).port, database, n)
                                      for n in range(clients)], seconds)
    hot = str(uuid.uuid4())
    return _measure(_store_client, [
        (node(n).url(database), hot if work == 'hot' else str(uuid.uuid4()),
         'h%d' % n, work != 'nowait') for n in range(clients)], seconds)


def _spread(values):
    middle = statistics.median(values)
    if not middle:
        return middle, 0.0
    return middle, (max(values) - min(values)) / middle * 100


def run(seconds=3.0, clients_list=(1, 16), repeats=3, cluster=None):
    """Measure and print every configuration; return the summary line.

    On ``cluster`` when given (the tests' own), else on one started here.
    """
    reason = galera_cluster.missing()
    if reason:
        print('galera: skipped, %s' % reason)
        return None
    if cluster is None:
        with galera_cluster.Cluster() as cluster:
            return run(seconds, clients_list, repeats, cluster)
    database = _prepare(cluster, max(clients_list))
    configs = [(t, c, w) for t in TOPOLOGIES for c in clients_list
               for w in WORKLOADS]
    samples = {config: [] for config in configs}
    try:
        for _ in range(repeats):  # interleaved: one of each per round
            for config in configs:
                samples[config].append(_one(cluster, database, *config,
                                            seconds=seconds))
    finally:
        cluster.drop_database(database)
    return _report(samples, clients_list, seconds, repeats)


def _report(samples, clients_list, seconds, repeats):
    print('Galera, 3 nodes on this machine (%d CPUs, load average %.1f); '
          '%.1f s per measurement, median of %d interleaved runs, spread = '
          '(max-min)/median' % (os.cpu_count(), os.getloadavg()[0], seconds,
                                repeats))
    header = ('%-8s %7s %-9s %10s %7s %10s %7s %9s %8s' % (
        'writers', 'clients', 'instances', 'pairs/s', 'spread',
        'raw UPD/s', 'ratio', 'conflicts', 'gave up'))
    print(header)
    print('-' * len(header))
    ratios = {}
    for (topology, clients, work), runs in samples.items():
        if work == 'raw':
            continue
        rate, spread = _spread([r['rate'] for r in runs])
        baseline = samples[(topology, clients, 'raw')]
        raw, _ = _spread([r['rate'] for r in baseline])
        ratios[(topology, clients, work)] = (rate, rate / raw if raw else 0)
        print('%-8s %7d %-9s %10.0f %6.0f%% %10.0f %7.3f %9d %8d' % (
            topology, clients, work, rate, spread, raw,
            rate / raw if raw else 0, sum(r['conflicts'] for r in runs),
            sum(r['gave_up'] for r in runs)))
    top = max(clients_list)
    summary = ('SUMMARY galera: %d clients, distinct instances: '
               'single-writer %.0f pairs/s (%.3f of raw UPDATE), '
               'multi-writer %.0f pairs/s (%.3f of raw UPDATE)' % (
                   top, *ratios[('single', top, 'distinct')],
                   *ratios[('multi', top, 'distinct')]))
    print(summary)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--clients', default='1,16')
    parser.add_argument('--smoke', action='store_true',
                        help='one short round (seconds): checks it runs')
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.repeats = 0.5, 1
    run(args.seconds, [int(c) for c in args.clients.split(',')],
        args.repeats)


if __name__ == '__main__':
    main()
