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
"""Benchmark: the lock store's cost per operation on each engine.

1. Statements per operation (acquire, renew, release, reap of one expired
   hold), counted on the wire (BEGIN/COMMIT/ROLLBACK excluded); a renewal
   in place beside the full transaction every renewal was before.
2. Acquire+release pairs and renewals of one's own hold per second, for 1
   and 16 concurrent client processes, beside the baseline measured in the
   same run: the engine's raw rate of a single-row conditional UPDATE +
   COMMIT through the bare DB-API driver, with the same durability
   settings as the store. Pairs on distinct instances and on one hot one.
3. The scale table: the reaper's candidate query at 10^3, 10^4 and 10^5
   held instances (1% expired), walking the expires_at index with ORDER BY
   and LIMIT, beside the DISTINCT scan it replaced, in the same run.

Ends with the summary line: renewals/s on PostgreSQL with 16 clients
beside the raw rate, against the target of 1,000/s.

    python bench/store.py [--seconds 5] [--engines sqlite,mysql,postgresql]

``--engines galera`` runs ``bench/store_galera.py`` on a three-node cluster
it starts (single-writer and multi-writer).
        [--clients 1,16] [--scale 1000,10000,100000] [--repeat 3] [--smoke]
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from nova_miglock import lock  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import engine as store_engine  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.store.sql import models  # noqa: E402
from nova_miglock.testing import databases  # noqa: E402
from nova_miglock.testing import fixtures  # noqa: E402
from nova_miglock.testing import workload as race  # noqa: E402

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


def _renew_client(url, instance, holder, one_statement, start, seconds,
                  results):
    """Renews its own hold, as a guest agent does every lease/3.

    ``one_statement`` False renews as before PostgreSQL's single-statement
    renewal: the in-place UPDATEs and the state read in a transaction.
    """
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    store.renews_in_one_statement &= one_statement
    store.ping()
    store.try_acquire(instance, holder, project_id='bench',
                      source=lock.SOURCE_GUEST, lease_seconds=600,
                      reason='bench', limits=LIMITS)
    start.wait()
    renewals, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        store.try_acquire(instance, holder, project_id='bench',
                          source=lock.SOURCE_GUEST, lease_seconds=600,
                          reason='bench', limits=LIMITS, renew_only=True)
        renewals += 1
    store.dispose()
    results.put(renewals)


def _backend_cpu(pid):
    """Seconds of CPU a PostgreSQL backend process has used."""
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def cpu_per_renewal(url, rounds, count=200):
    """``{path: [ms per renewal]}``: one client's CPU plus its server's.

    PostgreSQL on this machine only (the backend is a process whose CPU
    time /proc shows). The two paths alternate round by round on one
    connection, so both see the same load: a figure that, unlike the
    rates, does not move with what else runs on the machine.
    """
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    store.sql_engine.pool.dispose()
    instance = str(uuid.uuid4())
    store.try_acquire(instance, 'cpu', project_id='bench',
                      source=lock.SOURCE_GUEST, lease_seconds=600,
                      reason='bench', limits=LIMITS)
    with store.sql_engine.connect() as conn:
        pid = conn.exec_driver_sql('SELECT pg_backend_pid()').scalar()
    one_statement = store.renews_in_one_statement
    spent = {'one statement': [], 'transaction': []}
    for _round in range(rounds):
        for path in spent:
            store.renews_in_one_statement = (one_statement and
                                             path == 'one statement')
            server, client = _backend_cpu(pid), time.process_time()
            for _ in range(count):
                store.try_acquire(instance, 'cpu', project_id='bench',
                                  source=lock.SOURCE_GUEST,
                                  lease_seconds=600, reason='bench',
                                  limits=LIMITS, renew_only=True)
            spent[path].append(1000.0 * (
                _backend_cpu(pid) - server + time.process_time() - client)
                / count)
    store.dispose()
    return spent


def statements_per_operation(url):
    """``{operation: statements}`` sent for one of each, on the wire.

    BEGIN, COMMIT and ROLLBACK are not counted, nor PREPARE (once per
    server session): a renewal in place is 1 on PostgreSQL, where it runs
    outside a transaction, and 4 in a transaction elsewhere.
    """
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    sent = []

    def count(conn, cursor, statement, *args):
        # PREPARE: once per server session, not per operation.
        if statement.split()[0].upper() not in ('BEGIN', 'COMMIT',
                                                'ROLLBACK', 'PREPARE'):
            sent.append(statement)

    sa.event.listen(store.sql_engine, 'before_cursor_execute', count)
    try:
        instance, counts = str(uuid.uuid4()), {}
        kwargs = dict(project_id='bench', source=lock.SOURCE_GUEST,
                      reason='bench', limits=LIMITS)
        for name, call in (
                ('acquire (new instance)', lambda: store.try_acquire(
                    instance, 'a', lease_seconds=1, **kwargs)),
                ('acquire (known instance)', lambda: store.try_acquire(
                    instance, 'b', lease_seconds=600, **kwargs)),
                ('renew (in place)', lambda: store.try_acquire(
                    instance, 'b', lease_seconds=600, renew_only=True,
                    **kwargs)),
                # The transaction every renewal was before: an acquire of
                # one's own hold still decides in full.
                ('renew (full transaction)', lambda: store.try_acquire(
                    instance, 'b', lease_seconds=600, **kwargs)),
                ('release', lambda: store.release(
                    instance, 'b', source=lock.SOURCE_GUEST)),
                ('reap (one expired hold)', lambda: (
                    store.advance_clock(2), store.reap()))):
            del sent[:]
            call()
            counts[name] = len(sent)
        return counts
    finally:
        store.dispose()


def _populate(store, count):
    """``count`` locked instances with one hold each, 1% of them expired."""
    now = store.now()
    inst, holds = models.instances, models.holds
    with store.sql_engine.begin() as conn:
        conn.execute(sa.delete(holds))
        conn.execute(sa.delete(inst))
        for start in range(0, count, 5000):
            batch = range(start, min(count, start + 5000))
            uuids = ['%08d-0000-4000-8000-000000000000' % n for n in batch]
            conn.execute(sa.insert(inst), [
                {'instance_uuid': u, 'project_id': 'p%d' % (n % 50),
                 'generation': 1, 'locked_until': now, 'locked_since': now,
                 'static_locks': '[]', 'charge_seconds': 0.0,
                 'updated_at': now} for n, u in zip(batch, uuids)])
            conn.execute(sa.insert(holds), [
                {'instance_uuid': u, 'holder': 'db', 'project_id':
                 'p%d' % (n % 50), 'source': lock.SOURCE_GUEST,
                 'reason': '', 'acquired_at': now, 'renewed_at': now,
                 'expires_at': now + datetime.timedelta(
                     seconds=-60 if n % 100 == 0 else 600),
                 'generation': 1} for n, u in zip(batch, uuids)])


def _median_ms(conn, query, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        list(conn.execute(query))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times) - min(times)


def scale_table(url, sizes, repeat):
    """The reaper's candidate query: ``[(size, new ms, old ms)]``."""
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    holds = models.holds
    due = holds.c.expires_at <= store_engine.db_now()
    new = (sa.select(holds.c.instance_uuid).where(due)
           .order_by(holds.c.expires_at).limit(1000))
    old = sa.select(holds.c.instance_uuid).distinct().where(due).limit(1000)
    rows = []
    try:
        for size in sizes:
            _populate(store, size)
            with store.sql_engine.connect() as conn:
                if conn.dialect.name == 'postgresql':
                    conn.exec_driver_sql('ANALYZE')
                # Interleaved, so that both see the same machine.
                news, olds = [], []
                for _ in range(repeat):
                    news.append(_median_ms(conn, new, 5)[0])
                    olds.append(_median_ms(conn, old, 5)[0])
            rows.append((size, news, olds))
    finally:
        store.dispose()
    return rows


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
    return sum(race.clients_race(target, args_list, seconds)) / seconds


def bench_engine(name, seconds, clients_list, sizes, repeat):
    db = databases.Database(name, tempfile.mkdtemp())
    try:
        store = driver.SQLLockStore(fixtures.make_conf(), connection=db.url)
        migration.sync(store)
        store.dispose()
        _prepare_raw(db.url, max(clients_list))
        counts = statements_per_operation(db.url)
        rows = []
        for clients in clients_list:
            for _round in range(repeat):
                # Interleaved: the baseline beside each measurement.
                raw = _run(_raw_client,
                           [(db.url, n) for n in range(clients)], seconds)
                renewals = _run(_renew_client, [
                    (db.url, str(uuid.uuid4()), 'r%d' % n, True)
                    for n in range(clients)], seconds)
                rows.append((name, clients, 'renew', 'distinct', renewals,
                             raw))
                if name == 'postgresql':
                    before = _run(_renew_client, [
                        (db.url, str(uuid.uuid4()), 'b%d' % n, False)
                        for n in range(clients)], seconds)
                    rows.append((name, clients, 'renew', 'transaction',
                                 before, raw))
                for workload in ('distinct', 'hot'):
                    hot = str(uuid.uuid4())
                    args = [(db.url,
                             hot if workload == 'hot' else str(uuid.uuid4()),
                             'h%d' % n) for n in range(clients)]
                    pairs = _run(_store_client, args, seconds)
                    rows.append((name, clients, 'pair', workload, pairs,
                                 raw))
        scale = scale_table(db.url, sizes, repeat)
        if name == 'postgresql':
            counts['cpu'] = cpu_per_renewal(db.url, max(repeat, 3) * 2)
        return counts, rows, scale
    finally:
        db.drop()


def _spread(values):
    return '%8.0f %6.0f%%' % (statistics.median(values), 100 * (
        max(values) - min(values)) / max(statistics.median(values), 1e-9))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument('--engines', default=','.join(databases.ENGINES))
    parser.add_argument('--clients', default='1,16')
    parser.add_argument('--scale', default='1000,10000,100000')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--smoke', action='store_true',
                        help='SQLite, 0.3 s, 1-2 clients, 100-1000 '
                        'instances: a check that it runs')
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.engines, args.clients = 0.3, 'sqlite', '1,2'
        args.scale, args.repeat = '100,1000', 1
    clients = [int(c) for c in args.clients.split(',')]
    sizes = [int(n) for n in args.scale.split(',')]
    print('CPUs: %d; load average %.1f; %.1f s per measurement, %d rounds '
          'interleaved with the raw baseline (median, spread = max-min)'
          % (os.cpu_count(), os.getloadavg()[0], args.seconds, args.repeat))
    summary = None
    for engine in args.engines.split(','):
        if engine == 'galera':  # a cluster of its own: bench/store_galera.py
            import store_galera
            store_galera.run(args.seconds, clients)
            continue
        counts, rows, scale = bench_engine(engine, args.seconds, clients,
                                           sizes, args.repeat)
        print('\n%s: statements per operation (BEGIN/COMMIT/ROLLBACK '
              'excluded)' % engine)
        cpu = counts.pop('cpu', None)
        for name, count in counts.items():
            print('  %-26s %d' % (name, count))
        if cpu:
            print('%s: CPU per renewal, one client and its server backend, '
                  'ms (median, spread over %d interleaved rounds)'
                  % (engine, len(cpu['transaction'])))
            for path, values in cpu.items():
                median = statistics.median(values)
                print('  %-26s %.3f  spread %.0f%%' % (
                    path, median, 100 * (max(values) - min(values)) / median))
            print('  %-26s %.2f' % ('ratio', statistics.median(
                cpu['one statement']) / statistics.median(
                    cpu['transaction'])))
        header = ('%-10s %7s %-6s %-9s %16s %16s %7s' % (
            'engine', 'clients', 'op', 'instances', 'ops/s  spread',
            'raw UPDATE/s', 'ratio'))
        print(header)
        print('-' * len(header))
        grouped = {}
        for name, n, op, workload, rate, raw in rows:
            grouped.setdefault((n, op, workload), []).append((rate, raw))
        for (n, op, workload), values in grouped.items():
            rates, raws = [v[0] for v in values], [v[1] for v in values]
            ratio = statistics.median(r / b for r, b in values)
            print('%-10s %7d %-6s %-9s %16s %16s %7.3f' % (
                engine, n, op, workload, _spread(rates), _spread(raws),
                ratio))
            if (engine, op, workload, n) == ('postgresql', 'renew',
                                             'distinct', 16):
                summary = (statistics.median(rates),
                           statistics.median(raws), ratio)
        print('%s: reaper candidate query, ms (median of %d rounds of 5)'
              % (engine, args.repeat))
        print('  %9s %14s %18s %7s' % ('instances', 'index walk',
                                       'DISTINCT (before)', 'ratio'))
        for size, news, olds in scale:
            print('  %9d %14.3f %18.3f %7.1f' % (
                size, statistics.median(news), statistics.median(olds),
                statistics.median(olds) / max(statistics.median(news),
                                              1e-9)))
        sys.stdout.flush()
    if summary:
        print('\nSUMMARY: %.0f renewals/s on PostgreSQL with 16 clients '
              '(raw UPDATE+COMMIT %.0f/s, ratio %.3f); target 1000/s %s'
              % (summary[0], summary[1], summary[2],
                 'met' if summary[0] >= 1000 else 'MISSED'))
    else:
        print('\nSUMMARY: no PostgreSQL 16-client run in this invocation')


if __name__ == '__main__':
    main()
