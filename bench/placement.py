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
"""Benchmark: placement that keeps hosts drainable.

A seeded cloud fills up: boots arrive with profiles (project, flavor,
image) drawn from a mix where a few workloads lock often and for long
(databases, nightly batches, CI workers) and most rarely or never. Each
boot is placed by Nova's real weigher objects (its default
``weight_classes``, default multipliers, on Nova ``HostState`` objects)
among the hosts with room, once as Nova alone does and once with
MigrationLockWeigher appended, fed by an in-memory drainability source
built from three weeks of ledger of an earlier generation of the same
workloads. Then a rolling maintenance drains every host in turn with the
planner (probabilistic strategy, 2 moves at once, 2-hour deadline,
``max_hold`` 4 h); each instance's guest locks the same way in both arms.
Last, the weigher's cost per request on 1,000 and 10,000 hosts beside
Nova's default weigher chain (and beside a no-op weigher, which is what
Nova's weight handler costs for any extra weigher), and what the
store-backed source's read adds in a deployment. ``sched_added_10k`` is
the weigher's pass plus that read against Nova's default filters and
weighers for one boot at 10,000 hosts (the scheduler's own work; its
placement and database round trips, not counted, make the real share
smaller).

    python bench/placement.py [--seeds 3] [--multiplier M] [--smoke]
                              [--no-cost | --cost-only]

Ends with ``summary: drain_total_ratio=R drain_p90_ratio=R
sched_added_10k=P``: with the weigher against without.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
warnings.simplefilter('ignore')
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

from nova import objects  # noqa: E402
from nova.scheduler import weights  # noqa: E402

from nova_miglock import conf as miglock_conf  # noqa: E402
from nova_miglock.planning import drainability  # noqa: E402
from nova_miglock.planning import model  # noqa: E402
from nova_miglock.planning import placement  # noqa: E402
from nova_miglock.planning import planner  # noqa: E402
from nova_miglock.planning import simulate  # noqa: E402
from nova_miglock.planning import synthetic  # noqa: E402
from nova_miglock.planning import world as world_mod  # noqa: E402
from nova_miglock.scheduler.weighers import migration_lock  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.testing import databases  # noqa: E402
from nova_miglock.testing import fixtures  # noqa: E402

import nova_hosts  # noqa: E402  (beside this file)

CONF = miglock_conf.CONF
K = synthetic.Kind
KINDS = {
    'never': K('never', 0.0, ('exponential', 1, 1)),
    'quiet': K('quiet', 1.5, ('lognormal', 600, 1.0), office_factor=2),
    'worker': K('worker', 8, ('lognormal', 1200, 1.2), office_factor=3),
    'busy': K('busy', 40, ('pareto', 1200, 1.3)),
    'batch': K('batch', 1, ('lognormal', 600, 1.0), batch_hour=2.0,
               batch_window=1200, batch_duration=('lognormal', 5400, 0.6)),
}
# (project, image, flavors, kind, share): 14 % of boots lock often.
WORKLOADS = [
    ('db', 'postgres', ('l', 'xl'), 'busy', 4),
    ('db', 'ubuntu', ('s',), 'quiet', 2),
    ('analytics', 'spark', ('xl',), 'batch', 4),
    ('analytics', 'ubuntu', ('m',), 'quiet', 4),
    ('ci', 'ubuntu', ('m', 'l'), 'worker', 6),
    ('web-a', 'ubuntu', ('s', 'm'), 'quiet', 20),
    ('web-b', 'centos', ('s', 'm'), 'quiet', 20),
    ('web-c', 'ubuntu', ('s', 'm', 'l'), 'never', 20),
    ('dev', 'centos', ('s',), 'never', 20),
]
RULES = world_mod.Rules(max_hold=4 * 3600, min_unlocked_gap=120)
DEADLINE = 2 * 3600
PARALLEL = 2
WORK = 1800            # the maintenance itself, between two drains
HISTORY_DAYS = 21
FILL = 0.85            # boots stop when this share of RAM is used
START = synthetic.epoch(2026, 11, 30, 20, 0)   # a Monday evening
# Each round of maintenance drains every host once; rounds start on other
# days at other hours, so a placement is judged at many times of day.
ROUNDS = [START + r * (2 * 86400 + 7 * 3600) for r in range(8)]


def draw_boot(rng, index, seed):
    shares = [w[4] for w in WORKLOADS]
    project, image, flavors, kind, _ = rng.choices(WORKLOADS, shares)[0]
    profile = placement.Profile(project, rng.choice(flavors), image)
    return '%d-%05d' % (seed, index), profile, kind


def guest(uuid, profile, kind, since):
    own = random.Random(uuid)
    return world_mod.Guest(
        uuid=uuid, jobs=synthetic.jobs(KINDS[kind], since, own),
        project_id=profile.project_id, lease=600.0,
        move_seconds=60 * own.lognormvariate(0, 0.4))


def history(seed, count):
    """An earlier generation's ledger, fitted, and the profile table."""
    rng = random.Random('history-%d' % seed)
    since = START - HISTORY_DAYS * 86400
    boots = [draw_boot(rng, i, -1 - seed) for i in range(count)]
    guests = [guest(u, p, k, since) for u, p, k in boots]
    world = world_mod.TimelineWorld(guests, RULES)
    rows = []
    for g in guests:
        rows += synthetic.history(world, g.uuid, since, START)
        rows += synthetic.move_rows(g, since + rng.random() * 86400 * 7)
    fitted = model.fit(rows, as_of=START)
    inventory = {u: placement.Member(p, since) for u, p, _k in boots}
    return fitted, placement.ProfileTable.from_model(fitted, inventory)


def fill(hosts, weighers, table, seed, with_ours):
    """Boot until RAM is ``FILL`` used; ``{host: [(uuid, profile, kind)]}``."""
    handler = weights.HostWeightHandler()
    states = [nova_hosts.host_state('host-%03d' % i) for i in range(hosts)]
    source = drainability.InMemorySource(table)
    migration_lock.set_source(source)
    chain = weighers + ([migration_lock.MigrationLockWeigher()]
                        if with_ours else [])
    rng = random.Random('boots-%d' % seed)
    placed = {s.host: [] for s in states}
    budget = FILL * hosts * nova_hosts.HOST['ram_mb']
    used, index = 0, 0
    while used < budget:
        uuid, profile, kind = draw_boot(rng, index, seed)
        index += 1
        room = [s for s in states if nova_hosts.fits(s, profile)]
        if not room:
            break
        best = handler.get_weighed_objects(
            chain, room, nova_hosts.request_spec(uuid, profile))[0].obj
        nova_hosts.consume(best, profile, uuid)
        source.place(uuid, best.host, profile)
        placed[best.host].append((uuid, profile, kind))
        used += nova_hosts.FLAVORS[profile.flavor][1]
    return placed, source.reads


def ideal(placed, hosts):
    """The same boots placed by a clairvoyant.

    Every boot known in advance with its true workload, the most
    lock-prone and largest first, packed first-fit: a bound on what any
    placement could save here.
    """
    rank = ('busy', 'worker', 'batch', 'quiet', 'never')
    boots = sorted((m for members in placed.values() for m in members),
                   key=lambda m: (rank.index(m[2]),
                                  -nova_hosts.FLAVORS[m[1].flavor][1]))
    states = [nova_hosts.host_state('host-%03d' % i) for i in range(hosts)]
    packed = {s.host: [] for s in states}
    for uuid, profile, kind in boots:
        state = next(s for s in states if nova_hosts.fits(s, profile))
        nova_hosts.consume(state, profile, uuid)
        packed[state.host].append((uuid, profile, kind))
    return packed


def rolling(placed, beliefs, booted, start, locks=True):
    """Drain every host in turn from ``start``.

    Returns ``[(host, seconds, breaks)]``. Without ``locks`` no guest ever
    locks: what the moves alone take.
    """
    t, out = start, []
    for host in sorted(placed):
        members = placed[host]
        world = world_mod.TimelineWorld(
            [guest(u, p, k if locks else 'never', booted)
             for u, p, k in members], RULES)
        params = planner.Params(
            deadline=t + DEADLINE, limits=simulate.Limits(PARALLEL),
            rules=RULES, samples=0)
        candidates = [planner.Candidate(world.state(u, t), host=host,
                                        known_since=booted)
                      for u, _p, _k in members]
        outcome = planner.rehearse(world, candidates, beliefs, t, params)
        out.append((host, outcome.makespan, outcome.breaks))
        t += outcome.makespan + WORK
    return out


def scenario(seed, hosts, history_count, weighers, rounds):
    fitted, table = history(seed, history_count)
    beliefs = model.beliefs(fitted)
    booted = START - 86400
    arms = {arm: fill(hosts, weighers, table, seed, arm)
            for arm in (False, True)}
    arms['ideal'] = (ideal(arms[False][0], hosts), 0)
    result = {}
    for arm, (placed, reads) in arms.items():
        drains, floor = [], 0.0
        for start in ROUNDS[:rounds]:
            drains += rolling(placed, beliefs, booted, start)
            floor += sum(s for _h, s, _b in rolling(
                placed, beliefs, booted, start, locks=False))
        result[arm] = {'drains': drains, 'reads': reads, 'floor': floor,
                       'boots': sum(len(v) for v in placed.values()),
                       'prone_hosts': prone_hosts(placed)}
    return result


def prone_hosts(placed):
    """Hosts holding at least one instance of a busy or batch workload."""
    return sum(1 for members in placed.values()
               if any(k in ('busy', 'batch') for _u, _p, k in members))


def drain_table(results):
    """Per cloud and arm: drain times per host, over every round."""
    print('\n%-8s %4s %6s %6s %10s %10s %10s %10s %7s %6s' % (
        'weigher', 'seed', 'drains', 'boots', 'total', 'moves only',
        'P50', 'P90', 'breaks', 'prone'))
    for seed, result in results.items():
        for arm, label in ((False, 'without'), (True, 'with'),
                           ('ideal', 'ideal')):
            r = result[arm]
            spans = [s for _h, s, _b in r['drains']]
            print('%-8s %4d %6d %6d %9.0fs %9.0fs %9.0fs %9.0fs %7d %6d' % (
                label, seed, len(spans), r['boots'],
                sum(spans), r['floor'], planner.quantile(spans, 0.5),
                planner.quantile(spans, 0.9),
                sum(b for _h, _s, b in r['drains']), r['prone_hosts']))


def drain_ratios(results):
    """With against without: total, P90, lock-caused part, per seed."""
    def spans(arm):
        return [s for r in results.values()
                for _h, s, _b in r[arm]['drains']]

    def floor(arm):
        return sum(r[arm]['floor'] for r in results.values())
    per_seed = [sum(s for _h, s, _b in r[True]['drains']) /
                sum(s for _h, s, _b in r[False]['drains'])
                for r in results.values()]
    total = sum(spans(True)) / sum(spans(False))
    p90 = planner.quantile(spans(True), 0.9) / planner.quantile(
        spans(False), 0.9)
    locked = (sum(spans(True)) - floor(True)) / (
        sum(spans(False)) - floor(False))
    best = sum(spans('ideal')) / sum(spans(False))
    return total, p90, locked, best, per_seed


def store_read(table, hosts, runs):
    """Seconds per request of the store-backed source, document cached.

    A real SQLite store holding a refreshed document of ``hosts`` hosts;
    what a request pays once the document is loaded is the stamp read.
    """
    db = databases.Database('sqlite', tempfile.mkdtemp())
    store = driver.SQLLockStore(fixtures.make_conf(), connection=db.url)
    try:
        migration.sync(store)
        costs = {'host%d' % n: n / hosts for n in range(hosts)}
        store.save_history_model(drainability.SCOPE, drainability.document(
            table, costs), store.now())
        source = drainability.StoreSource(lambda: store)
        request = drainability.Request(placement.Profile('db', 'l',
                                                         'postgres'))
        source.outlook(request)
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            source.outlook(request)
            times.append(time.perf_counter() - began)
        assert source.loads == 1
        return statistics.median(times)
    finally:
        store.dispose()
        db.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--first-seed', type=int, default=0)
    parser.add_argument('--hosts', type=int, default=40)
    parser.add_argument('--rounds', type=int, default=4,
                        help='rounds of rolling maintenance per cloud')
    parser.add_argument('--no-cost', action='store_true',
                        help='skip the cost per request')
    parser.add_argument('--cost-only', action='store_true',
                        help='only the cost per request (no drains)')
    parser.add_argument('--multiplier', type=float,
                        help='[miglock_weigher]/weight_multiplier '
                             '(default: the option\'s default)')
    parser.add_argument('--smoke', action='store_true',
                        help='one seed, small cloud: a few seconds')
    args = parser.parse_args()
    objects.register_all()
    CONF([], project='nova')
    if args.multiplier is not None:
        CONF.set_override('weight_multiplier', args.multiplier,
                          group='miglock_weigher')
    counts, repeats, history_count = (1000, 10000), (25, 25), 240
    if args.smoke:
        args.seeds, args.hosts, args.rounds = 1, 6, 1
        counts, repeats, history_count = (1000, 10000), (1, 1), 60
    weighers = [cls() for cls in weights.HostWeightHandler(
    ).get_matching_classes(CONF.filter_scheduler.weight_classes)]
    began = time.time()
    fields = []
    # The cost first, in a process that holds the host states and little
    # else, as a scheduler's does; measured after the drain simulation's
    # garbage, the same pass ran up to twice as slowly (doc/placement).
    if not args.no_cost:
        share = cost_share(weighers, counts, repeats, history_count,
                           args.smoke)
    if not args.cost_only:
        total, p90 = drain_share(args, weighers, history_count)
        fields += ['drain_total_ratio=%.2f' % total,
                   'drain_p90_ratio=%.2f' % p90]
    if not args.no_cost:
        fields.append('sched_added_10k=%.1f%%' % share)
    print('elapsed %.1fs' % (time.time() - began))
    print('summary: ' + ' '.join(fields))


def drain_share(args, weighers, history_count):
    """Print the rolling maintenance; ``(total ratio, P90 ratio)``."""
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results = {seed: scenario(seed, args.hosts, history_count, weighers,
                              args.rounds)
               for seed in seeds}
    print('\nrolling maintenance: %d hosts, %d seeds x %d rounds, '
          'multiplier %.1f, parallel %d, deadline %ds, max_hold %ds' % (
              args.hosts, args.seeds, args.rounds,
              CONF.miglock_weigher.weight_multiplier, PARALLEL, DEADLINE,
              RULES.max_hold))
    drain_table(results)
    total, p90, locked, best, per_seed = drain_ratios(results)
    print('drain time with/without: total %.2f (per seed %s), P90 %.2f; '
          'the part locks add to the moves: %.2f; ideal/without: total '
          '%.2f' % (total, ' '.join('%.2f' % r for r in per_seed), p90,
                    locked, best))
    reads = [r[True]['reads'] / r[True]['boots'] for r in results.values()]
    print('source reads per boot: %.2f' % max(reads))
    return total, p90


def cost_share(weighers, counts, repeats, history_count, smoke):
    """Print the cost per request; the share added at 10,000 hosts (%)."""
    repeats = dict(zip(counts, repeats))
    table = history(0, history_count)[1]
    costs = nova_hosts.cost(weighers, table, counts, repeats,
                            lambda rng: draw_boot(rng, 0, 0)[1])
    added = nova_hosts.cost_table(costs, repeats, len(weighers))
    alone, nova_weighers, nova_filters = added.get(10000, added[counts[-1]])
    read = store_read(table, 10000, 10 if smoke else 400)
    share = 100.0 * (alone + read) / (nova_weighers + nova_filters)
    print('\nin a deployment (store-backed source, SQLite store): the '
          'document\'s stamp read per request %.3fms (median of runs); a '
          'boot at 10,000 hosts adds %.1fms + %.3fms to Nova\'s filters '
          'and weighers\' %.1fms: %.2f%% (%.2f%% of the weighers alone)'
          % (1e3 * read, 1e3 * alone, 1e3 * read,
             1e3 * (nova_weighers + nova_filters), share,
             100.0 * (alone + read) / nova_weighers))
    return share


if __name__ == '__main__':
    main()
