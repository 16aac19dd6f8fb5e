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
"""The interface every lock store driver implements.

Each mutating method is one atomic transaction in the backing store: a move
is admitted only if the instance is not locked, and a hold is granted only if
the instance is not migrating, with no interleaving in between. Time is
always the store's own clock, never the caller's.
"""

import abc
import dataclasses
import datetime
import time

from nova_miglock import accounting
from nova_miglock import lock

# Polling interval bounds while a hold request waits for a move to end.
_WAIT_FIRST_POLL = 0.2
_WAIT_MAX_POLL = 2.0


@dataclasses.dataclass(frozen=True)
class Histogram:
    """Items at or under each bound (cumulative, ``+Inf`` last); their sum."""

    counts: tuple
    total: float


@dataclasses.dataclass(frozen=True)
class LockSummary:
    """Aggregates over every instance at ``now``, for monitoring.

    Plain values, so the metrics code needs no database and its tests no
    store. Sources are hold sources (guest, tenant, operator) and static
    lock kinds (tag, property, image, flavor).
    """

    now: datetime.datetime
    locked_instances: int
    # Instances locked by at least one lock of each source.
    locked_by_source: dict
    # Active holds per hold source.
    holds_by_source: dict
    # Open move tickets per move kind.
    open_moves: dict
    # Moves refused in the window: {(move kind, refusing source): count}.
    refusals: dict
    # Lock-seconds charged to each project on ``now``'s UTC day (what the
    # quota ``lock_seconds_per_day`` counts).
    charged_today: dict
    # The tax rate stored for each project the tax has rated (no entry:
    # rate 1, untaxed).
    tax_rates: dict
    # Per hold source: age of the active holds; lease time they have left.
    hold_age: dict
    lease_left: dict
    # Seconds each of the summary's queries took.
    timings: dict


class LockStore(metaclass=abc.ABCMeta):

    def acquire(self, instance_uuid, holder, *, wait=0, **kwargs):
        """Grant or renew a hold; if a move is in progress, wait for it.

        Waiting is bounded by ``wait`` seconds and done by retrying the
        trylock, so no transaction stays open while waiting.
        """
        deadline = time.monotonic() + max(0, wait)
        poll = _WAIT_FIRST_POLL
        while True:
            try:
                return self.try_acquire(instance_uuid, holder, **kwargs)
            except lock.MigrationInProgress:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                time.sleep(min(poll, remaining))
                poll = min(poll * 2, _WAIT_MAX_POLL)

    @abc.abstractmethod
    def try_acquire(self, instance_uuid, holder, *, project_id, source,
                    lease_seconds, reason, limits, actor=None,
                    renew_only=False, host=None):
        """Grant or renew one holder's hold, without waiting (trylock).

        With ``renew_only``, a hold that is no longer active (expired or
        broken) is not taken again: NotHeld is raised instead, so a holder
        learns it lost the lock rather than silently re-taking it.

        ``host`` (here and in the other writes) is the compute host Nova has
        the instance on, from a fresh read of Nova; when given it is
        recorded, when None the recorded host is kept.

        :returns: ``(hold, state)``, the hold as granted (its lease may be
            cut by ``max_hold``) and the instance's state after the change.
        :raises MigrationInProgress: a move is admitted and not ended.
        :raises HoldLimitReached, TooManyHolders, QuotaExceeded,
            NotPermitted (another source owns this holder name),
            StoreUnavailable.
        """

    @abc.abstractmethod
    def release(self, instance_uuid, holder, *, source, actor=None,
                force=False):
        """End one hold. Idempotent.

        :returns: ``(released_hold_or_None, state)``.
        :raises NotPermitted: the hold belongs to another source and
            ``force`` is false.
        """

    @abc.abstractmethod
    def open_ticket(self, instance_uuid, *, project_id, kind, request_id,
                    static_locks, actor=None, host=None, groups=None):
        """Admit a move if the instance is not locked.

        ``groups`` (``decisions.groups.GroupRef``) are the groups Nova
        shows the instance in now; they replace the recorded ones (None:
        judge by the recorded ones). A group with a budget admits the move
        only while fewer members than it allows have an open ticket,
        decided with the group's row locked in this transaction.

        ``static_locks`` are the instance's static locks as the caller just
        read them from Nova; they are also remembered for readers that
        cannot see Nova (scheduler, host agents).

        :returns: ``(ticket, state)``.
        :raises InstanceLocked: with the state that refused the move; the
            refusal is recorded so the guest sees ``migration_requested``.
        :raises MigrationInProgress: another move is already admitted.
        :raises GroupBudgetSpent: a group's budget is spent (nothing is
            written).
        """

    @abc.abstractmethod
    def admit_evacuation(self, instance_uuid, *, project_id, request_id,
                         static_locks, actor=None, host=None, groups=None):
        """Admit an evacuation whatever the locks.

        Every active hold ends (``evacuated``) and the ticket opens in one
        transaction.

        :returns: ``(ticket, state, ended_holds)``.
        :raises MigrationInProgress: another move is already admitted.
        """

    @abc.abstractmethod
    def break_and_admit(self, instance_uuid, *, project_id, kind, reason,
                        request_id=None, actor=None, host=None, groups=None):
        """End every hold and admit a move, in one transaction.

        The operator's override at a drain's deadline: no new hold can
        come in between. Static locks still refuse (unless exempt).

        :returns: ``(ticket, state, ended_holds)``.
        :raises InstanceLocked: a static lock counts (refusal recorded).
        :raises MigrationInProgress: another move is already admitted.
        """

    def set_group_budget(self, project_id, group_key, budget, *, actor,
                         members=None, member_uuids=None):
        """Create or replace a group's budget (``decisions.groups.Budget``).

        ``members``: the member count Nova shows (for percentages);
        ``member_uuids``: members to record now, when the caller read them.

        :returns: the budget as :meth:`get_group_budget` shows it.
        """
        raise NotImplementedError()

    def get_group_budget(self, project_id, group_key):
        """A dict with the budget and the members moving, or None."""
        raise NotImplementedError()

    def list_group_budgets(self, *, project_id=None, limit=None):
        raise NotImplementedError()

    def delete_group_budget(self, project_id, group_key):
        """Forget a budget; True if there was one."""
        raise NotImplementedError()

    def group_budgets_of(self, instance_uuids):
        """``{uuid: [(GroupRef, Budget)]}`` of the recorded members."""
        raise NotImplementedError()

    @abc.abstractmethod
    def open_move_request(self, instance_uuid, *, project_id, reason,
                          seconds, actor, host=None):
        """Tell the guest a move is coming, ``seconds`` from now at most.

        Leases granted from then on end no later than the request's
        ``not_before``; after it no new lease is granted until the request
        closes. An open request keeps the earlier deadline.

        :returns: ``(request, opened)``.
        """

    @abc.abstractmethod
    def close_move_request(self, instance_uuid, *, outcome, actor):
        """Close the instance's request (idempotent); returns it or None."""

    @abc.abstractmethod
    def approve_move_request(self, instance_uuid, *, actor):
        """The guest approves the move: its holds end, none is granted.

        :returns: ``(request, ended_holds)``.
        :raises NotHeld: no request is open.
        """

    @abc.abstractmethod
    def load_history_model(self, scope):
        """The saved history model of ``scope`` (plain data), or None."""

    @abc.abstractmethod
    def save_history_model(self, scope, data, as_of):
        """Save the history model of ``scope``, folded up to ``as_of``."""

    @abc.abstractmethod
    def history_model_stamps(self, scopes):
        """``{scope: stamp}`` of the saved models of ``scopes``, no data.

        A stamp changes whenever the scope's model is saved again.
        """

    @abc.abstractmethod
    def get_move_request(self, instance_uuid):
        """The instance's open move request, or None."""

    @abc.abstractmethod
    def list_move_requests(self, *, limit=100):
        """Open move requests, the soonest ``not_before`` first."""

    @abc.abstractmethod
    def close_ticket(self, instance_uuid, *, outcome, ticket_id=None,
                     actor=None, host=None):
        """End the open move of an instance. Idempotent.

        The recorded host becomes ``host``: where Nova has the instance
        after the move, or None (unknown) when the caller cannot tell.

        :returns: ``(closed_ticket_or_None, state)``.
        """

    @abc.abstractmethod
    def end_holds(self, instance_uuid, *, event, reason, actor, holder=None):
        """Forcibly end all holds (or one holder's), e.g. break, evacuate.

        :returns: ``(ended_holds, state)``.
        """

    @abc.abstractmethod
    def exempt_static(self, instance_uuid, *, project_id, seconds, reason,
                      actor):
        """Let moves ignore the instance's static locks for ``seconds``.

        ``seconds`` of 0 ends an exemption. Holds still count. Recorded in
        the ledger as ``exempt`` with the actor and reason.

        :returns: the state after the change.
        """

    @abc.abstractmethod
    def set_static_locks(self, instance_uuid, *, project_id, static_locks,
                         kinds, host=None):
        """Remember the static locks of the given kinds, keeping others.

        ``host`` comes from a notification, which may predate a move: it
        fills an unknown host and never replaces a known one.

        :returns: ``(state, changed)``.
        """

    @abc.abstractmethod
    def get_state(self, instance_uuid):
        """Read one instance's state in a single query (no lock taken)."""

    @abc.abstractmethod
    def get_states(self, instance_uuids):
        """Read the states of many instances, in the order given.

        An instance the store has never seen comes back unlocked.
        """

    @abc.abstractmethod
    def list_states(self, *, project_id=None, locked_only=True, limit=None,
                    host=None):
        """Read the states of many instances (of one host, if given).

        ``host`` is the compute host Nova has the instance on, as the store
        last learnt it (``LockState.host``).
        """

    @abc.abstractmethod
    def reap(self, *, limit=1000):
        """Record expired holds as ``expire`` in the ledger and drop them.

        :returns: list of ``(hold, state)`` for each hold reaped.
        """

    @abc.abstractmethod
    def overdue_tickets(self, *, limit=100):
        """Open tickets past their deadline, oldest first."""

    @abc.abstractmethod
    def extend_ticket(self, instance_uuid, ticket_id, seconds):
        """Push an open ticket's deadline ``seconds`` into the future."""

    @abc.abstractmethod
    def ledger(self, *, instance_uuid=None, project_id=None, since=None,
               until=None, limit=None, last=None):
        """Ledger rows (dicts) in time order.

        ``limit``: the oldest rows only; ``last``: the newest rows only
        (still in time order).
        """

    def open_tickets(self, *, limit=100):
        """Open tickets, nearest deadline first."""
        return [s.ticket for s in self.list_states(limit=None)
                if s.ticket is not None][:limit]

    def hold_events(self, *, project_id=None, since=None, until=None):
        """The ledger's hold events (no move events), for usage reports.

        Rows are mappings with ``instance_uuid``, ``project_id``,
        ``holder``, ``event``, ``at``, ``acquired_at`` and ``expires_at``,
        in time order. Drivers may read them more cheaply than ``ledger``.
        """
        return [row for row in self.ledger(project_id=project_id,
                                           since=since, until=until)
                if row['holder'] is not None]

    def hold_lives(self, *, project_id=None, since=None, until=None):
        """The lives of holds and static locks, one mapping each.

        Keys ``instance_uuid``, ``holder``, ``acquired_at``,
        ``project_id``, ``expires_at`` (latest; None for a static lock)
        and ``ended_at`` (first end event, or None). Drivers fold them
        in the database; this default folds ``hold_events``.
        """
        lives = {}
        for row in self.hold_events(project_id=project_id, since=since,
                                    until=until):
            key = (row['instance_uuid'], row['holder'], row['acquired_at'])
            life = lives.setdefault(key, dict(
                zip(('instance_uuid', 'holder', 'acquired_at'), key),
                project_id=row['project_id'], expires_at=None,
                ended_at=None))
            if row['expires_at'] is not None and (
                    life['expires_at'] is None or
                    row['expires_at'] > life['expires_at']):
                life['expires_at'] = row['expires_at']
            if row['event'] in accounting.END_EVENTS and \
                    life['ended_at'] is None:
                life['ended_at'] = row['at']
        return list(lives.values())

    @abc.abstractmethod
    def lock_summary(self, *, refusal_window, age_bounds, lease_bounds):
        """Aggregates over the whole store, read in one transaction.

        Meant to be cheap enough to run at every monitoring scrape: the
        driver aggregates in the store and returns a few rows per source,
        move kind and project, whatever the number of instances.

        :param refusal_window: seconds of ledger counted in ``refusals``.
        :param age_bounds: upper bounds, in seconds, of the hold age
            histogram buckets (ascending; ``+Inf`` is added).
        :param lease_bounds: likewise for the lease time left.
        :returns: a ``LockSummary``.
        """

    @abc.abstractmethod
    def purge(self, before):
        """Delete ledger rows and closed tickets older than ``before``.

        :returns: ``{'ledger': n, 'tickets': m}``.
        """

    @abc.abstractmethod
    def get_quota(self, project_id):
        """Effective quota of a project as ``{name: limit}`` (-1 = none)."""

    @abc.abstractmethod
    def set_quota(self, project_id, **limits):
        """Override quota limits of a project; ``None`` restores default."""

    @abc.abstractmethod
    def static_ages(self, *, set_before, limit=1000):
        """Tenant static locks that began before ``set_before``.

        :returns: dicts with ``instance_uuid``, ``project_id``,
            ``static_since``, ``static_locks`` and ``notified`` (the age
            notices the ledger holds for that lock), oldest first.
        """

    @abc.abstractmethod
    def record_static_notice(self, instance_uuid, *, notice, static_since,
                             actor):
        """Record an age notice of the lock that began at ``static_since``.

        ``lapsed`` ends the lock's charge. Returns False, recording
        nothing, when that lock has ended meanwhile.
        """

    @abc.abstractmethod
    def check_static_quota(self, project_id, instance_uuid):
        """Raise QuotaExceeded if a new static lock is over the quota.

        That is when the instance is not locked yet and its project
        already has ``locked_instances`` locked.
        """

    @abc.abstractmethod
    def count_events(self, event, *, since, until):
        """``{project_id: n}``: ledger events ``event`` in ``[since, until)``.

        Counted by the store (GROUP BY), not row by row.
        """

    @abc.abstractmethod
    def set_tax_rates(self, rates):
        """Store each project's tax rate; every other project's becomes 1.

        ``rates``: ``{project_id: rate}``; a rate of 1 is stored as none.
        """

    @abc.abstractmethod
    def now(self):
        """The store's clock."""

    def schema_revisions(self):
        """``(current, newest known)`` revisions of the store's schema.

        ``current`` is None for an empty store. Drivers without a schema
        are always current.
        """
        return None, None

    def sync_schema(self):
        """Bring the schema to the newest revision; return the revision."""
        return None

    @abc.abstractmethod
    def ping(self):
        """Raise StoreUnavailable unless the store answers."""

    @abc.abstractmethod
    def dispose(self):
        """Close every connection of this driver."""
