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
"""Benchmark: the holds-against-moves race, longer than in CI.

Eight (or more) processes run random acquire/renew/release/open/close
against a handful of instances on each engine; afterwards two independent
checks prove no hold overlapped an admitted move: one from the clients'
observations, one from the store's ledger. Prints operation counts.

Ends with ``summary: overlaps=N store_inconsistencies=N
ops_per_s_ENGINE=X ...``: the overlaps the clients saw and the
inconsistencies the store's ledger shows, summed over the engines (both
must be 0; the exit status is 1 otherwise), and each engine's operation
rate. The race has no baseline: its result is the two zeros.

    python bench/race.py [--seconds 60] [--workers 8] [--instances 4]
"""

import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.testing import consistency  # noqa: E402
from nova_miglock.testing import databases  # noqa: E402
from nova_miglock.testing import fixtures  # noqa: E402
from nova_miglock.testing import workload  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--instances', type=int, default=4)
    parser.add_argument('--engines', default=','.join(databases.ENGINES))
    parser.add_argument('--smoke', action='store_true',
                        help='1 s, 2 workers, SQLite: a check that it runs')
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.workers, args.engines = 1, 2, 'sqlite'
    failed = False
    overlaps_seen = inconsistencies = 0
    rates = []
    for name in args.engines.split(','):
        db = databases.Database(name, tempfile.mkdtemp())
        try:
            store = driver.SQLLockStore(fixtures.make_conf(),
                                        connection=db.url)
            migration.sync(store)
            observations, counts = workload.run_race(
                db.url, tempfile.mkdtemp(), seconds=args.seconds,
                workers=args.workers, instances=args.instances)
            overlaps = consistency.check_intervals(observations)
            problems = consistency.check_store(store)
            store.dispose()
        finally:
            db.drop()
        total = sum(counts.values())
        print('%-10s %6d operations in %.0f s (%.0f/s): %s' % (
            name, total, args.seconds, total / args.seconds,
            ', '.join('%s %d' % item for item in sorted(counts.items()))))
        print('%-10s overlaps seen by clients: %d; store inconsistencies: %d'
              % (name, len(overlaps), len(problems)))
        failed = failed or bool(overlaps or problems)
        overlaps_seen += len(overlaps)
        inconsistencies += len(problems)
        rates.append('ops_per_s_%s=%.0f' % (name, total / args.seconds))
    print('summary: overlaps=%d store_inconsistencies=%d %s' % (
        overlaps_seen, inconsistencies, ' '.join(rates)))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
