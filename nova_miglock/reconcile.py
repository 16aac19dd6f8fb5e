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
"""Closing migration tickets when Nova's records say the move is over.

A ticket past its deadline is checked against Nova: if the instance is gone,
or has no task in progress and its last migration is over, the ticket is
closed; otherwise its deadline is pushed back. A ticket is never closed on
the deadline alone: a long live migration must keep holds out.

The same check ends live migrations (:meth:`TicketReconciler.confirm_end`):
Nova notifies their end (``instance.live_migration_post.end``,
``_rollback.end``, ``_abort.end``) before it records it in the migration
record, and a move ends when Nova's record says so.
"""

import threading

from novaclient import exceptions as nova_exceptions
from oslo_log import log as logging

from nova_miglock import lock

LOG = logging.getLogger(__name__)

# Migration statuses after which nothing moves any more.
FINAL_STATUSES = frozenset(['completed', 'confirmed', 'reverted', 'error',
                            'failed', 'cancelled', 'done'])


def verdict(nova, instance_uuid):
    """Why the instance's move is over, or None if it may still run."""
    over = _verdict_and_host(nova, instance_uuid)
    return over[0] if over else None


def _verdict_and_host(nova, instance_uuid):
    """``(why the move is over, the host Nova has it on)``, or None.

    Once the move is over the server's host is where the instance stays
    until its next admitted move, so it is recorded with the ticket's end.
    """
    try:
        server = nova.servers.get(instance_uuid)
    except nova_exceptions.NotFound:
        return 'instance-deleted', None
    if getattr(server, 'OS-EXT-STS:task_state', None) is not None:
        return None
    if getattr(server, 'OS-EXT-STS:vm_state', None) == 'resized':
        return None  # awaiting confirm or revert: still moving
    host = getattr(server, 'OS-EXT-SRV-ATTR:host', None) or None
    migrations = sorted(nova.migrations.list(instance_uuid=instance_uuid),
                        key=lambda m: (m.created_at or '', m.id))
    if not migrations:
        return 'no-migration', host
    status = migrations[-1].status
    return (status, host) if status in FINAL_STATUSES else None


# Seconds between the checks of a notified end, after the first at once.
CONFIRM_DELAYS = (0.2, 0.5, 1, 2, 5, 10)


def _start_timer(delay, function, *args):
    timer = threading.Timer(delay, function, args)
    timer.daemon = True
    timer.start()


class TicketReconciler:

    def __init__(self, manager, nova_factory, confirm_delays=CONFIRM_DELAYS,
                 schedule=_start_timer):
        self._manager = manager
        self._nova_factory = nova_factory
        self._nova = None
        self._confirm_delays = confirm_delays
        self._schedule = schedule

    def _verdict(self, instance_uuid):
        """``(why over, host)`` or None, with our cached client.

        :raises Exception: whatever asking Nova raised.
        """
        if self._nova is None:
            self._nova = self._nova_factory()
        try:
            return _verdict_and_host(self._nova, instance_uuid)
        except Exception:
            self._nova = None
            raise

    def confirm_end(self, instance_uuid, *, outcome, actor):
        """Close the open ticket once Nova's records say the move is over.

        Nova is asked at once, then after each of ``confirm_delays``
        (in a timer thread: the caller never waits). The outcome recorded
        is Nova's migration status. If Nova cannot be asked at all, the
        notification is taken at its word; if Nova still says the move
        runs, the ticket is left to its deadline and :meth:`run_once`.
        """
        state = self._manager.store.get_state(instance_uuid)
        if state.ticket is not None:
            self._confirm(instance_uuid, state.ticket.ticket_id, outcome,
                          actor, 0)

    def _confirm(self, instance_uuid, ticket_id, outcome, actor, attempt):
        answered = True
        try:
            over = self._verdict(instance_uuid)
        except Exception as exc:
            LOG.warning('Cannot ask Nova whether the move of %(instance)s '
                        'is over: %(error)s',
                        {'instance': instance_uuid, 'error': exc})
            over, answered = None, False
        if over is None and attempt < len(self._confirm_delays):
            self._schedule(self._confirm_delays[attempt], self._confirm,
                           instance_uuid, ticket_id, outcome, actor,
                           attempt + 1)
        elif over is not None:
            status, host = over
            self._end(instance_uuid, ticket_id, actor,
                      status if status in FINAL_STATUSES else outcome, host)
        elif not answered:
            self._end(instance_uuid, ticket_id, actor, outcome, None)
        else:
            LOG.warning('Nova still reports the move of %(instance)s as '
                        'running after it notified its end; ticket '
                        '%(ticket)s is left to its deadline',
                        {'instance': instance_uuid, 'ticket': ticket_id})

    def _end(self, instance_uuid, ticket_id, actor, outcome, host):
        try:
            self._manager.end_move(instance_uuid, ticket_id=ticket_id,
                                   actor=actor, outcome=outcome, host=host)
        except lock.MigLockError as exc:
            LOG.error('Could not close ticket %(ticket)s of %(instance)s; '
                      'its deadline will: %(error)s',
                      {'ticket': ticket_id, 'instance': instance_uuid,
                       'error': exc.message})

    def run_once(self):
        """Check every overdue ticket once; return how many were closed."""
        closed = 0
        for ticket in self._manager.store.overdue_tickets():
            try:
                over = self._verdict(ticket.instance_uuid)
            except Exception as exc:
                LOG.warning('Cannot check overdue ticket %(ticket)s of '
                            '%(instance)s with Nova: %(error)s',
                            {'ticket': ticket.ticket_id,
                             'instance': ticket.instance_uuid, 'error': exc})
                continue
            if over is None:
                self._manager.extend_move(
                    ticket.instance_uuid, ticket.ticket_id,
                    actor='nova-miglock-listener')
                continue
            outcome, host = over
            LOG.info('Closing overdue ticket %(ticket)s of %(instance)s: '
                     '%(outcome)s', {'ticket': ticket.ticket_id,
                                     'instance': ticket.instance_uuid,
                                     'outcome': outcome})
            self._manager.end_move(ticket.instance_uuid,
                                   ticket_id=ticket.ticket_id,
                                   outcome='reconciled-%s' % outcome,
                                   actor='nova-miglock-listener', host=host)
            closed += 1
        return closed
