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
"""Prepared write statements of the SQL lock store.

Statements are built once with bound parameters, so that the hot path pays
only for execution, not for building and cache-keying a statement per call.
"""

import dataclasses
import functools

import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import models

_INSERT_INSTANCE = sa.insert(models.instances).values(
    instance_uuid=sa.bindparam('b_uuid'),
    project_id=sa.bindparam('b_project_id'), host=sa.bindparam('b_host'),
    generation=0, charge_seconds=0.0, updated_at=engine.db_now())


def _insert(table, skip=()):
    """INSERT of every column (bound as ``b_<name>``) but ``skip``."""
    return sa.insert(table).values({
        column.name: sa.bindparam('b_' + column.name)
        for column in table.c if column.name not in skip})


def _prefixed(values):
    return {'b_' + name: value for name, value in values.items()}


_INSERT_HOLD = _insert(models.holds)
_INSERT_TICKET = _insert(models.tickets)
_INSERT_LEDGER = _insert(models.ledger, skip=('id',))
_DELETE_HOLD = sa.delete(models.holds).where(
    models.holds.c.instance_uuid == sa.bindparam('b_uuid'),
    models.holds.c.holder == sa.bindparam('b_holder'))
_HOLD_COLUMNS = ('project_id', 'source', 'reason', 'acquired_at',
                 'renewed_at', 'expires_at', 'generation')
_UPDATE_HOLD = sa.update(models.holds).where(
    models.holds.c.instance_uuid == sa.bindparam('b_uuid'),
    models.holds.c.holder == sa.bindparam('b_holder')).values(
        {name: sa.bindparam('b_' + name) for name in _HOLD_COLUMNS})


@functools.lru_cache(maxsize=64)
def _update_instance_statement(columns):
    return sa.update(models.instances).where(
        models.instances.c.instance_uuid == sa.bindparam('b_uuid')).values(
            {name: sa.bindparam('b_' + name) for name in columns})


def insert_instance(conn, instance_uuid, project_id, host=None):
    engine.execute(conn, _INSERT_INSTANCE, {'b_uuid': instance_uuid,
                                            'b_project_id': project_id or '',
                                            'b_host': host})


def update_instance(conn, instance_uuid, **values):
    params = _prefixed(values)
    params['b_uuid'] = instance_uuid
    engine.execute(conn, _update_instance_statement(tuple(sorted(values))),
                   params)


def _fields(item):
    # dataclasses.asdict deep-copies every value; a lock op cannot afford it
    return {field.name: getattr(item, field.name)
            for field in dataclasses.fields(item)}


def insert_hold(conn, hold):
    engine.execute(conn, _INSERT_HOLD, _prefixed(_fields(hold)))


def update_hold(conn, hold):
    params = {'b_' + name: getattr(hold, name) for name in _HOLD_COLUMNS}
    params.update(b_uuid=hold.instance_uuid, b_holder=hold.holder)
    engine.execute(conn, _UPDATE_HOLD, params)


def delete_hold(conn, hold):
    engine.execute(conn, _DELETE_HOLD, {'b_uuid': hold.instance_uuid,
                                        'b_holder': hold.holder})


def insert_ticket(conn, ticket, project_id):
    engine.execute(conn, _INSERT_TICKET, _prefixed(dict(
        _fields(ticket), project_id=project_id)))


def record(conn, *, at, event, instance_uuid, project_id, hold=None,
           reason='', actor='', expires_at=None, source=None):
    """Append one event to the ledger.

    ``source`` is the hold's, or for a refused move the source of the lock
    that refused it (``LockState.locking_source``).
    """
    engine.execute(conn, _INSERT_LEDGER, _prefixed({
        'at': at, 'event': event, 'instance_uuid': instance_uuid,
        'project_id': project_id,
        'holder': hold.holder if hold else None,
        'source': hold.source if hold else source,
        'acquired_at': hold.acquired_at if hold else None,
        'expires_at': expires_at or (hold.expires_at if hold else None),
        'reason': (reason or '')[:lock.MAX_REASON_LENGTH],
        'actor': (actor or '')[:255]}))
