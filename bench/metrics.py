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
"""Benchmark: what one Prometheus scrape costs the lock store.

At 10^3, 10^4 and 10^5 instances (70% held, by guest, tenant and operator;
10% with a static tag, 5% a flavor lock; two ledger rows per instance, one
refusal per 20 instances in the window), on each engine:

* ``LockStore.lock_summary``, what each scrape runs (aggregates computed
  by the database), and each of its queries;
* the baseline, measured in the same run: the same figures counted in
  Python from ``list_states`` (a row per locked instance), which is what a
  collector without the aggregates would do.

Times are medians of ``--repeat`` rounds (3), spread = max - min. Ends with
``summary: engine=E instances=N scrape_ms=X baseline_ms=Y ratio=R`` for
the largest size of the first engine.

    python bench/metrics.py [--engines sqlite,mysql,postgresql]
        [--scale 1000,10000,100000] [--repeat 5] [--smoke]
"""

import argparse
import collections
import datetime
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from nova_miglock import lock  # noqa: E402
from nova_miglock.metrics import collector  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.store.sql import models  # noqa: E402
from nova_miglock.testing import databases  # noqa: E402
from nova_miglock.testing import fixtures  # noqa: E402

WINDOW = 3600
SOURCES = (lock.SOURCE_GUEST, lock.SOURCE_TENANT, lock.SOURCE_OPERATOR)
TAG = '[{"kind": "tag", "name": "miglock:static", "value": ""}]'
FLAVOR = '[{"kind": "flavor", "name": "miglock:static", "value": "true"}]'
BATCH = 5000


def _rows(batch, now):
    """Instance, hold and ledger rows for instance numbers ``batch``."""
    instances, holds, ledger = [], [], []
    for n in batch:
        uuid = '%08d-0000-4000-8000-000000000000' % n
        project = 'p%d' % (n % 50)
        held = n % 10 < 7
        static = TAG if n % 10 == 7 else FLAVOR if n % 20 == 8 else '[]'
        # A day: filling 10^5 instances on a loaded host takes minutes,
        # and every hold must still be active when the rounds run.
        until = now + datetime.timedelta(seconds=86400 if held else -60)
        instances.append({
            'instance_uuid': uuid, 'project_id': project, 'generation': 1,
            'locked_until': until, 'locked_since': now,
            'static_locks': static, 'charge_day': now.date(),
            'charge_seconds': 600.0 if held else 0.0, 'updated_at': now,
            'host': 'host%d' % (n % 100)})
        if held:
            holds.append({
                'instance_uuid': uuid, 'holder': 'h', 'project_id': project,
                'source': SOURCES[n % 3], 'reason': '',
                'acquired_at': now - datetime.timedelta(seconds=n % 7200),
                'renewed_at': now, 'expires_at': until, 'generation': 1})
        for age in (30, 2 * WINDOW):
            refused = n % 20 == 0 and age < WINDOW
            ledger.append({
                'at': now - datetime.timedelta(seconds=age),
                'event': (lock.EVENT_MOVE_REFUSED if refused
                          else lock.EVENT_RENEW),
                'instance_uuid': uuid, 'project_id': project,
                'holder': None if refused else 'h',
                'source': SOURCES[n % 3], 'reason': 'live-migration',
                'actor': 'bench'})
    return instances, holds, ledger


def populate(store, count):
    now = store.now()
    with store.sql_engine.begin() as conn:
        for table in (models.ledger, models.holds, models.instances):
            conn.execute(sa.delete(table))
        for start in range(0, count, BATCH):
            instances, holds, ledger = _rows(
                range(start, min(count, start + BATCH)), now)
            conn.execute(sa.insert(models.instances), instances)
            conn.execute(sa.insert(models.holds), holds)
            conn.execute(sa.insert(models.ledger), ledger)


def summary(store):
    return store.lock_summary(refusal_window=WINDOW,
                              age_bounds=collector.AGE_BOUNDS,
                              lease_bounds=collector.LEASE_BOUNDS)


def baseline(store):
    """The same counts from a row per locked instance, in Python."""
    states = store.list_states(locked_only=True)
    by_source = collections.Counter()
    for state in states:
        by_source.update({h.source for h in state.holds} |
                         {s.kind for s in state.static_locking})
    now = store.now()
    refused = collections.Counter(
        row['reason'] for row in store.ledger(
            since=now - datetime.timedelta(seconds=WINDOW))
        if row['event'] == lock.EVENT_MOVE_REFUSED)
    return sum(1 for s in states if s.locked), by_source, refused


def _timed(call, repeat):
    times, result = [], None
    for _round in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times) - min(times), result


def bench_engine(engine, sizes, repeat, directory):
    database = databases.Database(engine, directory)
    # The baseline's one big read at 10^5 instances can outlast the
    # default 10 s statement timeout on a loaded host; the summary cannot.
    store = driver.SQLLockStore(
        fixtures.make_conf(**{'miglock_store.statement_timeout': 600}),
        connection=database.url)
    rows = []
    try:
        migration.sync(store)
        for size in sizes:
            populate(store, size)
            ms, spread, got = _timed(lambda: summary(store), repeat)
            base_ms, base_spread, expected = _timed(
                lambda: baseline(store), repeat)
            # The two ways agree, or the comparison means nothing.
            assert got.locked_instances == expected[0], (got, expected)
            assert dict(got.locked_by_source) == dict(expected[1])
            assert sum(got.refusals.values()) == sum(expected[2].values())
            rows.append((size, ms, spread, base_ms, base_spread,
                         {q: s * 1000 for q, s in got.timings.items()}))
            yield rows[-1]
    finally:
        store.dispose()
        database.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--engines', default=','.join(databases.ENGINES))
    parser.add_argument('--scale', default='1000,10000,100000')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--smoke', action='store_true',
                        help='SQLite, 100 and 1000 instances, 1 round: '
                        'a check that it runs')
    args = parser.parse_args()
    if args.smoke:
        args.engines, args.scale, args.repeat = 'sqlite', '100,1000', 1
    sizes = [int(n) for n in args.scale.split(',')]
    print('CPUs: %d; load average %.1f; median of %d rounds, spread = '
          'max-min, ms' % (os.cpu_count(), os.getloadavg()[0], args.repeat))
    first = None
    with tempfile.TemporaryDirectory() as directory:
        for engine in args.engines.split(','):
            print('\n%s' % engine)
            print('  %9s %18s %18s %7s   %s' % (
                'instances', 'summary (spread)', 'baseline (spread)', 'ratio',
                'queries of one summary (ms)'))
            sys.stdout.flush()
            for row in bench_engine(engine, sizes, args.repeat, directory):
                size, ms, spread, base_ms, base_spread, queries = row
                print('  %9d %10.1f (%5.1f) %10.1f (%5.1f) %7.3f   %s' % (
                    size, ms, spread, base_ms, base_spread,
                    ms / base_ms, ' '.join(
                        '%s=%.1f' % item for item in sorted(
                            queries.items()))))
                sys.stdout.flush()
            if first is None:
                first = (engine, size, ms, base_ms)
    engine, size, ms, base_ms = first
    print('\nsummary: engine=%s instances=%d scrape_ms=%.1f baseline_ms=%.1f '
          'ratio=%.3f' % (engine, size, ms, base_ms, ms / base_ms))


if __name__ == '__main__':
    main()
