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
"""Migration tickets and static locks on a real store of each engine."""

import uuid

import pytest

from nova_miglock import lock

PROJECT = 'project-a'
TAG = lock.StaticLock('tag', 'miglock:static')


def new_uuid():
    return str(uuid.uuid4())


def open_ticket(store, instance, static_locks=()):
    return store.open_ticket(instance, project_id=PROJECT,
                             kind='live-migration', request_id='req-1',
                             static_locks=static_locks, actor='admin')


def test_move_refused_while_held_is_recorded_as_requested(store, limits):
    instance = new_uuid()
    store.acquire(instance, 'db', project_id=PROJECT,
                  source=lock.SOURCE_GUEST, lease_seconds=60,
                  reason='checkpoint', limits=limits)
    with pytest.raises(lock.InstanceLocked) as err:
        open_ticket(store, instance)
    assert 'hold by db (guest) "checkpoint"' in err.value.message
    state = store.get_state(instance)
    assert state.migration_requested_at is not None
    assert state.to_dict()['migration_requested'] is True
    assert store.ledger(instance_uuid=instance)[-1]['event'] == \
        lock.EVENT_MOVE_REFUSED


def test_move_refused_by_a_static_lock_which_is_remembered(store):
    instance = new_uuid()
    with pytest.raises(lock.InstanceLocked) as err:
        open_ticket(store, instance, static_locks=(TAG,))
    assert 'server tag miglock:static' in err.value.message
    assert store.get_state(instance).static_locks == (TAG,)


def test_admitted_move_blocks_holds_and_a_second_move(store, limits):
    instance = new_uuid()
    ticket, state = open_ticket(store, instance)
    assert state.ticket == ticket
    assert store.get_state(instance).ticket.ticket_id == ticket.ticket_id
    with pytest.raises(lock.MigrationInProgress):
        open_ticket(store, instance)


def test_closing_the_ticket_lets_holds_in_again(store, limits):
    instance = new_uuid()
    ticket, _ = open_ticket(store, instance)
    closed, state = store.close_ticket(instance, outcome='completed')
    assert closed.ticket_id == ticket.ticket_id
    assert closed.outcome == 'completed'
    assert state.state == lock.STATE_UNLOCKED
    store.acquire(instance, 'db', project_id=PROJECT,
                  source=lock.SOURCE_GUEST, lease_seconds=60, reason='',
                  limits=limits)


def test_closing_another_ticket_or_twice_is_a_no_op(store):
    instance = new_uuid()
    ticket, _ = open_ticket(store, instance)
    assert store.close_ticket(instance, outcome='x',
                              ticket_id='other')[0] is None
    assert store.get_state(instance).migrating
    store.close_ticket(instance, outcome='done', ticket_id=ticket.ticket_id)
    assert store.close_ticket(instance, outcome='done')[0] is None


def test_overdue_tickets_are_listed_and_can_be_extended(conf, store):
    conf.set_override('ticket_deadline', 60, group='miglock')
    instance = new_uuid()
    ticket, _ = open_ticket(store, instance)
    assert store.overdue_tickets() == []
    assert store.extend_ticket(instance, ticket.ticket_id, -1)
    assert [t.ticket_id for t in store.overdue_tickets()] == [
        ticket.ticket_id]
    assert not store.extend_ticket(instance, 'other', 60)


def test_static_locks_of_other_kinds_are_kept_on_update(store):
    instance = new_uuid()
    image = lock.StaticLock('image', 'miglock_static', 'true')
    store.set_static_locks(instance, project_id=PROJECT,
                           static_locks=[TAG, image],
                           kinds=['tag', 'image'])
    state, changed = store.set_static_locks(instance, project_id=PROJECT,
                                            static_locks=[], kinds=['tag'])
    assert changed and state.static_locks == (image,)
    assert state.locked


def test_purge_drops_old_ledger_rows_and_closed_tickets_only(store, limits):
    closed, still_open = new_uuid(), new_uuid()
    open_ticket(store, closed)
    store.close_ticket(closed, outcome='done')
    open_ticket(store, still_open)
    # Purge keeps rows written at the cutoff itself; a second later every
    # row above is older, whatever the clock's resolution.
    store.advance_clock(1)
    counts = store.purge(store.now())
    assert counts == {'ledger': 3, 'tickets': 1}
    assert store.ledger() == []
    assert store.get_state(still_open).migrating
