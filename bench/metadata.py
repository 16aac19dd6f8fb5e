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
"""Benchmark: the guest channel against Nova's own metadata, same process.

Boots instances in the in-process Nova, serves Nova's metadata app (with
our filter) on 127.0.0.1, and drives it from separate client processes:
lock ``PUT`` and ``DELETE`` latency (p50, p99) and throughput at 1, 32 and
128 concurrent clients, beside Nova's own ``GET
/openstack/latest/meta_data.json`` at the same concurrency. Clients send the
headers the Neutron metadata proxy would add.

Ends with ``summary: put_get_p50_ratio_cN=R ... errors=N``: for each
number of clients N, the lock ``PUT`` p50 over Nova's ``GET`` p50 measured
at the same concurrency in the same run (the target is 1.5), and the
requests that failed, both loads together.

    python bench/metadata.py [--seconds 5] [--clients 1,32,128]
"""

import argparse
import json
import os
import subprocess
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
from nova_miglock.testing.nova import servers  # noqa: E402

INSTANCES = 8
SETTINGS = {'seconds': 5.0, 'clients': [1, 32, 128]}
# clients -> (lock PUT p50 / Nova GET p50, failed requests), for the
# summary printed after unittest's own output.
RESULTS = {}


def percentile(values, fraction):
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_load(url, clients, seconds, sequence, headers):
    processes = min(4, clients)
    per_process = [clients // processes + (1 if n < clients % processes
                                           else 0)
                   for n in range(processes)]
    start_at = time.time() + 1.5
    procs, first = [], 0
    for count in per_process:
        procs.append(subprocess.Popen(
            [sys.executable, os.path.join(ROOT, 'bench', 'loadgen.py'),
             '--url', url, '--clients', str(count), '--first-client',
             str(first), '--seconds', str(seconds), '--sequence',
             json.dumps(sequence), '--headers', json.dumps(headers),
             '--start-at', str(start_at)], stdout=subprocess.PIPE,
            text=True))
        first += count
    merged = {}
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 300)
        for label, values in json.loads(out).items():
            if label == 'errors':
                merged['errors'] = merged.get('errors', 0) + values
            else:
                merged.setdefault(label, []).extend(values)
    return merged


class MetadataBenchmark(base.NovaTestCase):

    def test_benchmark(self):
        self.flags(max_holders=256, group='miglock')
        instances = [self.boot() for _ in range(INSTANCES)]
        headers = [{'X-Instance-ID': s['id'], 'X-Tenant-ID': s['tenant_id'],
                    'X-Instance-ID-Signature': servers.sign(base.SECRET,
                                                            s['id']),
                    'X-Forwarded-For': '10.0.0.%d' % (n + 2),
                    'Content-Type': 'application/json'}
                   for n, s in enumerate(instances)]
        get = [['get', 'GET', '/openstack/latest/meta_data.json', None]]
        lock = [['put', 'PUT', '/openstack/miglock/holds/c{client}',
                 '{"lease_seconds": 60, "reason": "bench"}'],
                ['delete', 'DELETE', '/openstack/miglock/holds/c{client}',
                 None]]
        url, seconds = self.metadata.url, SETTINGS['seconds']
        run_load(url, INSTANCES, 1.0, get + lock, headers)  # warm caches
        print('\nCPUs: %d; %.0f s per measurement; latencies in ms'
              % (os.cpu_count(), seconds))
        print('%7s | %-23s | %-23s %-14s %8s | %s' % (
            'clients', "Nova GET p50/p99 req/s", 'lock PUT p50/p99',
            'DELETE p50/p99', 'req/s', 'PUT p50 / GET p50'))
        for clients in SETTINGS['clients']:
            nova = run_load(url, clients, seconds, get, headers)
            ours = run_load(url, clients, seconds, lock, headers)
            g50, g99 = (percentile(nova['get'], q) * 1e3 for q in (.5, .99))
            p50, p99 = (percentile(ours['put'], q) * 1e3 for q in (.5, .99))
            d50, d99 = (percentile(ours['delete'], q) * 1e3
                        for q in (.5, .99))
            print('%7d | %6.2f %7.2f %8.0f | %6.2f %7.2f %8s %6.2f %7.2f '
                  '%8.0f | %.2f%s' % (
                      clients, g50, g99, len(nova['get']) / seconds,
                      p50, p99, '', d50, d99,
                      (len(ours['put']) + len(ours['delete'])) / seconds,
                      p50 / g50,
                      '' if not (nova.get('errors') or ours.get('errors'))
                      else '  errors: GET %d, lock %d' % (
                          nova.get('errors', 0), ours.get('errors', 0))))
            sys.stdout.flush()
            RESULTS[clients] = (p50 / g50, nova.get('errors', 0) +
                                ours.get('errors', 0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument('--clients', default='1,32,128')
    parser.add_argument('--smoke', action='store_true',
                        help='0.5 s with 1 and 4 clients: a check that it '
                        'runs')
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.clients = 0.5, '1,4'
    SETTINGS['seconds'] = args.seconds
    SETTINGS['clients'] = [int(c) for c in args.clients.split(',')]
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(
        MetadataBenchmark)
    result = unittest.TextTestRunner(verbosity=0).run(suite)
    if not result.wasSuccessful():
        sys.exit(1)
    # After the runner, so that the summary follows unittest's report.
    print('summary: %s errors=%d' % (' '.join(
        'put_get_p50_ratio_c%d=%.2f' % (clients, ratio)
        for clients, (ratio, _errors) in sorted(RESULTS.items())),
        sum(errors for _ratio, errors in RESULTS.values())))


if __name__ == '__main__':
    main()
