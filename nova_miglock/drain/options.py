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
"""The drain's values: what it is asked, what it knows, what it shows.

``Options`` is what the operator asked for, checked; ``Item`` what the
drain knows of one instance; ``View`` what its strategy may see, the same
questions the planning loop's view answers, here from the store.
"""

import dataclasses

from nova_miglock.drain import preference
from nova_miglock.drain import report as report_mod
from nova_miglock import lock
from nova_miglock.planning import simulate
from nova_miglock.planning import strategies

ON_DEADLINE = ('break', 'skip', 'fail')


def default_notice(most, to_deadline):
    """The notice a drain gives when the operator did not say, in seconds.

    ``most`` is ``[miglock] drain_notice`` (0: none), ``to_deadline`` the
    seconds from the drain's start to its deadline. Half of that at most:
    leases granted after the request may run to ``not_before``, and the
    drain needs the other half to move what they held. None when no notice
    is given.
    """
    if not most or to_deadline <= 0:
        return None
    return max(1, min(int(most), int(to_deadline // 2)))


def resolve_notice(asked, most, to_deadline):
    """The notice a drain gives, in seconds, or None for none.

    ``asked`` is what the operator said: None when nothing (the default,
    :func:`default_notice` of ``most`` and ``to_deadline``), 0 for no
    notice, else the seconds. One rule for ``nova-miglock-manage drain``
    and the REST drain plan, so a plan over REST is the command's dry run.
    """
    if asked is not None:
        return asked or None
    return default_notice(most, to_deadline)


@dataclasses.dataclass(frozen=True)
class Options:
    deadline: float                  # seconds since the epoch
    strategy: str = strategies.DEFAULT
    parallel: int = 2
    # Nova's [DEFAULT]/max_concurrent_live_migrations: a host sends that
    # many at once (1 by default); asking for more only queues them there.
    per_host: int = 1
    on_deadline: str = 'break'
    dry_run: bool = False
    reason: str = 'host maintenance'
    actor: str = 'operator'
    poll: float = 2.0                # how often moves in flight are read
    move_timeout: float = 1800.0     # a move not ended by then has failed
    history_days: float = 28.0
    samples: int = 100
    errors: int = 3                  # Nova errors before giving up on one
    # Seconds: the move requests' notice to the guests; None or 0 opens
    # none (the command resolves its default, see default_notice).
    notice: int = None

    def check(self):
        if self.strategy not in strategies.NAMES:
            raise lock.InvalidRequest('unknown strategy %r; choose one of %s'
                                      % (self.strategy,
                                         ', '.join(strategies.NAMES)))
        if self.on_deadline not in ON_DEADLINE:
            raise lock.InvalidRequest('--on-deadline is one of %s'
                                      % ', '.join(ON_DEADLINE))
        if self.parallel < 1 or self.per_host < 1 or self.poll <= 0 or \
                self.move_timeout <= 0:
            raise lock.InvalidRequest('parallel, poll and move timeout must '
                                      'be positive')
        if self.notice is not None and (
                isinstance(self.notice, bool) or
                not isinstance(self.notice, int) or self.notice < 0):
            raise lock.InvalidRequest('the notice is a whole number of '
                                      'seconds, 0 for none; got %r'
                                      % (self.notice,))
        if not lock.validate_reason(self.reason).strip():
            raise lock.InvalidRequest('a drain must say why (--reason)')
        return self


@dataclasses.dataclass
class Item:
    """One instance of the drain and what happened to it."""

    uuid: str
    name: str
    project_id: str
    source: str
    outcome: str = report_mod.PENDING
    attempts: int = 0
    refused: int = 0
    errors: int = 0
    admitted_at: float = None
    ended_at: float = None
    destination: str = None
    broken: int = 0
    message: str = ''
    predicted_end: float = None
    requested: bool = False          # a move request of ours is open
    told: bool = False               # the drain opened one for it
    action: str = preference.LIVE
    approved: bool = False           # its guest approved the move early


class View:
    """What the strategy may know now: the planning loop's view, real."""

    def __init__(self, drain):
        self._drain = drain
        self._states = None

    now = property(lambda self: self._drain.now)
    start = property(lambda self: self._drain.start)
    deadline = property(lambda self: self._drain.options.deadline)
    limits = property(lambda self: self._drain.limits)
    running = property(lambda self: dict(self._drain.running))

    @property
    def pending(self):
        return self._drain.pending()

    def state(self, uuid):
        if self._states is None:
            pending = self.pending
            self._states = dict(zip(pending, self._drain.store.get_states(
                pending)))
        return self._states.get(uuid) or self._drain.store.get_state(uuid)

    def can_start(self, uuid):
        return self._drain.fits(uuid)

    @property
    def free(self):
        return self._drain.limits.parallel - len(self._drain.running)

    @property
    def slots(self):
        return simulate.effective_slots(self._drain.limits, {
            self._drain.items[u].source for u in self.pending})
