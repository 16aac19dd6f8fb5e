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
"""Nova's scheduler pieces on synthetic hosts, for bench/placement.py.

Nova ``HostState`` objects with the capacity of one host model, the
``RequestSpec`` of a boot of a profile, the bookkeeping placement and the
resource tracker do when an instance lands (what the weighers then see),
and the cost of one request through Nova's real filter and weigher
handlers, beside a no-op weigher (what Nova's handler charges any extra
weigher) and beside MigrationLockWeigher.
"""

import datetime
import gc
import random
import statistics
import time

from nova import objects
from nova.scheduler import filters
from nova.scheduler import host_manager
from nova.scheduler import weights

from nova_miglock import conf as miglock_conf
from nova_miglock.planning import drainability
from nova_miglock.scheduler.weighers import migration_lock

CONF = miglock_conf.CONF
# flavorid: (vcpus, memory MB, disk GB)
FLAVORS = {'s': (1, 2048, 20), 'm': (2, 4096, 40), 'l': (4, 8192, 80),
           'xl': (8, 16384, 160)}
HOST = {'vcpus': 32, 'cpu_ratio': 4.0, 'ram_mb': 192 * 1024,
        'disk_gb': 3000}


def host_state(name, cell='cell1'):
    state = host_manager.HostState(name, name, cell)
    state.total_usable_ram_mb = HOST['ram_mb']
    state.free_ram_mb = HOST['ram_mb']
    state.vcpus_total = HOST['vcpus']
    state.vcpus_used = 0
    state.cpu_allocation_ratio = HOST['cpu_ratio']
    state.free_disk_mb = HOST['disk_gb'] * 1024
    state.num_io_ops = 0
    state.num_instances = 0
    state.hypervisor_version = 9002000
    state.failed_builds = 0
    state.aggregates = []
    state.metrics = None
    state.pci_stats = None
    state.instances = {}
    return state


def request_spec(uuid, profile):
    vcpus, ram, disk = FLAVORS[profile.flavor]
    return objects.RequestSpec(
        instance_uuid=uuid, project_id=profile.project_id, num_instances=1,
        flavor=objects.Flavor(flavorid=profile.flavor, vcpus=vcpus,
                              memory_mb=ram, root_gb=disk, ephemeral_gb=0,
                              swap=0, extra_specs={}),
        image=objects.ImageMeta.from_dict({'id': profile.image,
                                           'properties': {}}),
        instance_group=None)


def fits(state, profile):
    vcpus, ram, disk = FLAVORS[profile.flavor]
    return (state.free_ram_mb >= ram and state.free_disk_mb >= disk * 1024
            and state.vcpus_total * state.cpu_allocation_ratio -
            state.vcpus_used >= vcpus)


def consume(state, profile, uuid):
    """What placement and the resource tracker record for a new instance."""
    vcpus, ram, disk = FLAVORS[profile.flavor]
    state.free_ram_mb -= ram
    state.vcpus_used += vcpus
    state.free_disk_mb -= disk * 1024
    state.num_instances += 1
    state.instances[uuid] = None


def heard_from(states):
    """Every host's service reported just now (ComputeFilter)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    for state in states:
        state.service['last_seen_up'] = now


def synthetic_hosts(count, rng, draw):
    """Hosts part-filled from the mix, up for Nova's ComputeFilter."""
    states = []
    for i in range(count):
        state = host_state('host-%05d' % i)
        state.service = {'disabled': False, 'forced_down': False,
                         'host': state.host, 'binary': 'nova-compute'}
        state.supported_instances = [('x86_64', 'kvm', 'hvm')]
        for _ in range(rng.randrange(0, 40)):
            profile = draw(rng)
            if fits(state, profile):
                consume(state, profile, str(rng.random()))
        states.append(state)
    return states


class NoOpWeigher(weights.BaseHostWeigher):
    """What Nova's weight handler charges any extra weigher."""

    minval, maxval = -1.0, 1.0

    def weight_multiplier(self, host_state):
        return 1.0

    def weigh_objects(self, weighed_obj_list, request_spec):
        return [0.0] * len(weighed_obj_list)

    def _weigh_object(self, host_state, request_spec):
        return 0.0


def default_filters():
    handler = filters.HostFilterHandler()
    classes = {c.__name__: c for c in handler.get_matching_classes(
        CONF.filter_scheduler.available_filters)}
    return [classes[n]() for n in CONF.filter_scheduler.enabled_filters]


def cost(weighers, table, counts, repeats, draw):
    """``{hosts: {arm: [seconds]}}`` of one request, arms alternating.

    Arms: Nova's chain, that chain with a no-op weigher or ours appended,
    and each extra weigher alone beside an empty chain (the handler's
    fixed work), whose difference is the extra weigher's pass measured
    with far less noise than the difference of two whole chains. Every
    host is up and passes Nova's default filters (timed too), so the
    weighers see them all. ``repeats`` is ``{hosts: runs}``.
    """
    weigh = weights.HostWeightHandler().get_weighed_objects
    sift = filters.HostFilterHandler().get_filtered_objects
    ours, noop = migration_lock.MigrationLockWeigher(), NoOpWeigher()
    chains = {'nova': weighers, '+no-op': weighers + [noop],
              '+ours': weighers + [ours], 'none': [], 'no-op': [noop],
              'ours': [ours]}
    names = sorted(chains)
    out = {}
    for count in counts:
        rng = random.Random(count)
        states = synthetic_hosts(count, rng, draw)
        source = drainability.InMemorySource(table)
        for state in states:
            source.place(state.host, state.host, draw(rng))
        migration_lock.set_source(source)
        nova_filters = default_filters()
        times = {name: [] for name in names + ['filters']}
        gc.disable()    # collections would land in random runs
        for rep in range(repeats[count]):
            uuid, profile = 'request-%d' % rep, draw(rng)
            heard_from(states)
            began = time.process_time()
            passed = list(sift(nova_filters, states,
                               request_spec(uuid, profile), 0))
            times['filters'].append(time.process_time() - began)
            if len(passed) != count:
                raise RuntimeError('%d hosts failed Nova\'s filters'
                                   % (count - len(passed)))
            turn = rep % len(names)
            for name in names[turn:] + names[:turn]:
                spec = request_spec(uuid, profile)
                began = time.process_time()
                weigh(chains[name], passed, spec)
                times[name].append(time.process_time() - began)
        gc.enable()
        out[count] = times
    return out


def cost_table(costs, repeats, weighers):
    """Print the cost per request.

    :returns: ``{hosts: (ours alone, Nova's weighers, Nova's filters)}``
        in seconds, fastest runs.
    """
    print('\nscheduling one boot, CPU time, fastest of %s alternating runs '
          '(median beside it): Nova\'s %d default weighers ("nova"), with a '
          'no-op weigher or ours appended; "alone": the extra weigher\'s '
          'pass through Nova\'s handler (chain of it alone minus an empty '
          'chain); "of f+w": against Nova\'s default filters and weighers' % (
              '/'.join(str(n) for n in repeats.values()), weighers))
    print('%7s %-7s %10s %10s %8s %15s %8s' % (
        'hosts', 'chain', 'fastest', 'median', 'added', 'alone', 'of f+w'))
    added = {}
    for count, times in costs.items():
        best = {name: min(t) for name, t in times.items()}
        base = best['nova']
        for name in ('nova', '+no-op', '+ours'):
            alone = best[name[1:]] - best['none'] if name != 'nova' else 0.0
            if name == '+ours':
                added[count] = (alone, base, best['filters'])
            print('%7d %-7s %8.1fms %8.1fms %7.2f%% %6.1fms %6.2f%% %7.2f%%' %
                  (count, name, 1e3 * best[name],
                   1e3 * statistics.median(times[name]),
                   100.0 * (best[name] - base) / base, 1e3 * alone,
                   100.0 * alone / base,
                   100.0 * alone / (base + best['filters'])))
        print('%7d %-7s %8.1fms %8.1fms' % (
            count, 'filters', 1e3 * best['filters'],
            1e3 * statistics.median(times['filters'])))
    return added
