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
"""How a drain chooses what to try next: the four strategies.

* ``naive``: try every instance in order; a refused one is tried again 5 s
  later, as ``kubectl drain`` retries a refused eviction. The baseline.
* ``wait-retry``: the same, but a refused instance is tried again exactly
  when the refusal says its lock can end (its lease expiry, cut by
  ``max_hold`` or a move request); a static lock is not retried.
* ``fail-retry``: plan only the instances that can move now; when a planned
  one turns out locked, or anything changes, plan again.
* ``probabilistic``: like fail-retry, but among the movable instances move
  first those the history model expects to lock soon and for long, since
  waiting on them costs most; the others keep. A lock costs only until
  something ends it anyway (a move request's ``not_before``, the
  deadline's break), and a guest that approved cannot lock again: neither
  is worth a slot ahead of one that can still lock for long.
"""

from nova_miglock.planning import admission

INF = float('inf')
NAIVE_INTERVAL = 5.0


class Strategy:
    name = None
    observes = False

    def begin(self, view):
        pass

    def choose(self, view):
        """Pending instances to try now, most wanted first."""
        return []

    def answered(self, uuid, answer, now):
        pass

    def wake_at(self, view):
        return None

    def approved(self, uuids):
        """Guests of ``uuids`` said "go now" (they cannot lock again)."""


class Naive(Strategy):
    name = 'naive'

    def begin(self, view):
        self.retry = dict.fromkeys(view.pending, view.start)

    def choose(self, view):
        return [u for u in view.pending if self.retry[u] <= view.now]

    def answered(self, uuid, answer, now):
        if not answer.admitted:
            self.retry[uuid] = now + NAIVE_INTERVAL

    def wake_at(self, view):
        return min((self.retry[u] for u in view.pending
                    if self.retry[u] > view.now), default=None)


class WaitRetry(Naive):
    name = 'wait-retry'

    def answered(self, uuid, answer, now):
        if not answer.admitted:
            retry = answer.retry_at if answer.retry_at is not None else INF
            self.retry[uuid] = max(retry, now + 1.0)

    def wake_at(self, view):
        wake = super().wake_at(view)
        return None if wake == INF else wake


class FailRetry(Strategy):
    name = 'fail-retry'
    observes = True

    def movable(self, view):
        return [u for u in view.pending
                if admission.judge(view.state(u)).admitted]

    def choose(self, view):
        return self.movable(view)


class Probabilistic(FailRetry):
    """Movable instances ranked by the lock time that waiting risks."""

    name = 'probabilistic'

    def __init__(self, belief_of, move_seconds, not_before=None,
                 approved=()):
        self.belief_of = belief_of
        self.move_seconds = move_seconds
        self.not_before = not_before
        self.said_go = set(approved)
        self._within = {}

    def cost_until(self, now, deadline):
        """When a lock taken at ``now`` ends whatever its guest wants."""
        if self.not_before is not None:
            # Leases granted after the request end by its not_before, and
            # none is granted after it.
            return min(deadline, max(now, self.not_before))
        return deadline

    def risk(self, uuid, now, horizon, until):
        """Expected lock time waiting ``horizon`` more on ``uuid`` risks."""
        if uuid in self.said_go or until <= now:
            return 0.0
        belief = self.belief_of(uuid)
        # Cached by the minute: the area is a walk over the whole curve.
        key = (uuid, int((until - now) // 60))
        if key not in self._within:
            self._within[key] = belief.blend.mean_within(until - now)
        return belief.prob_lock_within(now, horizon) * self._within[key]

    def approved(self, uuids):
        self.said_go.update(uuids)

    def choose(self, view):
        movable = self.movable(view)
        if len(movable) < 2:
            return movable
        slots = view.slots
        horizon = len(view.pending) * self.move_seconds / slots
        until = self.cost_until(view.now, view.deadline)
        ranked = sorted(enumerate(movable), key=lambda item: (
            -self.risk(item[1], view.now, horizon, until), item[0]))
        return [u for _i, u in ranked]


NAMES = ('naive', 'wait-retry', 'fail-retry', 'probabilistic')
DEFAULT = 'probabilistic'


def make(name, *, belief_of=None, move_seconds=60.0, not_before=None,
         approved=()):
    """A fresh strategy by name (each run needs its own).

    ``not_before``: the move requests' deadline, if guests were told;
    ``approved``: instances whose guests said "go now".
    """
    if name == 'probabilistic':
        return Probabilistic(belief_of, move_seconds, not_before, approved)
    classes = {c.name: c for c in (Naive, WaitRetry, FailRetry)}
    if name not in classes:
        raise ValueError('unknown strategy %r; choose one of %s'
                         % (name, ', '.join(NAMES)))
    return classes[name]()
