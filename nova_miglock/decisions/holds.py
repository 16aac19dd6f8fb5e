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
"""What an acquire grants, and what ending holds leaves.

``decide_acquire`` holds every rule of a grant or renewal: who owns a
holder name, ``max_holders``, renew-only, the lock period and
``max_hold``, and the lock-seconds it charges. The store runs it inside
its transaction on what it just read under the instance's row lock, then
writes what it returns; only the project-wide quota count, which needs
the database, stays in the store (``HoldGrant.needs_quota_check`` says when).
"""

import dataclasses
import datetime

from nova_miglock.decisions import locks
from nova_miglock import leases
from nova_miglock import lock


@dataclasses.dataclass(frozen=True)
class InstanceHolds:
    """The instance as read under its row lock.

    ``holds`` maps holder names to holds, expired ones included (an expired
    hold of the same holder is replaced, and recorded as expired).
    """

    instance_uuid: str
    holds: dict
    migrating: bool = False
    locked_until: datetime.datetime = None
    locked_since: datetime.datetime = None
    charge_day: datetime.date = None
    charge_seconds: float = 0.0


@dataclasses.dataclass(frozen=True)
class AcquireRequest:
    holder: str
    source: str
    lease_seconds: int
    renew_only: bool = False
    # An open move request's not_before: no lease is granted past it.
    not_after: object = None


@dataclasses.dataclass(frozen=True)
class HoldGrant:
    """What to write for a granted acquire (or renewal)."""

    renewal: bool
    acquired_at: datetime.datetime
    expires_at: datetime.datetime
    # The instance's locked period after the grant.
    locked_since: datetime.datetime
    locked_until: datetime.datetime
    charge_day: datetime.date
    charge_seconds: float
    charge_delta: float
    was_locked: bool
    # Other holders' active holds, and this holder's expired one (if any).
    others: tuple
    expired: object = None  # a lock.Hold

    @property
    def needs_quota_check(self):
        """A grant that newly locks the instance or lengthens the charge."""
        return self.charge_delta > 0 or not self.was_locked


def decide_acquire(state, request, limits, now, *,
                   migrating_retry_after=None):
    """Grant or renew ``request.holder``'s hold at ``now``, or refuse.

    :returns: a ``HoldGrant``.
    :raises MigrationInProgress, NotHeld, NotPermitted (another source owns
        the holder name), TooManyHolders, LeaseTooLong, HoldLimitReached.
    """
    if state.migrating:
        raise lock.MigrationInProgress(
            'a migration of instance %s is in progress'
            % state.instance_uuid, retry_after=migrating_retry_after)
    mine = state.holds.get(request.holder)
    mine_active = mine is not None and mine.expires_at > now
    if request.renew_only and not (mine_active and
                                   mine.source == request.source):
        raise lock.NotHeld(
            'instance %s has no active hold %r to renew; it expired or was '
            'broken' % (state.instance_uuid, request.holder))
    if mine_active and mine.source != request.source:
        raise lock.NotPermitted(
            'holder %r of instance %s belongs to the %s, not the %s'
            % (request.holder, state.instance_uuid, mine.source,
               request.source),
            rule='holder_owner')
    others = tuple(sorted(
        (h for h in locks.active_holds(state.holds.values(), now)
         if h.holder != request.holder),
        key=lambda h: (h.expires_at, h.holder)))
    if not mine_active and len(others) >= limits.max_holders:
        raise lock.TooManyHolders(
            'instance %s already has %d holders, the limit (max_holders)'
            % (state.instance_uuid, len(others)),
            retry_after=leases.retry_after(now, others[0].expires_at))
    others_until = max((h.expires_at for h in others), default=None)
    was_locked = mine_active or bool(others)
    start = leases.period_start(
        now=now, locked=was_locked, locked_until=state.locked_until,
        locked_since=state.locked_since, gap=limits.min_unlocked_gap)
    expires = leases.grant_expiry(
        now=now, lease_seconds=request.lease_seconds, start=start,
        others_until=others_until, limits=limits)
    if request.not_after is not None:
        expires = min(expires, request.not_after)
    new_until = max(expires, others_until or expires)
    day, charged, delta = leases.charge(
        now=now, old_until=state.locked_until if was_locked else None,
        new_until=new_until, charge_day=state.charge_day,
        charge_seconds=state.charge_seconds)
    return HoldGrant(
        renewal=mine_active,
        acquired_at=mine.acquired_at if mine_active else now,
        expires_at=expires, locked_since=start, locked_until=new_until,
        charge_day=day, charge_seconds=charged, charge_delta=delta,
        was_locked=was_locked, others=others,
        expired=mine if mine is not None and not mine_active else None)


def may_renew_in_place(request, limits, *, quota_limited):
    """Whether a renewal may first be tried in place (one UPDATE).

    Only a renewal (``renew_only``) of an allowed lease, in a cloud whose
    default quotas limit nothing: those are known before reading the
    store. The rest of the condition, ``renews_in_place``, is checked by
    the database in the UPDATE itself; when it does not hold, nothing is
    written and ``decide_acquire`` decides on the instance as read.
    """
    return (request.renew_only and not quota_limited and
            request.lease_seconds <= limits.max_lease)


def renews_in_place(state, request, limits, now, *, last_grant_is_mine):
    """Whether ``decide_acquire`` would just extend the holder's hold.

    True when ``request.holder``'s hold is active and of the same source,
    no move is admitted or requested, its grant is the instance's last
    change (``last_grant_is_mine``: the generations are equal, so the
    instance's locked period ends at the latest of the holds as they were
    then), the new expiry is not before that end, and ``max_hold`` does not
    cut it. Then the grant is ``renew_in_place``'s. The SQL store checks
    exactly this in one UPDATE (``store/sql/renewals.py``), together with
    "the project has no quota row with a limit", which stands for
    ``HoldGrant.needs_quota_check`` having nothing to check.
    """
    mine = state.holds.get(request.holder)
    expires = now + leases.seconds(request.lease_seconds)
    return (mine is not None and mine.source == request.source and
            mine.expires_at > now and not state.migrating and
            request.not_after is None and last_grant_is_mine and
            state.locked_until is not None and
            state.locked_until <= expires and
            state.locked_since is not None and
            state.locked_since + leases.seconds(limits.max_hold) > expires)


def renew_in_place(state, request, now):
    """What an in-place renewal writes: ``(expires_at, charge_seconds)``.

    The hold and the locked period both end ``lease_seconds`` from now;
    the period is charged the time it grew, on today's account.
    """
    expires = now + leases.seconds(request.lease_seconds)
    base = state.charge_seconds if state.charge_day == now.date() else 0.0
    return expires, base + (expires - state.locked_until).total_seconds()


@dataclasses.dataclass(frozen=True)
class Ending:
    """What ending some holds at ``now`` leaves."""

    # Every hold to delete, in the order read; of them, those that were
    # active (ended with the caller's event) and those that had expired
    # (recorded as expired); and the active holds that remain.
    targets: tuple
    ended: tuple
    expired: tuple
    remaining: tuple
    locked_until: datetime.datetime


def decide_end(state, holders, now, *, owner=None):
    """End the named holds (all if ``holders`` is None) at ``now``.

    With ``owner``, an active hold of another source is not ended:
    NotPermitted is raised. An expired hold of another source is left to
    the reaper.
    """
    named = [h for h in state.holds.values()
             if holders is None or h.holder in holders]
    foreign = [h for h in named if owner is not None and h.source != owner]
    blocking = [h for h in foreign if h.expires_at > now]
    if blocking:
        raise lock.NotPermitted(
            'holder %r of instance %s belongs to the %s, not the %s'
            % (blocking[0].holder, state.instance_uuid, blocking[0].source,
               owner),
            rule='holder_owner')
    targets = [h for h in named if h not in foreign]
    remaining = tuple(h for h in locks.active_holds(state.holds.values(), now)
                      if h not in targets)
    return Ending(
        targets=tuple(targets),
        ended=tuple(h for h in targets if h.expires_at > now),
        expired=tuple(h for h in targets if h.expires_at <= now),
        remaining=remaining,
        locked_until=leases.locked_until_after(
            now=now, old_until=state.locked_until,
            active_expiries=[h.expires_at for h in remaining]))
