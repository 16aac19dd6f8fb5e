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
"""Every write goes through the LockManager, with its notification.

The listener (a deleted instance), the reconciler (a move Nova says still
runs) and the operator commands (reap, ticket close, quota, purge) all
change the store through the manager, on a real store of each engine.
"""

import argparse
import datetime
import json
import uuid

import pytest

from nova_miglock import lock
from nova_miglock.manage import commands
from nova_miglock import manager as lock_manager

PROJECT = 'project-a'


class RecordingNotifier:
    """Stands in for oslo.messaging: what was sent is what is under test."""

    def __init__(self):
        self.sent = []

    def hold_changed(self, event, hold, state, actor=None):
        self.sent.append(('hold', event, hold.holder, actor))

    def move_changed(self, event, state, kind, ticket=None, actor=None,
                     reason=None):
        self.sent.append(('move', event, ticket.ticket_id if ticket else None,
                          actor))

    def static_changed(self, state):
        self.sent.append(('static', state.instance_uuid))

    def request_changed(self, step, request, actor=None, outcome=None):
        self.sent.append(('request', step, outcome, actor))


@pytest.fixture
def manager(conf, store):
    return lock_manager.LockManager(conf, store=store,
                                    notifier=RecordingNotifier())


def target():
    return lock_manager.Target(instance_uuid=str(uuid.uuid4()),
                               project_id=PROJECT)


def args(**values):
    return argparse.Namespace(format='json', **values)


def test_holds_ended_by_nova_deleting_the_instance_are_notified(manager):
    server = target()
    manager.acquire(server, 'db', source=lock.SOURCE_TENANT,
                    lease_seconds=60)
    ended = manager.end_holds(server.instance_uuid, event=lock.EVENT_RELEASE,
                              reason='instance deleted', actor='nova')
    assert [h.holder for h in ended] == ['db']
    assert manager._notifier.sent[-1] == ('hold', lock.EVENT_RELEASE, 'db',
                                          'nova')
    assert not manager.store.get_state(server.instance_uuid).locked


def test_an_extended_move_is_notified_and_a_closed_one_is_not(manager):
    server = target()
    ticket = manager.admit_move(server, kind='live-migration')
    assert manager.extend_move(server.instance_uuid, ticket.ticket_id,
                               actor='nova-miglock-listener')
    assert manager._notifier.sent[-1] == (
        'move', lock.EVENT_MOVE_EXTENDED, ticket.ticket_id,
        'nova-miglock-listener')
    manager.end_move(server.instance_uuid, outcome='completed')
    sent = len(manager._notifier.sent)
    assert not manager.extend_move(server.instance_uuid, ticket.ticket_id)
    assert len(manager._notifier.sent) == sent


def test_ticket_close_command_ends_the_move_through_the_manager(
        manager, capsys):
    server = target()
    ticket = manager.admit_move(server, kind='live-migration')
    commands.ticket_close(manager, args(instance=server.instance_uuid,
                                        outcome='operator-closed'))
    assert str(ticket.ticket_id) in capsys.readouterr().out
    assert manager._notifier.sent[-1][:3] == (
        'move', lock.EVENT_MOVE_ENDED, ticket.ticket_id)
    assert manager._notifier.sent[-1][3].startswith('operator')
    assert manager.store.get_state(server.instance_uuid).ticket is None


def test_reap_command_notifies_each_expired_hold(manager, store, capsys):
    server = target()
    manager.acquire(server, 'db', source=lock.SOURCE_TENANT,
                    lease_seconds=1)
    store.advance_clock(2)
    commands.reap(manager, args(limit=10))
    assert ['db'] == [h['holder'] for h in
                      json.loads(capsys.readouterr().out)]
    assert manager._notifier.sent[-1] == ('hold', lock.EVENT_EXPIRE, 'db',
                                          'store')


def test_purge_of_the_present_is_refused_and_changes_nothing(manager):
    server = target()
    manager.acquire(server, 'db', source=lock.SOURCE_TENANT,
                    lease_seconds=60)
    future = manager.now() + datetime.timedelta(seconds=5)
    with pytest.raises(lock.InvalidRequest):
        commands.ledger_purge(manager, args(before=future))
    assert len(manager.store.ledger()) == 1


def test_operator_reads_return_only_what_they_show(manager, store):
    server, other = target(), target()
    for lease in (60, 120, 180):
        manager.acquire(server, 'db', source=lock.SOURCE_TENANT,
                        lease_seconds=lease)
    state, events = manager.history(server.instance_uuid, events=2)
    assert [e['event'] for e in events] == [lock.EVENT_RENEW] * 2
    assert events[-1]['expires_at'] == state.holds[0].expires_at
    assert events == store.ledger(instance_uuid=server.instance_uuid)[-2:]
    first = manager.admit_move(other, kind='resize')
    manager.end_move(other.instance_uuid, outcome='completed')
    assert manager.list_tickets() == []
    manager.release(server, 'db', source=lock.SOURCE_TENANT)
    ticket = manager.admit_move(server, kind='live-migration')
    assert [t.ticket_id for t in manager.list_tickets(limit=5)] == [
        ticket.ticket_id]
    assert first.ticket_id != ticket.ticket_id


def test_each_move_request_step_is_notified_once(manager):
    who = target()
    manager.acquire(who, 'job', source=lock.SOURCE_GUEST, lease_seconds=60,
                    reason='', actor='guest')
    for _ in range(2):
        manager.open_move_request(who, seconds=600, reason='maintenance',
                                  actor='operator')
        manager.approve_move(who, actor='guest')
    manager.close_move_request(who.instance_uuid, outcome='moved',
                               actor='operator')
    manager.close_move_request(who.instance_uuid, outcome='moved',
                               actor='operator')
    steps = [s for s in manager._notifier.sent if s[0] == 'request']
    assert steps == [('request', 'opened', None, 'operator'),
                     ('request', 'approved', None, 'guest'),
                     ('request', 'closed', 'moved', 'operator')]
