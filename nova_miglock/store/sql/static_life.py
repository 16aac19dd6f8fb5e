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
"""The life of a tenant's static lock, in the instance row and the ledger.

Whenever the store writes an instance's static locks it asks here whether
a tenant's lock (tag, property, image) began or ended: the start goes to
``static_since`` (its age, for ``[miglock_sla]/static_max_age``) and both
to the ledger, so usage charges the lock like a hold and the
``locked_instances`` quota counts the instance.
"""

import collections

import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock import static_locks as static_rules
from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries
from nova_miglock.store.sql import writes

_NOTICE_EVENTS = (lock.EVENT_STATIC_WARN, lock.EVENT_STATIC_LAPSE)

# What the ledger writer reads of a hold.
_Life = collections.namedtuple('_Life',
                               'holder source acquired_at expires_at')


def tenant_locked(static_locks):
    return any(s.kind in static_rules.TENANT_KINDS for s in static_locks)


def track(conn, row, now, static_locks, actor=''):
    """Record a tenant lock that began or ended; the columns to write.

    :returns: ``{'static_since': ...}`` on a change, else ``{}``.
    """
    was = row.static_since is not None
    locked = tenant_locked(static_locks)
    if was == locked:
        return {}
    since = now if locked else row.static_since
    writes.record(
        conn, at=now,
        event=lock.EVENT_STATIC_SET if locked else lock.EVENT_STATIC_END,
        instance_uuid=row.instance_uuid, project_id=row.project_id,
        hold=_Life(lock.STATIC_HOLDER, lock.SOURCE_TENANT, since, None),
        reason=', '.join(s.describe() for s in static_locks
                         if s.kind in static_rules.TENANT_KINDS),
        actor=actor or 'store')
    return {'static_since': since if locked else None}


def notice(conn, row, now, name, actor):
    """Record age notice ``name`` (expiring, overdue, lapsed) of the lock.

    A lapse is an end: usage stops charging the lock there.
    """
    event = (lock.EVENT_STATIC_LAPSE if name == 'lapsed'
             else lock.EVENT_STATIC_WARN)
    writes.record(conn, at=now, event=event,
                  instance_uuid=row.instance_uuid, project_id=row.project_id,
                  hold=_Life(lock.STATIC_HOLDER, lock.SOURCE_TENANT,
                             row.static_since, None),
                  reason=name, actor=actor or 'store')


def ages(store, *, set_before, limit):
    """Tenant static locks that began before ``set_before``, with notices."""
    inst, led = models.instances, models.ledger
    with store._read() as conn:
        rows = conn.execute(
            sa.select(inst.c.instance_uuid, inst.c.project_id,
                      inst.c.static_since, inst.c.static_locks)
            .where(inst.c.static_since <= set_before)
            .order_by(inst.c.static_since).limit(limit)).all()
        found = [{'instance_uuid': r.instance_uuid,
                  'project_id': r.project_id,
                  'static_since': r.static_since,
                  'static_locks': tuple(
                      queries.static_locks_from(r.static_locks)),
                  'notified': set()} for r in rows]
        by_uuid = {f['instance_uuid']: f for f in found}
        if by_uuid:
            notices = conn.execute(
                sa.select(led.c.instance_uuid, led.c.acquired_at,
                          led.c.reason)
                .where(led.c.event.in_(_NOTICE_EVENTS),
                       led.c.holder == lock.STATIC_HOLDER,
                       led.c.instance_uuid.in_(list(by_uuid))))
            for uuid, since, reason in notices:
                if by_uuid[uuid]['static_since'] == since:
                    by_uuid[uuid]['notified'].add(reason)
    return found
