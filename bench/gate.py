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
"""Benchmark: move-request latency through Nova's API with and without the
compute API gate.

The same in-process Nova serves ``POST /servers/{id}/action`` with
``os-migrateLive`` (202, the migration then runs) with the gate in its
paste pipeline and without, in rounds that alternate the two in the same
run; only the API request is timed. With the gate each request also loads
the instance, opens a migration ticket, and the listener closes it when
the migration ends.

Ends with ``summary: p50_ratio=R p50_added_ms=X gate_own_p50_ms=Y
round_ratio_min=R round_ratio_max=R``: the p50 latency with the gate over
the p50 without it, over all rounds, what the gate adds at p50, its own
work at p50 (Nova's method excluded) and the lowest and highest of the
per-round p50 ratios (the spread on a noisy machine).

    python bench/gate.py [--migrations 40] [--rounds 3]
"""

import argparse
import collections
import os
import statistics
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Not bench/ itself: bench/placement.py would hide OpenStack Placement,
# which Nova's functional fixtures import.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or '.') !=
                        os.path.join(ROOT, 'bench')]
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova_miglock.testing.nova  # noqa: E402,F401,H306  (Nova threads first)

from nova_miglock.testing.nova import base  # noqa: E402

SETTINGS = {'migrations': 40}
# Seconds each gated request spent in the gate itself, Nova's method
# excluded: the gate's own cost, less sensitive to a noisy machine.
GATE_SECONDS = []
# 'with gate' / 'without gate' -> one list of latencies per round.
RESULTS = collections.defaultdict(list)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _timed(judge):
    """The gate's judge, timing its own work (not Nova's method)."""
    def timed_judge(gate, req, action, server_id, call):
        inner = []

        def timed_call():
            started = time.perf_counter()
            try:
                return call()
            finally:
                inner.append(time.perf_counter() - started)

        started = time.perf_counter()
        try:
            return judge(gate, req, action, server_id, timed_call)
        finally:
            GATE_SECONDS.append(time.perf_counter() - started - sum(inner))
    return timed_judge


class _GateBenchmark(base.NovaTestCase):

    def test_benchmark(self):
        server = self.boot(host='host1')
        latencies = []
        for n in range(SETTINGS['migrations'] + 2):
            started = time.perf_counter()
            self.admin_api.post_server_action(server['id'], {
                'os-migrateLive': {'host': None, 'block_migration': 'auto'}})
            elapsed = time.perf_counter() - started
            self._wait_for_migration_status(server, ['completed'])
            server = self._wait_for_state_change(server, 'ACTIVE')
            if self.GATE:
                self._wait_for_assert(lambda: self.assertIsNone(
                    self.store.get_state(server['id']).ticket))
            if n >= 2:  # the first requests warm caches
                latencies.append(elapsed)
        RESULTS['with gate' if self.GATE else 'without gate'].append(
            latencies)


class WithoutGate(_GateBenchmark):
    GATE = False


class WithGate(_GateBenchmark):
    GATE = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--migrations', type=int, default=40)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--smoke', action='store_true',
                        help='2 migrations, 1 round: a check that it runs')
    args = parser.parse_args()
    if args.smoke:
        args.migrations, args.rounds = 2, 1
    SETTINGS['migrations'] = args.migrations
    from nova_miglock.api import gate
    gate.MigrationLockGate.judge = _timed(gate.MigrationLockGate.judge)
    suite = unittest.TestSuite()
    for _round in range(args.rounds):
        for case in (WithoutGate, WithGate):
            suite.addTests(
                unittest.defaultTestLoader.loadTestsFromTestCase(case))
    result = unittest.TextTestRunner(verbosity=0).run(suite)
    if not result.wasSuccessful():
        sys.exit(1)
    print('\nlive-migration API request latency, %d requests per round, '
          '%d round(s) alternating (ms)' % (args.migrations, args.rounds))
    print('%-13s %8s %8s %8s   %s' % ('', 'p50', 'p99', 'mean',
                                      'p50 of each round'))
    p50 = {}
    for name in ('without gate', 'with gate'):
        values = [v for run in RESULTS[name] for v in run]
        p50[name] = percentile(values, .5)
        print('%-13s %8.2f %8.2f %8.2f   %s' % (
            name, p50[name] * 1e3, percentile(values, .99) * 1e3,
            statistics.mean(values) * 1e3, ' '.join(
                '%.2f' % (percentile(run, .5) * 1e3)
                for run in RESULTS[name])))
    print('in the gate itself (instance load, ticket), %d requests: '
          'p50 %.2f ms, p99 %.2f ms' % (
              len(GATE_SECONDS), percentile(GATE_SECONDS, .5) * 1e3,
              percentile(GATE_SECONDS, .99) * 1e3))
    ratios = [percentile(with_gate, .5) / percentile(without, .5)
              for with_gate, without in zip(RESULTS['with gate'],
                                            RESULTS['without gate'])]
    print('gate adds %.2f ms at p50 (ratio %.2f; per round %s)' % (
        (p50['with gate'] - p50['without gate']) * 1e3,
        p50['with gate'] / p50['without gate'],
        ' '.join('%.2f' % r for r in ratios)))
    print('summary: p50_ratio=%.2f p50_added_ms=%.2f gate_own_p50_ms=%.2f '
          'round_ratio_min=%.2f round_ratio_max=%.2f' % (
              p50['with gate'] / p50['without gate'],
              (p50['with gate'] - p50['without gate']) * 1e3,
              percentile(GATE_SECONDS, .5) * 1e3, min(ratios), max(ratios)))


if __name__ == '__main__':
    main()
