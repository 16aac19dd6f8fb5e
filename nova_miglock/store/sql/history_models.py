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
"""The saved history model: one JSON document per scope, replaced whole."""

from oslo_serialization import jsonutils
import sqlalchemy as sa

from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries

_TABLE = models.history_models


def load(store, scope):
    """The saved model of ``scope`` as plain data, or None."""
    with store._read() as conn:
        row = conn.execute(sa.select(_TABLE.c.data).where(
            _TABLE.c.scope == scope)).first()
    return None if row is None else jsonutils.loads(row.data)


def save(store, scope, data, as_of):
    """Replace the saved model of ``scope``."""
    with store._write() as conn:
        now = queries.read_now(conn)
        conn.execute(sa.delete(_TABLE).where(_TABLE.c.scope == scope))
        conn.execute(sa.insert(_TABLE).values(
            scope=scope, data=jsonutils.dumps(data, sort_keys=True),
            as_of=as_of, updated_at=now))


def stamps(store, scopes):
    """``{scope: (as_of, updated_at)}`` of the saved models, no data.

    What a reader that caches the documents compares to know whether it
    must load them again.
    """
    with store._read() as conn:
        rows = conn.execute(sa.select(
            _TABLE.c.scope, _TABLE.c.as_of, _TABLE.c.updated_at).where(
                _TABLE.c.scope.in_(list(scopes)))).all()
    return {r.scope: (r.as_of, r.updated_at) for r in rows}
