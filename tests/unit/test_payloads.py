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
"""Notification payloads: versioned objects, fingerprints, samples.

The samples in ``doc/source/notification_samples`` are what the notifier
sends for fixed inputs; this test writes them when
``MIGLOCK_WRITE_SAMPLES=1`` and otherwise fails when they differ, so the
documentation cannot drift from the code.
"""

import dataclasses
import datetime
import json
import os

from oslo_versionedobjects import fixture
import pytest

from nova_miglock.decisions import static_age
from nova_miglock import lock
from nova_miglock import notifications
from nova_miglock import payloads
from nova_miglock.store.sql import requests
from nova_miglock import tax

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, 'doc', 'source', 'notification_samples')

# A field changed without a version bump changes its fingerprint. When a
# test below fails: bump the class's VERSION (minor for an added field,
# major for a removed or retyped one), note it above VERSION, then put the
# new fingerprint here.
FINGERPRINTS = {
    'HoldPayload': '1.0-48683226dfc97dcc84ea4a2a9c1ff3a8',
    'LockPayload': '1.0-2a2123acc268a6965c90174e17a7ebf7',
    'MovePayload': '1.0-0f39a44f3979740102ebaae61bec7527',
    'MoveRequestPayload': '1.0-3f6166b2f21888b9e3ae136887f32d37',
    'StaticAgePayload': '1.0-c77809ec7c00fa653a87026fe8bb5212',
    'TaxPayload': '1.0-54185b6058f8fe30765c4d4704afd62e',
}

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
# Events about a project or a lock's age, carrying no lock state.
LOCKLESS = ('miglock.request.', 'miglock.tax.', 'miglock.static.')
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'


def _ours():
    """Our classes: the registry is shared with Nova's in one process."""
    found = {}
    for name, classes in payloads.PayloadRegistry.obj_classes().items():
        mine = [c for c in classes if c.__module__ == payloads.__name__]
        if mine:
            found[name] = mine
    return found


def test_every_payload_class_matches_its_fingerprint():
    checker = fixture.ObjectVersionChecker(obj_classes=_ours())
    expected, actual = checker.test_hashes(FINGERPRINTS)
    assert expected == actual, (
        'a payload changed without a version bump (see FINGERPRINTS)')


def test_the_fingerprint_catches_a_field_change():
    lock_class = payloads.LockPayload
    changed = dict(lock_class.fields, extra=lock_class.fields['state'])
    checker = fixture.ObjectVersionChecker(obj_classes={
        'LockPayload': [type('LockPayload', (lock_class,), {
            'fields': changed})]})
    expected, actual = checker.test_hashes(
        {'LockPayload': FINGERPRINTS['LockPayload']})
    assert expected != actual


def _hold(holder='etl', source=lock.SOURCE_TENANT):
    return lock.Hold(instance_uuid=UUID, holder=holder, project_id='p1',
                     source=source, reason='month end', acquired_at=NOW,
                     renewed_at=NOW,
                     expires_at=NOW + datetime.timedelta(seconds=120),
                     generation=7)


def _state(holds=(), ticket=None):
    return lock.LockState(
        instance_uuid=UUID, now=NOW, project_id='p1', holds=holds,
        static_locks=(lock.StaticLock('flavor', 'miglock:static', 'true'),),
        ticket=ticket, generation=7, host='compute-1')


def _ticket(outcome=None):
    return lock.Ticket('0f0e1d2c-3b4a-5968-7766-554433221100', UUID,
                       'live-migration', 'req-1', NOW,
                       NOW + datetime.timedelta(seconds=600),
                       closed_at=NOW if outcome else None, outcome=outcome)


class _Capture:
    """Stands in for oslo.messaging's Notifier.

    The transport is not what is tested here (the functional RabbitMQ test
    is), the payloads are.
    """

    def __init__(self):
        self.sent = []

    def info(self, ctxt, event_type, payload):
        self.sent.append((event_type, 'INFO', payload))

    def warn(self, ctxt, event_type, payload):
        self.sent.append((event_type, 'WARN', payload))


def _sent():
    notifier = notifications.Notifier.__new__(notifications.Notifier)
    notifier._notifier = capture = _Capture()
    held = _state(holds=(_hold(),))
    for event in (lock.EVENT_ACQUIRE, lock.EVENT_RENEW):
        notifier.hold_changed(event, _hold(), held, actor='user:u1')
    for event in (lock.EVENT_RELEASE, lock.EVENT_EXPIRE, lock.EVENT_BREAK,
                  lock.EVENT_EVACUATED):
        notifier.hold_changed(event, _hold(), _state(), actor='user:u1')
    notifier.move_changed(lock.EVENT_MOVE_REFUSED, held, 'live-migration',
                          actor='user:admin')
    notifier.move_changed(lock.EVENT_MOVE_ADMITTED, _state(
        ticket=_ticket()), 'live-migration', ticket=_ticket(),
        actor='user:admin')
    notifier.move_changed(lock.EVENT_MOVE_EXTENDED, _state(
        ticket=_ticket()), 'live-migration', ticket=_ticket(),
        actor='listener')
    notifier.move_changed(lock.EVENT_MOVE_ENDED, _state(),
                          'live-migration', ticket=_ticket('completed'),
                          actor='listener', reason='completed')
    notifier.static_changed(_state())
    request = _request()
    notifier.request_changed('opened', request, actor='user:admin')
    request = dataclasses.replace(request, approved_at=NOW)
    notifier.request_changed('approved', request, actor='user:guest')
    notifier.request_changed('closed', request, actor='user:admin',
                             outcome='moved')
    age = static_age.StaticAge(
        instance_uuid=UUID, project_id='p1',
        static_locks=(lock.StaticLock('tag', 'miglock:static'),),
        static_since=NOW - datetime.timedelta(days=30),
        max_age_at=NOW + datetime.timedelta(days=1), action='lapse')
    for notice in ('expiring', 'lapsed', 'overdue'):
        notifier.static_aged(notice, age)
    notifier.tax_rated(
        tax.ProjectTax(project_id='p1', used_seconds=9000.0,
                       allowance_seconds=3600.0, refused_moves=0, rate=2.5,
                       lock_seconds=1800.0, charged_seconds=4500.0),
        NOW - datetime.timedelta(hours=12), NOW, 30)
    return capture.sent


def _request():
    return requests.MoveRequest(
        UUID, 'p1', 'drain of compute-1: host maintenance', 'user:admin',
        NOW, NOW + datetime.timedelta(seconds=1800))


def test_a_move_request_step_has_a_payload_and_no_unknown_step():
    notifier = notifications.Notifier.__new__(notifications.Notifier)
    notifier._notifier = capture = _Capture()
    notifier.request_changed('closed', _request(), outcome='skipped')
    data = capture.sent[0][2]['miglock_object.data']
    assert (data['outcome'], data['approved_at'], data['not_before']) == (
        'skipped', None, '2026-11-26T12:30:00.000000Z')
    with pytest.raises(ValueError):
        notifier.request_changed('seen', _request())


def test_every_event_has_a_current_sample():
    write = os.environ.get('MIGLOCK_WRITE_SAMPLES') == '1'
    sent = _sent()
    assert len({event for event, _p, _payload in sent}) == len(sent) == 18
    for event_type, priority, payload in sent:
        text = json.dumps({'event_type': event_type, 'priority': priority,
                           'payload': payload}, indent=4,
                          sort_keys=True) + '\n'
        path = os.path.join(SAMPLES, event_type + '.json')
        if write:
            os.makedirs(SAMPLES, exist_ok=True)
            with open(path, 'w') as stream:
                stream.write(text)
        with open(path) as stream:
            assert stream.read() == text, (
                '%s is out of date: run MIGLOCK_WRITE_SAMPLES=1 pytest %s'
                % (path, __file__))


def test_version_1_0_has_the_fields_the_hand_built_payloads_had():
    payload = notifications.hold_payload(_hold(), _state(holds=(_hold(),)),
                                         None)
    assert sorted(payload) == ['miglock_object.data', 'miglock_object.name',
                               'miglock_object.namespace',
                               'miglock_object.version']
    data = payload['miglock_object.data']
    assert sorted(data) == sorted([
        'instance_uuid', 'project_id', 'holder', 'source', 'reason',
        'acquired_at', 'expires_at', 'generation', 'actor', 'lock'])
    assert data['actor'] == ''
    assert data['expires_at'] == '2026-11-26T12:02:00.000000Z'
    assert sorted(data['lock']['miglock_object.data']) == sorted([
        'instance_uuid', 'project_id', 'state', 'locked', 'holders',
        'lease_expires_at', 'static_locks', 'static_exempt_until',
        'generation', 'host', 'at'])
    assert notifications.lock_payload(_state(holds=(_hold(),))) == \
        data['lock']['miglock_object.data']


def test_nothing_is_built_when_notifications_are_off():
    notifier = notifications.Notifier.__new__(notifications.Notifier)
    notifier._notifier = None
    notifier.hold_changed(lock.EVENT_ACQUIRE, object(), object())


def test_consumers_read_known_majors_and_newer_minors():
    payload = notifications.static_payload(_state())
    assert payloads.data_of(payload, 'LockPayload')['host'] == 'compute-1'
    payload['miglock_object.version'] = '1.7'
    payload['miglock_object.data']['new_field'] = 1
    assert payloads.data_of(payload, 'LockPayload')['new_field'] == 1


@pytest.mark.parametrize('change', [
    {'miglock_object.version': '2.0'},
    {'miglock_object.name': 'HoldPayload'},
    {'miglock_object.namespace': 'nova'},
    {'miglock_object.data': None}])
def test_consumers_refuse_what_they_cannot_read(change):
    payload = dict(notifications.static_payload(_state()), **change)
    with pytest.raises(payloads.PayloadError):
        payloads.data_of(payload, 'LockPayload')


def test_consumers_refuse_what_is_not_a_payload():
    with pytest.raises(payloads.PayloadError):
        payloads.data_of(['x'], 'LockPayload')


def test_the_host_agent_reads_the_lock_of_every_event_by_version():
    for event_type, _priority, payload in _sent():
        if event_type.startswith(LOCKLESS):
            # A move request, an aged static lock or a tax carries no lock:
            # host agents ignore them (a hold's own events carry it).
            with pytest.raises(payloads.PayloadError):
                payloads.lock_of(payload)
            continue
        assert payloads.lock_of(payload)['generation'] == 7, event_type
    hold = _sent()[0][2]
    hold['miglock_object.data']['lock']['miglock_object.version'] = '2.0'
    with pytest.raises(payloads.PayloadError):
        payloads.lock_of(hold)
    with pytest.raises(payloads.PayloadError):
        payloads.lock_of({'nova_object.name': 'InstanceActionPayload'})
