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
"""Holds on a real store of each engine: grant, renew, release, expiry."""

import threading
import time
import uuid

from oslo_db import exception as db_exc
import pytest

from nova_miglock import lock
from nova_miglock.store.sql import queries

PROJECT = 'project-a'


def new_uuid():
    return str(uuid.uuid4())


def acquire(store, limits, instance, holder='db', lease=60,
            source=lock.SOURCE_GUEST, **kwargs):
    return store.acquire(instance, holder, project_id=PROJECT, source=source,
                         lease_seconds=lease, reason='checkpoint',
                         limits=limits, **kwargs)


def test_acquire_grants_a_lease_measured_on_the_store_clock(store, limits):
    instance = new_uuid()
    hold, state = acquire(store, limits, instance, lease=120)
    assert state.state == lock.STATE_LOCKED
    assert (hold.expires_at - hold.acquired_at).total_seconds() == 120
    assert abs((store.now() - hold.acquired_at).total_seconds()) < 5
    assert store.get_state(instance).holds == (hold,)


def test_renew_keeps_acquisition_time_and_moves_expiry(store, limits):
    instance = new_uuid()
    first, _ = acquire(store, limits, instance, lease=30)
    renewed, state = acquire(store, limits, instance, lease=90)
    assert renewed.acquired_at == first.acquired_at
    assert renewed.expires_at > first.expires_at
    assert renewed.generation > first.generation
    assert [e['event'] for e in store.ledger(instance_uuid=instance)] == [
        lock.EVENT_ACQUIRE, lock.EVENT_RENEW]


def test_acquire_refused_while_migrating_with_retry_after(store, limits):
    instance = new_uuid()
    store.open_ticket(instance, project_id=PROJECT, kind='live-migration',
                      request_id='req-1', static_locks=())
    with pytest.raises(lock.MigrationInProgress) as err:
        acquire(store, limits, instance)
    assert err.value.retry_after == 15
    assert store.get_state(instance).holds == ()


def test_acquire_can_wait_for_the_migration_to_end(store, limits):
    instance = new_uuid()
    store.open_ticket(instance, project_id=PROJECT, kind='migrate',
                      request_id='req-1', static_locks=())
    closer = threading.Timer(0.5, store.close_ticket, args=(instance,),
                             kwargs={'outcome': 'done'})
    closer.start()
    started = time.monotonic()
    hold, state = acquire(store, limits, instance, wait=10)
    assert 0.4 < time.monotonic() - started < 5
    assert state.state == lock.STATE_LOCKED


def test_waiting_is_bounded(store, limits):
    instance = new_uuid()
    store.open_ticket(instance, project_id=PROJECT, kind='migrate',
                      request_id='req-1', static_locks=())
    started = time.monotonic()
    with pytest.raises(lock.MigrationInProgress):
        acquire(store, limits, instance, wait=1)
    assert 0.9 < time.monotonic() - started < 3


def test_lease_over_the_cap_is_refused_and_changes_nothing(store, limits):
    instance = new_uuid()
    with pytest.raises(lock.LeaseTooLong):
        acquire(store, limits, instance, lease=limits.max_lease + 1)
    assert store.get_state(instance).state == lock.STATE_UNLOCKED
    assert store.ledger(instance_uuid=instance) == []


def test_expired_hold_never_counts_even_before_reaping(store, limits):
    instance = new_uuid()
    acquire(store, limits, instance, lease=1)
    store.advance_clock(1.2)
    assert store.get_state(instance).state == lock.STATE_UNLOCKED
    ticket, state = store.open_ticket(
        instance, project_id=PROJECT, kind='live-migration',
        request_id='req', static_locks=())
    assert state.state == lock.STATE_MIGRATING


def test_max_hold_cuts_the_lease_then_refuses_until_the_gap(conf, store):
    limits = lock.HoldLimits(max_lease=60, max_hold=2, min_unlocked_gap=1,
                             max_holders=4)
    instance = new_uuid()
    hold, _ = acquire(store, limits, instance, lease=60)
    assert (hold.expires_at - hold.acquired_at).total_seconds() == 2
    store.advance_clock(2.2)
    with pytest.raises(lock.HoldLimitReached) as err:
        acquire(store, limits, instance, lease=60)
    assert err.value.retry_after == 1
    store.advance_clock(1.0)
    hold, _ = acquire(store, limits, instance, lease=60)
    assert (hold.expires_at - hold.acquired_at).total_seconds() == 2


def test_release_and_reacquire_cannot_reset_max_hold(store):
    limits = lock.HoldLimits(max_lease=60, max_hold=3, min_unlocked_gap=30,
                             max_holders=4)
    instance = new_uuid()
    first, _ = acquire(store, limits, instance, lease=60)
    store.release(instance, 'db', source=lock.SOURCE_GUEST)
    second, _ = acquire(store, limits, instance, lease=60)
    # Same period: the lease still ends when the first period's max_hold
    # runs out.
    assert second.expires_at == first.expires_at


def test_release_is_idempotent_and_unlocks(store, limits):
    instance = new_uuid()
    acquire(store, limits, instance)
    released, state = store.release(instance, 'db',
                                    source=lock.SOURCE_GUEST)
    assert released.holder == 'db'
    assert state.state == lock.STATE_UNLOCKED
    again, _ = store.release(instance, 'db', source=lock.SOURCE_GUEST)
    assert again is None
    assert store.release(new_uuid(), 'db', source=lock.SOURCE_GUEST) == (
        None, None)


def test_one_source_cannot_renew_or_release_anothers_hold(store, limits):
    instance = new_uuid()
    acquire(store, limits, instance, holder='maint',
            source=lock.SOURCE_OPERATOR)
    with pytest.raises(lock.NotPermitted) as err:
        acquire(store, limits, instance, holder='maint')
    assert err.value.details['rule'] == 'holder_owner'
    with pytest.raises(lock.NotPermitted):
        store.release(instance, 'maint', source=lock.SOURCE_GUEST)
    assert store.get_state(instance).holds[0].source == lock.SOURCE_OPERATOR


def test_holders_are_capped_but_renewals_are_not(store):
    limits = lock.HoldLimits(max_lease=60, max_hold=600, min_unlocked_gap=0,
                             max_holders=2)
    instance = new_uuid()
    acquire(store, limits, instance, holder='a')
    acquire(store, limits, instance, holder='b')
    with pytest.raises(lock.TooManyHolders) as err:
        acquire(store, limits, instance, holder='c')
    assert err.value.retry_after <= 60
    acquire(store, limits, instance, holder='a')


def test_two_holders_keep_the_instance_locked_until_both_release(
        store, limits):
    instance = new_uuid()
    acquire(store, limits, instance, holder='a', lease=30)
    acquire(store, limits, instance, holder='b', lease=60)
    _, state = store.release(instance, 'b', source=lock.SOURCE_GUEST)
    assert [h.holder for h in state.holds] == ['a']
    with pytest.raises(lock.InstanceLocked):
        store.open_ticket(instance, project_id=PROJECT, kind='migrate',
                          request_id='r', static_locks=())
    store.release(instance, 'a', source=lock.SOURCE_GUEST)
    store.open_ticket(instance, project_id=PROJECT, kind='migrate',
                      request_id='r', static_locks=())


def test_reap_records_expiry_in_the_ledger_and_drops_the_hold(store, limits):
    instance = new_uuid()
    acquire(store, limits, instance, lease=1)
    store.advance_clock(1.2)
    reaped = store.reap()
    assert [(h.instance_uuid, h.holder) for h, _ in reaped] == [
        (instance, 'db')]
    events = store.ledger(instance_uuid=instance)
    assert events[-1]['event'] == lock.EVENT_EXPIRE
    assert events[-1]['at'] == events[0]['expires_at']
    assert store.reap() == []


def test_break_ends_every_hold_and_is_audited(store, limits):
    instance = new_uuid()
    acquire(store, limits, instance, holder='a')
    acquire(store, limits, instance, holder='b', source=lock.SOURCE_TENANT)
    ended, state = store.end_holds(instance, event=lock.EVENT_BREAK,
                                   reason='host maintenance',
                                   actor='operator:alice')
    assert sorted(h.holder for h in ended) == ['a', 'b']
    assert state.state == lock.STATE_UNLOCKED
    breaks = [e for e in store.ledger(instance_uuid=instance)
              if e['event'] == lock.EVENT_BREAK]
    assert {(e['actor'], e['reason']) for e in breaks} == {
        ('operator:alice', 'host maintenance')}


def test_a_deadlock_is_retried_then_reported_as_unavailable(
        store, limits, monkeypatch):
    # A deadlock cannot be produced on demand: the row lock read is made
    # to raise oslo.db's DBDeadlock, as its filters do for a real one.
    real, calls = queries.lock_instance, []

    def deadlocking(conn, instance_uuid, fail_times):
        calls.append(instance_uuid)
        if len(calls) <= fail_times:
            raise db_exc.DBDeadlock()
        return real(conn, instance_uuid)

    instance = new_uuid()
    monkeypatch.setattr(queries, 'lock_instance',
                        lambda c, u: deadlocking(c, u, 2))
    hold, _state = acquire(store, limits, instance)
    assert len(calls) == 4 and hold.holder == 'db'  # 2 failed, then 2 reads
    calls.clear()
    monkeypatch.setattr(queries, 'lock_instance',
                        lambda c, u: deadlocking(c, u, 100))
    with pytest.raises(lock.StoreUnavailable) as err:
        store.release(instance, 'db', source=lock.SOURCE_GUEST)
    retries = store._conf.miglock_store.deadlock_retries
    assert len(calls) == retries + 1
    assert 'contended after %d attempts' % (retries + 1) in err.value.message
    monkeypatch.undo()
    assert store.get_state(instance).holds == (hold,)
