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
"""The group budget rule (``decisions.groups``), without a store."""

import datetime

import pytest

from nova_miglock.decisions import groups
from nova_miglock import lock

NOW = datetime.datetime(2026, 11, 27, 12, 0, 0)
GROUP = groups.GroupRef('p', '0b2a4c6e-8f10-4a3c-9e5d-7f9a1b3c5d7e', 3)


def _move(n, deadline_in=600):
    return groups.Move('00000000-0000-4000-8000-%012d' % n,
                       'live-migration', NOW,
                       NOW + datetime.timedelta(seconds=deadline_in))


@pytest.mark.parametrize('value, budget', [
    (0, groups.Budget(0)), (1, groups.Budget(1)), ('2', groups.Budget(2)),
    (' 3 ', groups.Budget(3)), ('0%', groups.Budget(0, True)),
    ('25%', groups.Budget(25, True)), ('100%', groups.Budget(100, True)),
    (9999, groups.Budget(9999))])
def test_budgets_are_counts_or_percentages(value, budget):
    assert groups.parse_budget(value) == budget


@pytest.mark.parametrize('value', [
    -1, 10000, 1.0, True, None, '', '-1', '1.5', '101%', '50 %', '%', 'x',
    '05', [1]])
def test_bad_budgets_are_refused_naming_what_was_given(value):
    error = pytest.raises(lock.InvalidRequest, groups.parse_budget,
                          value).value
    assert repr(value) in error.message


@pytest.mark.parametrize('percent, members, allowed', [
    (50, 3, 1), (50, 4, 2), (34, 3, 1), (67, 3, 2), (100, 3, 3),
    # Rounding never freezes a group its owner let move ...
    (10, 3, 1), (1, 1, 1), (25, None, 1),
    # ... but zero does.
    (0, 100, 0)])
def test_percentages_round_down_but_allow_one_unless_zero(
        percent, members, allowed):
    assert groups.Budget(percent, True).allowed(members) == allowed


def test_a_member_is_admitted_while_fewer_than_the_budget_move():
    budget = groups.Budget(2)
    assert groups.decide(GROUP, budget, [_move(1)], NOW).admitted
    refused = groups.decide(GROUP, budget, [_move(1), _move(2)], NOW)
    assert not refused.admitted
    text = refused.describe('instance-x')
    assert 'server group %s allows 2 of its 3 members' % GROUP.key in text
    assert 'max_moving=2' in text and _move(2).instance_uuid in text


def test_retry_after_is_the_earliest_deadline_capped_by_the_poll():
    moves = [_move(1, 900), _move(2, 30)]
    refused = groups.decide(GROUP, groups.Budget(2), moves, NOW)
    assert (refused.retry_at, refused.retry_after) == (
        moves[1].deadline, 30)
    assert groups.decide(GROUP, groups.Budget(2), moves, NOW,
                         poll_cap=15).retry_after == 15


def test_zero_refuses_with_no_retry_after():
    refused = groups.decide(GROUP, groups.Budget(0), [], NOW)
    assert (refused.admitted, refused.retry_after) == (False, None)


def test_the_group_counts_at_least_its_moving_members():
    # Nova said two members, three are moving: 50% of four, not of two.
    small = groups.GroupRef('p', 'tag:db', 2)
    refused = groups.decide(small, groups.Budget(50, True),
                            [_move(1), _move(2), _move(3)], NOW)
    assert (refused.members, refused.allowed) == (4, 2)


@pytest.mark.parametrize('key, expected', [
    ('tag:db', 'tag:db'), ('tag:a.b-c_d@e=f+g:h', 'tag:a.b-c_d@e=f+g:h'),
    (GROUP.key.upper(), GROUP.key)])
def test_group_keys(key, expected):
    assert groups.validate_key(key) == expected


@pytest.mark.parametrize('key', [
    'db', 'tag:', 'tag:a/b', 'tag:a,b', 'tag:' + 'x' * 47, 'tag:-db',
    GROUP.key[:-1], None, 3])
def test_bad_group_keys_are_refused(key):
    pytest.raises(lock.InvalidRequest, groups.validate_key, key)


def test_only_well_formed_group_tags_name_groups():
    assert groups.tag_keys(['miglock:group=db', 'miglock:group=',
                            'miglock:group=a/b', 'other',
                            'miglock:group=db', 'miglock:group=web']) == [
        'tag:db', 'tag:web']
