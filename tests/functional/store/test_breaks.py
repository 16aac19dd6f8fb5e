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
"""Break and admit in one transaction, on a real store of each engine."""

import threading
import uuid

import pytest

from nova_miglock import lock

PROJECT = 'project-a'
TAG = lock.StaticLock('tag', 'miglock:static')


def held(store, limits, holders=('db',)):
    instance = str(uuid.uuid4())
    for holder in holders:
        store.acquire(instance, holder, project_id=PROJECT,
                      source=lock.SOURCE_GUEST, lease_seconds=600,
                      reason='batch', limits=limits)
    return instance


def break_and_admit(store, instance):
    return store.break_and_admit(instance, project_id=PROJECT,
                                 kind='live-migration', reason='drain',
                                 actor='operator:test')


def test_holds_end_and_the_move_is_admitted_together(store, limits):
    instance = held(store, limits, ('db', 'backup'))
    ticket, state, ended = break_and_admit(store, instance)
    assert {h.holder for h in ended} == {'db', 'backup'}
    assert state.ticket == ticket and not state.holds
    events = store.ledger(instance_uuid=instance)[-3:]
    assert [e['event'] for e in events] == ['break', 'break',
                                            'move_admitted']
    assert len({e['at'] for e in events}) == 1
    assert events[0]['reason'] == 'drain'


def test_a_guest_cannot_lock_again_until_the_move_ends(store, limits):
    instance = held(store, limits)
    break_and_admit(store, instance)
    with pytest.raises(lock.MigrationInProgress):
        store.acquire(instance, 'db', project_id=PROJECT,
                      source=lock.SOURCE_GUEST, lease_seconds=60,
                      reason='', limits=limits)
    store.close_ticket(instance, outcome='completed')
    hold, _state = store.acquire(instance, 'db', project_id=PROJECT,
                                 source=lock.SOURCE_GUEST, lease_seconds=60,
                                 reason='', limits=limits)
    assert hold.is_active(store.now())


def test_racing_guest_locks_never_leave_a_hold_beside_the_ticket(
        store, limits):
    """Whichever commits first, a hold and a ticket never coexist."""
    for _ in range(5):
        instance = held(store, limits)
        go = threading.Barrier(2)
        errors = []

        def guest():
            go.wait()
            try:
                store.acquire(instance, 'again', project_id=PROJECT,
                              source=lock.SOURCE_GUEST, lease_seconds=60,
                              reason='', limits=limits)
            except lock.MigrationInProgress:
                pass
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=guest)
        thread.start()
        go.wait()
        break_and_admit(store, instance)
        thread.join(30)
        assert not errors
        state = store.get_state(instance)
        assert state.ticket is not None
        # A hold that won the race was broken by the same transaction.
        assert not state.holds


def test_a_static_lock_is_not_broken_and_nothing_changes(store, limits):
    instance = str(uuid.uuid4())
    with pytest.raises(lock.InstanceLocked):
        store.open_ticket(instance, project_id=PROJECT, kind='migrate',
                          request_id='', static_locks=(TAG,))
    store.acquire(instance, 'db', project_id=PROJECT,
                  source=lock.SOURCE_GUEST, lease_seconds=600, reason='',
                  limits=limits)
    with pytest.raises(lock.InstanceLocked) as err:
        break_and_admit(store, instance)
    assert 'lock exempt' in err.value.message
    state = store.get_state(instance)
    assert state.ticket is None and len(state.holds) == 1
    store.exempt_static(instance, project_id=None, seconds=60,
                        reason='maintenance', actor='operator:test')
    ticket, _state, ended = break_and_admit(store, instance)
    assert ticket is not None and len(ended) == 1


def test_a_second_move_is_refused(store, limits):
    instance = held(store, limits)
    break_and_admit(store, instance)
    with pytest.raises(lock.MigrationInProgress):
        break_and_admit(store, instance)
