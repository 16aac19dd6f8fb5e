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
"""Benchmark: Nova's filter chain with and without MigrationLockFilter.

Nova's default filters run over 1,000 and 10,000 synthetic host states for a
move of an existing, unlocked instance, with and without our filter, in the
same run; the figures are the fastest of alternating repetitions (the
intrinsic cost; the noise column says how much runs varied). ``pass-all``
is a filter that does nothing: what Nova's filter handler charges any
filter. The store is the embedded SQLite of the in-process Nova; the number
of store queries per request is counted.

Ends with ``summary: added_H=X% pass_all_H=X% ... queries=N noise=X%``:
for each number of hosts H, the time our filter adds to the chain without
it, and what the do-nothing filter adds, as a share of the chain without
it measured in the same run (the targets: 2% at 10,000 hosts, 10% at
1,000); the most store queries one request made (the target: 1); the
largest relative standard deviation of any series.

    python bench/scheduler.py [--hosts 1000,10000] [--repeat 21]
"""

import argparse
import datetime
import gc
import os
import statistics
import sys
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Not bench/ itself: bench/placement.py would hide OpenStack Placement,
# which Nova's functional fixtures import.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or '.') !=
                        os.path.join(ROOT, 'bench')]
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova_miglock.testing.nova  # noqa: E402,F401,H306  (Nova threads first)

from nova import context as nova_context  # noqa: E402
from nova import objects  # noqa: E402
from nova.scheduler import filters as nova_filters  # noqa: E402
from nova.scheduler import host_manager  # noqa: E402

from nova_miglock.scheduler.filters import migration_lock  # noqa: E402
from nova_miglock.testing.nova import base  # noqa: E402

SETTINGS = {'hosts': [1000, 10000], 'repeat': 21}
# hosts -> (added, pass-all added, queries per request, noise), for the
# summary printed after unittest's own output.
RESULTS = {}


def host_states(count):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    states = []
    for n in range(count):
        state = host_manager.HostState('host%05d' % n, 'node%05d' % n,
                                       'cell1')
        state.service = {'disabled': False, 'forced_down': False,
                         'updated_at': now, 'created_at': now,
                         'host': state.host, 'binary': 'nova-compute',
                         'uuid': str(uuid.uuid4())}
        state.free_ram_mb = state.total_usable_ram_mb = 65536
        state.vcpus_total, state.vcpus_used = 64, 8
        state.hypervisor_type = 'QEMU'
        state.hypervisor_version = 7002000
        state.supported_instances = [('x86_64', 'kvm', 'hvm')]
        state.cpu_info = {}
        state.instances = {}
        state.aggregates = []
        states.append(state)
    return states


def move_request(context):
    flavor = objects.Flavor(flavorid='1', name='m1.small', memory_mb=2048,
                            vcpus=1, root_gb=20, ephemeral_gb=0, swap=0,
                            extra_specs={})
    return objects.RequestSpec(
        context=context, instance_uuid=str(uuid.uuid4()), flavor=flavor,
        image=objects.ImageMeta.from_dict({'properties': {}}),
        num_instances=1, scheduler_hints={}, instance_group=None,
        availability_zone=None, force_hosts=None, force_nodes=None,
        ignore_hosts=None, requested_destination=None, project_id='p')


class PassAllFilter(nova_filters.BaseHostFilter):
    """A filter that does nothing: the cost of being a filter at all."""

    run_filter_once_per_request = True

    def filter_all(self, filter_obj_list, spec_obj):
        return filter_obj_list


class SchedulerBenchmark(base.NovaTestCase):

    compute_hosts = ()
    SCHEDULER_FILTER = False  # the benchmark builds both chains itself

    def test_benchmark(self):
        handler = nova_filters.HostFilterHandler()
        classes = {cls.__name__: cls for cls in handler.get_matching_classes(
            base.CONF.filter_scheduler.available_filters)}
        without = [classes[name]() for name in
                   base.CONF.filter_scheduler.enabled_filters]
        chains = {'without': without,
                  'pass-all': without + [PassAllFilter()],
                  'with': without + [migration_lock.MigrationLockFilter()]}
        spec = move_request(nova_context.get_admin_context())
        queries = self.count_store_queries()
        print('\nfilters: %s (+ MigrationLockFilter); store: SQLite; '
              'fastest of %d alternating runs; noise = the largest '
              'relative standard deviation' % (', '.join(
                  f.__class__.__name__ for f in without),
                  SETTINGS['repeat']))
        print('%7s %13s %13s %13s %9s %9s %8s %7s' % (
            'hosts', 'without (ms)', 'pass-all (ms)', 'with (ms)',
            'added', 'pass-all', 'queries', 'noise'))
        for count in SETTINGS['hosts']:
            hosts = host_states(count)
            times = {name: [] for name in chains}
            gc.disable()  # collections would land in random runs
            for _ in range(SETTINGS['repeat']):
                for name, chain in chains.items():
                    del queries[:]
                    started = time.perf_counter()
                    passed = list(handler.get_filtered_objects(chain, hosts,
                                                               spec))
                    times[name].append(time.perf_counter() - started)
                    self.assertEqual(count, len(passed))
                    if name == 'with':
                        per_request = len(queries)
            gc.enable()
            t_without, t_pass, t_with = (
                min(times[name]) * 1e3
                for name in ('without', 'pass-all', 'with'))
            spread = max(statistics.pstdev(times[name]) /
                         statistics.mean(times[name]) for name in times)
            added = (t_with - t_without) / t_without
            pass_all = (t_pass - t_without) / t_without
            print('%7d %13.2f %13.2f %13.2f %8.2f%% %8.2f%% %8d %6.1f%%' % (
                count, t_without, t_pass, t_with, added * 100,
                pass_all * 100, per_request, spread * 100))
            sys.stdout.flush()
            RESULTS[count] = (added, pass_all, per_request, spread)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', default='1000,10000')
    parser.add_argument('--repeat', type=int, default=21)
    parser.add_argument('--smoke', action='store_true',
                        help='100 hosts, 3 repeats: a check that it runs')
    args = parser.parse_args()
    if args.smoke:
        args.hosts, args.repeat = '100', 3
    SETTINGS['hosts'] = [int(h) for h in args.hosts.split(',')]
    SETTINGS['repeat'] = args.repeat
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(
        SchedulerBenchmark)
    result = unittest.TextTestRunner(verbosity=0).run(suite)
    if not result.wasSuccessful():
        sys.exit(1)
    # After the runner, so that the summary follows unittest's report.
    print('summary: %s queries=%d noise=%.1f%%' % (
        ' '.join('added_%d=%.2f%% pass_all_%d=%.2f%%' % (
            hosts, added * 100, hosts, pass_all * 100)
            for hosts, (added, pass_all, _q, _n) in sorted(RESULTS.items())),
        max(queries for _a, _p, queries, _n in RESULTS.values()),
        max(noise for _a, _p, _q, noise in RESULTS.values()) * 100))


if __name__ == '__main__':
    main()
