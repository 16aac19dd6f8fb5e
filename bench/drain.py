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
"""Benchmark: draining a host with each planning strategy.

Seeded synthetic clouds (heavy-tailed jobs, office-hour and nightly-batch
arrivals, instances locked most of the time, static locks, guests that
approve early when told, ``max_hold`` and ``min_unlocked_gap``) write three
weeks of ledger; the history model is fitted on it; then one host is
drained by every strategy in the same world (same seed, same guests),
once with move requests (a notice to every guest at the start, leases
capped at its ``not_before``) and once without. A recorded ledger (JSON
lines, as the store exports it) is replayed the same way, without requests.
The strategies see only what the store shows at the present.

    python bench/drain.py [--seeds 3] [--samples 16] [--smoke]
                          [--ledger FILE.jsonl] [--write-ledger FILE.jsonl]

Moves take what a live migration of a loaded guest takes (median 90 s,
heavy tail) and a host sends one at a time (Nova's
``max_concurrent_live_migrations`` default), so the order of the moves
matters as it does to an operator.

Each world also gets a hindsight bound (what a planner that knew every
future lock could do) and each break is judged: ``avoidable`` if the world
showed the instance unlocked early enough (hindsight), ``missed`` if the
run left a slot idle while it was.

Ends with ``summary: makespan_p50_ratio=R refused_ratio=R
prediction_error_p50=E``: the drain as shipped (probabilistic, telling the
guests with its default notice, 30 minutes here) against naive without
move requests, as ``kubectl drain`` runs, on the
default set; the makespan ratio is the median of the ratios taken in each
world (same family and seed), refusals are summed, the error is the
median over probabilistic's runs. The same-notice ratios (the model's own
share) are printed on the lines before it.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_miglock import accounting  # noqa: E402
from nova_miglock import conf as miglock_conf  # noqa: E402
from nova_miglock.drain import options as drain_options  # noqa: E402
from nova_miglock.planning import model  # noqa: E402
from nova_miglock.planning import planner  # noqa: E402
from nova_miglock.planning import simulate  # noqa: E402
from nova_miglock.planning import strategies  # noqa: E402
from nova_miglock.planning import synthetic  # noqa: E402
from nova_miglock.planning import timebins  # noqa: E402
from nova_miglock.planning import world as world_mod  # noqa: E402

K = synthetic.Kind
KINDS = {
    'quiet': K('quiet', 1.5, ('lognormal', 600, 1.0), office_factor=2),
    'worker': K('worker', 8, ('lognormal', 1200, 1.2), office_factor=3),
    'busy': K('busy', 40, ('pareto', 1200, 1.3)),
    'batch': K('batch', 1, ('lognormal', 600, 1.0), batch_hour=2.0,
               batch_window=1200, batch_duration=('lognormal', 5400, 0.6)),
}
# family: (drain start: weekday, hour, minute), kinds and their weights
FAMILIES = {
    'office': ((2, 10, 0), {'quiet': 5, 'worker': 4, 'busy': 1}),
    'nightly': ((1, 1, 40), {'batch': 4, 'quiet': 3, 'worker': 2,
                             'busy': 1}),
    'busy': ((3, 15, 0), {'busy': 4, 'worker': 3, 'quiet': 3}),
}
# The store's defaults: [miglock]/max_hold and min_unlocked_gap.
INF = float('inf')
API_DELAY = 1.0   # planner.Params' default: a request reaching the gate
RULES = world_mod.Rules(max_hold=4 * 3600, min_unlocked_gap=300)
HISTORY_DAYS = 21
DEADLINE = 2 * 3600
# The notice nova-miglock-manage drain gives when not told otherwise (the
# shipped [miglock] drain_notice, at most half the time to the deadline):
# the "with requests" rows are the drain as shipped.
NOTICE = drain_options.default_notice(miglock_conf.CONF.miglock.drain_notice,
                                      DEADLINE)
PARALLEL = 2
# Nova's [DEFAULT]/max_concurrent_live_migrations is 1: a compute host
# sends one live migration at a time, however many the drain asks for.
PER_HOST = 1
# A live migration of a loaded guest: median 90 s (memory copied over a
# shared 10 Gb/s link, then dirty pages until it converges), heavy tail.
MOVE_MEDIAN, MOVE_SIGMA = 90.0, 0.5
APPROVE_SHARE = 0.3


def scenario(family, seed, drained=24, others=48):
    """Guests of a cloud, a world for them, its ledger and the drain start."""
    (weekday, hour, minute), mix = FAMILIES[family]
    start = synthetic.epoch(2026, 11, 23 + weekday, hour, minute)
    rng = random.Random('%s-%d' % (family, seed))
    names = sorted(mix)
    guests = []
    for i in range(drained + others):
        kind = KINDS[rng.choices(names, [mix[n] for n in names])[0]]
        own = random.Random(rng.random())
        guests.append(world_mod.Guest(
            uuid='%s-%d-%03d' % (family, seed, i),
            jobs=synthetic.jobs(kind, start - HISTORY_DAYS * 86400, own),
            project_id='project-%d' % (i % 4), lease=600.0,
            approve_after=(own.lognormvariate(0, 1) * 180
                           if own.random() < APPROVE_SHARE else None),
            static=kind.static,
            move_seconds=MOVE_MEDIAN * own.lognormvariate(0, MOVE_SIGMA)))
    world = world_mod.TimelineWorld(guests, RULES)
    rows = []
    for guest in guests:
        since = start - HISTORY_DAYS * 86400
        rows += synthetic.history(world, guest.uuid, since, start)
        rows += synthetic.move_rows(guest, since + rng.random() * 86400 * 7)
    return world, rows, start, [g.uuid for g in guests[:drained]]


def drain(world, uuids, beliefs, start, strategy, requests, samples,
          known_since):
    """(outcome, plan) of one strategy on one world."""
    params = planner.Params(
        deadline=start + DEADLINE, strategy=strategy,
        limits=simulate.Limits(parallel=PARALLEL, per_host=PER_HOST),
        rules=RULES,
        not_before=start + NOTICE if requests else None, samples=samples)
    candidates = [planner.Candidate(world.state(u, start),
                                    known_since=known_since) for u in uuids]
    plan = planner.plan(candidates, beliefs, start, params) \
        if samples else None
    outcome = simulate.run(
        world, planner.make_strategy(params, beliefs, candidates),
        [simulate.Target(u) for u in uuids], start=start,
        deadline=params.deadline, limits=params.limits,
        not_before=params.not_before)
    return outcome, plan


def _windows(world, uuid, start, until):
    """``[(from, to)]``: when ``uuid`` is unlocked in ``[start, until)``."""
    out, t = [], start
    while t < until:
        change = min(until, world.next_change(uuid, t))
        if not world.state(uuid, t).locked:
            out.append((t, change))
        t = max(t + 1, change)
    return out


def hindsight(make_world, uuids, start, requests):
    """What a planner that knew the future could do, per instance.

    ``{uuid: (windows, earliest)}``: the unlocked windows early enough to
    finish a move by the deadline, and the earliest moment the instance
    could end its move (the deadline's break if it has no window).
    """
    world = make_world()
    if requests:
        for uuid in uuids:
            world.open_request(uuid, start, start + NOTICE)
    found = {}
    for uuid in uuids:
        move = world.guest(uuid).move_seconds
        wins = _windows(world, uuid, start, start + DEADLINE - move)
        found[uuid] = (wins, (wins[0][0] if wins else start + DEADLINE) +
                       move)
    return found


def bound(known, start, slots):
    """A makespan no strategy can beat in this world (it needs hindsight).

    The moves take their durations one slot at a time, and none ends
    before its instance is first unlocked (or broken at the deadline).
    """
    serial = sum(w.guest(u).move_seconds for u, w in known['worlds']) / slots
    return max(serial, max(e for _w, e in known['found'].values()) - start)


def missed(outcome, windows, uuid, slots):
    """Whether the run left a slot idle while ``uuid`` could have moved.

    A break the deadline allowed *and* the strategy could have avoided
    without knowing the future: the instance was unlocked, early enough,
    while fewer than ``slots`` moves were running.
    """
    # A slot is taken from the attempt (API_DELAY before the admission).
    busy = sorted((r.admitted_at - API_DELAY, r.ended_at or INF)
                  for r in outcome.records.values()
                  if r.admitted_at is not None)
    for lo, hi in windows:
        points = {lo} | {b for _a, b in busy if lo < b < hi}
        for t in points:
            if sum(a <= t < b for a, b in busy) < slots:
                return True
    return False


def quantile(values, p):
    return planner.quantile(values, p)


def run_family(family, seed, samples, results, **size):
    make = lambda: scenario(family, seed, **size)  # noqa: E731
    world, rows, start, uuids = make()
    fitted = model.fit(rows, as_of=timebins.to_datetime(start))
    beliefs = model.beliefs(fitted)
    known = start - HISTORY_DAYS * 86400
    limits = simulate.Limits(parallel=PARALLEL, per_host=PER_HOST)
    slots = simulate.effective_slots(limits, {'host'})
    for requests in (True, False):
        found = hindsight(lambda: make()[0], uuids, start, requests)
        fresh = make()[0]
        best = bound({'found': found,
                      'worlds': [(u, fresh) for u in uuids]}, start, slots)
        for name in strategies.NAMES:
            world = make()[0]
            outcome, plan = drain(world, uuids, beliefs, start, name,
                                  requests, samples, known)
            broken = [u for u, r in outcome.records.items() if r.broken]
            results.append({'set': 'default', 'family': family,
                            'seed': seed, 'requests': requests,
                            'strategy': name, 'makespan': outcome.makespan,
                            'bound': best,
                            'refused': outcome.refused,
                            'breaks': outcome.breaks,
                            'avoidable_breaks': sum(
                                1 for u in broken if found[u][0]),
                            'missed_breaks': sum(
                                1 for u in broken
                                if missed(outcome, found[u][0], u, slots)),
                            'late': outcome.late,
                            'predicted': plan.p50 if plan else None,
                            'predicted_p90': plan.p90 if plan else None})


def read_ledger(path):
    """Ledger rows from JSON lines (times as ISO 8601 strings)."""
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                for key in ('at', 'acquired_at', 'expires_at'):
                    if row.get(key):
                        row[key] = datetime.datetime.fromisoformat(
                            row[key].rstrip('Z'))
                row['at'], row['event'], row['instance_uuid']
            except (ValueError, KeyError, TypeError) as exc:
                sys.exit('%s:%d: not a ledger row: %s' % (path, number, exc))
            row.setdefault('project_id', 'project')
            rows.append(row)
    return rows


def write_ledger(path, rows):
    with open(path, 'w') as f:
        for row in sorted(rows, key=lambda r: r['at']):
            f.write(json.dumps({k: (v.isoformat() + 'Z' if isinstance(
                v, datetime.datetime) else v) for k, v in row.items()}) + '\n')


def periods(rows, now):
    """``{instance: [(start, end)]}``: the union of its holds' lives."""
    spans = {}
    for (uuid, _h, _a), life in accounting.hold_lives(rows, now).items():
        spans.setdefault(uuid, []).append(
            (timebins.to_seconds(life.start), timebins.to_seconds(life.end)))
    merged = {}
    for uuid, items in spans.items():
        out = []
        for start, end in sorted(items):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        merged[uuid] = out
    return merged


def replay(rows, samples, results, drained=24):
    """Drain the instances of a recorded ledger at 3/4 of its span."""
    times = [timebins.to_seconds(r['at']) for r in rows]
    first, last = min(times), max(times)
    start = first + 0.75 * (last - first)
    past = [r for r in rows if timebins.to_seconds(r['at']) < start]
    fitted = model.fit(past, as_of=timebins.to_datetime(start))
    beliefs = model.beliefs(fitted)
    truth = periods(rows, timebins.to_datetime(last))
    projects = {r['instance_uuid']: r['project_id'] for r in past}
    uuids = sorted(projects)[:drained]
    move = beliefs.move_seconds()

    def make():
        guests = [world_mod.Guest(uuid=u, jobs=list(truth.get(u, ())),
                                  project_id=projects[u], move_seconds=move)
                  for u in uuids]
        return world_mod.TimelineWorld(guests)
    for name in strategies.NAMES:
        outcome, plan = drain(make(), uuids, beliefs, start, name, False,
                              samples, first)
        results.append({'set': 'replay', 'family': 'replay', 'seed': 0,
                        'requests': False, 'strategy': name,
                        'makespan': outcome.makespan,
                        'refused': outcome.refused, 'breaks': outcome.breaks,
                        'avoidable_breaks': None, 'missed_breaks': None,
                        'bound': None, 'late': outcome.late,
                        'predicted': plan.p50 if plan else None,
                        'predicted_p90': plan.p90 if plan else None})


def error(result):
    if result['predicted'] is None or result['makespan'] <= 0:
        return None
    return abs(result['predicted'] - result['makespan']) / result['makespan']


def table(results, title):
    print('\n%s' % title)
    print('%-10s %-14s %4s %9s %9s %8s %7s %9s %6s %5s %9s %6s' % (
        'requests', 'strategy', 'runs', 'span P50', 'span P90', 'refused',
        'breaks', 'avoidable', 'missed', 'late', 'pred err', 'in P90'))
    for requests in (True, False):
        for name in strategies.NAMES:
            chosen = [r for r in results if r['strategy'] == name and
                      r['requests'] == requests]
            if not chosen:
                continue
            spans = [r['makespan'] for r in chosen]
            errors = [e for e in map(error, chosen) if e is not None]
            covered = [r['makespan'] <= r['predicted_p90'] for r in chosen
                       if r['predicted_p90'] is not None]
            avoid = [r['avoidable_breaks'] for r in chosen
                     if r['avoidable_breaks'] is not None]
            miss = [r['missed_breaks'] for r in chosen
                    if r['missed_breaks'] is not None]
            row = (
                'with' if requests else 'without', name, len(chosen),
                quantile(spans, 0.5), quantile(spans, 0.9),
                sum(r['refused'] for r in chosen),
                sum(r['breaks'] for r in chosen),
                sum(avoid) if avoid else '-',
                sum(miss) if miss else '-',
                sum(r['late'] for r in chosen),
                '%.2f' % quantile(errors, 0.5) if errors else '-',
                '%.0f%%' % (100.0 * sum(covered) / len(covered))
                if covered else '-')
            print('%-10s %-14s %4d %8.0fs %8.0fs %8d %7d %9s %6s %5d %9s %6s'
                  % row)


def _key(result):
    return result['family'], result['seed'], result['requests']


def paired(results, ours, theirs):
    """Makespan ratios ``ours / theirs`` over the same worlds.

    ``ours`` and ``theirs`` pick runs (functions of a result); a ratio is
    taken only between runs of the same family and seed, so a pooled
    median never compares one world's drain with another's.
    """
    base = {(r['family'], r['seed']): r for r in results if theirs(r)}
    return [r['makespan'] / max(1e-9, base[(r['family'], r['seed'])][
        'makespan']) for r in results
        if ours(r) and (r['family'], r['seed']) in base]


def ratios(results, ours, theirs):
    """(median paired makespan ratio, refused ratio, prediction error).

    ``ours`` and ``theirs`` pick runs as :func:`paired` does; refusals are
    summed over the runs each picks, the error is ``ours``' median.
    """
    mine = [r for r in results if ours(r)]
    base = [r for r in results if theirs(r)]
    spans = paired(results, ours, theirs)
    refused = sum(r['refused'] for r in mine) / max(
        1, sum(r['refused'] for r in base))
    errors = [e for e in map(error, mine) if e is not None]
    return (quantile(spans, 0.5) if spans else float('nan'), refused,
            quantile(errors, 0.5) if errors else float('nan'))


def runs_of(name, requests):
    return lambda r: r['strategy'] == name and r['requests'] == requests


def bounds_of(requests):
    """The hindsight bound of each world, as a run ``paired`` can use."""
    return lambda r: (r['strategy'] == 'naive' and
                      r['requests'] == requests)


def spread(values):
    return '%.2f (range %.2f-%.2f)' % (quantile(values, 0.5), min(values),
                                       max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--samples', type=int, default=16,
                        help='worlds the planner samples per prediction')
    parser.add_argument('--smoke', action='store_true',
                        help='one seed, small clouds: a few seconds')
    parser.add_argument('--ledger', help='replay this JSON-lines ledger')
    parser.add_argument('--write-ledger', metavar='FILE',
                        help='write a synthetic ledger fixture and exit')
    args = parser.parse_args()
    if args.write_ledger:
        write_ledger(args.write_ledger, scenario('nightly', 0)[1])
        print('wrote %s' % args.write_ledger)
        return
    global HISTORY_DAYS
    size = {}
    if args.smoke:
        args.seeds, args.samples, HISTORY_DAYS = 1, 4, 7
        size = {'drained': 8, 'others': 8}
    began = time.time()
    results = []
    for seed in range(args.seeds):
        for family in FAMILIES:
            run_family(family, seed, args.samples, results, **size)
    table(results, 'default set: %d families x %d seeds, %d instances, '
          'parallel %d, deadline %ds, notice %ds (the drain\'s default)' % (
              len(FAMILIES), args.seeds, size.get('drained', 24), PARALLEL,
              DEADLINE, NOTICE))
    if args.ledger:
        replayed = []
        replay(read_ledger(args.ledger), args.samples, replayed)
        table(replayed, 'replay of %s (no requests: the ledger cannot say '
              'how its guests would have answered one)' % args.ledger)
    for label, requests in (('with requests', True),
                            ('without requests', False)):
        span, refused, err = ratios(results, runs_of('probabilistic',
                                                     requests),
                                    runs_of('naive', requests))
        each = paired(results, runs_of('probabilistic', requests),
                      runs_of('naive', requests))
        best = [r['bound'] / max(1e-9, r['makespan']) for r in results
                if bounds_of(requests)(r)]
        print('%-17s probabilistic/naive (same notice, paired): makespan '
              'P50 %s, refused %.3f, prediction error P50 %.2f; '
              'hindsight bound/naive %s'
              % (label, spread(each), refused, err, spread(best)))
    ours, theirs = runs_of('probabilistic', True), runs_of('naive', False)
    against = paired(results, ours, theirs)
    print('shipped drain (probabilistic, default notice %ds) / naive '
          'without requests (kubectl drain): makespan P50 %s'
          % (NOTICE, spread(against)))
    print('elapsed %.1fs' % (time.time() - began))
    # The baseline is kubectl drain: naive retry, no notice; the
    # drain it is measured against is the shipped one, which tells the
    # guests by default (--no-notice is the "without requests" rows).
    span, refused, err = ratios(results, ours, theirs)
    print('summary: makespan_p50_ratio=%.2f refused_ratio=%.3f '
          'prediction_error_p50=%.2f' % (span, refused, err))


if __name__ == '__main__':
    main()
