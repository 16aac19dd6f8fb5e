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
"""The one place where requests become lock operations.

Every entry point (guest channel, compute API gate, scheduler filter,
listener, operator tool) goes through a LockManager, so validation, policy,
the store and notifications are applied the same way whatever the path.
"""

import dataclasses
import datetime
import hmac

from oslo_log import log as logging

from nova_miglock import accounting
from nova_miglock.decisions import groups as group_rules
from nova_miglock.decisions import static_age
from nova_miglock import lock
from nova_miglock import notifications
from nova_miglock import policy
from nova_miglock import static_locks
from nova_miglock import store as lock_store
from nova_miglock import tax

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Target:
    """An instance as Nova describes it at the time of the request."""

    instance_uuid: str
    project_id: str
    extra_specs: dict = dataclasses.field(default_factory=dict)
    static_locks: tuple = ()
    # The compute host, when read fresh from Nova's database (see
    # LockState.host); None leaves the recorded host as it is.
    host: str = None
    # The groups Nova shows the instance in (decisions.groups.GroupRef),
    # read by the gate; None: judge moves by the recorded memberships.
    groups: tuple = None


@dataclasses.dataclass(frozen=True)
class Grant:
    """The answer to an acquire: the hold and whether its lease was cut."""

    hold: lock.Hold
    state: lock.LockState
    requested_seconds: int
    # What cut the lease, when it was cut: max_hold, or a move request's
    # not_before.
    cut_by: str = 'max_hold'

    @property
    def granted_seconds(self):
        return round((self.hold.expires_at -
                      self.hold.renewed_at).total_seconds(), 3)

    @property
    def capped(self):
        return self.granted_seconds < self.requested_seconds

    def to_dict(self):
        return dict(self.hold.to_dict(self.state.now),
                    lease_seconds=self.granted_seconds,
                    lease_capped_by=self.cut_by if self.capped else None,
                    instance_state=self.state.state)


class LockManager:

    def __init__(self, conf, store=None, notifier=None):
        self._conf = conf
        self._store = store
        self._given_notifier = notifier

    @property
    def _notifier(self):
        # Created on first use: oslo.messaging is slow to import.
        if self._given_notifier is None:
            self._given_notifier = notifications.get_notifier(self._conf)
        return self._given_notifier

    @property
    def store(self):
        if self._store is None:
            self._store = lock_store.get_store()
        return self._store

    @property
    def conf(self):
        return self._conf

    def state(self, target):
        """The instance's state, with the static locks Nova shows now."""
        state = self.store.get_state(target.instance_uuid)
        return dataclasses.replace(state, static_locks=target.static_locks)

    def acquire(self, target, holder, *, source, lease_seconds=None,
                reason='', wait=0, actor=None, renew_only=False):
        """Validate, apply policy, then grant or renew a hold."""
        lock.validate_holder(holder)
        lock.validate_source(source)
        reason = lock.validate_reason(reason)
        if lease_seconds is None:
            lease_seconds = self._conf.miglock.default_lease
        lock.validate_lease(lease_seconds)
        wait = self._validate_wait(wait)
        if not isinstance(renew_only, bool):
            raise lock.InvalidRequest('renew must be true or false')
        project_sla = self.get_quota(target.project_id)
        if source == lock.SOURCE_GUEST:
            policy.check_guest_may_lock(self._conf, target.extra_specs,
                                        project_sla)
        limits, rule = policy.hold_limits(self._conf, target.extra_specs,
                                          project_sla)
        policy.check_lease(limits, rule, lease_seconds)
        taxed = lease_seconds
        if self._conf.miglock_tax.enabled:
            taxed = tax.taxed_lease(lease_seconds, project_sla.get('tax_rate'))
        hold, state = self.store.acquire(
            target.instance_uuid, holder, project_id=target.project_id,
            source=source, lease_seconds=taxed, reason=reason,
            limits=limits, actor=actor, wait=wait, renew_only=renew_only,
            host=target.host)
        grant = Grant(hold=hold, requested_seconds=lease_seconds,
                      state=dataclasses.replace(
                          state, static_locks=target.static_locks))
        if grant.capped:
            request = self.store.get_move_request(target.instance_uuid)
            if request is not None and \
                    hold.expires_at >= request.not_before:
                grant = dataclasses.replace(grant, cut_by='move_request')
            elif taxed < lease_seconds and \
                    grant.granted_seconds >= taxed - 1:
                grant = dataclasses.replace(grant, cut_by='tax')
        event = (lock.EVENT_ACQUIRE if hold.acquired_at == hold.renewed_at
                 else lock.EVENT_RENEW)
        self._notifier.hold_changed(event, hold, grant.state, actor=actor)
        return grant

    def release(self, target, holder, *, source, actor=None):
        """End one holder's hold; idempotent."""
        lock.validate_holder(holder)
        lock.validate_source(source)
        released, state = self.store.release(
            target.instance_uuid, holder, source=source, actor=actor)
        if released is not None:
            self._notifier.hold_changed(lock.EVENT_RELEASE, released, state,
                                        actor=actor)
        return released

    def _validate_wait(self, wait):
        if wait is None:
            return 0
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) \
                or wait < 0 or wait != wait:
            raise lock.InvalidRequest('wait must be a number of seconds >= 0,'
                                      ' got %r' % (wait,))
        # Capped before float(): a huge integer does not fit in one.
        return float(min(wait, self._conf.miglock.max_acquire_wait))

    # -- moves --------------------------------------------------------------

    def admit_move(self, target, *, kind, request_id=None, actor=None):
        """Open a migration ticket, or refuse because the instance is locked.

        :raises InstanceLocked: with the state that refused the move; the
            refusal is recorded (the operator API shows when a move was
            last refused; the guest is told by move requests instead).
        :raises MigrationInProgress: another move is already admitted.
        :raises GroupBudgetSpent: a group of the instance has as many
            members moving as its budget allows.
        """
        try:
            ticket, state = self.store.open_ticket(
                target.instance_uuid, project_id=target.project_id,
                kind=kind, request_id=request_id,
                static_locks=target.static_locks, actor=actor,
                host=target.host, groups=target.groups)
        except lock.InstanceLocked as exc:
            self._notifier.move_changed(lock.EVENT_MOVE_REFUSED,
                                        exc.details['state'], kind,
                                        actor=actor)
            raise
        self._notifier.move_changed(lock.EVENT_MOVE_ADMITTED, state, kind,
                                    ticket=ticket, actor=actor)
        return ticket

    def admit_evacuation(self, target, *, request_id=None, actor=None):
        """Admit an evacuation whatever the locks; end the holds it breaks.

        A host that is down cannot keep an instance, so its holds end with
        reason ``evacuated`` (a warning notification each), atomically with
        the ticket.
        """
        ticket, state, ended = self.store.admit_evacuation(
            target.instance_uuid, project_id=target.project_id,
            request_id=request_id, static_locks=target.static_locks,
            actor=actor, host=target.host, groups=target.groups)
        for hold in ended:
            LOG.warning('Evacuation of %(instance)s ended the migration '
                        'lock of %(holder)s',
                        {'instance': target.instance_uuid,
                         'holder': hold.holder})
            self._notifier.hold_changed(lock.EVENT_EVACUATED, hold, state,
                                        actor=actor)
        self._notifier.move_changed(lock.EVENT_MOVE_ADMITTED, state,
                                    ticket.kind, ticket=ticket, actor=actor)
        return ticket

    def break_and_admit(self, target, *, kind, reason, actor,
                        request_id=None):
        """Break the instance's holds and admit its move in one step.

        A drain's ``--on-deadline break``: the guest cannot lock again
        between the break and the move, since the ticket opens in the same
        transaction. The holds end as ``break`` (a notification each).

        :raises InstanceLocked: a static lock counts; nothing was broken.
        """
        reason = lock.validate_reason(reason).strip()
        if not reason:
            raise lock.InvalidRequest('a break must say why (reason)')
        try:
            ticket, state, ended = self.store.break_and_admit(
                target.instance_uuid, project_id=target.project_id,
                kind=kind, reason=reason, request_id=request_id,
                actor=actor, host=target.host, groups=target.groups)
        except lock.InstanceLocked as exc:
            self._notifier.move_changed(lock.EVENT_MOVE_REFUSED,
                                        exc.details['state'], kind,
                                        actor=actor)
            raise
        for hold in ended:
            self._notifier.hold_changed(lock.EVENT_BREAK, hold, state,
                                        actor=actor)
        self._notifier.move_changed(lock.EVENT_MOVE_ADMITTED, state, kind,
                                    ticket=ticket, actor=actor)
        return ticket

    def open_move_request(self, target, *, seconds, reason, actor):
        """Tell the instance's guest a move is coming within ``seconds``.

        The guest sees it in ``GET /openstack/miglock``; leases granted
        from now on end no later than its ``not_before`` (one store
        transaction orders the request and every hold).
        """
        reason = lock.validate_reason(reason)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or \
                not 0 < seconds <= lock.MAX_EXEMPTION_SECONDS:
            raise lock.InvalidRequest('a move request needs a deadline of '
                                      '1 to %d seconds, got %r'
                                      % (lock.MAX_EXEMPTION_SECONDS,
                                         seconds))
        request, opened = self.store.open_move_request(
            target.instance_uuid, project_id=target.project_id,
            reason=reason, seconds=seconds, actor=actor, host=target.host)
        if opened:
            self._notifier.request_changed('opened', request, actor=actor)
        return request

    def close_move_request(self, instance_uuid, *, outcome, actor):
        closed = self.store.close_move_request(instance_uuid,
                                               outcome=outcome, actor=actor)
        if closed is not None:
            self._notifier.request_changed('closed', closed, actor=actor,
                                           outcome=outcome)
        return closed

    def approve_move(self, target, *, actor):
        """The guest's "go now": end its holds, grant none until moved."""
        # Approving again is a no-op in the store; notify the first time.
        before = self.store.get_move_request(target.instance_uuid)
        request, ended = self.store.approve_move_request(
            target.instance_uuid, actor=actor)
        if before is None or before.approved_at is None:
            self._notifier.request_changed('approved', request, actor=actor)
        if ended:
            state = self.state(target)
            for hold in ended:
                self._notifier.hold_changed(lock.EVENT_RELEASE, hold, state,
                                            actor=actor)
        return request

    def move_request(self, instance_uuid):
        return self.store.get_move_request(instance_uuid)

    def list_move_requests(self, *, limit=None):
        """Open move requests of every instance, the soonest first."""
        return self.store.list_move_requests(limit=limit)

    def claim_move(self, target, *, ticket_id, kind):
        """The move already admitted for ``ticket_id``, if it is this one.

        The gate's answer to a request that names the ticket
        :meth:`break_and_admit` opened: only who opened it knows its id.
        Static locks Nova shows now still win over it (the ticket ends).

        :raises InstanceLocked: a static lock counts now.
        :raises MigrationInProgress: no such open ticket for this move.
        """
        state = self.state(target)
        ticket = state.ticket
        if ticket is None or ticket.kind != kind or not hmac.compare_digest(
                ticket.ticket_id.encode(), str(ticket_id).encode()):
            raise lock.MigrationInProgress(
                'instance %s has no open %s ticket %s'
                % (target.instance_uuid, kind, ticket_id),
                retry_after=self._conf.miglock.migrating_retry_after)
        if state.static_locking:
            self.end_move(target.instance_uuid, outcome='refused-static',
                          ticket_id=ticket.ticket_id, host=target.host)
            raise lock.InstanceLocked(state.describe(), state=state)
        return ticket

    def end_move(self, instance_uuid, *, outcome, ticket_id=None,
                 actor=None, host=None):
        """Close the instance's open ticket (idempotent).

        ``host``: where Nova has the instance now, if the caller knows.
        """
        ticket, state = self.store.close_ticket(
            instance_uuid, outcome=outcome, ticket_id=ticket_id, actor=actor,
            host=host)
        if ticket is not None:
            self._notifier.move_changed(lock.EVENT_MOVE_ENDED, state,
                                        ticket.kind, ticket=ticket,
                                        actor=actor, reason=outcome)
        return ticket

    def extend_move(self, instance_uuid, ticket_id, *, seconds=None,
                    actor=None):
        """Push an open ticket's deadline back, while Nova says it runs.

        ``seconds`` defaults to ``[miglock]/ticket_deadline``. Returns
        whether the ticket was still open (and so extended); an extension
        is notified as ``miglock.move.extended``.
        """
        if seconds is None:
            seconds = self._conf.miglock.ticket_deadline
        if not self.store.extend_ticket(instance_uuid, ticket_id, seconds):
            return False
        state = self.store.get_state(instance_uuid)
        self._notifier.move_changed(
            lock.EVENT_MOVE_EXTENDED, state,
            state.ticket.kind if state.ticket else 'unknown',
            ticket=state.ticket, actor=actor)
        return True

    # -- operator and housekeeping -----------------------------------------

    def break_locks(self, instance_uuid, *, reason, actor, holder=None):
        """End holds now, audited and notified: the operator's override."""
        lock.validate_instance_uuid(instance_uuid)
        reason = lock.validate_reason(reason).strip()
        if not reason:
            raise lock.InvalidRequest('a break must say why (reason)')
        if holder is not None:
            lock.validate_holder(holder)
        return self.end_holds(instance_uuid, event=lock.EVENT_BREAK,
                              reason=reason, actor=actor, holder=holder)

    def end_holds(self, instance_uuid, *, event, reason, actor, holder=None):
        """End every hold (or one holder's) now, each notified.

        Used by ``break_locks`` and by the listener when Nova deletes an
        instance (``release``, "instance deleted"): whoever ends a hold,
        its watchers hear of it the same way.
        """
        ended, state = self.store.end_holds(
            instance_uuid, event=event, reason=reason, actor=actor,
            holder=holder)
        for hold in ended:
            self._notifier.hold_changed(event, hold, state, actor=actor)
        return ended

    def exempt_static(self, instance_uuid, *, seconds, reason, actor):
        """Let moves ignore the instance's static locks for a while.

        The operator's way to move an instance whose flavor, image, tag or
        property locks it; audited in the ledger, notified.
        """
        lock.validate_instance_uuid(instance_uuid)
        reason = lock.validate_reason(reason).strip()
        if not reason:
            raise lock.InvalidRequest('an exemption must say why (reason)')
        lock.validate_exemption(seconds)
        state = self.store.exempt_static(
            instance_uuid, project_id=None, seconds=seconds, reason=reason,
            actor=actor)
        self._notifier.static_changed(state)
        return state

    def purge_ledger(self, before):
        """Delete ledger events and closed tickets older than ``before``.

        ``before`` must be in the past by the store's clock: usage before
        it is no longer reported, so the present is never purged.
        """
        if before >= self.store.now():
            raise lock.InvalidRequest('--before must be in the past')
        return self.store.purge(before)

    # -- group budgets ------------------------------------------------------

    def set_group_budget(self, project_id, group_key, max_moving, *, actor,
                         members=None, member_uuids=None):
        """Declare how many members of a group may move at once.

        ``max_moving``: a count or a percentage (``"25%"``); see
        ``decisions.groups``. Moves in progress are not ended by a lower
        budget: it refuses the next ones.
        """
        key = group_rules.validate_key(group_key)
        budget = group_rules.parse_budget(max_moving)
        _validate_project(project_id)
        if members is not None and (isinstance(members, bool) or
                                    not isinstance(members, int) or
                                    members < 0):
            raise lock.InvalidRequest('members must be a whole number >= 0')
        return self.store.set_group_budget(
            project_id, key, budget, actor=actor or '', members=members,
            member_uuids=member_uuids)

    def group_budget(self, project_id, group_key):
        """The group's budget and members moving, or None."""
        _validate_project(project_id)
        return self.store.get_group_budget(
            project_id, group_rules.validate_key(group_key))

    def list_group_budgets(self, *, project_id=None, limit=None):
        if project_id is not None:
            _validate_project(project_id)
        return self.store.list_group_budgets(project_id=project_id,
                                             limit=limit)

    def delete_group_budget(self, project_id, group_key):
        _validate_project(project_id)
        return self.store.delete_group_budget(
            project_id, group_rules.validate_key(group_key))

    def check_static_quota(self, project_id, instance_uuid=None):
        """Refuse a new tenant static lock over ``locked_instances``.

        Read, not reserved: the gate asks before Nova sets the tag, and
        two concurrent setters may both pass (a static lock cannot wait in
        the store's transaction for Nova's). Holds are counted exactly.

        :raises QuotaExceeded:
        """
        self.store.check_static_quota(project_id, instance_uuid)

    def get_quota(self, project_id):
        return self.store.get_quota(project_id)

    def set_quota(self, project_id, **limits):
        """Override a project's limits (None restores the default)."""
        return self.store.set_quota(project_id, **limits)

    # -- reads for operators -----------------------------------------------

    def now(self):
        """The store's clock, which every lock decision uses."""
        return self.store.now()

    def list_states(self, *, project_id=None, locked_only=True, limit=None,
                    host=None):
        return self.store.list_states(project_id=project_id,
                                      locked_only=locked_only, limit=limit,
                                      host=host)

    def history(self, instance_uuid, *, events):
        """An instance's state and its last ``events`` ledger events."""
        lock.validate_instance_uuid(instance_uuid)
        state = self.store.get_state(instance_uuid)
        if not events:
            return state, []
        return state, self.store.ledger(instance_uuid=instance_uuid,
                                        last=events)

    def list_tickets(self, *, overdue=False, limit=None):
        """Open tickets: all, or only those past their deadline."""
        if overdue:
            return self.store.overdue_tickets(limit=limit)
        return self.store.open_tickets(limit=limit)

    def usage(self, *, project_id=None, since, until):
        """Per-instance lock-seconds between ``since`` and ``until``."""
        return accounting.report(
            self.store, project_id=project_id, since=since, until=until,
            lookback_seconds=(self._conf.miglock.max_hold +
                              self._conf.miglock.max_lease))

    def project_taxes(self, *, since=None, until=None, project_id=None):
        """``[tax.ProjectTax]``: each project's rate and charge.

        The rate comes from the trailing ``[miglock_tax]/window_days``
        before ``until``; lock-seconds and charged seconds are those of
        ``[since, until)`` (the whole window when ``since`` is None). A
        read: the metrics exporter and the usage report call it.
        """
        until = until or self.now()
        days = self._conf.miglock_tax.window_days
        window_start = until - datetime.timedelta(days=days)
        trailing = accounting.per_project(self.usage(
            project_id=project_id, since=window_start, until=until))
        period = None
        if since is not None and since != window_start:
            period = accounting.per_project(self.usage(
                project_id=project_id, since=since, until=until))
        refused = self.store.count_events(lock.EVENT_MOVE_REFUSED,
                                          since=window_start, until=until)
        if project_id is not None:
            refused = {p: n for p, n in refused.items() if p == project_id}
        default = self._conf.miglock_tax.allowance_seconds

        def allowance(project):
            return tax.allowance(days, self.get_quota(project)[
                'lock_seconds_per_day'], default)

        return tax.history(trailing, refused, allowance,
                           tax.Weights.from_conf(self._conf), period=period)

    def rate_projects(self, *, since, until=None):
        """Store every project's tax rate now, and notify its charge.

        The periodic rating run: leases granted from now on are cut by the
        new rates (``[miglock_tax]/enabled``), and ``miglock.tax.rated``
        tells a rating service what each project's lock time of
        ``[since, until)`` costs.
        """
        until = until or self.now()
        taxes = self.project_taxes(since=since, until=until)
        self.store.set_tax_rates({t.project_id: t.rate for t in taxes})
        for project_tax in taxes:
            self._notifier.tax_rated(project_tax, since, until,
                                     self._conf.miglock_tax.window_days)
        return taxes

    def age_static_locks(self, remove=None, limit=1000):
        """Warn of, and lapse, tenant static locks near their maximum age.

        ``[miglock_sla]/static_max_age`` bounds them; each notice is given
        once per lock, recorded in the ledger and notified
        (``miglock.static.*``, WARN) to the operator and the tenant.

        :param remove: ``remove(age)`` takes the tenant's tag and property
            off the instance in Nova (the caller's I/O); without it, or for
            an image property only, an old lock is ``overdue``, not lapsed.
        :returns: ``[(notice, StaticAge)]`` given now.
        """
        sla_conf = self._conf.miglock_sla
        if not sla_conf.static_max_age:
            return []
        now = self.now()
        horizon = datetime.timedelta(seconds=sla_conf.static_max_age -
                                     sla_conf.static_warning)
        given = []
        for found in self.store.static_ages(set_before=now - horizon,
                                            limit=limit):
            age = self._static_age(found, remove)
            notice = static_age.due(age, now, sla_conf.static_warning)
            if notice is None:
                continue
            if notice == static_age.LAPSED and not self._lapse(age, remove):
                continue
            if self.store.record_static_notice(
                    age.instance_uuid, notice=notice,
                    static_since=age.static_since, actor='store'):
                self._notifier.static_aged(notice, age)
                given.append((notice, age))
        return given

    def _static_age(self, found, remove):
        tenant = tuple(s for s in found['static_locks']
                       if s.kind in static_locks.TENANT_KINDS)
        removable = any(s.kind in static_locks.REMOVABLE_KINDS
                        for s in tenant)
        action = self._conf.miglock_sla.static_max_age_action
        if remove is None or not removable:
            action = static_age.ACTION_NOTIFY
        return static_age.StaticAge(
            instance_uuid=found['instance_uuid'],
            project_id=found['project_id'], static_locks=tenant,
            static_since=found['static_since'],
            max_age_at=static_age.max_age_at(
                found['static_since'], self._conf.miglock_sla.static_max_age),
            action=action, notified=frozenset(found['notified']))

    @staticmethod
    def _lapse(age, remove):
        try:
            remove(age)
        except Exception as exc:
            # Tried again on the next run: the lock still counts meanwhile.
            LOG.warning('Could not lapse the static lock of %(instance)s: '
                        '%(error)s', {'instance': age.instance_uuid,
                                      'error': exc})
            return False
        return True

    def reap(self, limit=1000):
        """Record expired holds and notify about each."""
        reaped = self.store.reap(limit=limit)
        for hold, state in reaped:
            self._notifier.hold_changed(lock.EVENT_EXPIRE, hold, state,
                                        actor='store')
        return reaped

    def mirror_static_locks(self, target, kinds):
        """Remember static locks seen in Nova, for who cannot see Nova.

        The scheduler and the host agents read them from the store; a
        change is notified.
        """
        state, changed = self.store.set_static_locks(
            target.instance_uuid, project_id=target.project_id,
            static_locks=target.static_locks, kinds=kinds,
            host=target.host)
        if changed:
            self._notifier.static_changed(state)
        return state


def _validate_project(project_id):
    if not isinstance(project_id, str) or not 0 < len(project_id) <= 255 \
            or any(ord(c) < 33 for c in project_id):
        raise lock.InvalidRequest('a project id is 1 to 255 printable '
                                  'characters, got %r' % (project_id,))
