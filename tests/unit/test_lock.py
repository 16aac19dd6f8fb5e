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
"""Validation and presentation of the domain model."""

import datetime

import pytest

from nova_miglock import lock

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'


def hold(holder='db', expires=60, source=lock.SOURCE_GUEST):
    return lock.Hold(instance_uuid=UUID, holder=holder, project_id='p',
                     source=source, reason='checkpoint', acquired_at=NOW,
                     renewed_at=NOW,
                     expires_at=NOW + datetime.timedelta(seconds=expires),
                     generation=1)


@pytest.mark.parametrize('name', ['db', 'a', 'backup.nightly',
                                  'job:42@host-1', 'x' * 64])
def test_valid_holder_names_are_accepted(name):
    assert lock.validate_holder(name) == name


@pytest.mark.parametrize('name', ['', '-lead', 'x' * 65, 'a b', 'a/b',
                                  'é', None, 42, 'a\n'])
def test_invalid_holder_names_are_refused_with_the_rule(name):
    with pytest.raises(lock.InvalidRequest) as err:
        lock.validate_holder(name)
    assert '64 characters' in err.value.message


@pytest.mark.parametrize('lease', [0, -1, 1.5, '60', True, None])
def test_invalid_leases_are_refused(lease):
    with pytest.raises(lock.InvalidRequest):
        lock.validate_lease(lease)


def test_reason_with_control_characters_is_refused():
    with pytest.raises(lock.InvalidRequest):
        lock.validate_reason('a\x00b')
    with pytest.raises(lock.InvalidRequest):
        lock.validate_reason('x' * 256)
    assert lock.validate_reason('café ✓') == 'café ✓'


def test_uuid_validation():
    assert lock.validate_instance_uuid(UUID) == UUID
    with pytest.raises(lock.InvalidRequest):
        lock.validate_instance_uuid('not-a-uuid')


def test_state_is_locked_by_holds_or_static_locks_and_migrating_wins():
    unlocked = lock.LockState(instance_uuid=UUID, now=NOW)
    assert unlocked.state == lock.STATE_UNLOCKED
    held = lock.LockState(instance_uuid=UUID, now=NOW, holds=(hold(),))
    assert held.state == lock.STATE_LOCKED
    static = lock.LockState(instance_uuid=UUID, now=NOW, static_locks=(
        lock.StaticLock('tag', 'miglock:static'),))
    assert static.locked
    moving = lock.LockState(instance_uuid=UUID, now=NOW, ticket=lock.Ticket(
        'tid', UUID, 'live-migration', 'req', NOW, NOW))
    assert moving.state == lock.STATE_MIGRATING


def test_refusal_message_names_every_lock_and_expiry():
    state = lock.LockState(
        instance_uuid=UUID, now=NOW, holds=(hold('db'), hold('etl', 90)),
        static_locks=(lock.StaticLock('flavor', 'miglock:static', 'true'),))
    text = state.describe()
    assert 'flavor extra spec miglock:static=true' in text
    assert 'hold by db (guest) "checkpoint" until 2026-11-26T12:01:00' in text
    assert 'etl' in text


def test_state_dict_has_the_guest_contract_fields():
    data = lock.LockState(instance_uuid=UUID, now=NOW,
                          holds=(hold(),)).to_dict()
    for key in ('state', 'holds', 'static_locks', 'migration',
                'migration_requested'):
        assert key in data
    assert data['holds'][0]['expires_in'] == 60.0


def test_a_refusal_names_a_static_lock_before_any_hold():
    state = lock.LockState(
        instance_uuid=UUID, now=NOW,
        holds=(hold(source=lock.SOURCE_OPERATOR),),
        static_locks=(lock.StaticLock('tag', 'miglock:static'),
                      lock.StaticLock('flavor', 'miglock:static', 'true')))
    assert state.locking_source() == 'flavor'


def test_a_refusal_names_the_operator_hold_before_the_guest_one():
    state = lock.LockState(instance_uuid=UUID, now=NOW, holds=(
        hold('a', source=lock.SOURCE_GUEST),
        hold('b', source=lock.SOURCE_OPERATOR),
        hold('c', source=lock.SOURCE_TENANT)))
    assert state.locking_source() == lock.SOURCE_OPERATOR


def test_an_exempt_static_lock_is_not_named():
    state = lock.LockState(
        instance_uuid=UUID, now=NOW, holds=(hold(),),
        static_locks=(lock.StaticLock('tag', 'miglock:static'),),
        static_exempt_until=NOW + datetime.timedelta(hours=1))
    assert state.locking_source() == lock.SOURCE_GUEST
    assert lock.LockState(instance_uuid=UUID,
                          now=NOW).locking_source() is None
