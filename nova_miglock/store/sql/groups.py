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
"""Group disruption budgets in the SQL lock store.

A member's admission runs inside the transaction that opens its ticket,
after the instance's row is locked: it records the groups the instance
belongs to, then locks each budgeted group's row (in key order, so two
admissions never wait on each other in a cycle), writes it, counts the
members with an open ticket and asks ``decisions.groups.decide``. Every
admission of a member of a group therefore holds that group's row until it
commits, and at READ COMMITTED each one counts every ticket committed
before it: no two can both take the last slot. The write, not only the
lock, is what serializes admissions on two nodes of a multi-writer Galera
cluster (row locks stay on their node; writes conflict at certification),
as for the quota row.
"""

import sqlalchemy as sa

from nova_miglock.decisions import groups as rules
from nova_miglock import lock
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import models

_BUDGETS = models.group_budgets
_MEMBERS = models.group_members


def _recorded(conn, instance_uuid):
    rows = conn.execute(sa.select(_MEMBERS.c.project_id,
                                  _MEMBERS.c.group_key).where(
        _MEMBERS.c.instance_uuid == instance_uuid))
    return [rules.GroupRef(r.project_id, r.group_key) for r in rows]


def _record(conn, instance_uuid, refs, now):
    """Make ``refs`` the instance's recorded groups.

    Only this instance's rows change, under its own row lock; its own
    membership never counts in its admission (it has no open ticket).
    """
    wanted = {(r.project_id, r.key) for r in refs}
    have = {(r.project_id, r.key) for r in _recorded(conn, instance_uuid)}
    for project_id, key in sorted(have - wanted):
        conn.execute(sa.delete(_MEMBERS).where(
            _MEMBERS.c.project_id == project_id,
            _MEMBERS.c.group_key == key,
            _MEMBERS.c.instance_uuid == instance_uuid))
    for project_id, key in sorted(wanted - have):
        conn.execute(sa.insert(_MEMBERS).values(
            project_id=project_id, group_key=key,
            instance_uuid=instance_uuid, recorded_at=now))


def _lock_budget(conn, ref):
    """Lock and write the group's budget row; None if it has no budget."""
    where = sa.and_(_BUDGETS.c.project_id == ref.project_id,
                    _BUDGETS.c.group_key == ref.key)
    row = conn.execute(sa.select(_BUDGETS).where(where)
                       .with_for_update()).first()
    if row is None:
        return None
    values = {'updated_at': engine.db_now()}
    if ref.size is not None:
        values['members'] = ref.size
    conn.execute(sa.update(_BUDGETS).where(where).values(**values))
    return row


def moving(conn, project_id, key, exclude=None):
    """The group's members with an open ticket (``rules.Move``)."""
    inst, tickets = models.instances, models.tickets
    query = (sa.select(tickets.c.instance_uuid, tickets.c.kind,
                       tickets.c.admitted_at, tickets.c.deadline)
             .select_from(_MEMBERS.join(
                 inst, inst.c.instance_uuid == _MEMBERS.c.instance_uuid)
                 .join(tickets, tickets.c.ticket_id == inst.c.ticket_id))
             .where(_MEMBERS.c.project_id == project_id,
                    _MEMBERS.c.group_key == key))
    if exclude is not None:
        query = query.where(_MEMBERS.c.instance_uuid != exclude)
    return [rules.Move(r.instance_uuid, r.kind, r.admitted_at, r.deadline)
            for r in conn.execute(query)]


def budget_of(row):
    return rules.Budget(row.max_moving, percent=bool(row.percent))


def admit(conn, *, instance_uuid, now, groups, enforce=True, poll_cap=None):
    """Check (and record) a member's move against its groups' budgets.

    ``groups``: the ``GroupRef`` Nova shows the instance in now, which
    replace the recorded ones; None when the caller does not know, and
    the recorded ones are judged. ``enforce=False`` (an evacuation: the
    host is down, the member is down already) records and counts the move
    but refuses nothing.

    :returns: the time the move is admitted at: read after the group rows
        are locked, when there are any, so that it is later than the end
        of every move it counted as ended (``close`` locks them too).
    :raises GroupBudgetSpent: naming the first group whose budget is spent.
    """
    if groups is None:
        refs = _recorded(conn, instance_uuid)
    else:
        refs = sorted(set(groups))
        _record(conn, instance_uuid, refs, now)
    rows = [(ref, _lock_budget(conn, ref))
            for ref in sorted(refs, key=lambda r: (r.project_id, r.key))]
    rows = [(ref, row) for ref, row in rows if row is not None]
    if not rows:
        return now
    now = conn.execute(sa.select(engine.db_now())).scalar_one()
    for ref, row in rows:
        if not enforce:
            continue
        size = ref.size if ref.size is not None else row.members
        verdict = rules.decide(
            rules.GroupRef(ref.project_id, ref.key, size), budget_of(row),
            moving(conn, ref.project_id, ref.key, exclude=instance_uuid),
            now, poll_cap=poll_cap)
        if not verdict.admitted:
            raise lock.GroupBudgetSpent(
                verdict.describe(instance_uuid),
                retry_after=verdict.retry_after, verdict=verdict)
    return now


def lock_for_close(conn, instance_uuid):
    """Lock the budget rows of the instance's groups before its move ends.

    Ends and admissions of a group's members are then ordered by the
    group's row, so every admission that counted a move as ended is
    stamped later than its end: the store's own times never show a group
    over its budget.
    """
    for ref in sorted(_recorded(conn, instance_uuid),
                      key=lambda r: (r.project_id, r.key)):
        conn.execute(sa.select(_BUDGETS.c.project_id).where(
            _BUDGETS.c.project_id == ref.project_id,
            _BUDGETS.c.group_key == ref.key).with_for_update()).first()


def _view(conn, row):
    return {'project_id': row.project_id, 'group': row.group_key,
            'kind': rules.kind_of(row.group_key),
            'max_moving': budget_of(row), 'members': row.members,
            'updated_by': row.updated_by, 'updated_at': row.updated_at,
            'moving': moving(conn, row.project_id, row.group_key)}


def set_budget(conn, project_id, key, budget, *, actor, members=None,
               member_uuids=None):
    """Create or replace a group's budget (and, if given, its members)."""
    now = conn.execute(sa.select(engine.db_now())).scalar_one()
    values = dict(max_moving=budget.value, percent=budget.percent,
                  updated_by=actor[:255], updated_at=now)
    if members is not None:
        values['members'] = members
    where = sa.and_(_BUDGETS.c.project_id == project_id,
                    _BUDGETS.c.group_key == key)
    if not conn.execute(sa.update(_BUDGETS).where(where)
                        .values(**values)).rowcount:
        conn.execute(sa.insert(_BUDGETS).values(
            project_id=project_id, group_key=key, **values))
    for instance_uuid in sorted(set(member_uuids or ())):
        exists = conn.execute(sa.select(_MEMBERS.c.instance_uuid).where(
            where_member(project_id, key, instance_uuid))).first()
        if exists is None:
            conn.execute(sa.insert(_MEMBERS).values(
                project_id=project_id, group_key=key,
                instance_uuid=instance_uuid, recorded_at=now))
    return get_budget(conn, project_id, key)


def where_member(project_id, key, instance_uuid):
    return sa.and_(_MEMBERS.c.project_id == project_id,
                   _MEMBERS.c.group_key == key,
                   _MEMBERS.c.instance_uuid == instance_uuid)


def get_budget(conn, project_id, key):
    row = conn.execute(sa.select(_BUDGETS).where(
        _BUDGETS.c.project_id == project_id,
        _BUDGETS.c.group_key == key)).first()
    return None if row is None else _view(conn, row)


def list_budgets(conn, project_id=None, limit=None):
    query = sa.select(_BUDGETS).order_by(_BUDGETS.c.project_id,
                                         _BUDGETS.c.group_key)
    if project_id is not None:
        query = query.where(_BUDGETS.c.project_id == project_id)
    if limit:
        query = query.limit(limit)
    return [_view(conn, row) for row in conn.execute(query).fetchall()]


def delete_budget(conn, project_id, key):
    """Forget a budget (its recorded members stay: they are facts)."""
    return bool(conn.execute(sa.delete(_BUDGETS).where(
        _BUDGETS.c.project_id == project_id,
        _BUDGETS.c.group_key == key)).rowcount)


def budgets_of(conn, instance_uuids):
    """``{uuid: [(GroupRef, Budget)]}``: the budgeted groups of instances.

    What the drain planner needs: the recorded memberships of the
    instances to move, for groups that have a budget.
    """
    uuids = list(instance_uuids)
    if not uuids:
        return {}
    rows = conn.execute(
        sa.select(_MEMBERS.c.instance_uuid, _BUDGETS)
        .select_from(_MEMBERS.join(_BUDGETS, sa.and_(
            _BUDGETS.c.project_id == _MEMBERS.c.project_id,
            _BUDGETS.c.group_key == _MEMBERS.c.group_key)))
        .where(_MEMBERS.c.instance_uuid.in_(uuids)))
    found = {}
    for row in rows:
        found.setdefault(row.instance_uuid, []).append((
            rules.GroupRef(row.project_id, row.group_key, row.members),
            budget_of(row)))
    return found
