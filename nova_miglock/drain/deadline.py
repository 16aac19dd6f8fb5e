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
"""What the drain does with what is still locked: static locks, deadline.

A static lock cannot end by waiting, so when only statically locked
instances are left the drain ends at once and says why. At the deadline
``--on-deadline`` decides: ``break`` ends the holds and admits the move in
one store transaction (the guest cannot lock again in between), ``skip``
leaves the instance, ``fail`` reports it as failed.
"""

from nova_miglock.drain import preference
from nova_miglock.drain import report as report_mod
from nova_miglock import lock
from nova_miglock import manager as lock_manager


def only_static_left(drain):
    """Whether all that is left is statically locked.

    Waiting cannot end a static lock (a tag, property, flavor or image
    says so until someone changes it), and neither can a break: the
    drain ends now rather than at the deadline, and says why.
    """
    pending = drain.pending()
    states = drain.store.get_states(pending)
    if not all(s.static_locking for s in states):
        return False
    for uuid, state in zip(pending, states):
        item = drain.items[uuid]
        item.outcome = report_mod.LOCKED
        item.message = ('%s; exempt it (nova-miglock-manage lock exempt)'
                        ' or remove the lock, then drain again'
                        % state.describe())
        drain.progress('%s: %s' % (item.name or uuid, item.message))
    return True


def at_deadline(drain):
    """Break, skip or fail what is left, as ``--on-deadline`` says."""
    for uuid in drain.pending():
        item = drain.items[uuid]
        if drain.options.on_deadline != 'break':
            item.outcome = (report_mod.SKIPPED
                            if drain.options.on_deadline == 'skip'
                            else report_mod.FAILED)
            item.message = 'still locked at the deadline'
        elif drain.fits(uuid):
            break_and_move(drain, item)


def break_and_move(drain, item):
    """End the holds of ``item`` and admit its move, in one step."""
    options = drain.options
    target = lock_manager.Target(instance_uuid=item.uuid,
                                 project_id=item.project_id,
                                 host=item.source)
    try:
        ticket = drain.manager.break_and_admit(
            target, kind=('cold-migration'
                          if item.action == preference.COLD
                          else 'live-migration'),
            actor=options.actor,
            reason='drain of %s: %s' % (', '.join(drain.hosts),
                                        options.reason))
    except lock.InstanceLocked as exc:
        item.outcome, item.message = report_mod.FAILED, exc.message
        return
    except lock.MigrationInProgress as exc:
        item.outcome = report_mod.RUNNING
        item.admitted_at, item.message = drain.now, exc.message
        drain.running[item.uuid] = item
        return
    item.broken = 1
    drain.progress('deadline: broke the locks of %s and admitted its '
                   'move' % (item.name or item.uuid))
    drain.attempt(item.uuid, ticket.ticket_id)
    if item.outcome != report_mod.RUNNING:
        # Nova refused the request: its gate closed the ticket, or it
        # never got there and the ticket must not outlive the drain.
        drain.manager.end_move(item.uuid, outcome='drain-failed',
                               ticket_id=ticket.ticket_id,
                               actor=options.actor, host=item.source)
        item.outcome = report_mod.FAILED
