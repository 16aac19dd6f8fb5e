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
"""Closing migration tickets whose end no notification reported.

A ticket past its deadline is checked against Nova: if the instance is gone,
or has no task in progress and its last migration is over, the ticket is
closed; otherwise its deadline is pushed back. A ticket is never closed on
the deadline alone: a long live migration must keep holds out.
"""

from novaclient import exceptions as nova_exceptions
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Migration statuses after which nothing moves any more.
FINAL_STATUSES = frozenset(['completed', 'confirmed', 'reverted', 'error',
                            'failed', 'cancelled', 'done'])


def verdict(nova, instance_uuid):
    """Why the instance's move is over, or None if it may still run."""
    try:
        server = nova.servers.get(instance_uuid)
    except nova_exceptions.NotFound:
        return 'instance-deleted'
    if getattr(server, 'OS-EXT-STS:task_state', None) is not None:
        return None
    if getattr(server, 'OS-EXT-STS:vm_state', None) == 'resized':
        return None  # awaiting confirm or revert: still moving
    migrations = sorted(nova.migrations.list(instance_uuid=instance_uuid),
                        key=lambda m: (m.created_at or '', m.id))
    if not migrations:
        return 'no-migration'
    status = migrations[-1].status
    return status if status in FINAL_STATUSES else None


class TicketReconciler:

    def __init__(self, manager, nova_factory):
        self._manager = manager
        self._nova_factory = nova_factory
        self._nova = None

    def run_once(self):
        """Check every overdue ticket once; return how many were closed."""
        closed = 0
        for ticket in self._manager.store.overdue_tickets():
            try:
                if self._nova is None:
                    self._nova = self._nova_factory()
                outcome = verdict(self._nova, ticket.instance_uuid)
            except Exception as exc:
                LOG.warning('Cannot check overdue ticket %(ticket)s of '
                            '%(instance)s with Nova: %(error)s',
                            {'ticket': ticket.ticket_id,
                             'instance': ticket.instance_uuid, 'error': exc})
                self._nova = None
                continue
            if outcome is None:
                self._manager.store.extend_ticket(
                    ticket.instance_uuid, ticket.ticket_id,
                    self._manager.conf.miglock.ticket_deadline)
                continue
            LOG.info('Closing overdue ticket %(ticket)s of %(instance)s: '
                     '%(outcome)s', {'ticket': ticket.ticket_id,
                                     'instance': ticket.instance_uuid,
                                     'outcome': outcome})
            self._manager.end_move(ticket.instance_uuid,
                                   ticket_id=ticket.ticket_id,
                                   outcome='reconciled-%s' % outcome,
                                   actor='nova-miglock-listener')
            closed += 1
        return closed
