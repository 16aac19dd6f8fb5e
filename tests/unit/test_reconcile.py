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
"""When a notified live-migration end closes its ticket.

Nova's API and the store are stood in for by small fakes with the same
calls: what is under test is the decision and its schedule (the functional
tests run it against the in-process Nova).
"""

import types

from nova_miglock import reconcile

UUID = '5f9f5b5e-2a6e-4e43-9d0e-6ad8f1a9c0b1'


class FakeNova:
    """Nova's servers and migrations API, answering from a script."""

    def __init__(self, statuses):
        self._statuses = list(statuses)
        self.servers = types.SimpleNamespace(get=self._server)
        self.migrations = types.SimpleNamespace(list=self._migrations)

    def _server(self, uuid):
        return types.SimpleNamespace(**{'OS-EXT-STS:task_state': None,
                                        'OS-EXT-STS:vm_state': 'active',
                                        'OS-EXT-SRV-ATTR:host': 'dest'})

    def _migrations(self, instance_uuid):
        status = self._statuses.pop(0)
        if isinstance(status, Exception):
            raise status
        return [types.SimpleNamespace(created_at='t', id=1, status=status)]


class FakeManager:
    def __init__(self):
        self.ended = []
        ticket = types.SimpleNamespace(ticket_id='ticket-1')
        self.store = types.SimpleNamespace(
            get_state=lambda uuid: types.SimpleNamespace(ticket=ticket))

    def end_move(self, instance_uuid, **kwargs):
        self.ended.append(kwargs)


def confirm(statuses):
    manager, delays = FakeManager(), []

    def schedule(delay, function, *args):
        delays.append(delay)
        function(*args)

    nova = FakeNova(statuses)
    reconciler = reconcile.TicketReconciler(manager, lambda: nova,
                                            schedule=schedule)
    reconciler.confirm_end(UUID, outcome='completed', actor='nova:x')
    return manager.ended, delays


def test_the_ticket_closes_once_novas_record_says_completed():
    ended, delays = confirm(['running', 'running', 'completed'])
    assert delays == [0.2, 0.5]
    # Where Nova has the instance once the move is over is recorded.
    assert ended == [{'ticket_id': 'ticket-1', 'actor': 'nova:x',
                      'outcome': 'completed', 'host': 'dest'}]


def test_novas_final_status_is_the_outcome():
    ended, _delays = confirm(['cancelled'])
    assert ended[0]['outcome'] == 'cancelled'


def test_a_record_still_running_leaves_the_ticket_to_its_deadline():
    ended, delays = confirm(['running'] * 7)
    assert (ended, delays) == ([], list(reconcile.CONFIRM_DELAYS))


def test_a_nova_that_cannot_be_asked_is_taken_at_its_notification():
    ended, delays = confirm([RuntimeError('no endpoint')] * 7)
    assert delays == list(reconcile.CONFIRM_DELAYS)
    assert ended[0]['outcome'] == 'completed'
