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
"""Aggregates over the whole SQL store, for monitoring.

Every figure is computed by the database (``COUNT``, ``SUM``, ``GROUP
BY``), so what crosses the wire is a few rows per source, move kind and
project, never a row per instance. The holds and the refusals are read
through their time indexes (``ix_miglock_holds_expires_at``,
``ix_miglock_ledger_at``); the instance table is scanned once for the
instances locked and once for today's charges, which stays in the
milliseconds at 10^5 instances (``bench/metrics.py`` measures it).
"""

import datetime
import time

import sqlalchemy as sa
from sqlalchemy.ext import compiler

from nova_miglock import lock
from nova_miglock.store import base
from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries

_EPOCH = datetime.datetime(1970, 1, 1)


class _epoch(sa.sql.functions.FunctionElement):
    """Seconds from 1970-01-01 to a naive (UTC) datetime column."""

    type = sa.Float()
    inherit_cache = True


@compiler.compiles(_epoch)
def _epoch_postgresql(element, compiler, **kw):
    return 'EXTRACT(EPOCH FROM %s)' % compiler.process(element.clauses, **kw)


@compiler.compiles(_epoch, 'sqlite')
def _epoch_sqlite(element, compiler, **kw):
    return '((julianday(%s) - 2440587.5) * 86400.0)' % compiler.process(
        element.clauses, **kw)


@compiler.compiles(_epoch, 'mysql')
@compiler.compiles(_epoch, 'mariadb')
def _epoch_mysql(element, compiler, **kw):
    # Not UNIX_TIMESTAMP: that one reads the value in the session's zone.
    return ("(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', %s) / 1000000.0)"
            % compiler.process(element.clauses, **kw))


def _seconds(when):
    return (when - _EPOCH).total_seconds()


def _static_locking(inst, now):
    return sa.and_(inst.c.static_locks.is_not(None),
                   inst.c.static_locks != '[]',
                   sa.or_(inst.c.static_exempt_until.is_(None),
                          inst.c.static_exempt_until <= now))


class _Timed:
    """Runs the summary's statements and remembers how long each took."""

    def __init__(self, conn):
        self._conn = conn
        self.timings = {}

    def rows(self, name, statement):
        started = time.monotonic()
        rows = self._conn.execute(statement).all()
        self.timings[name] = time.monotonic() - started
        return rows


def _count_locked(run, now):
    inst = models.instances
    return run.rows('locked', sa.select(sa.func.count()).where(
        sa.or_(inst.c.locked_until > now, _static_locking(inst, now))))[0][0]


def _static_by_kind(run, now):
    """Instances per static lock kind; each distinct list parsed once.

    NOTE: MySQL groups TEXT by its first ``max_sort_length`` bytes (1024 by
    default), some fifteen static locks; instances rarely carry more than
    two.
    """
    inst = models.instances
    counts = {}
    for text, count in run.rows('static', sa.select(
            inst.c.static_locks, sa.func.count()).where(
                _static_locking(inst, now)).group_by(inst.c.static_locks)):
        for kind in {s.kind for s in queries.static_locks_from(text)}:
            counts[kind] = counts.get(kind, 0) + count
    return counts


def _cumulative(column, bounds, *, older):
    """One ``SUM(CASE ...)`` per bound: rows with ``column`` within it."""
    return [sa.func.sum(sa.case((column >= bound if older else
                                 column <= bound, 1), else_=0))
            for bound in bounds]


def _holds(run, now, age_bounds, lease_bounds):
    holds = models.holds
    ages = [now - datetime.timedelta(seconds=b) for b in age_bounds]
    leases = [now + datetime.timedelta(seconds=b) for b in lease_bounds]
    columns = ([holds.c.source, sa.func.count(),
                sa.func.count(sa.distinct(holds.c.instance_uuid)),
                sa.func.sum(_epoch(holds.c.acquired_at)),
                sa.func.sum(_epoch(holds.c.expires_at))] +
               _cumulative(holds.c.acquired_at, ages, older=True) +
               _cumulative(holds.c.expires_at, leases, older=False))
    by_source, instances, age, left = {}, {}, {}, {}
    now_s = _seconds(now)
    for row in run.rows('holds', sa.select(*columns).where(
            holds.c.expires_at > now).group_by(holds.c.source)):
        source, count, distinct, acquired, expires = row[:5]
        buckets = [int(v or 0) for v in row[5:]]
        by_source[source], instances[source] = count, distinct
        age[source] = base.Histogram(
            counts=tuple(buckets[:len(age_bounds)]) + (count,),
            total=max(0.0, count * now_s - float(acquired)))
        left[source] = base.Histogram(
            counts=tuple(buckets[len(age_bounds):]) + (count,),
            total=max(0.0, float(expires) - count * now_s))
    return by_source, instances, age, left


def _open_moves(run):
    tickets = models.tickets
    return dict(run.rows('tickets', sa.select(
        tickets.c.kind, sa.func.count()).where(
            tickets.c.closed_at.is_(None)).group_by(tickets.c.kind)))


def _refusals(run, since):
    led = models.ledger
    rows = run.rows('refusals', sa.select(
        led.c.reason, led.c.source, sa.func.count()).where(
            led.c.at >= since, led.c.event == lock.EVENT_MOVE_REFUSED
    ).group_by(led.c.reason, led.c.source))
    return {(kind, source or 'unknown'): count
            for kind, source, count in rows}


def _charged_today(run, now):
    inst = models.instances
    # NOTE: grouped by an expression, not the column: SQLite would walk
    # the (project_id, charge_day) index to avoid a sort and look every
    # row up from it, three times slower than one scan at 10^5 instances.
    project = inst.c.project_id.concat('')
    return {key: round(float(total), 3) for key, total in run.rows(
        'charges', sa.select(project, sa.func.sum(inst.c.charge_seconds))
        .where(inst.c.charge_day == now.date(), inst.c.charge_seconds > 0)
        .group_by(project))}


def _tax_rates(run):
    quotas = models.quotas
    return {key: float(rate) for key, rate in run.rows(
        'tax_rates', sa.select(quotas.c.project_id, quotas.c.tax_rate)
        .where(quotas.c.tax_rate.is_not(None)))}


def read(conn, *, refusal_window, age_bounds, lease_bounds):
    """A ``base.LockSummary`` read in one transaction on ``conn``."""
    run = _Timed(conn)
    started = time.monotonic()
    now = queries.read_now(conn)
    run.timings['clock'] = time.monotonic() - started
    holds, held, age, left = _holds(run, now, age_bounds, lease_bounds)
    by_source = dict(held, **_static_by_kind(run, now))
    return base.LockSummary(
        now=now, locked_instances=_count_locked(run, now),
        locked_by_source=by_source, holds_by_source=holds,
        open_moves=_open_moves(run),
        refusals=_refusals(run, now - datetime.timedelta(
            seconds=refusal_window)),
        charged_today=_charged_today(run, now), tax_rates=_tax_rates(run),
        hold_age=age,
        lease_left=left, timings=run.timings)
