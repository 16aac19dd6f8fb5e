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
"""The drain's event loop, run against a world and a strategy.

The loop is the executor's skeleton without its I/O: it keeps the limits
(parallel moves overall and per source host, a group's ``max_moving``),
asks the strategy which pending instances to try, sends each attempt to the
world after ``api_delay`` (the time a real request takes to reach the gate,
during which a guest may lock), and at the deadline breaks what is left
(``break``), or leaves it (``skip``). Strategies that *observe* may read the
lock state at any time and are woken when it changes, as a store read and
the ``miglock.*`` notifications allow; none sees the future.
"""

import dataclasses
import heapq

from nova_miglock.planning import admission

INF = float('inf')


@dataclasses.dataclass(frozen=True)
class Target:
    uuid: str
    host: str = 'host'
    # A group key, or a tuple of them (an instance may be in a server
    # group and in tag groups); ``Limits.budgets`` caps each.
    group: object = None

    @property
    def groups(self):
        if self.group is None:
            return ()
        return self.group if isinstance(self.group, tuple) else (self.group,)


@dataclasses.dataclass(frozen=True)
class Limits:
    parallel: int = 2
    per_host: int = None
    budgets: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Record:
    """What happened to one instance in one run."""

    uuid: str
    attempts: int = 0
    refused: int = 0
    admitted_at: float = None
    ended_at: float = None
    broken: bool = False
    skipped: bool = False
    locked_when_admitted: bool = False


@dataclasses.dataclass
class Outcome:
    start: float
    deadline: float
    records: dict

    @property
    def makespan(self):
        ends = [r.ended_at for r in self.records.values()
                if r.ended_at is not None]
        return max(ends) - self.start if ends else 0.0

    @property
    def refused(self):
        return sum(r.refused for r in self.records.values())

    @property
    def breaks(self):
        return sum(r.broken for r in self.records.values())

    @property
    def late(self):
        return sum(1 for r in self.records.values()
                   if r.skipped or (r.ended_at or 0) > self.deadline)


class View:
    """What a strategy may know at ``now``."""

    def __init__(self, loop):
        self._loop = loop

    now = property(lambda self: self._loop.now)
    start = property(lambda self: self._loop.start)
    deadline = property(lambda self: self._loop.deadline)
    limits = property(lambda self: self._loop.limits)
    running = property(lambda self: dict(self._loop.running))

    @property
    def pending(self):
        """Instances not yet tried or refused, in the input order."""
        return self._loop.pending_list()

    def state(self, uuid):
        if not self._loop.strategy.observes:
            raise RuntimeError('strategy %s does not observe lock states'
                               % self._loop.strategy.name)
        return self._loop.world.state(uuid, self._loop.now)

    def can_start(self, uuid):
        return self._loop.fits(uuid)

    @property
    def free(self):
        return self._loop.limits.parallel - len(self._loop.active)

    @property
    def slots(self):
        """Moves that can run at once: ``parallel``, cut by ``per_host``."""
        return effective_slots(self._loop.limits, {
            self._loop.targets[u].host for u in self.pending})


def effective_slots(limits, hosts):
    """How many moves can run at once out of ``hosts`` under ``limits``."""
    slots = max(1, limits.parallel)
    if limits.per_host is not None and hosts:
        slots = min(slots, max(1, limits.per_host) * len(hosts))
    return slots


class _Loop:

    def __init__(self, world, strategy, targets, *, start, deadline, limits,
                 api_delay, on_deadline, running):
        self.world, self.strategy, self.limits = world, strategy, limits
        self.start = self.now = start
        self.deadline = deadline
        self.api_delay = api_delay
        self.on_deadline = on_deadline
        self.targets = {t.uuid: t for t in targets}
        self.order = {t.uuid: i for i, t in enumerate(targets)}
        self.records = {t.uuid: Record(t.uuid) for t in targets}
        self.pending = set(self.targets)
        self.active = {}          # uuid -> judging | moving
        self.running = {}
        self.events, self.seq = [], 0
        self.wakes, self.changes = set(), {}
        self._pending_list = None
        for uuid, (target, ends) in (running or {}).items():
            self.targets[uuid] = target
            self.active[uuid] = 'moving'
            self.running[uuid] = ends
            self.push(ends, 'done', uuid)

    def push(self, when, kind, uuid=None):
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, uuid))

    def pending_list(self):
        if self._pending_list is None:
            self._pending_list = sorted(self.pending, key=self.order.get)
        return self._pending_list

    def _take(self, uuid):
        self.pending.discard(uuid)
        self._pending_list = None

    def fits(self, uuid):
        if uuid not in self.pending or \
                len(self.active) >= self.limits.parallel:
            return False
        target = self.targets[uuid]
        busy = [self.targets[u] for u in self.active]
        if self.limits.per_host is not None and sum(
                t.host == target.host for t in busy) >= self.limits.per_host:
            return False
        return all(
            sum(group in t.groups for t in busy) < self.limits.budgets[group]
            for group in target.groups if group in self.limits.budgets)

    def attempt(self, uuid):
        self._take(uuid)
        self.active[uuid] = 'judging'
        self.records[uuid].attempts += 1
        self.push(self.now + self.api_delay, 'judge', uuid)

    def admit(self, uuid, *, force=False):
        state = self.world.state(uuid, self.now)
        record = self.records[uuid]
        record.locked_when_admitted = state.locked
        record.broken = force and state.locked
        record.admitted_at = self.now
        ends = self.world.admit(uuid, self.now, force=force)
        self.active[uuid] = 'moving'
        self.running[uuid] = ends
        self.push(ends, 'done', uuid)

    def judge(self, uuid):
        answer = admission.judge(self.world.state(uuid, self.now))
        if answer.admitted:
            self.admit(uuid)
        else:
            del self.active[uuid]
            self.records[uuid].refused += 1
            self.pending.add(uuid)
            self._pending_list = None
        self.strategy.answered(uuid, answer, self.now)

    def schedule(self):
        if self.now >= self.deadline:
            return self.force()
        for uuid in list(self.strategy.choose(View(self))):
            if self.fits(uuid):
                self.attempt(uuid)
        wake = self.strategy.wake_at(View(self))
        if wake is not None and wake > self.now and wake not in self.wakes:
            self.wakes.add(wake)
            self.push(wake, 'wake')
        if self.strategy.observes:
            for uuid in self.pending_list():
                if uuid not in self.changes:
                    self.changes[uuid] = when = self.world.next_change(
                        uuid, self.now)
                    if when < self.deadline:
                        self.push(when, 'change', uuid)

    def force(self):
        for uuid in list(self.pending_list()):
            if self.on_deadline != 'break':
                self._take(uuid)
                self.records[uuid].skipped = True
            elif self.fits(uuid):
                self._take(uuid)
                self.admit(uuid, force=True)

    def handle(self, kind, uuid):
        if kind == 'done':
            del self.active[uuid]
            self.running.pop(uuid)
            if uuid in self.records:
                self.records[uuid].ended_at = self.now
        elif kind == 'judge':
            self.judge(uuid)
        elif kind == 'change':
            self.changes.pop(uuid, None)
        elif kind == 'wake':
            self.wakes.discard(self.now)

    def run(self):
        self.push(self.deadline, 'deadline')
        self.strategy.begin(View(self))
        while self.pending or self.active:
            self.schedule()
            if not self.events:
                break
            when, _seq, kind, uuid = heapq.heappop(self.events)
            self.now = max(self.now, when)
            self.handle(kind, uuid)
            while self.events and self.events[0][0] <= self.now:
                _w, _s, kind, uuid = heapq.heappop(self.events)
                self.handle(kind, uuid)
        return Outcome(self.start, self.deadline, self.records)


def run(world, strategy, targets, *, start, deadline, limits=Limits(),
        not_before=None, api_delay=1.0, on_deadline='break', running=None):
    """Drain ``targets`` from ``start``; returns an :class:`Outcome`.

    ``not_before`` opens a move request on every target at ``start``;
    ``running`` is ``{uuid: (Target, ends_at)}`` of moves already going.
    """
    if on_deadline not in ('break', 'skip', 'fail'):
        raise ValueError('on_deadline must be break, skip or fail')
    if not_before is not None:
        for target in targets:
            world.open_request(target.uuid, start, not_before)
    loop = _Loop(world, strategy, targets, start=start, deadline=deadline,
                 limits=limits, api_delay=api_delay, on_deadline=on_deadline,
                 running=running)
    return loop.run()
