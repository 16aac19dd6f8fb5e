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
"""Benchmark: acquire+release pairs per second on each engine.

For 1 and 16 concurrent client processes, on distinct instances and on one
hot instance, beside the baseline measured in the same run: the engine's raw
rate of a single-row conditional UPDATE + COMMIT through the bare DB-API
driver, with the same durability settings as the store.

    python bench/store.py [--seconds 5] [--engines sqlite,mysql,postgresql]
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_miglock import lock  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.testing import databases  # noqa: E402
from nova_miglock.testing import fixtures  # noqa: E402

LIMITS = lock.HoldLimits(max_lease=3600, max_hold=10 ** 7,
                         min_unlocked_gap=0, max_holders=64)


def _store_client(url, instance, holder, start, seconds, results):
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    store.ping()
    start.wait()
    pairs, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        store.try_acquire(instance, holder, project_id='bench',
                          source=lock.SOURCE_GUEST, lease_seconds=60,
                          reason='bench', limits=LIMITS)
        store.release(instance, holder, source=lock.SOURCE_GUEST)
        pairs += 1
    store.dispose()
    results.put(pairs)


def _raw_connect(url):
    """A DB-API connection configured like the store's."""
    import sqlalchemy as sa
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    if backend == 'sqlite':
        import sqlite3
        conn = sqlite3.connect(parsed.database, timeout=10,
                               isolation_level=None)
        conn.execute('PRAGMA journal_mode=WAL')
        conn.execute('PRAGMA synchronous=FULL')
        return conn, 'BEGIN IMMEDIATE', '?'
    if backend == 'mysql':
        import pymysql
        conn = pymysql.connect(host=parsed.host, port=parsed.port or 3306,
                               user=parsed.username,
                               password=parsed.password or '',
                               database=parsed.database)
        conn.cursor().execute('SET SESSION TRANSACTION ISOLATION LEVEL '
                              'READ COMMITTED')
        return conn, None, '%s'
    import psycopg2
    conn = psycopg2.connect(host=parsed.host, port=parsed.port or 5432,
                            user=parsed.username, dbname=parsed.database)
    return conn, None, '%s'


def _raw_client(url, row_id, start, seconds, results):
    conn, begin, mark = _raw_connect(url)
    cursor = conn.cursor()
    statement = ('UPDATE bench_raw SET v = %s WHERE id = %s AND v = %s'
                 % (mark, mark, mark))
    start.wait()
    value, count, deadline = 0, 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        if begin:
            cursor.execute(begin)
        cursor.execute(statement, (value + 1, row_id, value))
        conn.commit() if not begin else cursor.execute('COMMIT')
        value += 1
        count += 1
    conn.close()
    results.put(count)


def _prepare_raw(url, rows):
    conn, begin, mark = _raw_connect(url)
    cursor = conn.cursor()
    cursor.execute('DROP TABLE IF EXISTS bench_raw')
    cursor.execute('CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, '
                   'v INTEGER NOT NULL)')
    for row_id in range(rows):
        cursor.execute('INSERT INTO bench_raw VALUES (%s, 0)'
                       % (mark,), (row_id,))
    if not begin:
        conn.commit()
    conn.close()


def _run(target, args_list, seconds):
    context = multiprocessing.get_context('fork')
    start, results = context.Event(), context.Queue()
    procs = [context.Process(target=target,
                             args=args + (start, seconds, results))
             for args in args_list]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # let every client connect before the clock starts
    start.set()
    total = sum(results.get(timeout=seconds + 120) for _ in procs)
    for proc in procs:
        proc.join()
    return total / seconds


def bench_engine(name, seconds, clients_list):
    db = databases.Database(name, tempfile.mkdtemp())
    try:
        store = driver.SQLLockStore(fixtures.make_conf(), connection=db.url)
        migration.sync(store)
        store.dispose()
        _prepare_raw(db.url, max(clients_list))
        rows = []
        for clients in clients_list:
            raw = _run(_raw_client, [(db.url, n) for n in range(clients)],
                       seconds)
            for workload in ('distinct', 'hot'):
                hot = str(uuid.uuid4())
                args = [(db.url,
                         hot if workload == 'hot' else str(uuid.uuid4()),
                         'h%d' % n) for n in range(clients)]
                pairs = _run(_store_client, args, seconds)
                rows.append((name, clients, workload, pairs, raw))
        return rows
    finally:
        db.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument('--engines', default=','.join(databases.ENGINES))
    parser.add_argument('--clients', default='1,16')
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(',')]
    print('CPUs: %d; %.0f s per measurement' % (os.cpu_count(),
                                                args.seconds))
    header = ('%-10s %7s %-9s %12s %16s %7s'
              % ('engine', 'clients', 'instances', 'pairs/s',
                 'raw UPDATE/s', 'ratio'))
    print(header)
    print('-' * len(header))
    for engine in args.engines.split(','):
        for name, n, workload, pairs, raw in bench_engine(
                engine, args.seconds, clients):
            print('%-10s %7d %-9s %12.0f %16.0f %7.3f'
                  % (name, n, workload, pairs, raw, pairs / raw))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
