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
"""Lock-seconds from ledger rows."""

import datetime

from nova_miglock import accounting
from nova_miglock import lock

T0 = datetime.datetime(2026, 11, 26, 12, 0, 0)
A = '11111111-1111-1111-1111-111111111111'
B = '22222222-2222-2222-2222-222222222222'


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def row(event, instance, holder, acquired, expires, when, project='p1'):
    return {'event': event, 'instance_uuid': instance, 'holder': holder,
            'acquired_at': at(acquired), 'expires_at': at(expires),
            'at': at(when), 'project_id': project}


def test_overlapping_holders_of_one_instance_are_charged_once():
    rows = [row(lock.EVENT_ACQUIRE, A, 'x', 0, 100, 0),
            row(lock.EVENT_ACQUIRE, A, 'y', 50, 150, 50),
            row(lock.EVENT_RELEASE, A, 'x', 0, 100, 80),
            row(lock.EVENT_RELEASE, A, 'y', 50, 150, 120)]
    (usage,) = accounting.usage(rows, since=at(0), until=at(1000),
                                now=at(1000))
    assert usage.lock_seconds == 120.0
    assert usage.holds == 2


def test_renewals_extend_and_expiry_ends_a_hold():
    rows = [row(lock.EVENT_ACQUIRE, A, 'x', 0, 60, 0),
            row(lock.EVENT_RENEW, A, 'x', 0, 90, 30)]
    (usage,) = accounting.usage(rows, since=at(0), until=at(1000),
                                now=at(1000))
    assert usage.lock_seconds == 90.0


def test_open_hold_counts_up_to_now_and_window_clips():
    rows = [row(lock.EVENT_ACQUIRE, A, 'x', 0, 600, 0),
            row(lock.EVENT_ACQUIRE, B, 'x', 0, 600, 0, project='p2')]
    usages = accounting.usage(rows, since=at(100), until=at(500),
                              now=at(300))
    assert [u.lock_seconds for u in usages] == [200.0, 200.0]
    assert accounting.per_project(usages) == {'p1': 200.0, 'p2': 200.0}


def test_move_events_do_not_count_as_lock_time():
    rows = [{'event': lock.EVENT_MOVE_ADMITTED, 'instance_uuid': A,
             'holder': None, 'acquired_at': None, 'expires_at': None,
             'at': at(0), 'project_id': 'p1'}]
    assert accounting.usage(rows, since=at(0), until=at(10),
                            now=at(10)) == []


def test_an_approved_move_ends_the_guest_s_hold_like_a_release():
    rows = [row(lock.EVENT_ACQUIRE, A, 'x', 0, 600, 0),
            row(lock.EVENT_APPROVE, A, 'x', 0, 600, 45)]
    (usage,) = accounting.usage(rows, since=at(0), until=at(1000),
                                now=at(1000))
    assert usage.lock_seconds == 45.0
