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
"""Lease arithmetic: max_lease, max_hold, the unlocked gap and charging."""

import datetime

import pytest

from nova_miglock import leases
from nova_miglock import lock

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
LIMITS = lock.HoldLimits(max_lease=600, max_hold=3600, min_unlocked_gap=300,
                         max_holders=4)


def at(seconds):
    return NOW + datetime.timedelta(seconds=seconds)


def test_new_period_starts_now_when_never_locked():
    assert leases.period_start(now=NOW, locked=False, locked_until=None,
                               locked_since=None, gap=300) == NOW


def test_period_continues_while_locked():
    assert leases.period_start(now=NOW, locked=True, locked_until=at(60),
                               locked_since=at(-100), gap=300) == at(-100)


def test_release_and_reacquire_within_gap_continues_the_period():
    start = leases.period_start(now=NOW, locked=False, locked_until=at(-10),
                                locked_since=at(-3000), gap=300)
    assert start == at(-3000)


def test_reacquire_after_the_gap_starts_a_new_period():
    start = leases.period_start(now=NOW, locked=False,
                                locked_until=at(-300), locked_since=at(-3000),
                                gap=300)
    assert start == NOW


def test_lease_over_max_lease_is_refused_not_shortened():
    with pytest.raises(lock.LeaseTooLong) as err:
        leases.grant_expiry(now=NOW, lease_seconds=601, start=NOW,
                            others_until=None, limits=LIMITS)
    assert 'max_lease' in str(err.value)


def test_lease_is_cut_at_the_end_of_max_hold():
    expires = leases.grant_expiry(now=NOW, lease_seconds=600,
                                  start=at(-3400), others_until=None,
                                  limits=LIMITS)
    assert expires == at(200)


def test_exhausted_max_hold_refuses_until_unlocked_for_the_gap():
    with pytest.raises(lock.HoldLimitReached) as err:
        leases.grant_expiry(now=NOW, lease_seconds=60, start=at(-3600),
                            others_until=at(100), limits=LIMITS)
    # Other holders keep it locked for 100 s, then 300 s of gap.
    assert err.value.retry_after == 400


def test_charge_counts_only_the_extension_of_the_locked_period():
    day, charged, delta = leases.charge(
        now=NOW, old_until=at(100), new_until=at(400),
        charge_day=NOW.date(), charge_seconds=50.0)
    assert (day, charged, delta) == (NOW.date(), 350.0, 300.0)


def test_early_release_refunds_the_unused_lease_the_same_day():
    _, charged, delta = leases.charge(
        now=NOW, old_until=at(500), new_until=NOW,
        charge_day=NOW.date(), charge_seconds=600.0)
    assert (charged, delta) == (100.0, -500.0)


def test_charges_of_a_previous_day_are_not_carried_over():
    _, charged, _ = leases.charge(
        now=NOW, old_until=None, new_until=at(60),
        charge_day=NOW.date() - datetime.timedelta(days=1),
        charge_seconds=9999.0)
    assert charged == 60.0


def test_locked_until_after_release_is_the_release_time_without_holds():
    assert leases.locked_until_after(now=NOW, old_until=at(60),
                                     active_expiries=[]) == NOW
    assert leases.locked_until_after(now=NOW, old_until=at(-60),
                                     active_expiries=[]) == at(-60)
    assert leases.locked_until_after(now=NOW, old_until=at(60),
                                     active_expiries=[at(30), at(90)]) == \
        at(90)
