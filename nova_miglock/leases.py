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
"""Lease arithmetic shared by every store driver (pure, no I/O).

An instance's *locked period* runs from the first hold to the moment no hold
is left. ``max_hold`` caps a period; releasing and re-acquiring within
``min_unlocked_gap`` continues the same period, so it cannot be reset.
"""

import datetime
import math

from nova_miglock import lock


def seconds(value):
    """A timedelta of ``value`` seconds."""
    return datetime.timedelta(seconds=value)


def period_start(*, now, locked, locked_until, locked_since, gap):
    """Start of the locked period a hold granted ``now`` belongs to."""
    if locked and locked_since is not None:
        return locked_since
    if (locked_until is not None and locked_since is not None and
            now - locked_until < seconds(gap)):
        return locked_since
    return now


def grant_expiry(*, now, lease_seconds, start, others_until, limits):
    """Expiry of a lease granted ``now``, cut at the end of ``max_hold``.

    :raises LeaseTooLong: the lease is over ``limits.max_lease``.
    :raises HoldLimitReached: the period already used up ``max_hold``.
    """
    if lease_seconds > limits.max_lease:
        raise lock.LeaseTooLong(
            'lease of %d s is over the cap of %d s (max_lease)'
            % (lease_seconds, limits.max_lease), limit=limits.max_lease)
    period_end = start + seconds(limits.max_hold)
    if period_end <= now:
        locked_end = max(others_until or now, now)
        wait = locked_end + seconds(limits.min_unlocked_gap) - now
        raise lock.HoldLimitReached(
            'the instance has been locked for %d s, its limit (max_hold); '
            'it must stay unlocked for %d s before it can be locked again'
            % (limits.max_hold, limits.min_unlocked_gap),
            retry_after=max(1, math.ceil(wait.total_seconds())),
            limit=limits.max_hold)
    return min(now + seconds(lease_seconds), period_end)


def locked_until_after(*, now, old_until, active_expiries):
    """End of the locked period once only ``active_expiries`` remain."""
    if active_expiries:
        return max(active_expiries)
    if old_until is None:
        return now
    return min(old_until, now)


def charge(*, now, old_until, new_until, charge_day, charge_seconds):
    """Lock-seconds owed for moving the period's end from old to new.

    :returns: ``(day, seconds charged on that day, delta)``; a negative
        delta is a refund, applied only on the day the charge was made.
    """
    old_end = max(old_until, now) if old_until is not None else now
    new_end = max(new_until, now)
    delta = (new_end - old_end).total_seconds()
    today = now.date()
    base = charge_seconds if charge_day == today else 0.0
    return today, max(0.0, base + delta), delta


def retry_after(now, when):
    """Whole seconds from ``now`` until ``when``, at least 1."""
    if when is None:
        return None
    return max(1, math.ceil((when - now).total_seconds()))
