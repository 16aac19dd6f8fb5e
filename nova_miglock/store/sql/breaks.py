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
"""Break an instance's holds and admit its move in one transaction.

An operator who must move a locked instance used to break its lock, then
ask Nova to move it: two steps, between which the guest's next ``miglock
lock`` wins and the move is refused again. Here the holds end and the
migration ticket opens under the same row lock, so from the commit on any
new hold waits for the move (``MigrationInProgress``). A break ends holds,
never static locks: an instance whose flavor, image, tag or property locks
it is refused unless an operator exempted it (``lock exempt``).
"""

from nova_miglock import leases
from nova_miglock import lock
from nova_miglock.store.sql import queries
from nova_miglock.store.sql import writes


def break_and_admit(store, instance_uuid, *, project_id, kind, reason,
                    request_id=None, actor=None, host=None, groups=None):
    """End every hold and open a ``kind`` ticket, atomically.

    ``store`` is the SQL driver whose transaction helpers are used. The
    static locks judged are the ones the store remembers (the gate checks
    Nova's own again when the move reaches it).

    :returns: ``(ticket, state, ended_holds)``.
    :raises InstanceLocked: a static lock counts; nothing was changed but
        the refusal, which is recorded.
    :raises MigrationInProgress: another move is already admitted.
    :raises GroupBudgetSpent: a group of the instance has as many members
        moving as its budget allows; nothing was changed.
    """
    with store._write() as conn:
        row, snap = store._lock_for_move(conn, instance_uuid, project_id,
                                         host)
        now = snap.now
        static = queries.static_locks_from(row.static_locks)
        exempt = (row.static_exempt_until is not None and
                  row.static_exempt_until > now)
        if static and not exempt:
            active = [h for h in snap.holds.values() if h.is_active(now)]
            writes.update_instance(conn, row.instance_uuid,
                                   migration_requested_at=now)
            refusal = store._state(row, now, active,
                                   migration_requested_at=now)
            store._record(conn, at=now, event=lock.EVENT_MOVE_REFUSED,
                          row=row, reason=kind, actor=actor or '',
                          source=refusal.locking_source())
        else:
            refusal = None
            # Before anything is broken: a spent group budget refuses
            # the move and leaves the holds as they are.
            now = store.admit_in_groups(conn, row, now, groups)
            ended = store._delete_holds(
                conn, row, now, list(snap.holds.values()),
                event=lock.EVENT_BREAK, reason=reason, actor=actor or '')
            if ended:
                writes.update_instance(
                    conn, row.instance_uuid,
                    locked_until=leases.locked_until_after(
                        now=now, old_until=row.locked_until,
                        active_expiries=[]))
            ticket, state = store._admit(conn, row, now, kind, request_id,
                                         row.static_locks or '[]', actor)
    if refusal is not None:
        raise lock.InstanceLocked(
            '%s; a break ends holds, not static locks (see "lock exempt")'
            % refusal.describe(), state=refusal)
    return ticket, state, ended
