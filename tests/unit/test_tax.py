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
"""The lock tax against hand-computed cases and a replayed ledger.

The cases are the ones of the worked example in doc/source/sla.rst.
"""

import datetime

import pytest

from nova_miglock import accounting
from nova_miglock import lock
from nova_miglock import tax

W = tax.Weights(usage_weight=1.0, refusal_weight=0.05, max_rate=4.0)
T0 = datetime.datetime(2026, 11, 1)


@pytest.mark.parametrize('used, allowance, refused, expected', [
    (0, 1000, 0, 1.0),          # nothing used: face value
    (1000, 1000, 0, 1.0),       # exactly the allowance: still face value
    (2500, 1000, 0, 2.5),       # 1.5 allowances over: 1 + 1.5
    (500, 1000, 10, 1.5),       # within, but 10 refusals: 1 + 10 * 0.05
    (3000, 1000, 10, 3.5),      # 1 + 2 + 0.5
    (10000, 1000, 0, 4.0),      # capped at max_rate
])
def test_rate_hand_computed(used, allowance, refused, expected):
    assert tax.rate(used, allowance, refused, W) == expected


def test_weights_change_the_rate():
    gentle = tax.Weights(usage_weight=0.5, refusal_weight=0.0, max_rate=2)
    assert tax.rate(3000, 1000, 10, gentle) == 2.0
    assert tax.rate(2000, 1000, 10, gentle) == 1.5


@pytest.mark.parametrize('lease, rate, granted', [
    (600, 1.0, 600), (600, None, 600), (600, 2.5, 240),
    (100, 3.0, 34),             # rounded up: 33.3 -> 34
    (1, 4.0, 1),                # never below one second
])
def test_taxed_lease_divides_by_the_rate(lease, rate, granted):
    assert tax.taxed_lease(lease, rate) == granted


def test_allowance_from_daily_quota_or_default():
    assert tax.allowance(30, 3600, 999) == 108000.0
    assert tax.allowance(30, -1, 999) == 999.0
    assert tax.allowance(30, None, 999) == 999.0


def _row(event, instance, project, holder, at, acquired, expires=None):
    return {'event': event, 'instance_uuid': instance, 'project_id': project,
            'holder': holder, 'at': at, 'acquired_at': acquired,
            'expires_at': expires}


def _h(hours):
    return T0 + datetime.timedelta(hours=hours)


def test_replayed_ledger_gives_each_project_its_rate_and_charge():
    a1, b1 = 'a1' * 16 + 'a1a1', 'b1' * 16 + 'b1b1'
    rows = [
        # Project a: one hold of 1 h renewed to 3 h, released after 2.5 h.
        _row(lock.EVENT_ACQUIRE, a1, 'a', 'db', _h(0), _h(0), _h(1)),
        _row(lock.EVENT_RENEW, a1, 'a', 'db', _h(0.5), _h(0), _h(3)),
        _row(lock.EVENT_RELEASE, a1, 'a', 'db', _h(2.5), _h(0), _h(3)),
        # Project b: two holders of one instance overlapping by 30 min,
        # then left to expire: charged once, 1.5 h.
        _row(lock.EVENT_ACQUIRE, b1, 'b', 'db', _h(1), _h(1), _h(2)),
        _row(lock.EVENT_ACQUIRE, b1, 'b', 'etl', _h(1.5), _h(1.5), _h(2.5)),
        _row(lock.EVENT_EXPIRE, b1, 'b', 'db', _h(2), _h(1), _h(2)),
        _row(lock.EVENT_EXPIRE, b1, 'b', 'etl', _h(2.5), _h(1.5), _h(2.5)),
    ]
    used = accounting.per_project(accounting.usage(
        rows, since=T0, until=_h(24), now=_h(24)))
    assert used == {'a': 9000.0, 'b': 5400.0}
    found = tax.history(used, {'b': 4}, {'a': 3600.0, 'b': 7200.0}, W)
    assert [t.to_dict() for t in found] == [
        # a: 9000 / 3600 = 2.5 allowances, 1.5 over: rate 2.5.
        {'project_id': 'a', 'used_seconds': 9000.0,
         'allowance_seconds': 3600.0, 'refused_moves': 0, 'rate': 2.5,
         'lock_seconds': 9000.0, 'charged_seconds': 22500.0},
        # b: within its allowance, 4 refusals: rate 1.2.
        {'project_id': 'b', 'used_seconds': 5400.0,
         'allowance_seconds': 7200.0, 'refused_moves': 4, 'rate': 1.2,
         'lock_seconds': 5400.0, 'charged_seconds': 6480.0},
    ]
    assert tax.taxed_lease(3600, found[0].rate) == 1440


def test_history_charges_the_period_at_the_windows_rate():
    found = tax.history({'a': 7200.0}, {}, lambda project: 3600.0, W,
                        period={'a': 600.0})
    assert (found[0].rate, found[0].lock_seconds,
            found[0].charged_seconds) == (2.0, 600.0, 1200.0)
