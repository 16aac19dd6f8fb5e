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
"""Project quotas of the SQL lock store.

Only projects that have a limit pay for quotas: their charging acquires lock
the project's quota row, which serializes them, so a count or a sum read
under that lock cannot be overtaken by a concurrent grant.
"""

import datetime
import math

import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import models

# Counted limits: -1 is none, a row's NULL the configured default.
QUOTAS = ('locked_instances', 'lock_seconds_per_day')
# The project's SLA (``nova_miglock.decisions.sla``): NULL is not set, and
# the flavor or the configuration decides.
PERMISSIONS = ('guest_locks', 'static_locks')
CAPS = ('max_lease', 'max_hold')
SLA = PERMISSIONS + CAPS
LIMITS = QUOTAS + SLA
# Computed from the project's history (``nova_miglock.tax``), never set by
# hand; shown with the limits. None is no tax (rate 1).
COMPUTED = ('tax_rate',)


def effective_limits(quota_row, defaults):
    """``{name: limit}`` from a quota row (or None) and config defaults.

    SLA entries stay None where the project sets none.
    """
    limits = {}
    for name in LIMITS + COMPUTED:
        value = quota_row.get(name) if quota_row else None
        if value is None and name in QUOTAS:
            value = getattr(defaults, name)
        limits[name] = value
    return limits


def has_limit(limits):
    return any(limits[name] >= 0 for name in QUOTAS)


def validate(limits):
    """Raise InvalidRequest unless every limit is known and well formed."""
    unknown = set(limits) - set(LIMITS)
    if unknown:
        raise lock.InvalidRequest('unknown quota %s; known: %s' % (
            ', '.join(sorted(unknown)), ', '.join(LIMITS)))
    for name, value in limits.items():
        if value is None:
            continue
        if name in PERMISSIONS:
            if value not in ('allowed', 'forbidden'):
                raise lock.InvalidRequest(
                    'quota %s must be allowed or forbidden, got %r'
                    % (name, value))
            continue
        low = -1 if name in QUOTAS else 1
        if isinstance(value, bool) or not isinstance(value, int) or \
                value < low:
            raise lock.InvalidRequest(
                'quota %s must be a whole number >= %d, got %r'
                % (name, low, value))


def lock_quota_row(conn, project_id, defaults):
    """Lock the project's quota row, creating it, and return its limits."""
    quotas = models.quotas
    query = sa.select(quotas).where(
        quotas.c.project_id == project_id).with_for_update()
    row = conn.execute(query).first()
    if row is None:
        # A concurrent creator makes this raise DBDuplicateEntry; the whole
        # operation is then retried and finds the row.
        conn.execute(sa.insert(quotas).values(
            project_id=project_id, updated_at=engine.db_now()))
        row = conn.execute(query).first()
    else:
        # Written, not only locked: on a multi-writer Galera cluster a row
        # lock does not reach the other nodes, but a write does, so two
        # grants of one project on two nodes conflict at commit and the
        # later one is retried, counting the first.
        conn.execute(sa.update(quotas).where(
            quotas.c.project_id == project_id).values(
                updated_at=engine.db_now()))
    return effective_limits(row._mapping, defaults)


def seconds_to_next_day(now):
    tomorrow = datetime.datetime.combine(now.date() + datetime.timedelta(1),
                                         datetime.time())
    return max(1, math.ceil((tomorrow - now).total_seconds()))


def _locked(inst, now):
    """An instance locked now: by a hold, or by a tenant's static lock."""
    return sa.or_(inst.c.locked_until > now, inst.c.static_since.is_not(None))


def count_locked(conn, project_id, now, *, excluding=None):
    """Instances of ``project_id`` locked at ``now``, but ``excluding``.

    :returns: ``(count, whether excluding is locked itself)``.
    """
    inst = models.instances
    rows = conn.execute(
        sa.select(inst.c.instance_uuid).where(
            inst.c.project_id == project_id, _locked(inst, now))).all()
    uuids = {row.instance_uuid for row in rows}
    return len(uuids - {excluding}), excluding in uuids


def check(conn, *, instance_row, now, was_locked, charge_delta, limits):
    """Raise QuotaExceeded if granting this acquire breaks a limit."""
    inst = models.instances
    project_id = instance_row.project_id
    others = sa.and_(inst.c.project_id == project_id,
                     inst.c.instance_uuid != instance_row.instance_uuid)
    max_locked = limits['locked_instances']
    # A tenant's static lock counts as a lock of its instance (and its
    # instance is already locked); it never ends by itself, so it gives
    # no time to retry after.
    if max_locked >= 0 and not was_locked and \
            instance_row.static_since is None:
        count, soonest = conn.execute(
            sa.select(sa.func.count(), sa.func.min(inst.c.locked_until))
            .where(others, _locked(inst, now))).one()
        if soonest is not None and soonest <= now:
            soonest = None
        if count >= max_locked:
            retry = (math.ceil((soonest - now).total_seconds())
                     if soonest else None)
            raise lock.QuotaExceeded(
                'project %s already has %d locked instances, its limit '
                '(quota locked_instances=%d)' % (project_id, count,
                                                 max_locked),
                retry_after=max(1, retry) if retry else None,
                limit='locked_instances', value=max_locked)
    max_seconds = limits['lock_seconds_per_day']
    if max_seconds >= 0 and charge_delta > 0:
        today = now.date()
        used = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(inst.c.charge_seconds),
                                       0.0))
            .where(others, inst.c.charge_day == today)).scalar_one()
        if instance_row.charge_day == today:
            used += instance_row.charge_seconds
        if used + charge_delta > max_seconds + 1e-6:
            raise lock.QuotaExceeded(
                'project %s has used %d of its %d lock-seconds today and '
                'this lease needs %d more (quota lock_seconds_per_day)'
                % (project_id, used, max_seconds, math.ceil(charge_delta)),
                retry_after=seconds_to_next_day(now),
                limit='lock_seconds_per_day', value=max_seconds)


def set_limits(conn, project_id, limits):
    quotas = models.quotas
    values = dict(limits, updated_at=engine.db_now())
    updated = conn.execute(sa.update(quotas).where(
        quotas.c.project_id == project_id).values(**values)).rowcount
    if not updated:
        conn.execute(sa.insert(quotas).values(project_id=project_id,
                                              **values))


def read_row(conn, project_id):
    row = conn.execute(sa.select(models.quotas).where(
        models.quotas.c.project_id == project_id)).first()
    return row._mapping if row else None
