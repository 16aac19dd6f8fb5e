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
"""A world of instances whose guests lock on a timeline, with the rules.

The planner samples such worlds from the history model to predict a plan;
the benchmark builds them from known distributions to judge strategies.
Each instance's guest wants to lock over a sequence of *jobs* (start, end);
the world applies what the store would: ``max_hold`` cuts a period and
``min_unlocked_gap`` then keeps it unlocked, a move request caps leases at
its ``not_before``, a guest that approves ends its holds, and an admitted
move ends the instance's life on the host. A strategy sees only
:meth:`state` at the present and the answers to its attempts.
"""

import dataclasses
import math

from nova_miglock import lock
from nova_miglock.planning import timebins

INF = float('inf')


@dataclasses.dataclass
class Guest:
    """The truth about one instance: when its guest wants to be locked."""

    uuid: str
    jobs: object                 # iterator of (start, end), in time order
    project_id: str = 'project'
    lease: float = 300.0         # renewed every lease / 2
    approve_after: float = None  # seconds after a move request; None: never
    static: bool = False
    move_seconds: float = 60.0


@dataclasses.dataclass(frozen=True)
class Rules:
    max_hold: float = INF
    min_unlocked_gap: float = 0.0


@dataclasses.dataclass
class _Period:
    start: float
    end: float
    origin: float
    hard_end: float   # where the store cuts its leases (max_hold, request)


class _Instance:
    """One guest's effective locked periods, made as time goes on."""

    def __init__(self, guest, rules):
        self.guest = guest
        self.rules = rules
        self.jobs = iter(guest.jobs)
        self.cur = None
        self.prev = None
        self.blocked_until = -INF
        self.stop = INF           # no period starts from here on
        self.cap = None           # (request opened at, not_before)

    def _next_job(self):
        for start, end in self.jobs:
            if end > start and start >= self.blocked_until and (
                    self.prev is None or start >= self.prev.end):
                return start, end
        return None

    def _make(self):
        job = self._next_job()
        if job is None or job[0] >= self.stop:
            self.stop = min(self.stop, job[0] if job else INF)
            return None
        start, end = job
        origin = start
        if self.prev is not None and \
                start - self.prev.end < self.rules.min_unlocked_gap:
            origin = self.prev.origin
        hard = origin + self.rules.max_hold
        if self.cap is not None and start >= self.cap[0]:
            hard = min(hard, self.cap[1])
        if end > hard:
            end = max(start, hard)
            self.blocked_until = end + self.rules.min_unlocked_gap
        return self._cut(_Period(start, end, origin, hard))

    def _cut(self, period):
        if period.start < self.stop < period.end:
            period.end = self.stop
        return period

    def period(self, t):
        """The period active at ``t`` or the next one, or None."""
        while self.cur is None or self.cur.end <= t:
            if self.cur is not None:
                self.prev = self.cur
            self.cur = self._make()
            if self.cur is None:
                return None
            if self.cur.end <= self.cur.start:
                self.cur = None
        if self.cur.start >= self.stop:
            self.cur = None
        return self.cur

    def active(self, t):
        period = self.period(t)
        return period if period is not None and period.start <= t else None

    def lease_expiry(self, period, t):
        """What the hold shows: last renewal plus the lease, capped."""
        half = self.guest.lease / 2
        renewals = math.floor((t - period.start) / half)
        return min(period.hard_end, period.start + (renewals + 2) * half)

    def end_from(self, t):
        """Nothing is locked from ``t`` on (a move, an approval)."""
        self.stop = min(self.stop, t)
        if self.cur is not None and self.cur.start < t < self.cur.end:
            self.cur.end = t

    def open_request(self, t, not_before):
        period = self.period(t)
        if period is not None:
            cap = not_before
            if period.start <= t:
                cap = max(self.lease_expiry(period, t), not_before)
            period.hard_end = min(period.hard_end, cap)
            period.end = min(period.end, cap)
        self.cap = (t, not_before)
        self.stop = min(self.stop, not_before)
        if self.guest.approve_after is not None:
            self.end_from(t + self.guest.approve_after)


class TimelineWorld:
    """Instances on the hosts to empty, judged by the seam in admission."""

    def __init__(self, guests, rules=Rules()):
        self.rules = rules
        self._inst = {g.uuid: _Instance(g, rules) for g in guests}
        self._requests = {}
        self._moving = {}

    def guest(self, uuid):
        return self._inst[uuid].guest

    def instance(self, uuid):
        """The rules applied to one guest (for writing its history)."""
        return self._inst[uuid]

    def state(self, uuid, t):
        """The LockState the store would return for ``uuid`` at ``t``."""
        inst = self._inst[uuid]
        now = timebins.to_datetime(t)
        holds, since = (), None
        period = None if uuid in self._moving else inst.active(t)
        if period is not None:
            since = timebins.to_datetime(period.origin)
            holds = (_hold(inst.guest, period, inst.lease_expiry(period, t),
                           t),)
        statics = ((lock.StaticLock('tag', 'miglock:static'),)
                   if inst.guest.static else ())
        ticket = None
        if uuid in self._moving:
            admitted, ends = self._moving[uuid]
            ticket = lock.Ticket('sim', uuid, 'live-migration', 'sim',
                                 timebins.to_datetime(admitted),
                                 timebins.to_datetime(ends))
        request = self._requests.get(uuid)
        return lock.LockState(
            instance_uuid=uuid, now=now, project_id=inst.guest.project_id,
            holds=holds, static_locks=statics, ticket=ticket,
            locked_since=since,
            migration_requested_at=timebins.to_datetime(request))

    def next_change(self, uuid, t):
        """When ``uuid``'s lock state next changes after ``t`` (or INF)."""
        if uuid in self._moving:
            return INF
        period = self._inst[uuid].period(t)
        if period is None:
            return INF
        return period.end if period.start <= t else period.start

    def open_request(self, uuid, t, not_before):
        inst = self._inst[uuid]
        self._requests[uuid] = t
        inst.open_request(t, not_before)

    def admit(self, uuid, t, *, force=False):
        """Start the move; ``force`` breaks the holds in the same step."""
        inst = self._inst[uuid]
        inst.end_from(t)
        ends = t + inst.guest.move_seconds
        self._moving[uuid] = (t, ends)
        return ends


def _hold(guest, period, expires, t):
    half = guest.lease / 2
    renewed = period.start + math.floor((t - period.start) / half) * half
    return lock.Hold(
        instance_uuid=guest.uuid, holder='job', project_id=guest.project_id,
        source=lock.SOURCE_GUEST, reason='', generation=1,
        acquired_at=timebins.to_datetime(period.start),
        renewed_at=timebins.to_datetime(renewed),
        expires_at=timebins.to_datetime(expires))
