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
"""Group disruption budgets on a real store of each engine."""

import uuid

import pytest

from nova_miglock.decisions import groups as rules
from nova_miglock import lock
from nova_miglock import manager as lock_manager

PROJECT = 'project-g'


def new_uuid():
    return str(uuid.uuid4())


def _open(store, instance, groups, kind='live-migration'):
    return store.open_ticket(instance, project_id=PROJECT, kind=kind,
                             request_id='req', static_locks=(),
                             actor='admin', groups=groups)


@pytest.fixture
def group():
    return rules.GroupRef(PROJECT, new_uuid(), 3)


def test_a_budget_of_one_admits_one_member_and_names_the_move(store, group):
    store.set_group_budget(PROJECT, group.key, rules.Budget(1), actor='t')
    first, second = new_uuid(), new_uuid()
    _open(store, first, [group])
    with pytest.raises(lock.GroupBudgetSpent) as err:
        _open(store, second, [group])
    message = err.value.message
    assert group.key in message and 'max_moving=1' in message
    assert first in message
    assert 1 <= err.value.retry_after <= 15
    # Nothing was written for the refused move.
    assert store.get_state(second).ticket is None
    store.close_ticket(first, outcome='completed')
    ticket, _ = _open(store, second, [group])
    assert ticket.instance_uuid == second


def test_members_of_other_groups_and_groups_without_budget_move(store,
                                                                group):
    store.set_group_budget(PROJECT, group.key, rules.Budget(1), actor='t')
    other = rules.GroupRef(PROJECT, 'tag:web', 4)
    _open(store, new_uuid(), [group])
    _open(store, new_uuid(), [other])
    _open(store, new_uuid(), [other])
    assert [m.kind for m in store.get_group_budget(
        PROJECT, group.key)['moving']] == ['live-migration']


def test_a_percentage_rounds_down_but_allows_one(store):
    group = rules.GroupRef(PROJECT, 'tag:db', 10)
    store.set_group_budget(PROJECT, group.key, rules.Budget(25, True),
                           actor='t')
    _open(store, new_uuid(), [group])
    _open(store, new_uuid(), [group])
    with pytest.raises(lock.GroupBudgetSpent) as err:
        _open(store, new_uuid(), [group])
    assert 'allows 2 of its 10 members' in err.value.message


def test_recorded_membership_judges_a_move_whose_groups_are_unknown(
        store, group, limits):
    store.set_group_budget(PROJECT, group.key, rules.Budget(1), actor='t')
    member = new_uuid()
    _open(store, member, [group])
    store.close_ticket(member, outcome='completed')
    _open(store, new_uuid(), [group])
    # A break-and-admit from a drain knows no groups: the recorded ones
    # count, and nothing is broken when the budget refuses.
    store.acquire(member, 'db', project_id=PROJECT,
                  source=lock.SOURCE_GUEST, lease_seconds=60, reason='',
                  limits=limits)
    with pytest.raises(lock.GroupBudgetSpent):
        store.break_and_admit(member, project_id=PROJECT,
                              kind='live-migration', reason='maintenance')
    assert [h.holder for h in store.get_state(member).holds] == ['db']


def test_an_evacuation_is_counted_but_never_refused(store, group):
    store.set_group_budget(PROJECT, group.key, rules.Budget(1), actor='t')
    _open(store, new_uuid(), [group])
    store.admit_evacuation(new_uuid(), project_id=PROJECT, request_id='r',
                           static_locks=(), groups=[group])
    assert len(store.get_group_budget(PROJECT, group.key)['moving']) == 2


def test_zero_freezes_the_group_and_delete_frees_it(store, group):
    store.set_group_budget(PROJECT, group.key, rules.Budget(0), actor='t')
    instance = new_uuid()
    with pytest.raises(lock.GroupBudgetSpent) as err:
        _open(store, instance, [group])
    assert err.value.retry_after is None
    assert store.delete_group_budget(PROJECT, group.key)
    assert not store.delete_group_budget(PROJECT, group.key)
    _open(store, instance, [group])


def test_the_manager_rejects_bad_budgets_and_keys_changing_nothing(store):
    manager = lock_manager.LockManager(store._conf, store=store)
    for group_key, max_moving in (('tag:db', -1), ('tag:db', '101%'),
                                  ('tag:db', 1.5), ('tag:db', True),
                                  ('not-a-group', 1), ('tag:', 1),
                                  ('tag:a/b', 1)):
        with pytest.raises(lock.InvalidRequest):
            manager.set_group_budget(PROJECT, group_key, max_moving,
                                     actor='t')
    assert manager.list_group_budgets(project_id=PROJECT) == []
    shown = manager.set_group_budget(PROJECT, 'tag:db', '50%', actor='t',
                                     members=4)
    assert (shown['max_moving'].to_api(), shown['members']) == ('50%', 4)
