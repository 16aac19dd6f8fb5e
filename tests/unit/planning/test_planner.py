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
"""The planner and the drain loop: invariants and known answers."""

import random

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from nova_miglock.planning import model
from nova_miglock.planning import planner
from nova_miglock.planning import simulate
from nova_miglock.planning import strategies
from nova_miglock.planning import world

START = 1796601600.0        # a Monday, 00:00 UTC
NAMES = strategies.NAMES


def guest(uuid, jobs, **kw):
    return world.Guest(uuid, [(START + a, START + b) for a, b in jobs],
                       **kw)


def drain(guests, name, *, deadline=7200, limits=simulate.Limits(parallel=1),
          beliefs=None, **kw):
    sim = world.TimelineWorld(guests)
    beliefs = beliefs or model.beliefs(model.fit([]), as_of=START)
    strategy = strategies.make(
        name, move_seconds=60, belief_of=lambda u: beliefs.instance(
            u, 'p', known_since=START - 14 * 86400))
    targets = [simulate.Target(g.uuid, getattr(g, 'host', 'h'))
               for g in guests]
    return simulate.run(sim, strategy, targets, start=START,
                        deadline=START + deadline, limits=limits, **kw)


def test_naive_retries_every_five_seconds_until_the_lock_ends():
    out = drain([guest('a', [(-10, 100)], lease=300)], 'naive')
    record = out.records['a']
    # Each answer takes 1 s, then 5 s of sleep: refused at 1, 7, ..., 97.
    assert record.refused == 17
    assert record.admitted_at == START + 103
    assert out.makespan == 163


def test_wait_retry_waits_for_the_lease_the_refusal_names():
    out = drain([guest('a', [(-10, 100)], lease=300)], 'wait-retry')
    record = out.records['a']
    assert record.refused == 1
    # lease renewed at -10 + 150 = 140 would show 440; at t=1 it shows 290.
    assert record.admitted_at == START + 291


@pytest.mark.parametrize('name', ['fail-retry', 'probabilistic'])
def test_observing_strategies_move_when_the_lock_ends(name):
    out = drain([guest('a', [(-10, 100)], lease=300)], name)
    assert out.records['a'].refused == 0
    assert out.records['a'].admitted_at == START + 101


def test_a_move_request_caps_the_lock_at_not_before():
    out = drain([guest('a', [(-10, 5000)], lease=300)], 'fail-retry',
                not_before=START + 600)
    assert out.records['a'].admitted_at == START + 601


def test_a_guest_that_approves_early_is_moved_at_once():
    out = drain([guest('a', [(-10, 5000)], approve_after=30)], 'fail-retry',
                not_before=START + 600)
    assert out.records['a'].admitted_at == START + 31


def test_static_lock_is_broken_at_the_deadline_or_skipped():
    static = [guest('s', [], static=True)]
    out = drain(static, 'wait-retry', deadline=600)
    assert out.records['s'].broken and out.breaks == 1
    assert out.records['s'].admitted_at == START + 600
    out = drain([guest('s', [], static=True)], 'naive', deadline=600,
                on_deadline='skip')
    assert out.records['s'].skipped and out.late == 1


def _nightly_beliefs():
    rows = []
    for day in range(14):
        base = START - (14 - day) * 86400 + 60
        rows += [{'at': planner.timebins.to_datetime(base + s),
                  'event': e, 'instance_uuid': 'night', 'project_id': 'p',
                  'holder': 'h',
                  'acquired_at': planner.timebins.to_datetime(base),
                  'expires_at': planner.timebins.to_datetime(base + 7200)}
                 for s, e in ((0, 'acquire'), (7200, 'release'))]
    return model.beliefs(model.fit(rows, as_of=START), as_of=START)


def test_probabilistic_moves_first_the_instance_about_to_lock():
    beliefs = _nightly_beliefs()
    spans = {}
    for name in ('fail-retry', 'probabilistic'):
        guests = [guest('day', [], move_seconds=120),
                  guest('night', [(90, 7200)], move_seconds=120)]
        out = drain(guests, name, beliefs=beliefs)
        order = sorted(out.records.values(), key=lambda r: r.admitted_at)
        spans[name] = (order[0].uuid, out.makespan)
    # In input order the nightly job locks the second instance for 2 h.
    assert spans['fail-retry'] == ('day', 7320)
    assert spans['probabilistic'] == ('night', 242)


def _first(beliefs, **make):
    guests = [guest('day', [], move_seconds=120),
              guest('night', [], move_seconds=120)]
    sim = world.TimelineWorld(guests)
    strategy = strategies.make(
        'probabilistic', move_seconds=60, belief_of=lambda u:
        beliefs.instance(u, 'p', known_since=START - 14 * 86400), **make)
    out = simulate.run(sim, strategy, [simulate.Target(g.uuid, 'h')
                                       for g in guests],
                       start=START, deadline=START + 7200,
                       limits=simulate.Limits(parallel=1))
    return min(out.records.values(), key=lambda r: r.admitted_at).uuid


def test_a_guest_that_approved_cannot_lock_so_it_need_not_go_first():
    beliefs = _nightly_beliefs()
    assert _first(beliefs) == 'night'
    assert _first(beliefs, approved=['night']) == 'day'


def test_a_lock_after_not_before_costs_nothing_to_wait_for():
    # Told at the start with not_before already reached, no guest can lock
    # any more: the nightly instance is no risk, the input order stands.
    beliefs = _nightly_beliefs()
    assert _first(beliefs, not_before=START + 3600) == 'night'
    assert _first(beliefs, not_before=START) == 'day'


def test_a_lock_cut_by_a_request_costs_at_most_until_then():
    belief = _nightly_beliefs().instance('night', 'p')
    blend = belief.blend
    assert blend.mean_within(0) == 0.0
    assert blend.mean_within(600) <= 600
    assert blend.mean_within(600) < blend.mean_within(3600) <= \
        blend.mean() + 1e-6


@st.composite
def small_worlds(draw):
    n = draw(st.integers(1, 7))
    guests = []
    for i in range(n):
        jobs, t = [], -draw(st.integers(0, 600))
        for _ in range(draw(st.integers(0, 3))):
            length = draw(st.integers(1, 2000))
            jobs.append((t, t + length))
            t += length + draw(st.integers(1, 900))
        g = guest('i%d' % i, jobs, lease=draw(st.sampled_from([30, 300])),
                  move_seconds=draw(st.integers(10, 200)))
        g.host = 'h%d' % draw(st.integers(0, 1))
        g.group = draw(st.sampled_from([None, 'g']))
        guests.append(g)
    limits = simulate.Limits(parallel=draw(st.integers(1, 3)),
                             per_host=draw(st.sampled_from([None, 1])),
                             budgets={'g': draw(st.integers(1, 2))})
    return guests, limits


def _max_overlap(spans):
    edges = sorted([(a, 1) for a, b in spans] + [(b, -1) for a, b in spans])
    best = level = 0
    for _t, step in edges:
        level += step
        best = max(best, level)
    return best


@settings(max_examples=60, deadline=None)
@given(small_worlds(), st.sampled_from(NAMES))
def test_drain_keeps_limits_and_never_moves_a_locked_instance(case, name):
    guests, limits = case
    jobs = {g.uuid: list(g.jobs) for g in guests}
    sim = world.TimelineWorld(guests)
    beliefs = model.beliefs(model.fit([]), as_of=START)
    targets = [simulate.Target(g.uuid, g.host, g.group) for g in guests]
    out = simulate.run(sim, strategies.make(
        name, belief_of=lambda u: beliefs.instance(u)), targets,
        start=START, deadline=START + 3000, limits=limits)
    moves = {u: (r.admitted_at, r.ended_at) for u, r in out.records.items()}
    assert _max_overlap(moves.values()) <= limits.parallel
    for host in ('h0', 'h1'):
        spans = [moves[g.uuid] for g in guests if g.host == host]
        assert _max_overlap(spans) <= (limits.per_host or limits.parallel)
    assert _max_overlap([moves[g.uuid] for g in guests
                         if g.group == 'g']) <= limits.budgets['g']
    for uuid, record in out.records.items():
        locked = any(a <= record.admitted_at < b for a, b in jobs[uuid])
        assert record.broken == locked
        assert not locked or record.admitted_at >= START + 3000


def _candidates(guests):
    sim = world.TimelineWorld(guests)
    return [planner.Candidate(sim.state(g.uuid, START)) for g in guests]


@settings(max_examples=15, deadline=None)
@given(small_worlds(), st.sampled_from(NAMES), st.integers(0, 3))
def test_plan_is_deterministic_and_p50_within_p90(case, name, seed):
    guests, limits = case
    beliefs = _nightly_beliefs()
    params = planner.Params(deadline=START + 3000, strategy=name,
                            limits=limits, samples=6, seed=seed)
    first = planner.plan(_candidates(guests), beliefs, START, params)
    again = planner.plan(_candidates(guests), beliefs, START, params)
    assert first == again
    assert first.p50 <= first.p90
    assert len(first.entries) == len(guests)
    for entry in first.entries:
        assert entry.start_p50 <= entry.end_p50 <= entry.end_p90


def test_plan_names_the_static_instance_as_needing_a_break():
    guests = [guest('s', [], static=True), guest('free', [])]
    beliefs = _nightly_beliefs()
    params = planner.Params(deadline=START + 3600, samples=8)
    plan = planner.plan(_candidates(guests), beliefs, START, params)
    assert plan.needs_break == ('s',)
    assert [e.uuid for e in plan.entries] == ['free', 's']
    assert plan.p50 >= 3600


def test_replan_keeps_the_parameters_and_counts_running_moves():
    guests = [guest('a', []), guest('b', [])]
    beliefs = _nightly_beliefs()
    params = planner.Params(deadline=START + 3600, samples=4,
                            limits=simulate.Limits(parallel=1))
    first = planner.plan(_candidates(guests), beliefs, START, params)
    running = {'a': (simulate.Target('a'), START + 500)}
    again = planner.replan(first, _candidates(guests), beliefs, START,
                           running=running)
    assert again.params == params
    assert [e.uuid for e in again.entries] == ['b']
    assert again.entries[0].start_p50 >= 500


def test_unknown_strategy_is_a_clear_error():
    with pytest.raises(ValueError, match='unknown strategy'):
        strategies.make('kubectl')


def test_sampled_worlds_differ_by_seed_only():
    beliefs = _nightly_beliefs()
    cands = _candidates([guest('night', [])])
    params = planner.Params(deadline=START + 3600)
    worlds = [planner.sample_world(cands, beliefs, START, params,
                                   random.Random(s)) for s in (1, 1, 2)]
    starts = [w.next_change('night', START) for w in worlds]
    assert starts[0] == starts[1] != starts[2]
