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
"""The lock rules' contract, as properties over generated histories.

No services: ``nova_miglock.decisions`` is pure. Hypothesis generates
states and sequences of acquires, releases and moves; the properties are
the ones every caller relies on: an expired hold never counts, a hold and
an admitted move never overlap, an exemption lifts every static lock.
"""

import dataclasses
import datetime

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from nova_miglock import decisions
from nova_miglock.decisions import holds as holds_rules
from nova_miglock.decisions import moves
from nova_miglock import lock

T0 = datetime.datetime(2026, 11, 26, 12, 0, 0)
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'
LIMITS = lock.HoldLimits(max_lease=600, max_hold=1800, min_unlocked_gap=60,
                         max_holders=3)
HOLDERS = ('db', 'etl', 'backup', 'ops')
TAG = lock.StaticLock('tag', 'miglock:static')
FLAVOR = lock.StaticLock('flavor', 'miglock:static', 'true')


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def hold(holder, expires, source=lock.SOURCE_GUEST, acquired=0):
    return lock.Hold(instance_uuid=UUID, holder=holder, project_id='p',
                     source=source, reason='', acquired_at=at(acquired),
                     renewed_at=at(acquired), expires_at=at(expires),
                     generation=1)


def state(holds=(), static_locks=(), exempt_until=None, ticket=None):
    return lock.LockState(instance_uuid=UUID, now=T0, holds=tuple(holds),
                          static_locks=tuple(static_locks), ticket=ticket,
                          static_exempt_until=exempt_until)


expiries = st.lists(st.integers(min_value=-600, max_value=600),
                    max_size=4)


def test_refusal_codes_are_the_store_errors_reasons():
    assert moves.LOCKED == lock.InstanceLocked.reason
    assert moves.MIGRATING == lock.MigrationInProgress.reason


@given(expiries, st.integers(min_value=0, max_value=300))
def test_an_expired_hold_never_counts(expires, later):
    now = at(later)
    holds = [hold(HOLDERS[i], e) for i, e in enumerate(expires)]
    decision = decisions.decide_move(state(holds), 'live-migration', now)
    active = [h for h in holds if h.expires_at > now]
    assert decision.admitted == (not active)
    if active:
        assert decision.retry_at == max(h.expires_at for h in active)
        assert decision.retry_after >= 1
        assert len(decision.reasons) == len(active)


@given(st.sampled_from([TAG, FLAVOR]), st.integers(-100, 100), expiries)
def test_an_exemption_lifts_every_static_lock_while_it_runs(
        static, exempt_for, expires):
    holds = [hold(HOLDERS[i], e) for i, e in enumerate(expires)]
    decision = decisions.decide_move(
        state(holds, [static], exempt_until=at(exempt_for)),
        'live-migration', T0)
    exempt = exempt_for > 0
    active = [h for h in holds if h.expires_at > T0]
    assert decision.admitted == (exempt and not active)
    if not decision.admitted:
        # Waiting alone cannot lift a static lock.
        assert (decision.retry_at is None) == (not exempt)


@given(expiries)
def test_an_evacuation_is_admitted_and_breaks_the_active_holds(expires):
    holds = [hold(HOLDERS[i], e) for i, e in enumerate(expires)]
    decision = decisions.decide_evacuation(state(holds, [TAG]), T0)
    assert decision.admitted
    assert set(decision.breaks) == {h for h in holds if h.expires_at > T0}
    # Judged as a move (evacuate_action = refuse), the locks count.
    refused = decisions.decide_move(state(holds, [TAG]), 'evacuation', T0)
    assert not refused.admitted


def test_nothing_is_admitted_while_a_move_is():
    ticket = lock.Ticket(ticket_id='t', instance_uuid=UUID, kind='x',
                         request_id='', admitted_at=T0, deadline=at(30))
    for decision in (
            decisions.decide_move(state(ticket=ticket), 'resize', T0),
            decisions.decide_evacuation(state(ticket=ticket), T0)):
        assert (decision.admitted, decision.code, decision.retry_after) == (
            False, moves.MIGRATING, 30)


class World:
    """One instance driven only by the decision rules, as the store is."""

    def __init__(self):
        self.holds = {}
        self.ticket = None
        self.locked_until = self.locked_since = None
        self.hold_spans = []   # [start, end) of every granted lease
        self.move_spans = []   # [start, end) of every admitted move

    def acquire(self, now, holder, lease, source):
        current = holds_rules.InstanceHolds(
            instance_uuid=UUID, holds=dict(self.holds),
            migrating=self.ticket is not None,
            locked_until=self.locked_until, locked_since=self.locked_since)
        try:
            grant = decisions.decide_acquire(
                current, decisions.AcquireRequest(holder, source, lease),
                LIMITS, now)
        except lock.MigLockError as exc:
            return exc
        assert grant.expires_at <= now + datetime.timedelta(
            seconds=LIMITS.max_lease)
        assert grant.expires_at <= grant.locked_since + datetime.timedelta(
            seconds=LIMITS.max_hold)
        if grant.renewal:
            assert grant.acquired_at == self.holds[holder].acquired_at
        self._end_span(holder, now)
        self.holds[holder] = dataclasses.replace(
            hold(holder, 0, source), acquired_at=grant.acquired_at,
            renewed_at=now, expires_at=grant.expires_at)
        self.hold_spans.append([holder, now, grant.expires_at])
        self.locked_until = grant.locked_until
        self.locked_since = grant.locked_since
        return grant

    def _end_span(self, holder, now):
        for span in self.hold_spans:
            if span[0] == holder and span[2] > now:
                span[2] = now

    def release(self, now, holder):
        current = holds_rules.InstanceHolds(
            instance_uuid=UUID, holds=dict(self.holds),
            locked_until=self.locked_until, locked_since=self.locked_since)
        ending = holds_rules.decide_end(current, [holder], now)
        for ended in ending.ended + ending.expired:
            del self.holds[ended.holder]
            self._end_span(ended.holder, now)
        self.locked_until = ending.locked_until

    def move(self, now):
        if self.ticket is not None:
            self.move_spans[-1][1] = now
            self.ticket = None
            return
        judged = state(self.holds.values(), ticket=None)
        decision = decisions.decide_move(judged, 'live-migration', now)
        if decision.admitted:
            self.ticket = now
            self.move_spans.append([now, datetime.datetime.max])


operations = st.lists(st.tuples(
    st.integers(min_value=0, max_value=400),          # seconds later
    st.sampled_from(['acquire', 'release', 'move']),
    st.sampled_from(HOLDERS),
    st.integers(min_value=1, max_value=900),          # lease asked
    st.sampled_from([lock.SOURCE_GUEST, lock.SOURCE_TENANT])),
    max_size=40)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_a_hold_and_an_admitted_move_never_overlap(ops):
    world, now = World(), T0
    for later, op, holder, lease, source in ops:
        now += datetime.timedelta(seconds=later)
        if op == 'acquire':
            result = world.acquire(now, holder, lease, source)
            if world.ticket is not None:
                assert isinstance(result, lock.MigrationInProgress)
        elif op == 'release':
            world.release(now, holder)
        else:
            world.move(now)
    for _holder, start, end in world.hold_spans:
        for move_start, move_end in world.move_spans:
            assert end <= move_start or start >= move_end, (
                (start, end), (move_start, move_end))


@given(st.integers(min_value=1, max_value=10_000))
def test_a_lease_over_max_lease_is_refused(lease):
    current = holds_rules.InstanceHolds(instance_uuid=UUID, holds={})
    request = decisions.AcquireRequest('db', lock.SOURCE_GUEST, lease)
    if lease > LIMITS.max_lease:
        with pytest.raises(lock.LeaseTooLong):
            decisions.decide_acquire(current, request, LIMITS, T0)
    else:
        grant = decisions.decide_acquire(current, request, LIMITS, T0)
        assert grant.expires_at == at(lease) and not grant.renewal


def test_another_sources_holder_name_is_not_taken_over():
    current = holds_rules.InstanceHolds(
        instance_uuid=UUID, holds={'db': hold('db', 60)})
    with pytest.raises(lock.NotPermitted):
        decisions.decide_acquire(current, decisions.AcquireRequest(
            'db', lock.SOURCE_TENANT, 60), LIMITS, T0)
    with pytest.raises(lock.NotPermitted):
        holds_rules.decide_end(current, ['db'], T0,
                               owner=lock.SOURCE_TENANT)


def test_renew_only_refuses_an_expired_hold():
    current = holds_rules.InstanceHolds(
        instance_uuid=UUID, holds={'db': hold('db', -1)})
    with pytest.raises(lock.NotHeld):
        decisions.decide_acquire(current, decisions.AcquireRequest(
            'db', lock.SOURCE_GUEST, 60, renew_only=True), LIMITS, T0)
