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
"""Would a move be admitted now, and if not, when could it be?

``decide_move`` is the whole rule: the store admits or refuses inside its
transaction by it, the scheduler filter and the gate's answer to Nova use
it, and the planner asks it of simulated states.
"""

import dataclasses
import datetime

from nova_miglock.decisions import locks
from nova_miglock import leases

# Refusal codes: the ``reason`` of the errors the store raises for them
# (not read from them here: lock.py itself asks ``locks``).
LOCKED = 'instance_locked'
MIGRATING = 'migration_in_progress'


@dataclasses.dataclass(frozen=True)
class Admit:
    """The move may start. ``breaks``: holds an evacuation ends."""

    breaks: tuple = ()
    admitted = True


@dataclasses.dataclass(frozen=True)
class Refuse:
    """The move may not start.

    ``retry_at`` is when waiting alone changes the answer (the last hold's
    expiry, or an admitted move's deadline); None when it cannot, e.g. a
    static lock, which lasts until someone removes it. ``retry_after`` is
    the same in whole seconds from the time of the decision.
    """

    code: str
    reasons: tuple
    retry_at: datetime.datetime = None
    retry_after: int = None
    admitted = False

    def describe(self, instance_uuid):
        if self.code == MIGRATING:
            return 'a move of instance %s is in progress' % instance_uuid
        return 'instance %s is locked: %s' % (instance_uuid,
                                              '; '.join(self.reasons))


def decide_move(state, kind, now):
    """Admit or refuse a move of ``kind`` of the instance in ``state``.

    ``state`` is a ``lock.LockState`` (its holds may include expired ones:
    they are judged at ``now``, never at the time the state was read).
    Nothing is admitted while another move is. ``kind`` does not change
    the rule (an evacuation judged like this one is refused by locks too,
    as with ``[miglock]/evacuate_action = refuse``); see
    ``decide_evacuation`` for the one that breaks them.
    """
    if state.ticket is not None:
        return _in_progress(state, now)
    holds = locks.active_holds(state.holds, now)
    static = locks.static_locking(state.static_locks,
                                  state.static_exempt_until, now)
    if not static and not holds:
        return Admit()
    retry_at = None if static else max(h.expires_at for h in holds)
    return Refuse(LOCKED, tuple(locks.reasons(static, holds)),
                  retry_at=retry_at,
                  retry_after=leases.retry_after(now, retry_at))


def decide_evacuation(state, now):
    """Admit an evacuation whatever the locks, ending the active holds.

    A host that is down cannot keep an instance; only another admitted
    move refuses it.
    """
    if state.ticket is not None:
        return _in_progress(state, now)
    return Admit(breaks=locks.active_holds(state.holds, now))


def _in_progress(state, now):
    deadline = state.ticket.deadline
    return Refuse(MIGRATING, ('migration in progress',), retry_at=deadline,
                  retry_after=leases.retry_after(now, deadline))
