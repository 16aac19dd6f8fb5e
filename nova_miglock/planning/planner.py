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
"""The planner: instances and their locks in, an ordered plan out (pure).

A plan is predicted by running the chosen strategy, through the same event
loop as the drain, in many worlds drawn from the history model: each locked
instance's lock ends after a draw from its remaining-time distribution
(given how long it has been locked, cut by ``max_hold`` and by a move
request's ``not_before``), and each instance then locks again at times
drawn from its hour-of-week rates. The median and 90th percentile over
those worlds are the predictions; an instance broken in most of them is
one that would need a break at the deadline. Same inputs and seed, same
plan. ``replan`` is ``plan`` again from the world as it is now.
"""

import dataclasses
import random

from nova_miglock.planning import simulate
from nova_miglock.planning import strategies
from nova_miglock.planning import timebins
from nova_miglock.planning import world as world_mod

DEFAULT_LEASE = 300.0


@dataclasses.dataclass(frozen=True)
class Candidate:
    """An instance to move: where it is and its lock state now."""

    state: object                # lock.LockState
    host: str = 'host'
    group: object = None         # a group key, or a tuple of them
    known_since: float = None    # when it was created, if known
    approved: bool = False       # its guest said "go now"

    @property
    def uuid(self):
        return self.state.instance_uuid


@dataclasses.dataclass(frozen=True)
class Params:
    deadline: float
    strategy: str = strategies.DEFAULT
    limits: simulate.Limits = simulate.Limits()
    rules: world_mod.Rules = world_mod.Rules()
    not_before: float = None     # move requests capping leases, if any
    on_deadline: str = 'break'
    api_delay: float = 1.0
    samples: int = 100
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class Entry:
    uuid: str
    order: int
    locked_now: bool
    start_p50: float
    end_p50: float
    end_p90: float
    p_break: float


@dataclasses.dataclass(frozen=True)
class Plan:
    params: Params
    now: float
    entries: tuple
    p50: float          # seconds from ``now`` until the last move ends
    p90: float
    needs_break: tuple  # instances broken at the deadline in most worlds

    def to_dict(self):
        return {'strategy': self.params.strategy, 'now': self.now,
                'deadline': self.params.deadline,
                'p50_seconds': round(self.p50, 1),
                'p90_seconds': round(self.p90, 1),
                'needs_break': list(self.needs_break),
                'entries': [dataclasses.asdict(e) for e in self.entries]}


def quantile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _jobs(belief, state, now, limit, rng):
    """Lock periods drawn for one instance: the present one, then new."""
    t = now
    if state.holds:
        since = timebins.to_seconds(state.locked_since) if \
            state.locked_since else now
        t = now + belief.sample_remaining(max(0.0, now - since), rng)
        yield since, t
    while True:
        start = belief.sample_next_lock(t, rng, limit)
        if start is None:
            return
        t = start + belief.sample_remaining(0.0, rng)
        yield start, t


def _lease(state):
    if not state.holds:
        return DEFAULT_LEASE
    hold = max(state.holds, key=lambda h: h.expires_at)
    seconds = (hold.expires_at - hold.renewed_at).total_seconds()
    return seconds if seconds > 0 else DEFAULT_LEASE


def sample_world(candidates, beliefs, now, params, rng):
    """One world the model finds plausible, from what is known at ``now``."""
    guests = []
    limit = params.deadline + timebins.DAY
    for cand in candidates:
        belief = beliefs.instance(cand.uuid, cand.state.project_id,
                                  cand.known_since)
        own = random.Random(rng.random())
        jobs = () if cand.approved else _jobs(belief, cand.state, now,
                                              limit, own)
        guests.append(world_mod.Guest(
            uuid=cand.uuid, jobs=jobs, project_id=cand.state.project_id,
            lease=_lease(cand.state),
            static=bool(cand.state.static_locking),
            move_seconds=beliefs.move_curve.first_below(
                1.0 - own.random(), 0.0)))
    return world_mod.TimelineWorld(guests, params.rules)


def make_strategy(params, beliefs, candidates):
    by_uuid = {c.uuid: c for c in candidates}

    def belief_of(uuid):
        cand = by_uuid[uuid]
        return beliefs.instance(uuid, cand.state.project_id,
                                cand.known_since)
    return strategies.make(
        params.strategy, belief_of=belief_of,
        move_seconds=beliefs.move_seconds(), not_before=params.not_before,
        approved=[c.uuid for c in candidates if c.approved])


def plan(candidates, beliefs, now, params, running=None):
    """The plan for ``candidates`` from ``now`` (seconds since the epoch).

    ``running`` is ``{uuid: (simulate.Target, ends_at)}`` of moves already
    admitted; they hold their slots until they end.
    """
    candidates = [c for c in candidates if c.uuid not in (running or {})]
    rng = random.Random(params.seed)
    runs = []
    for _ in range(max(1, params.samples)):
        world = sample_world(candidates, beliefs, now, params,
                             random.Random(rng.random()))
        runs.append(rehearse(world, candidates, beliefs, now, params,
                             running))
    return _summarise(candidates, runs, now, params)


def rehearse(world, candidates, beliefs, now, params, running=None):
    """Drain ``candidates`` once in ``world`` with ``params.strategy``.

    ``plan`` calls it on worlds sampled from the model; a simulation of a
    whole cloud (``bench/placement.py``) calls it on the world it made, to
    drain one host. Returns the :class:`simulate.Outcome`.
    """
    targets = [simulate.Target(c.uuid, c.host, c.group) for c in candidates]
    return simulate.run(
        world, make_strategy(params, beliefs, candidates), targets,
        start=now, deadline=params.deadline, limits=params.limits,
        not_before=params.not_before, api_delay=params.api_delay,
        on_deadline=params.on_deadline, running=running)


def replan(previous, candidates, beliefs, now, running=None):
    """A new plan from the world as it is at ``now``, same parameters."""
    return plan(candidates, beliefs, now, previous.params, running)


def _summarise(candidates, runs, now, params):
    rows = []
    for cand in candidates:
        recs = [r.records[cand.uuid] for r in runs]
        starts = [(r.admitted_at if r.admitted_at is not None
                   else params.deadline) - now for r in recs]
        ends = [(r.ended_at if r.ended_at is not None
                 else params.deadline) - now for r in recs]
        # Left at the deadline (skip) needs a break as much as broken.
        rows.append((quantile(starts, 0.5), cand, ends,
                     sum(r.broken or r.skipped for r in recs) / len(recs)))
    rows.sort(key=lambda row: row[0])
    entries = tuple(
        Entry(uuid=cand.uuid, order=i, locked_now=cand.state.locked,
              start_p50=start, end_p50=quantile(ends, 0.5),
              end_p90=quantile(ends, 0.9), p_break=round(p_break, 3))
        for i, (start, cand, ends, p_break) in enumerate(rows))
    spans = [r.makespan for r in runs]
    return Plan(params=params, now=now, entries=entries,
                p50=quantile(spans, 0.5), p90=quantile(spans, 0.9),
                needs_break=tuple(e.uuid for e in entries
                                  if e.p_break >= 0.5))
