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
"""The guest channel's wire format, pinned field by field.

Agents of older releases read it: a field renamed or dropped here breaks
guests already running, whatever the tenant API's version says.
"""

import datetime

from nova_miglock.api import guest_views
from nova_miglock import lock
from nova_miglock import manager
from nova_miglock.store.sql import requests

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'


def _at(seconds):
    return NOW + datetime.timedelta(seconds=seconds)


HOLD = lock.Hold(instance_uuid=UUID, holder='db', project_id='p',
                 source=lock.SOURCE_GUEST, reason='checkpoint',
                 acquired_at=_at(-30), renewed_at=_at(-10),
                 expires_at=_at(80), generation=4)
STATE = lock.LockState(
    instance_uuid=UUID, now=NOW, project_id='p', holds=(HOLD,),
    static_locks=(lock.StaticLock('tag', 'miglock:static'),),
    ticket=lock.Ticket('t-1', UUID, 'live-migration', 'req-1', _at(-5),
                       _at(1800)),
    locked_since=_at(-30), migration_requested_at=_at(-20), generation=4,
    host='host1')
REQUEST = requests.MoveRequest(UUID, 'p', 'host1 maintenance', 'user:admin',
                               _at(-60), _at(540))
HOLD_BODY = {'holder': 'db', 'source': 'guest', 'reason': 'checkpoint',
             'acquired_at': '2026-11-26T11:59:30.000000Z',
             'renewed_at': '2026-11-26T11:59:50.000000Z',
             'expires_at': '2026-11-26T12:01:20.000000Z', 'generation': 4,
             'expires_in': 80.0}
REQUEST_BODY = {'reason': 'host1 maintenance', 'requested_by': 'user:admin',
                'opened_at': '2026-11-26T11:59:00.000000Z',
                'not_before': '2026-11-26T12:09:00.000000Z',
                'approved_at': None}


def test_the_state_a_guest_reads():
    limits = {'guest_may_lock': True, 'max_lease': 3600,
              'max_lease_rule': 'flavor', 'max_hold': 86400,
              'default_lease': 300}
    assert guest_views.state(STATE, limits, REQUEST) == {
        'instance_uuid': UUID, 'state': 'migrating', 'locked': True,
        'holds': [HOLD_BODY],
        'static_locks': [{'kind': 'tag', 'name': 'miglock:static',
                          'value': ''}],
        'migration': {'ticket_id': 't-1', 'kind': 'live-migration',
                      'request_id': 'req-1',
                      'admitted_at': '2026-11-26T11:59:55.000000Z',
                      'deadline': '2026-11-26T12:30:00.000000Z',
                      'closed_at': None, 'outcome': None},
        'locked_since': '2026-11-26T11:59:30.000000Z',
        'static_exempt_until': None, 'generation': 4,
        'now': '2026-11-26T12:00:00.000000Z',
        'policy': limits,
        'move_request': dict(REQUEST_BODY, seconds_left=540.0)}
    assert guest_views.state(STATE, limits, None)['move_request'] is None


def test_a_refused_move_is_not_shown_to_the_guest_as_a_bare_flag():
    # STATE has a refused move recorded (migration_requested_at): the
    # guest learns of wanted moves only by their move request.
    body = guest_views.state(STATE, {}, None)
    assert not {'migration_requested', 'migration_requested_at'} & set(body)


def test_holds_grants_and_approvals():
    assert guest_views.hold(HOLD, NOW) == HOLD_BODY
    assert guest_views.holds(STATE) == {'holds': [HOLD_BODY]}
    granted = manager.Grant(hold=HOLD, state=STATE, requested_seconds=3600,
                            cut_by='move_request')
    assert guest_views.grant(granted) == dict(
        HOLD_BODY, lease_seconds=90.0, lease_capped_by='move_request',
        instance_state='migrating')
    assert guest_views.approved(REQUEST) == {'move_request': REQUEST_BODY}
