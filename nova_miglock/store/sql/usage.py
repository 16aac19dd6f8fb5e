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
"""Lock lives for usage reports, folded by the database.

A usage report over a month reads every acquire, renew and end of the
month; the database groups them by life (instance, holder, acquisition
time) and returns one row per hold or static lock, so Python only merges
the lives of each instance (``nova_miglock.accounting``).
"""

import sqlalchemy as sa

from nova_miglock import accounting
from nova_miglock.store.sql import models


def hold_lives(conn, *, project_id=None, since=None, until=None):
    """One mapping per life: its key, project, latest expiry, first end.

    ``expires_at`` is the latest expiry any of its events names (None for
    a static lock); ``ended_at`` the time of its first end event, if any.
    NOTE: a renewal that shortened a lease, of a hold neither ended nor
    reaped yet, counts with the longer expiry until the hold is reaped.
    """
    led = models.ledger
    ends = led.c.event.in_(accounting.END_EVENTS)
    query = sa.select(
        led.c.instance_uuid, led.c.holder, led.c.acquired_at,
        sa.func.min(led.c.project_id).label('project_id'),
        sa.func.max(led.c.expires_at).label('expires_at'),
        sa.func.min(sa.case((ends, led.c.at))).label('ended_at'),
    ).where(
        led.c.holder.is_not(None),
        led.c.event.in_(accounting.HOLD_EVENTS),
    ).group_by(led.c.instance_uuid, led.c.holder, led.c.acquired_at)
    if project_id is not None:
        query = query.where(led.c.project_id == project_id)
    if since is not None:
        query = query.where(led.c.at >= since)
    if until is not None:
        query = query.where(led.c.at < until)
    return [row._mapping for row in conn.execute(query)]
