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
"""The SQL lock store driver.

Every mutating operation is one transaction that starts by locking the
instance's row (``SELECT ... FOR UPDATE``; the database write lock on
SQLite), then reads the store's clock and the instance's holds, decides, and
writes the hold, the instance row and the ledger together. Holds and moves
of one instance are therefore totally ordered, and a crash at any point
leaves either the whole change or none of it.
"""

import contextlib
import dataclasses
import functools
import random
import time
import uuid

from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa

from nova_miglock import leases
from nova_miglock import lock
from nova_miglock.store import base
from nova_miglock.store.sql import breaks
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import history_models
from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries
from nova_miglock.store.sql import quota
from nova_miglock.store.sql import requests
from nova_miglock.store.sql import writes

LOG = logging.getLogger(__name__)


def _retry_on_conflict(func):
    """Retry a whole transaction after a deadlock or a racing first insert.

    Each attempt is a complete transaction that was rolled back, so a retry
    never applies a change twice.
    """
    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        attempts = self._conf.miglock_store.deadlock_retries + 1
        for attempt in range(attempts):
            try:
                return func(self, *args, **kwargs)
            except (db_exc.DBDeadlock, db_exc.DBDuplicateEntry) as exc:
                if attempt + 1 >= attempts:
                    raise lock.StoreUnavailable(
                        'the lock store stayed contended after %d attempts: '
                        '%s' % (attempts, exc.__class__.__name__)) from exc
                LOG.debug('Retrying %(op)s after %(error)s',
                          {'op': func.__name__,
                           'error': exc.__class__.__name__})
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
    return wrapper


class SQLLockStore(base.LockStore):
    """Lock store on SQLite, MySQL/MariaDB or PostgreSQL."""

    def __init__(self, conf, connection=None):
        self._conf = conf
        self._url = connection or conf.miglock_store.connection
        self._engine = engine.create_engine(self._url, conf.miglock_store)

    @property
    def url(self):
        return self._url

    @property
    def sql_engine(self):
        return self._engine

    def dispose(self):
        self._engine.dispose()

    @contextlib.contextmanager
    def _write(self):
        with engine.translate_errors(self._url):
            with self._engine.connect().execution_options(
                    **{engine.WRITE: True}) as conn:
                with conn.begin():
                    yield conn

    @contextlib.contextmanager
    def _read(self):
        with engine.translate_errors(self._url):
            with self._engine.connect() as conn:
                with conn.begin():
                    yield conn

    # -- helpers used inside one write transaction --------------------------

    def _lock_or_create(self, conn, instance_uuid, project_id, host=None):
        """Lock the instance's row, creating it if needed.

        ``host``, when given, is where Nova has the instance according to a
        fresh read of Nova's database; it replaces what the row says.
        """
        row = queries.lock_instance(conn, instance_uuid)
        if row is None:
            # A concurrent creator makes this raise DBDuplicateEntry and the
            # operation is retried from the start.
            writes.insert_instance(conn, instance_uuid, project_id, host)
            row = queries.lock_instance(conn, instance_uuid)
        elif host is not None and row.host != host:
            writes.update_instance(conn, instance_uuid, host=host)
            row = queries.lock_instance(conn, instance_uuid)
        return row

    @staticmethod
    def _record(conn, *, row, **kwargs):
        writes.record(conn, instance_uuid=row.instance_uuid,
                      project_id=row.project_id, **kwargs)

    @staticmethod
    def _state(row, now, holds, **changes):
        values = dict(row._mapping)
        values.update(changes)
        return queries.build_state(row.instance_uuid, now, values, holds)

    def _limits_for(self, snapshot):
        return quota.effective_limits(snapshot.quota, self._conf.miglock_quota)

    # -- holds --------------------------------------------------------------

    @_retry_on_conflict
    def try_acquire(self, instance_uuid, holder, *, project_id, source,
                    lease_seconds, reason, limits, actor=None,
                    renew_only=False, host=None):
        with self._write() as conn:
            row = self._lock_or_create(conn, instance_uuid, project_id, host)
            snap = queries.snapshot(conn, instance_uuid,
                                    row.project_id or project_id)
            now = snap.now
            if row.ticket_id:
                raise lock.MigrationInProgress(
                    'a migration of instance %s is in progress'
                    % instance_uuid,
                    retry_after=self._conf.miglock.migrating_retry_after)
            mine = snap.holds.get(holder)
            mine_active = mine is not None and mine.is_active(now)
            if renew_only and not (mine_active and mine.source == source):
                raise lock.NotHeld(
                    'instance %s has no active hold %r to renew; it expired '
                    'or was broken' % (instance_uuid, holder))
            if mine_active and mine.source != source:
                raise lock.NotPermitted(
                    'holder %r of instance %s belongs to the %s, not the %s'
                    % (holder, instance_uuid, mine.source, source),
                    rule='holder_owner')
            others = [h for h in snap.holds.values()
                      if h.holder != holder and h.is_active(now)]
            if not mine_active and len(others) >= limits.max_holders:
                raise lock.TooManyHolders(
                    'instance %s already has %d holders, the limit '
                    '(max_holders)' % (instance_uuid, len(others)),
                    retry_after=leases.retry_after(
                        now, min(h.expires_at for h in others)))
            others_until = max((h.expires_at for h in others), default=None)
            was_locked = mine_active or bool(others)
            start = leases.period_start(
                now=now, locked=was_locked, locked_until=row.locked_until,
                locked_since=row.locked_since, gap=limits.min_unlocked_gap)
            expires = leases.grant_expiry(
                now=now, lease_seconds=lease_seconds, start=start,
                others_until=others_until, limits=limits)
            expires = requests.cap(conn, instance_uuid, now, expires)
            new_until = max(expires, others_until or expires)
            day, charged, delta = leases.charge(
                now=now, old_until=row.locked_until if was_locked else None,
                new_until=new_until, charge_day=row.charge_day,
                charge_seconds=row.charge_seconds)
            quota_limits = self._limits_for(snap)
            if quota.has_limit(quota_limits) and (delta > 0 or
                                                  not was_locked):
                quota_limits = quota.lock_quota_row(
                    conn, row.project_id, self._conf.miglock_quota)
                quota.check(conn, instance_row=row, now=now,
                            was_locked=was_locked, charge_delta=delta,
                            limits=quota_limits)
            generation = row.generation + 1
            hold = lock.Hold(
                instance_uuid=instance_uuid, holder=holder,
                project_id=row.project_id, source=source, reason=reason,
                acquired_at=mine.acquired_at if mine_active else now,
                renewed_at=now, expires_at=expires, generation=generation)
            if mine is None:
                writes.insert_hold(conn, hold)
            else:
                writes.update_hold(conn, hold)
            writes.update_instance(
                conn, row.instance_uuid, generation=generation,
                locked_until=new_until,
                locked_since=start, charge_day=day, charge_seconds=charged,
                updated_at=now)
            if mine is not None and not mine_active:
                self._record(conn, at=mine.expires_at, event=lock.EVENT_EXPIRE,
                             row=row, hold=mine, actor='store')
            self._record(conn, at=now,
                         event=(lock.EVENT_RENEW if mine_active
                                else lock.EVENT_ACQUIRE),
                         row=row, hold=hold, reason=reason,
                         actor=actor or source)
            state = self._state(row, now, others + [hold],
                                generation=generation,
                                locked_until=new_until, locked_since=start)
        return hold, state

    @_retry_on_conflict
    def release(self, instance_uuid, holder, *, source, actor=None,
                force=False):
        ended, state = self._end(
            instance_uuid, [holder], event=lock.EVENT_RELEASE, reason='',
            actor=actor or source, owner=None if force else source)
        return (ended[0] if ended else None), state

    @_retry_on_conflict
    def end_holds(self, instance_uuid, *, event, reason, actor, holder=None):
        return self._end(instance_uuid, [holder] if holder else None,
                         event=event, reason=reason, actor=actor)

    def _end(self, instance_uuid, holders, *, event, reason, actor,
             owner=None):
        """End the named holds (all if None); expired ones count as expired.

        :returns: ``(holds that were active and ended, state)``.
        """
        with self._write() as conn:
            row = queries.lock_instance(conn, instance_uuid)
            if row is None:
                return [], None
            snap = queries.snapshot(conn, instance_uuid, row.project_id)
            now = snap.now
            named = [h for h in snap.holds.values()
                     if holders is None or h.holder in holders]
            foreign = [h for h in named
                       if owner is not None and h.source != owner]
            blocking = [h for h in foreign if h.is_active(now)]
            if blocking:
                raise lock.NotPermitted(
                    'holder %r of instance %s belongs to the %s, not the %s'
                    % (blocking[0].holder, instance_uuid, blocking[0].source,
                       owner), rule='holder_owner')
            # An expired hold of another source is left to the reaper.
            targets = [h for h in named if h not in foreign]
            if not targets:
                return [], queries.build_state(
                    instance_uuid, now, row._mapping,
                    list(snap.holds.values()))
            ended = self._delete_holds(conn, row, now, targets, event=event,
                                       reason=reason, actor=actor)
            remaining = [h for h in snap.holds.values()
                         if h not in targets and h.is_active(now)]
            new_until = leases.locked_until_after(
                now=now, old_until=row.locked_until,
                active_expiries=[h.expires_at for h in remaining])
            day, charged, _ = leases.charge(
                now=now, old_until=row.locked_until, new_until=new_until,
                charge_day=row.charge_day, charge_seconds=row.charge_seconds)
            generation = row.generation + 1
            writes.update_instance(
                conn, row.instance_uuid, generation=generation,
                locked_until=new_until, charge_day=day,
                charge_seconds=charged, updated_at=now)
            state = self._state(row, now, remaining, generation=generation,
                                locked_until=new_until)
        return ended, state

    def _delete_holds(self, conn, row, now, targets, *, event, reason, actor):
        ended = []
        for hold in targets:
            writes.delete_hold(conn, hold)
            if hold.is_active(now):
                ended.append(hold)
                self._record(conn, at=now, event=event, row=row, hold=hold,
                             reason=reason, actor=actor)
            else:
                self._record(conn, at=hold.expires_at,
                             event=lock.EVENT_EXPIRE, row=row, hold=hold,
                             actor='store')
        return ended

    @_retry_on_conflict
    def _reap_instance(self, instance_uuid):
        with self._write() as conn:
            row = queries.lock_instance(conn, instance_uuid)
            if row is None:
                return []
            snap = queries.snapshot(conn, instance_uuid, row.project_id)
            expired = [h for h in snap.holds.values()
                       if not h.is_active(snap.now)]
            if not expired:
                return []
            self._delete_holds(conn, row, snap.now, expired,
                               event=lock.EVENT_EXPIRE, reason='',
                               actor='store')
            generation = row.generation + 1
            writes.update_instance(conn, row.instance_uuid,
                                   generation=generation, updated_at=snap.now)
            remaining = [h for h in snap.holds.values()
                         if h.is_active(snap.now)]
            state = self._state(row, snap.now, remaining,
                                generation=generation)
        return [(hold, state) for hold in expired]

    def reap(self, *, limit=1000):
        holds = models.holds
        with self._read() as conn:
            uuids = [r.instance_uuid for r in conn.execute(
                sa.select(holds.c.instance_uuid).distinct()
                .where(holds.c.expires_at <= engine.db_now()).limit(limit))]
        reaped = []
        for instance_uuid in uuids:
            reaped.extend(self._reap_instance(instance_uuid))
        return reaped

    # -- moves --------------------------------------------------------------

    @_retry_on_conflict
    def open_ticket(self, instance_uuid, *, project_id, kind, request_id,
                    static_locks, actor=None, host=None):
        static_locks = tuple(static_locks)
        with self._write() as conn:
            row, snap = self._lock_for_move(conn, instance_uuid, project_id,
                                            host)
            now = snap.now
            active = [h for h in snap.holds.values() if h.is_active(now)]
            static_text = queries.static_locks_to_text(static_locks)
            exempt = (row.static_exempt_until is not None and
                      row.static_exempt_until > now)
            if active or (static_locks and not exempt):
                writes.update_instance(
                    conn, row.instance_uuid, static_locks=static_text,
                    migration_requested_at=now)
                self._record(conn, at=now, event=lock.EVENT_MOVE_REFUSED,
                             row=row, reason=kind, actor=actor or '')
                refusal = self._state(row, now, active,
                                      static_locks=static_text,
                                      migration_requested_at=now)
            else:
                refusal = None
                ticket, state = self._admit(conn, row, now, kind, request_id,
                                            static_text, actor)
        if refusal is not None:
            # Raised after the commit: the refusal itself is recorded.
            raise lock.InstanceLocked(refusal.describe(), state=refusal)
        return ticket, state

    @_retry_on_conflict
    def admit_evacuation(self, instance_uuid, *, project_id, request_id,
                         static_locks, actor=None, host=None):
        static_text = queries.static_locks_to_text(tuple(static_locks))
        with self._write() as conn:
            row, snap = self._lock_for_move(conn, instance_uuid, project_id,
                                            host)
            now = snap.now
            ended = self._delete_holds(
                conn, row, now, list(snap.holds.values()),
                event=lock.EVENT_EVACUATED, reason='evacuated',
                actor=actor or '')
            if ended:
                writes.update_instance(
                    conn, row.instance_uuid,
                    locked_until=leases.locked_until_after(
                        now=now, old_until=row.locked_until,
                        active_expiries=[]))
            ticket, state = self._admit(conn, row, now, 'evacuation',
                                        request_id, static_text, actor)
        return ticket, state, ended

    @_retry_on_conflict
    def break_and_admit(self, instance_uuid, **kwargs):
        return breaks.break_and_admit(self, instance_uuid, **kwargs)

    @_retry_on_conflict
    def open_move_request(self, instance_uuid, **kwargs):
        return requests.open_request(self, instance_uuid, **kwargs)

    @_retry_on_conflict
    def close_move_request(self, instance_uuid, **kwargs):
        return requests.close_request(self, instance_uuid, **kwargs)

    @_retry_on_conflict
    def approve_move_request(self, instance_uuid, *, actor):
        return requests.approve(self, instance_uuid, actor=actor)

    def load_history_model(self, scope):
        return history_models.load(self, scope)

    @_retry_on_conflict
    def save_history_model(self, scope, data, as_of):
        return history_models.save(self, scope, data, as_of)

    def get_move_request(self, instance_uuid):
        return requests.get_request(self, instance_uuid)

    def _lock_for_move(self, conn, instance_uuid, project_id, host=None):
        row = self._lock_or_create(conn, instance_uuid, project_id, host)
        snap = queries.snapshot(conn, instance_uuid, row.project_id)
        if row.ticket_id:
            raise lock.MigrationInProgress(
                'another move of instance %s is in progress (ticket %s)'
                % (instance_uuid, row.ticket_id),
                retry_after=self._conf.miglock.migrating_retry_after)
        return row, snap

    def _admit(self, conn, row, now, kind, request_id, static_text, actor):
        ticket = lock.Ticket(
            ticket_id=str(uuid.uuid4()), instance_uuid=row.instance_uuid,
            kind=kind, request_id=request_id or '', admitted_at=now,
            deadline=now + leases.seconds(
                self._conf.miglock.ticket_deadline))
        writes.insert_ticket(conn, ticket, row.project_id)
        generation = row.generation + 1
        writes.update_instance(
            conn, row.instance_uuid, ticket_id=ticket.ticket_id,
            static_locks=static_text, migration_requested_at=None,
            generation=generation, updated_at=now)
        self._record(conn, at=now, event=lock.EVENT_MOVE_ADMITTED, row=row,
                     reason=kind, actor=actor or '')
        state = self._state(row, now, [], ticket_id=ticket.ticket_id,
                            static_locks=static_text,
                            migration_requested_at=None,
                            generation=generation)
        return ticket, dataclasses.replace(state, ticket=ticket)

    @_retry_on_conflict
    def close_ticket(self, instance_uuid, *, outcome, ticket_id=None,
                     actor=None, host=None):
        with self._write() as conn:
            row = queries.lock_instance(conn, instance_uuid)
            if row is None or not row.ticket_id or (
                    ticket_id is not None and ticket_id != row.ticket_id):
                return None, None
            snap = queries.snapshot(conn, instance_uuid, row.project_id)
            tickets = models.tickets
            conn.execute(sa.update(tickets).where(
                tickets.c.ticket_id == row.ticket_id).values(
                    closed_at=snap.now, outcome=outcome[:32]))
            ticket_row = conn.execute(sa.select(tickets).where(
                tickets.c.ticket_id == row.ticket_id)).one()
            generation = row.generation + 1
            # After a move Nova may have the instance elsewhere: the host is
            # unknown until Nova names it again (``host``, when the caller
            # read it from Nova after the move ended).
            writes.update_instance(
                conn, row.instance_uuid, ticket_id=None, host=host,
                generation=generation, updated_at=snap.now)
            self._record(conn, at=snap.now, event=lock.EVENT_MOVE_ENDED,
                         row=row, reason=outcome, actor=actor or '')
            state = self._state(row, snap.now, list(snap.holds.values()),
                                ticket_id=None, generation=generation,
                                host=host)
        return queries.ticket_from(ticket_row._mapping), state

    @_retry_on_conflict
    def extend_ticket(self, instance_uuid, ticket_id, seconds):
        with self._write() as conn:
            row = queries.lock_instance(conn, instance_uuid)
            if row is None or row.ticket_id != ticket_id:
                return False
            now = queries.read_now(conn)
            conn.execute(sa.update(models.tickets).where(
                models.tickets.c.ticket_id == ticket_id).values(
                    deadline=now + leases.seconds(seconds)))
        return True

    def overdue_tickets(self, *, limit=100):
        tickets = models.tickets
        with self._read() as conn:
            rows = conn.execute(
                sa.select(tickets).where(
                    tickets.c.closed_at.is_(None),
                    tickets.c.deadline < engine.db_now())
                .order_by(tickets.c.deadline).limit(limit))
            return [queries.ticket_from(r._mapping) for r in rows]

    # -- static locks -------------------------------------------------------

    @_retry_on_conflict
    def exempt_static(self, instance_uuid, *, project_id, seconds, reason,
                      actor):
        with self._write() as conn:
            row = self._lock_or_create(conn, instance_uuid, project_id)
            snap = queries.snapshot(conn, instance_uuid, row.project_id)
            until = snap.now + leases.seconds(seconds) if seconds else None
            generation = row.generation + 1
            writes.update_instance(conn, row.instance_uuid,
                                   static_exempt_until=until,
                                   generation=generation,
                                   updated_at=snap.now)
            self._record(conn, at=snap.now, event=lock.EVENT_EXEMPT, row=row,
                         reason=reason, actor=actor, expires_at=until)
            state = self._state(row, snap.now, list(snap.holds.values()),
                                static_exempt_until=until,
                                generation=generation)
        return state

    @_retry_on_conflict
    def set_static_locks(self, instance_uuid, *, project_id, static_locks,
                         kinds, host=None):
        kinds = set(kinds)
        with self._write() as conn:
            if static_locks:
                row = self._lock_or_create(conn, instance_uuid, project_id)
            else:
                row = queries.lock_instance(conn, instance_uuid)
                if row is None:
                    # Nothing to remember about an instance never locked.
                    return self.get_state(instance_uuid), False
            kept = [s for s in queries.static_locks_from(row.static_locks)
                    if s.kind not in kinds]
            merged = sorted(set(kept) | {s for s in static_locks
                                         if s.kind in kinds},
                            key=lambda s: (s.kind, s.name))
            text = queries.static_locks_to_text(merged)
            changes = {}
            if text != (row.static_locks or '[]'):
                changes['static_locks'] = text
            # A notification may be older than a move that ended since:
            # it only fills a host that is unknown, never replaces one.
            if host and row.host is None and not row.ticket_id:
                changes['host'] = host
            if changes:
                writes.update_instance(
                    conn, row.instance_uuid, generation=row.generation + 1,
                    updated_at=queries.read_now(conn), **changes)
        return self.get_state(instance_uuid), bool(changes)

    # -- reads --------------------------------------------------------------

    def get_state(self, instance_uuid):
        with self._read() as conn:
            return queries.read_state(conn, instance_uuid)

    def list_states(self, *, project_id=None, locked_only=True, limit=None,
                    host=None):
        with self._read() as conn:
            return queries.list_states(conn, project_id=project_id,
                                       locked_only=locked_only, limit=limit,
                                       host=host)

    def get_states(self, instance_uuids):
        with self._read() as conn:
            return queries.get_states(conn, list(instance_uuids))

    def ledger(self, *, instance_uuid=None, project_id=None, since=None,
               until=None, limit=None):
        led = models.ledger
        query = sa.select(led).order_by(led.c.at, led.c.id)
        if instance_uuid is not None:
            query = query.where(led.c.instance_uuid == instance_uuid)
        if project_id is not None:
            query = query.where(led.c.project_id == project_id)
        if since is not None:
            query = query.where(led.c.at >= since)
        if until is not None:
            query = query.where(led.c.at < until)
        if limit:
            query = query.limit(limit)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def purge(self, before):
        led, tickets = models.ledger, models.tickets
        with self._write() as conn:
            ledger = conn.execute(sa.delete(led).where(
                led.c.at < before)).rowcount
            closed = conn.execute(sa.delete(tickets).where(
                tickets.c.closed_at.is_not(None),
                tickets.c.closed_at < before)).rowcount
        return {'ledger': ledger, 'tickets': closed}

    def get_quota(self, project_id):
        with self._read() as conn:
            return quota.effective_limits(quota.read_row(conn, project_id),
                                          self._conf.miglock_quota)

    @_retry_on_conflict
    def set_quota(self, project_id, **limits):
        unknown = set(limits) - set(quota.LIMITS)
        if unknown:
            raise lock.InvalidRequest('unknown quota %s; known: %s' % (
                ', '.join(sorted(unknown)), ', '.join(quota.LIMITS)))
        for name, value in limits.items():
            if value is not None and (isinstance(value, bool) or
                                      not isinstance(value, int) or
                                      value < -1):
                raise lock.InvalidRequest(
                    'quota %s must be a whole number >= -1, got %r'
                    % (name, value))
        with self._write() as conn:
            quota.set_limits(conn, project_id, limits)
        return self.get_quota(project_id)

    def now(self):
        with self._read() as conn:
            return queries.read_now(conn)

    def ping(self):
        """Check the store answers and its schema is current."""
        from nova_miglock.store.sql import migration
        self.now()
        current, head = migration.current(self), migration.head()
        if current != head:
            raise lock.StoreUnavailable(
                'the lock store at %s has schema revision %s, this code '
                'needs %s; run "nova-miglock-manage db sync"'
                % (engine.mask_url(self._url), current or 'none', head))
