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
"""Reads of the SQL lock store and their conversion to domain objects."""

import collections

from oslo_serialization import jsonutils
import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import models

_ONE = sa.select(sa.literal(1).label('one')).subquery('one')

# Snapshot of one instance after its row is locked: the clock, every hold
# and the project's quota row, in one round trip.
Snapshot = collections.namedtuple('Snapshot', 'now holds quota')


def _labelled(table, prefix):
    return [c.label(prefix + c.name) for c in table.c]


class _Unprefix:
    """The columns of one result that carry ``prefix``, found once.

    Calling it with a row gives those columns' values by their names
    without the prefix, or None when all are NULL (an outer join that
    matched nothing). Found once per result rather than per row and
    prefix: on the renewal's path this was a sixth of the client's CPU.
    """

    def __init__(self, prefix):
        self._prefix, self._columns = prefix, None

    def __call__(self, row):
        if self._columns is None:
            size = len(self._prefix)
            self._columns = [(index, name[size:])
                             for index, name in enumerate(row._fields)
                             if name.startswith(self._prefix)]
        values = {name: row[index] for index, name in self._columns}
        return values if any(v is not None for v in values.values()) else None


def hold_from(values):
    return lock.Hold(
        instance_uuid=values['instance_uuid'], holder=values['holder'],
        project_id=values['project_id'], source=values['source'],
        reason=values['reason'], acquired_at=values['acquired_at'],
        renewed_at=values['renewed_at'], expires_at=values['expires_at'],
        generation=values['generation'])


def ticket_from(values):
    return lock.Ticket(
        ticket_id=values['ticket_id'],
        instance_uuid=values['instance_uuid'], kind=values['kind'],
        request_id=values['request_id'], admitted_at=values['admitted_at'],
        deadline=values['deadline'], closed_at=values['closed_at'],
        outcome=values['outcome'])


def static_locks_from(text):
    if not text:
        return ()
    return tuple(lock.StaticLock.from_dict(d) for d in jsonutils.loads(text))


def static_locks_to_text(static_locks):
    return jsonutils.dumps([s.to_dict() for s in static_locks],
                           sort_keys=True)


_LOCK_INSTANCE = sa.select(models.instances).where(
    models.instances.c.instance_uuid == sa.bindparam('b_uuid')
).with_for_update()


def lock_instance(conn, instance_uuid):
    """Lock and return an instance's row (None if absent)."""
    rows = engine.execute(conn, _LOCK_INSTANCE, {'b_uuid': instance_uuid})
    return rows[0] if rows else None


# The clock, every hold of one instance and its project's quota row.
_SNAPSHOT = sa.select(
    engine.db_now().label('now'), *_labelled(models.holds, 'h_'),
    *_labelled(models.quotas, 'q_'),
).select_from(
    _ONE.outerjoin(models.holds,
                   models.holds.c.instance_uuid == sa.bindparam('b_uuid'))
    .outerjoin(models.quotas,
               models.quotas.c.project_id == sa.bindparam('b_project_id')))

# An instance's row, holds and open ticket, with the clock.
_STATE = sa.select(
    engine.db_now().label('now'), *_labelled(models.instances, 'i_'),
    *_labelled(models.holds, 'h_'), *_labelled(models.tickets, 't_'),
).select_from(
    _ONE.outerjoin(models.instances, models.instances.c.instance_uuid ==
                   sa.bindparam('b_uuid'))
    .outerjoin(models.holds,
               models.holds.c.instance_uuid == sa.bindparam('b_uuid'))
    .outerjoin(models.tickets,
               models.tickets.c.ticket_id == models.instances.c.ticket_id))


def snapshot(conn, instance_uuid, project_id):
    """Read the clock, the instance's holds and its project's quota row.

    Run after ``lock_instance``: at READ COMMITTED this statement sees every
    change committed by the previous holder of the row lock.
    """
    now, found, quota = None, {}, None
    hold_of, quota_of = _Unprefix('h_'), _Unprefix('q_')
    for row in engine.execute(conn, _SNAPSHOT, {'b_uuid': instance_uuid,
                                                'b_project_id': project_id}):
        now = row.now
        hold = hold_of(row)
        if hold is not None:
            found[hold['holder']] = hold_from(hold)
        quota = quota or quota_of(row)
    return Snapshot(now=now, holds=found, quota=quota)


def read_state(conn, instance_uuid):
    """Read one instance's whole state in a single query, locking nothing."""
    return state_from_rows(
        instance_uuid, engine.execute(conn, _STATE, {'b_uuid': instance_uuid}))


def state_from_rows(instance_uuid, rows):
    """A LockState from rows of one instance's state.

    Each row has the clock (``now``), the instance row (``i_`` columns), a
    hold (``h_``) and the open ticket (``t_``).
    """
    now, row_values, ticket, found = None, None, None, []
    instance_of, ticket_of, hold_of = (_Unprefix('i_'), _Unprefix('t_'),
                                       _Unprefix('h_'))
    for row in rows:
        now = row.now
        row_values = row_values or instance_of(row)
        ticket = ticket or ticket_of(row)
        hold = hold_of(row)
        if hold is not None:
            found.append(hold_from(hold))
    return build_state(instance_uuid, now, row_values, found,
                       ticket_from(ticket) if ticket else None)


def build_state(instance_uuid, now, row, holds, ticket=None):
    """A LockState from an instance row (mapping or None) and its holds."""
    if row is None:
        return lock.LockState(instance_uuid=instance_uuid, now=now)
    active = tuple(sorted((h for h in holds if h.is_active(now)),
                          key=lambda h: (h.expires_at, h.holder)))
    if ticket is None and row['ticket_id']:
        ticket = lock.Ticket(ticket_id=row['ticket_id'],
                             instance_uuid=instance_uuid, kind='unknown',
                             request_id='', admitted_at=None, deadline=None)
    return lock.LockState(
        instance_uuid=instance_uuid, now=now,
        project_id=row['project_id'] or None, holds=active,
        static_locks=static_locks_from(row['static_locks']), ticket=ticket,
        locked_until=row['locked_until'], locked_since=row['locked_since'],
        migration_requested_at=row['migration_requested_at'],
        generation=row['generation'],
        static_exempt_until=row['static_exempt_until'],
        host=row['host'])


def read_now(conn):
    return conn.execute(sa.select(engine.db_now())).scalar_one()


def list_states(conn, project_id=None, locked_only=True, limit=None,
                host=None):
    inst = models.instances
    now = read_now(conn)
    query = sa.select(inst).order_by(inst.c.project_id,
                                     inst.c.instance_uuid)
    if project_id is not None:
        query = query.where(inst.c.project_id == project_id)
    if host is not None:
        query = query.where(inst.c.host == host)
    if locked_only:
        query = query.where(sa.or_(
            inst.c.locked_until > now, inst.c.ticket_id.is_not(None),
            sa.and_(inst.c.static_locks.is_not(None),
                    inst.c.static_locks != '[]')))
    if limit:
        query = query.limit(limit)
    rows = [r._mapping for r in conn.execute(query)]
    return _states_of(conn, now, rows)


def get_states(conn, instance_uuids):
    """The states of the given instances, in their order, in a few reads.

    An instance the store has never seen is unlocked.
    """
    inst = models.instances
    now = read_now(conn)
    wanted = list(dict.fromkeys(instance_uuids))
    found = {}
    for start in range(0, len(wanted), _CHUNK):
        for row in conn.execute(sa.select(inst).where(
                inst.c.instance_uuid.in_(wanted[start:start + _CHUNK]))):
            found[row.instance_uuid] = row._mapping
    states = {state.instance_uuid: state
              for state in _states_of(conn, now, list(found.values()))}
    return [states.get(uuid) or build_state(uuid, now, None, [])
            for uuid in instance_uuids]


def _states_of(conn, now, rows):
    uuids = [r['instance_uuid'] for r in rows]
    holds_by, tickets_by = _holds_and_tickets(conn, uuids)
    return [build_state(r['instance_uuid'], now, r,
                        holds_by.get(r['instance_uuid'], []),
                        tickets_by.get(r['ticket_id']))
            for r in rows]


# Rows per IN (...) list: well under every engine's parameter limit.
_CHUNK = 500


def _holds_and_tickets(conn, uuids):
    holds_by = collections.defaultdict(list)
    tickets_by = {}
    for start in range(0, len(uuids), _CHUNK):
        chunk = uuids[start:start + _CHUNK]
        for row in conn.execute(sa.select(models.holds).where(
                models.holds.c.instance_uuid.in_(chunk))):
            holds_by[row.instance_uuid].append(hold_from(row._mapping))
        for row in conn.execute(sa.select(models.tickets).where(
                models.tickets.c.instance_uuid.in_(chunk),
                models.tickets.c.closed_at.is_(None))):
            tickets_by[row.ticket_id] = ticket_from(row._mapping)
    return holds_by, tickets_by
