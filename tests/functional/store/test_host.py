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
"""Where Nova has each instance, and reading many instances at once."""

import uuid

from nova_miglock import lock

PROJECT = 'project-a'
TAG = lock.StaticLock('tag', 'miglock:static')


def new_uuid():
    return str(uuid.uuid4())


def acquire(store, limits, instance, host=None, holder='db'):
    return store.acquire(instance, holder, project_id=PROJECT,
                         source=lock.SOURCE_TENANT, lease_seconds=60,
                         reason='', limits=limits, host=host)


def open_ticket(store, instance, host=None):
    return store.open_ticket(instance, project_id=PROJECT,
                             kind='live-migration', request_id='req-1',
                             static_locks=(), actor='admin', host=host)


def test_a_fresh_host_is_recorded_and_replaces_the_old_one(store, limits):
    instance = new_uuid()
    _, state = acquire(store, limits, instance, host='compute1')
    assert state.host == 'compute1'
    assert store.get_state(instance).host == 'compute1'
    acquire(store, limits, instance, host='compute2')
    assert store.get_state(instance).host == 'compute2'


def test_tenants_and_guests_are_not_told_the_host(store, limits):
    instance = new_uuid()
    _, state = acquire(store, limits, instance, host='compute1')
    assert 'compute1' not in repr(state.to_dict())


def test_a_write_without_host_keeps_the_recorded_one(store, limits):
    instance = new_uuid()
    acquire(store, limits, instance, host='compute1')
    acquire(store, limits, instance, holder='other')
    assert store.get_state(instance).host == 'compute1'


def test_an_ended_move_forgets_the_host_unless_told(store, limits):
    moved, rejected = new_uuid(), new_uuid()
    for instance in (moved, rejected):
        open_ticket(store, instance, host='compute1')
    store.close_ticket(moved, outcome='completed')
    store.close_ticket(rejected, outcome='rejected-400', host='compute1')
    assert store.get_state(moved).host is None
    assert store.get_state(rejected).host == 'compute1'


def test_a_notified_host_fills_an_unknown_host_only(store, limits):
    known, unknown = new_uuid(), new_uuid()
    acquire(store, limits, known, host='compute1')
    acquire(store, limits, unknown)
    for instance in (known, unknown):
        store.set_static_locks(instance, project_id=PROJECT,
                               static_locks=(TAG,), kinds=('tag',),
                               host='stale-host')
    assert store.get_state(known).host == 'compute1'
    state, changed = store.set_static_locks(
        unknown, project_id=PROJECT, static_locks=(TAG,), kinds=('tag',),
        host='other')
    assert (state.host, changed) == ('stale-host', False)


def test_states_by_host_and_in_batches(store, limits):
    here = [new_uuid() for _ in range(3)]
    there = new_uuid()
    for instance in here:
        acquire(store, limits, instance, host='compute1')
    acquire(store, limits, there, host='compute2')
    listed = store.list_states(host='compute1')
    assert sorted(s.instance_uuid for s in listed) == sorted(here)
    never_seen = new_uuid()
    wanted = [there, never_seen] + here
    states = store.get_states(wanted)
    assert [s.instance_uuid for s in states] == wanted
    assert [s.locked for s in states] == [True, False, True, True, True]
    assert states[0].host == 'compute2'
    assert states[1].host is None
