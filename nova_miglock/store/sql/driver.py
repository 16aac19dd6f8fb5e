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
import uuid

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa

from nova_miglock import accounting
from nova_miglock import decisions
from nova_miglock.decisions import holds as holds_rules
from nova_miglock import leases
from nova_miglock import lock
from nova_miglock.store import base
from nova_miglock.store.sql import breaks
from nova_miglock.store.sql import engine
from nova_miglock.store.sql import groups as group_budgets
from nova_miglock.store.sql import history_models
from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries
from nova_miglock.store.sql import quota
from nova_miglock.store.sql import renewals
from nova_miglock.store.sql import requests
from nova_miglock.store.sql import static_life
from nova_miglock.store.sql import summary
from nova_miglock.store.sql import usage
from nova_miglock.store.sql import writes

LOG = logging.getLogger(__name__)


def _retry_on_conflict(func):
    """Retry a whole transaction after a deadlock or a racing first insert.

    oslo.db's ``wrap_db_retry`` does the retrying, with a short, jittered
    back-off (the transactions are a few milliseconds long);
    ``[miglock_store]/deadlock_retries`` bounds it, after which the store
    counts as unavailable. Each attempt is a complete transaction that was
    rolled back, so a retry never applies a change twice.
    """
    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        retrying = self._retrying.get(func)
        if retrying is None:
            retrying = self._retrying[func] = oslo_db_api.wrap_db_retry(
                max_retries=self._conf.miglock_store.deadlock_retries,
                retry_interval=0.005, max_retry_interval=0.05,
                inc_retry_interval=True, jitter=True, retry_on_deadlock=True,
                exception_checker=_is_racing_insert)(func)
        try:
            return retrying(self, *args, **kwargs)
        except (db_exc.DBDeadlock, db_exc.DBDuplicateEntry) as exc:
            raise lock.StoreUnavailable(
                'the lock store stayed contended after %d attempts: %s'
                % (self._conf.miglock_store.deadlock_retries + 1,
                   exc.__class__.__name__)) from exc
    return wrapper


def _is_racing_insert(exc):
    # Two first acquires of one instance both insert its row.
    return isinstance(exc, db_exc.DBDuplicateEntry)


class SQLLockStore(base.LockStore):
    """Lock store on SQLite, MySQL/MariaDB or PostgreSQL."""

    def __init__(self, conf, connection=None):
        self._conf = conf
        self._engine, self._url = engine.create_engine(conf, connection)
        self._retrying = {}
        # PostgreSQL renews in place in one statement (data-modifying
        # CTEs); MySQL and SQLite have no UPDATE ... RETURNING in a CTE.
        self.renews_in_one_statement = (
            self._engine.dialect.name == 'postgresql')

    @property
    def url(self):
        return self._url

    @property
    def sql_engine(self):
        return self._engine

    def dispose(self):
        self._engine.dispose()

    def advance_clock(self, seconds):
        """Move this store's clock ``seconds`` forward: the tests' seam.

        Only this store object sees the moved clock (the offset is applied
        to the database's clock in every statement it sends), so a test
        reaches an expiry, a deadline or ``max_hold`` without sleeping.
        """
        self._clock_offset = getattr(self, '_clock_offset', 0) + seconds
        engine.set_clock_offset(self._engine, self._clock_offset)

    @contextlib.contextmanager
    def _write(self):
        with engine.translate_errors(self._url):
            with self._engine.connect().execution_options(
                    **{engine.WRITE: True}) as conn:
                with conn.begin():
                    yield conn

    @contextlib.contextmanager
    def _single_statement(self):
        """A connection whose every statement is its own transaction.

        For one statement that does all its writes itself: no BEGIN and no
        COMMIT round trip beside it.
        """
        with engine.translate_errors(self._url):
            with self._engine.connect().execution_options(
                    isolation_level='AUTOCOMMIT',
                    **{engine.WRITE: True}) as conn:
                yield conn

    @contextlib.contextmanager
    def _read(self):
        with engine.translate_errors(self._url):
            try:
                with self._engine.connect() as conn:
                    with conn.begin():
                        yield conn
            except db_exc.DBDeadlock as exc:
                # No caller retries a read: a Galera node that did not
                # catch up within repl.causal_read_timeout (reported as a
                # lock wait timeout) fails closed here.
                raise lock.StoreUnavailable(
                    'the lock store at %s did not answer in time (a lock '
                    'wait timeout, or a Galera node behind the cluster)'
                    % engine.mask_url(self._url)) from exc

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

    @staticmethod
    def _holds_of(row, snap):
        """What the decision rules need of an instance read under its lock."""
        return holds_rules.InstanceHolds(
            instance_uuid=row.instance_uuid, holds=snap.holds,
            migrating=bool(row.ticket_id), locked_until=row.locked_until,
            locked_since=row.locked_since, charge_day=row.charge_day,
            charge_seconds=row.charge_seconds)

    @_retry_on_conflict
    def try_acquire(self, instance_uuid, holder, *, project_id, source,
                    lease_seconds, reason, limits, actor=None,
                    renew_only=False, host=None):
        request = decisions.AcquireRequest(
            holder=holder, source=source, lease_seconds=lease_seconds,
            renew_only=renew_only)
        in_place = holds_rules.may_renew_in_place(
            request, limits, quota_limited=quota.has_limit(
                quota.effective_limits(None, self._conf.miglock_quota)))
        if in_place and self.renews_in_one_statement:
            # One round trip: the renewal's three writes and the state
            # read as one statement (data-modifying CTEs).
            with self._single_statement() as conn:
                renewed = renewals.renew_returning(
                    conn, instance_uuid, holder, source=source,
                    lease_seconds=lease_seconds, max_hold=limits.max_hold,
                    reason=reason, actor=actor, host=host)
            if renewed is not None:
                return renewed
            in_place = False
        with self._write() as conn:
            if in_place and renewals.renew_in_place(
                    conn, instance_uuid, holder, source=source,
                    lease_seconds=lease_seconds, max_hold=limits.max_hold,
                    reason=reason, actor=actor, host=host):
                state = queries.read_state(conn, instance_uuid)
                return next(h for h in state.holds
                            if h.holder == holder), state
            row = self._lock_or_create(conn, instance_uuid, project_id, host)
            snap = queries.snapshot(conn, instance_uuid,
                                    row.project_id or project_id)
            now = snap.now
            grant = decisions.decide_acquire(
                self._holds_of(row, snap), dataclasses.replace(
                    request, not_after=requests.not_after(
                        conn, instance_uuid, now,
                        cap=self._conf.miglock.move_request_caps_leases,
                        grace=self._conf.miglock.move_request_grace)),
                limits, now,
                migrating_retry_after=self._conf.miglock.
                migrating_retry_after)
            quota_limits = self._limits_for(snap)
            if quota.has_limit(quota_limits) and grant.needs_quota_check:
                quota_limits = quota.lock_quota_row(
                    conn, row.project_id, self._conf.miglock_quota)
                quota.check(conn, instance_row=row, now=now,
                            was_locked=grant.was_locked,
                            charge_delta=grant.charge_delta,
                            limits=quota_limits)
            generation = row.generation + 1
            hold = lock.Hold(
                instance_uuid=instance_uuid, holder=holder,
                project_id=row.project_id, source=source, reason=reason,
                acquired_at=grant.acquired_at, renewed_at=now,
                expires_at=grant.expires_at, generation=generation)
            if holder not in snap.holds:
                writes.insert_hold(conn, hold)
            else:
                writes.update_hold(conn, hold)
            writes.update_instance(
                conn, row.instance_uuid, generation=generation,
                locked_until=grant.locked_until,
                locked_since=grant.locked_since, charge_day=grant.charge_day,
                charge_seconds=grant.charge_seconds, updated_at=now)
            if grant.expired is not None:
                self._record(conn, at=grant.expired.expires_at,
                             event=lock.EVENT_EXPIRE, row=row,
                             hold=grant.expired, actor='store')
            self._record(conn, at=now,
                         event=(lock.EVENT_RENEW if grant.renewal
                                else lock.EVENT_ACQUIRE),
                         row=row, hold=hold, reason=reason,
                         actor=actor or source)
            state = self._state(row, now, list(grant.others) + [hold],
                                generation=generation,
                                locked_until=grant.locked_until,
                                locked_since=grant.locked_since)
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
            ending = holds_rules.decide_end(self._holds_of(row, snap),
                                            holders, now, owner=owner)
            targets = ending.targets
            if not targets:
                return [], queries.build_state(
                    instance_uuid, now, row._mapping,
                    list(snap.holds.values()))
            ended = self._delete_holds(conn, row, now, targets, event=event,
                                       reason=reason, actor=actor)
            day, charged, _ = leases.charge(
                now=now, old_until=row.locked_until,
                new_until=ending.locked_until, charge_day=row.charge_day,
                charge_seconds=row.charge_seconds)
            generation = row.generation + 1
            writes.update_instance(
                conn, row.instance_uuid, generation=generation,
                locked_until=ending.locked_until, charge_day=day,
                charge_seconds=charged, updated_at=now)
            state = self._state(row, now, list(ending.remaining),
                                generation=generation,
                                locked_until=ending.locked_until)
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
        # Walks the expires_at index from the oldest expiry and stops after
        # ``limit`` rows: its cost does not grow with the table (a DISTINCT
        # over every expired row did, 16-20 ms at 10^5 instances).
        with self._read() as conn:
            uuids = list(dict.fromkeys(r.instance_uuid for r in conn.execute(
                sa.select(holds.c.instance_uuid)
                .where(holds.c.expires_at <= engine.db_now())
                .order_by(holds.c.expires_at).limit(limit))))
        reaped = []
        for instance_uuid in uuids:
            reaped.extend(self._reap_instance(instance_uuid))
        return reaped

    # -- moves --------------------------------------------------------------

    @_retry_on_conflict
    def open_ticket(self, instance_uuid, *, project_id, kind, request_id,
                    static_locks, actor=None, host=None, groups=None):
        static_locks = tuple(static_locks)
        with self._write() as conn:
            row, snap = self._lock_for_move(conn, instance_uuid, project_id,
                                            host)
            now = snap.now
            static_text = queries.static_locks_to_text(static_locks)
            judged = self._state(row, now, list(snap.holds.values()),
                                 static_locks=static_text)
            decision = decisions.decide_move(judged, kind, now)
            if not decision.admitted:
                writes.update_instance(
                    conn, row.instance_uuid, static_locks=static_text,
                    migration_requested_at=now, **static_life.track(
                        conn, row, now, static_locks, actor))
                self._record(conn, at=now, event=lock.EVENT_MOVE_REFUSED,
                             row=row, reason=kind, actor=actor or '',
                             source=judged.locking_source())
                refusal = dataclasses.replace(judged,
                                              migration_requested_at=now)
            else:
                refusal = None
                now = self.admit_in_groups(conn, row, now, groups)
                ticket, state = self._admit(conn, row, now, kind, request_id,
                                            static_text, actor)
        if refusal is not None:
            # Raised after the commit: the refusal itself is recorded.
            raise lock.InstanceLocked(refusal.describe(), state=refusal)
        return ticket, state

    @_retry_on_conflict
    def admit_evacuation(self, instance_uuid, *, project_id, request_id,
                         static_locks, actor=None, host=None, groups=None):
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
            now = self.admit_in_groups(conn, row, now, groups,
                                       enforce=False)
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

    def history_model_stamps(self, scopes):
        return history_models.stamps(self, scopes)

    def get_move_request(self, instance_uuid):
        return requests.get_request(self, instance_uuid)

    def list_move_requests(self, *, limit=100):
        return requests.list_requests(self, limit=limit)

    def _lock_for_move(self, conn, instance_uuid, project_id, host=None):
        row = self._lock_or_create(conn, instance_uuid, project_id, host)
        snap = queries.snapshot(conn, instance_uuid, row.project_id)
        if row.ticket_id:
            raise lock.MigrationInProgress(
                'another move of instance %s is in progress (ticket %s)'
                % (instance_uuid, row.ticket_id),
                retry_after=self._conf.miglock.migrating_retry_after)
        return row, snap

    def admit_in_groups(self, conn, row, now, groups, enforce=True):
        """The group budgets' part of an admission, in its transaction.

        :returns: the time to admit at (see ``groups.admit``).
        """
        return group_budgets.admit(
            conn, instance_uuid=row.instance_uuid, now=now, groups=groups,
            enforce=enforce,
            poll_cap=self._conf.miglock.migrating_retry_after)

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
            generation=generation, updated_at=now, **static_life.track(
                conn, row, now, queries.static_locks_from(static_text),
                actor))
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
            group_budgets.lock_for_close(conn, instance_uuid)
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

    def open_tickets(self, *, limit=100):
        tickets = models.tickets
        # The (closed_at, deadline) index: as cheap with 10^5 instances as
        # with ten.
        with self._read() as conn:
            rows = conn.execute(
                sa.select(tickets).where(tickets.c.closed_at.is_(None))
                .order_by(tickets.c.deadline).limit(limit))
            return [queries.ticket_from(r._mapping) for r in rows]

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
            now = queries.read_now(conn)
            changes.update(static_life.track(conn, row, now, merged))
            # A notification may be older than a move that ended since:
            # it only fills a host that is unknown, never replaces one.
            if host and row.host is None and not row.ticket_id:
                changes['host'] = host
            if changes:
                writes.update_instance(
                    conn, row.instance_uuid, generation=row.generation + 1,
                    updated_at=now, **changes)
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
               until=None, limit=None, last=None):
        led = models.ledger
        if last:
            # The newest rows, read newest first through the index, then
            # put back in time order.
            query = sa.select(led).order_by(led.c.at.desc(), led.c.id.desc())
            limit = last
        else:
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
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return rows[::-1] if last else rows

    def hold_events(self, *, project_id=None, since=None, until=None):
        # Only the columns usage needs, only hold events, and read-only
        # row mappings instead of a dict per row: most of a usage report's
        # time was building those dicts.
        led = models.ledger
        query = sa.select(
            led.c.instance_uuid, led.c.project_id, led.c.holder,
            led.c.event, led.c.at, led.c.acquired_at, led.c.expires_at,
        ).where(led.c.holder.is_not(None),
                led.c.event.in_(accounting.HOLD_EVENTS)
                ).order_by(led.c.at, led.c.id)
        if project_id is not None:
            query = query.where(led.c.project_id == project_id)
        if since is not None:
            query = query.where(led.c.at >= since)
        if until is not None:
            query = query.where(led.c.at < until)
        with self._read() as conn:
            return [row._mapping for row in conn.execute(query)]

    def lock_summary(self, *, refusal_window, age_bounds, lease_bounds):
        with self._read() as conn:
            return summary.read(conn, refusal_window=refusal_window,
                                age_bounds=age_bounds,
                                lease_bounds=lease_bounds)

    def hold_lives(self, *, project_id=None, since=None, until=None):
        with self._read() as conn:
            return usage.hold_lives(conn, project_id=project_id,
                                    since=since, until=until)

    def purge(self, before):
        led, tickets = models.ledger, models.tickets
        with self._write() as conn:
            ledger = conn.execute(sa.delete(led).where(
                led.c.at < before)).rowcount
            closed = conn.execute(sa.delete(tickets).where(
                tickets.c.closed_at.is_not(None),
                tickets.c.closed_at < before)).rowcount
        return {'ledger': ledger, 'tickets': closed}

    # -- group budgets ------------------------------------------------------

    @_retry_on_conflict
    def set_group_budget(self, project_id, group_key, budget, *, actor,
                         members=None, member_uuids=None):
        with self._write() as conn:
            return group_budgets.set_budget(
                conn, project_id, group_key, budget, actor=actor,
                members=members, member_uuids=member_uuids)

    def get_group_budget(self, project_id, group_key):
        with self._read() as conn:
            return group_budgets.get_budget(conn, project_id, group_key)

    def list_group_budgets(self, *, project_id=None, limit=None):
        with self._read() as conn:
            return group_budgets.list_budgets(conn, project_id, limit)

    @_retry_on_conflict
    def delete_group_budget(self, project_id, group_key):
        with self._write() as conn:
            return group_budgets.delete_budget(conn, project_id, group_key)

    def group_budgets_of(self, instance_uuids):
        with self._read() as conn:
            return group_budgets.budgets_of(conn, instance_uuids)

    def get_quota(self, project_id):
        with self._read() as conn:
            return quota.effective_limits(quota.read_row(conn, project_id),
                                          self._conf.miglock_quota)

    @_retry_on_conflict
    def set_quota(self, project_id, **limits):
        quota.validate(limits)
        with self._write() as conn:
            quota.set_limits(conn, project_id, limits)
        return self.get_quota(project_id)

    def static_ages(self, *, set_before, limit=1000):
        return static_life.ages(self, set_before=set_before, limit=limit)

    @_retry_on_conflict
    def record_static_notice(self, instance_uuid, *, notice, static_since,
                             actor):
        with self._write() as conn:
            row = queries.lock_instance(conn, instance_uuid)
            if row is None or row.static_since != static_since:
                return False
            static_life.notice(conn, row, queries.read_now(conn), notice,
                               actor)
        return True

    def check_static_quota(self, project_id, instance_uuid):
        with self._read() as conn:
            limit = quota.effective_limits(
                quota.read_row(conn, project_id),
                self._conf.miglock_quota)['locked_instances']
            if limit < 0:
                return
            count, itself = quota.count_locked(
                conn, project_id, queries.read_now(conn),
                excluding=instance_uuid)
        if not itself and count >= limit:
            raise lock.QuotaExceeded(
                'project %s already has %d locked instances, its limit '
                '(quota locked_instances=%d)' % (project_id, count, limit),
                limit='locked_instances', value=limit)

    def count_events(self, event, *, since, until):
        led = models.ledger
        query = sa.select(led.c.project_id, sa.func.count()).where(
            led.c.event == event, led.c.at >= since, led.c.at < until,
        ).group_by(led.c.project_id)
        with self._read() as conn:
            return {project: count for project, count in conn.execute(query)}

    @_retry_on_conflict
    def set_tax_rates(self, rates):
        quotas = models.quotas
        taxed = {p: r for p, r in rates.items() if r is not None and r > 1}
        with self._write() as conn:
            clear = sa.update(quotas).where(quotas.c.tax_rate.is_not(None))
            if taxed:
                clear = clear.where(quotas.c.project_id.not_in(list(taxed)))
            conn.execute(clear.values(tax_rate=None))
            for project_id, rate in sorted(taxed.items()):
                quota.set_limits(conn, project_id, {'tax_rate': rate})

    def now(self):
        with self._read() as conn:
            return queries.read_now(conn)

    def schema_revisions(self):
        # Imported here: alembic is slow to import and services need it
        # only when they check the schema.
        from nova_miglock.store.sql import migration
        return migration.current(self), migration.head()

    def sync_schema(self):
        from nova_miglock.store.sql import migration
        return migration.sync(self)

    def ping(self):
        """Check the store answers and its schema is current."""
        self.now()
        current, head = self.schema_revisions()
        if current != head:
            raise lock.StoreUnavailable(
                'the lock store at %s has schema revision %s, this code '
                'needs %s; run "nova-miglock-manage db sync"'
                % (engine.mask_url(self._url), current or 'none', head))
