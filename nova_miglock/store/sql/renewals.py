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
"""A renewal of one's own hold, in place: one conditional UPDATE first.

Most store writes are renewals: every guest agent renews its hold every
third of its lease. When nothing has happened to the instance since the
holder's last grant, the rule's answer to a renewal
(``decisions.holds.decide_acquire``) is known without reading anything:
the hold now ends ``lease`` seconds from now, and so does the instance's
locked period, charged the difference. ``decisions.holds.renews_in_place``
states those conditions; ``RENEW_INSTANCE`` is that predicate as the WHERE
clause of the instance row's UPDATE, and its SET clauses are
``decisions.holds.renew_in_place``. The UPDATE takes the instance's row
lock, as the full transaction's ``SELECT ... FOR UPDATE`` does, so a
renewal is ordered with every other change of the instance.

"Nothing has happened since" is the generations: every write to an
instance raises its generation, and a grant gives the hold the instance's
new generation, so the two are equal exactly while the holder's grant is
the instance's last change. A waiting UPDATE re-checks its WHERE clause on
the row as the other transaction left it (READ COMMITTED on MySQL and
PostgreSQL; SQLite writers are serialized from BEGIN), so a change made
meanwhile makes it match nothing, and the store falls back to the full
transaction, in the same database transaction.
"""

import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries

_INST, _HOLDS, _LEDGER = models.instances, models.holds, models.ledger
_LEASE = sa.bindparam('b_lease', type_=sa.Float)
# The lease minus max_hold: the period must end after the new expiry.
_MARGIN = sa.bindparam('b_margin', type_=sa.Float)
_UUID = sa.bindparam('b_uuid')
_HOLDER = sa.bindparam('b_holder')
_SOURCE = sa.bindparam('b_source')


def _mine(*columns):
    return sa.select(*columns).where(_HOLDS.c.instance_uuid == _UUID,
                                     _HOLDS.c.holder == _HOLDER)


def _instance(column):
    return sa.select(column).where(
        _INST.c.instance_uuid == _UUID).scalar_subquery()


_EXPIRES = engine.db_now_plus(_LEASE)
_TODAY = engine.db_today()


def _renew_instance(with_host):
    where = [
        _INST.c.instance_uuid == _UUID,
        _INST.c.ticket_id.is_(None),
        _INST.c.locked_until <= _EXPIRES,
        _INST.c.locked_since > engine.db_now_plus(_MARGIN),
        _INST.c.generation == _mine(_HOLDS.c.generation).where(
            _HOLDS.c.source == _SOURCE,
            _HOLDS.c.expires_at > engine.db_now()).scalar_subquery(),
        ~sa.exists().where(models.move_requests.c.instance_uuid == _UUID),
        ~sa.exists().where(
            models.quotas.c.project_id == _INST.c.project_id,
            sa.or_(models.quotas.c.locked_instances >= 0,
                   models.quotas.c.lock_seconds_per_day >= 0)),
    ]
    if with_host:
        where.append(_INST.c.host == sa.bindparam('b_host'))
    # In this order: MySQL assigns left to right and later assignments
    # see earlier ones, so the charge reads the old charge_day and
    # locked_until before they are replaced.
    return sa.update(_INST).where(*where).ordered_values(
        (_INST.c.charge_seconds, sa.case(
            (_INST.c.charge_day == _TODAY, _INST.c.charge_seconds),
            else_=sa.literal(0.0)) + engine.seconds_between(
                _INST.c.locked_until, _EXPIRES)),
        (_INST.c.charge_day, _TODAY),
        (_INST.c.locked_until, _EXPIRES),
        (_INST.c.generation, _INST.c.generation + 1),
        (_INST.c.updated_at, engine.db_now()),
    )


RENEW_INSTANCE = _renew_instance(False)
RENEW_INSTANCE_ON_HOST = _renew_instance(True)

# The hold takes what the instance row was just given.
RENEW_HOLD = sa.update(_HOLDS).where(
    _HOLDS.c.instance_uuid == _UUID, _HOLDS.c.holder == _HOLDER).values(
        expires_at=_instance(_INST.c.locked_until),
        renewed_at=_instance(_INST.c.updated_at),
        generation=_instance(_INST.c.generation),
        reason=sa.bindparam('b_reason'))

_LEDGER_COLUMNS = ['at', 'event', 'instance_uuid', 'project_id', 'holder',
                   'source', 'acquired_at', 'expires_at', 'reason', 'actor']

RECORD_RENEWAL = sa.insert(_LEDGER).from_select(
    _LEDGER_COLUMNS,
    _mine(_HOLDS.c.renewed_at, sa.literal(lock.EVENT_RENEW),
          _HOLDS.c.instance_uuid, _HOLDS.c.project_id, _HOLDS.c.holder,
          _HOLDS.c.source, _HOLDS.c.acquired_at, _HOLDS.c.expires_at,
          sa.bindparam('b_reason'), sa.bindparam('b_actor')))


def _one_statement(with_host):
    """The three writes and the state read as one PostgreSQL statement.

    Data-modifying CTEs: the instance row's UPDATE (``RENEW_INSTANCE``),
    the hold's UPDATE from what it returns, the ledger row from what that
    returns, and the instance's state from both plus the other holders'
    rows. Run outside a transaction it is one round trip and its own
    commit. The other holds are read in the statement's snapshot: they are
    current, because any change to them raised the instance's generation,
    which would have made the guard match nothing.
    """
    renewed = _renew_instance(with_host).returning(*_INST.c).cte('renewed')
    hold = sa.update(_HOLDS).where(
        _HOLDS.c.instance_uuid == _UUID, _HOLDS.c.holder == _HOLDER,
        renewed.c.instance_uuid == _UUID,
    ).values(
        expires_at=renewed.c.locked_until, renewed_at=renewed.c.updated_at,
        generation=renewed.c.generation, reason=sa.bindparam('b_reason'),
    ).returning(*_HOLDS.c).cte('renewed_hold')
    recorded = sa.insert(_LEDGER).from_select(
        _LEDGER_COLUMNS,
        sa.select(hold.c.renewed_at, sa.literal(lock.EVENT_RENEW),
                  hold.c.instance_uuid, hold.c.project_id, hold.c.holder,
                  hold.c.source, hold.c.acquired_at, hold.c.expires_at,
                  sa.bindparam('b_reason'), sa.bindparam('b_actor')),
    ).returning(_LEDGER.c.id).cte('recorded')
    holds = sa.union_all(
        sa.select(*hold.c),
        sa.select(*_HOLDS.c).where(_HOLDS.c.instance_uuid == _UUID,
                                   _HOLDS.c.holder != _HOLDER),
    ).subquery('all_holds')
    return sa.select(
        engine.db_now().label('now'),
        *[c.label('i_' + c.name) for c in renewed.c],
        *[c.label('h_' + c.name) for c in holds.c],
    ).select_from(renewed.join(holds, sa.true())).add_cte(recorded)


RENEW_RETURNING = _one_statement(False)
RENEW_RETURNING_ON_HOST = _one_statement(True)


def _params(instance_uuid, holder, source, lease_seconds, max_hold, host):
    params = {'b_uuid': instance_uuid, 'b_holder': holder,
              'b_source': source, 'b_lease': float(lease_seconds),
              'b_margin': float(lease_seconds - max_hold)}
    if host is not None:
        params['b_host'] = host
    return params


def renew_in_place(conn, instance_uuid, holder, *, source, lease_seconds,
                   max_hold, reason, actor, host=None):
    """Renew ``holder``'s hold if ``renews_in_place`` holds in the database.

    :returns: True if renewed (hold, instance row and ledger written),
        False if nothing was written and the full transaction must decide.
    """
    params = _params(instance_uuid, holder, source, lease_seconds, max_hold,
                     host)
    statement = RENEW_INSTANCE if host is None else RENEW_INSTANCE_ON_HOST
    if engine.execute(conn, statement, params) != 1:
        return False
    reason = (reason or '')[:lock.MAX_REASON_LENGTH]
    engine.execute(conn, RENEW_HOLD, {'b_uuid': instance_uuid,
                                      'b_holder': holder,
                                      'b_reason': reason})
    engine.execute(conn, RECORD_RENEWAL, {
        'b_uuid': instance_uuid, 'b_holder': holder, 'b_reason': reason,
        'b_actor': (actor or source)[:255]})
    return True


def renew_returning(conn, instance_uuid, holder, *, source, lease_seconds,
                    max_hold, reason, actor, host=None):
    """``renew_in_place`` as one statement that also returns the state.

    PostgreSQL only (data-modifying CTEs); run it on a connection in
    autocommit mode, where it is its own transaction.

    :returns: ``(hold, state)`` if renewed, None if nothing was written.
    """
    params = dict(_params(instance_uuid, holder, source, lease_seconds,
                          max_hold, host),
                  b_reason=(reason or '')[:lock.MAX_REASON_LENGTH],
                  b_actor=(actor or source)[:255])
    rows = engine.execute_prepared(
        conn, RENEW_RETURNING if host is None else RENEW_RETURNING_ON_HOST,
        params)
    if not rows:
        return None
    state = queries.state_from_rows(instance_uuid, rows)
    return next(h for h in state.holds if h.holder == holder), state
