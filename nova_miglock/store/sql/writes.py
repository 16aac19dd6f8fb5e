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
    project_id=sa.bindparam('b_project_id'), generation=0,
    charge_seconds=0.0, updated_at=engine.db_now())
_INSERT_HOLD = sa.insert(models.holds)
_INSERT_TICKET = sa.insert(models.tickets)
_INSERT_LEDGER = sa.insert(models.ledger)
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


def insert_instance(conn, instance_uuid, project_id):
    conn.execute(_INSERT_INSTANCE, {'b_uuid': instance_uuid,
                                    'b_project_id': project_id or ''})


def update_instance(conn, instance_uuid, **values):
    params = {'b_' + name: value for name, value in values.items()}
    params['b_uuid'] = instance_uuid
    conn.execute(_update_instance_statement(tuple(sorted(values))), params)


def insert_hold(conn, hold):
    conn.execute(_INSERT_HOLD, dataclasses.asdict(hold))


def update_hold(conn, hold):
    params = {'b_' + name: getattr(hold, name) for name in _HOLD_COLUMNS}
    params.update(b_uuid=hold.instance_uuid, b_holder=hold.holder)
    conn.execute(_UPDATE_HOLD, params)


def delete_hold(conn, hold):
    conn.execute(_DELETE_HOLD, {'b_uuid': hold.instance_uuid,
                                'b_holder': hold.holder})


def insert_ticket(conn, ticket, project_id):
    conn.execute(_INSERT_TICKET, dict(dataclasses.asdict(ticket),
                                      project_id=project_id))


def record(conn, *, at, event, instance_uuid, project_id, hold=None,
           reason='', actor='', expires_at=None):
    """Append one event to the ledger."""
    conn.execute(_INSERT_LEDGER, {
        'at': at, 'event': event, 'instance_uuid': instance_uuid,
        'project_id': project_id,
        'holder': hold.holder if hold else None,
        'source': hold.source if hold else None,
        'acquired_at': hold.acquired_at if hold else None,
        'expires_at': expires_at or (hold.expires_at if hold else None),
        'reason': (reason or '')[:lock.MAX_REASON_LENGTH],
        'actor': (actor or '')[:255]})
