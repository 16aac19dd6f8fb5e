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
"""The migration lock domain model and its errors.

Nothing here does I/O: the store, the API filters, the scheduler filter and
the operator tools all speak in these terms, so an answer reads the same
wherever it surfaces.
"""

import dataclasses
import datetime
import re

from nova_miglock.decisions import locks as lock_rules

SOURCE_GUEST = 'guest'
SOURCE_TENANT = 'tenant'
SOURCE_OPERATOR = 'operator'
SOURCES = (SOURCE_GUEST, SOURCE_TENANT, SOURCE_OPERATOR)

STATE_UNLOCKED = 'unlocked'
STATE_LOCKED = 'locked'
STATE_MIGRATING = 'migrating'

# Ledger events: every change in a hold's life and every move decision.
EVENT_ACQUIRE = 'acquire'
EVENT_RENEW = 'renew'
EVENT_RELEASE = 'release'
EVENT_EXPIRE = 'expire'
EVENT_BREAK = 'break'
EVENT_EVACUATED = 'evacuated'
EVENT_MOVE_REFUSED = 'move_refused'
EVENT_MOVE_ADMITTED = 'move_admitted'
EVENT_MOVE_ENDED = 'move_ended'
# Not in the ledger: an open move's deadline pushed back (notified only).
EVENT_MOVE_EXTENDED = 'move_extended'
EVENT_EXEMPT = 'exempt'
EVENT_MOVE_REQUESTED = 'move_requested'
EVENT_REQUEST_CLOSED = 'request_closed'
EVENT_APPROVE = 'approve'
# A guest's approval of a requested move ends its holds as a release would.
HOLD_END_EVENTS = (EVENT_RELEASE, EVENT_EXPIRE, EVENT_BREAK, EVENT_EVACUATED,
                   EVENT_APPROVE)
# A tenant's static lock (tag, property, image) began, ended, was warned of
# its maximum age, or lapsed at it. Recorded with holder STATIC_HOLDER and
# the lock's start as ``acquired_at``, so usage charges it like a hold.
EVENT_STATIC_SET = 'static_set'
EVENT_STATIC_END = 'static_end'
EVENT_STATIC_WARN = 'static_warn'
EVENT_STATIC_LAPSE = 'static_lapse'
STATIC_END_EVENTS = (EVENT_STATIC_END, EVENT_STATIC_LAPSE)
# Not a valid holder name (it starts with "_"): no hold can take it.
STATIC_HOLDER = '_static'

HOLDER_PATTERN = r'[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}'
_HOLDER_RE = re.compile(HOLDER_PATTERN)
MAX_REASON_LENGTH = 255
# An exemption from static locks is a maintenance window, not a new policy:
# a year at most (and well inside what a timestamp can hold).
MAX_EXEMPTION_SECONDS = 366 * 24 * 3600
_UUID_RE = re.compile(r'[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                      r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}')


class MigLockError(Exception):
    """Base of every refusal; ``reason`` is the stable machine-readable code.

    ``retry_after`` (seconds) is set when waiting can change the answer.
    """

    reason = 'error'

    def __init__(self, message, retry_after=None, **details):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.details = details


class InvalidRequest(MigLockError):
    reason = 'invalid_request'


class NotPermitted(MigLockError):
    """A policy rule refused the request; ``details['rule']`` names it."""

    reason = 'not_permitted'


class MigrationInProgress(MigLockError):
    reason = 'migration_in_progress'


class MoveRequested(MigrationInProgress):
    """A move request's ``not_before`` has passed: no new lease until it."""

    reason = 'move_requested'


class NotHeld(MigLockError):
    """A renewal found no active hold: it expired or was broken."""

    reason = 'not_held'


class LeaseTooLong(MigLockError):
    reason = 'lease_too_long'


class HoldLimitReached(MigLockError):
    """The instance reached ``max_hold`` of continuous locked time."""

    reason = 'max_hold_reached'


class TooManyHolders(MigLockError):
    reason = 'too_many_holders'


class QuotaExceeded(MigLockError):
    reason = 'quota_exceeded'


class InstanceLocked(MigLockError):
    """A move was refused; ``details['state']`` is the LockState."""

    reason = 'instance_locked'


class StoreUnavailable(MigLockError):
    reason = 'store_unavailable'


class GroupBudgetSpent(MigLockError):
    """A group's disruption budget refused a member's move.

    ``details['verdict']`` is the ``decisions.groups.Refused`` that names
    the group, its budget and the moves in progress.
    """

    reason = 'group_budget_spent'


def isoformat(when):
    """Format a naive UTC datetime the way every API of ours shows time."""
    if when is None:
        return None
    return when.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def seconds_between(start, end):
    return (end - start).total_seconds()


def validate_instance_uuid(value):
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        raise InvalidRequest('instance must be a UUID, got %r' % (value,))
    return value


def validate_holder(value):
    if not isinstance(value, str) or not _HOLDER_RE.fullmatch(value):
        raise InvalidRequest(
            'holder must be 1 to 64 characters of letters, digits and '
            '"_.:@-", starting with a letter or digit; got %r' % (value,))
    return value


def validate_reason(value):
    if value is None:
        return ''
    if not isinstance(value, str):
        raise InvalidRequest('reason must be a string')
    if len(value) > MAX_REASON_LENGTH:
        raise InvalidRequest('reason must be at most %d characters'
                             % MAX_REASON_LENGTH)
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidRequest('reason must not contain control characters')
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise InvalidRequest('reason must be valid Unicode text')
    return value


def validate_lease(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest('lease_seconds must be a whole number of '
                             'seconds, got %r' % (value,))
    if value < 1:
        raise InvalidRequest('lease_seconds must be at least 1, got %d'
                             % value)
    return value


def validate_exemption(value):
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 0 <= value <= MAX_EXEMPTION_SECONDS:
        raise InvalidRequest('the exemption must last a whole number of '
                             'seconds from 0 to %d, got %r'
                             % (MAX_EXEMPTION_SECONDS, value))
    return value


def validate_source(value):
    if value not in SOURCES:
        raise InvalidRequest('source must be one of %s' % ', '.join(SOURCES))
    return value


@dataclasses.dataclass(frozen=True)
class Hold:
    """One holder's claim that the instance must not move."""

    instance_uuid: str
    holder: str
    project_id: str
    source: str
    reason: str
    acquired_at: datetime.datetime
    renewed_at: datetime.datetime
    expires_at: datetime.datetime
    generation: int

    def is_active(self, now):
        return self.expires_at > now

    def to_dict(self, now=None):
        data = {
            'holder': self.holder,
            'source': self.source,
            'reason': self.reason,
            'acquired_at': isoformat(self.acquired_at),
            'renewed_at': isoformat(self.renewed_at),
            'expires_at': isoformat(self.expires_at),
            'generation': self.generation,
        }
        if now is not None:
            data['expires_in'] = max(
                0.0, round(seconds_between(now, self.expires_at), 3))
        return data

    def describe(self):
        text = '%s (%s)' % (self.holder, self.source)
        if self.reason:
            text += ' "%s"' % self.reason
        return text + ' until %s' % isoformat(self.expires_at)


@dataclasses.dataclass(frozen=True)
class StaticLock:
    """A lock from configuration: a tag, property, flavor or image."""

    kind: str
    name: str
    value: str = ''

    KINDS = {'tag': 'server tag',
             'property': 'server property',
             'flavor': 'flavor extra spec',
             'image': 'image property'}

    def to_dict(self):
        return {'kind': self.kind, 'name': self.name, 'value': self.value}

    @classmethod
    def from_dict(cls, data):
        return cls(kind=data['kind'], name=data['name'],
                   value=data.get('value', ''))

    def describe(self):
        label = self.KINDS.get(self.kind, self.kind)
        if self.value and self.kind != 'tag':
            return '%s %s=%s' % (label, self.name, self.value)
        return '%s %s' % (label, self.name)


@dataclasses.dataclass(frozen=True)
class Ticket:
    """An admitted move of an instance that has not ended yet."""

    ticket_id: str
    instance_uuid: str
    kind: str
    request_id: str
    admitted_at: datetime.datetime
    deadline: datetime.datetime
    closed_at: datetime.datetime = None
    outcome: str = None

    def to_dict(self):
        return {
            'ticket_id': self.ticket_id,
            'kind': self.kind,
            'request_id': self.request_id,
            'admitted_at': isoformat(self.admitted_at),
            'deadline': isoformat(self.deadline),
            'closed_at': isoformat(self.closed_at),
            'outcome': self.outcome,
        }


# Precedence of the locks named in a refusal record (LockState
# .locking_source): the ones only an operator can lift come first.
_STATIC_ORDER = {'flavor': 0, 'image': 1, 'property': 2, 'tag': 3}
_SOURCE_ORDER = {SOURCE_OPERATOR: 0, SOURCE_TENANT: 1, SOURCE_GUEST: 2}


@dataclasses.dataclass(frozen=True)
class LockState:
    """Everything the store knows about one instance, judged at ``now``.

    ``holds`` holds only unexpired holds: an expired hold never counts,
    whether or not a reaper has removed it yet.
    """

    instance_uuid: str
    now: datetime.datetime
    project_id: str = None
    holds: tuple = ()
    static_locks: tuple = ()
    ticket: Ticket = None
    locked_until: datetime.datetime = None
    locked_since: datetime.datetime = None
    migration_requested_at: datetime.datetime = None
    generation: int = 0
    static_exempt_until: datetime.datetime = None
    # The compute host Nova has the instance on, as last read from Nova;
    # None when unknown (never seen, or moved since). Not in to_dict():
    # like Nova, tenants and guests are not told host names.
    host: str = None

    @property
    def static_exempt(self):
        """An operator exempted the instance from its static locks."""
        return lock_rules.exempt(self.static_exempt_until, self.now)

    @property
    def static_locking(self):
        """The static locks that count now (none while exempt)."""
        return lock_rules.static_locking(self.static_locks,
                                         self.static_exempt_until, self.now)

    @property
    def locked(self):
        return bool(self.static_locking) or bool(self.holds)

    @property
    def migrating(self):
        return self.ticket is not None

    @property
    def state(self):
        if self.migrating:
            return STATE_MIGRATING
        return STATE_LOCKED if self.locked else STATE_UNLOCKED

    @property
    def lease_expires_at(self):
        """When the last hold ends, or None without holds."""
        if not self.holds:
            return None
        return max(h.expires_at for h in self.holds)

    def to_dict(self):
        return {
            'instance_uuid': self.instance_uuid,
            'state': self.state,
            'locked': self.locked,
            'holds': [h.to_dict(self.now) for h in self.holds],
            'static_locks': [s.to_dict() for s in self.static_locks],
            'migration': self.ticket.to_dict() if self.ticket else None,
            'migration_requested': self.migration_requested_at is not None,
            'migration_requested_at': isoformat(self.migration_requested_at),
            'locked_since': isoformat(self.locked_since if self.locked
                                      else None),
            'static_exempt_until': isoformat(
                self.static_exempt_until if self.static_exempt else None),
            'generation': self.generation,
            'now': isoformat(self.now),
        }

    def lock_reasons(self):
        """What locks the instance, one phrase per lock."""
        return lock_rules.reasons(self.static_locking, self.holds)

    def locking_source(self):
        """The one source recorded with a refusal, None when unlocked.

        The most authoritative lock wins, so a monitoring series counts
        each refusal once: a static lock's kind (flavor, image, property,
        tag) before a hold's source (operator, tenant, guest).
        """
        kinds = [s.kind for s in self.static_locking]
        if kinds:
            return min(kinds, key=lambda k: (_STATIC_ORDER.get(k, 9), k))
        sources = [h.source for h in self.holds]
        if sources:
            return min(sources, key=lambda s: (_SOURCE_ORDER.get(s, 9), s))
        return None

    def describe(self):
        """One sentence naming what locks the instance, for refusals."""
        parts = self.lock_reasons()
        if not parts:
            return 'instance %s is not locked' % self.instance_uuid
        return 'instance %s is locked: %s' % (
            self.instance_uuid, '; '.join(parts))


@dataclasses.dataclass(frozen=True)
class HoldLimits:
    """The caps that apply to one acquire, after flavor policy."""

    max_lease: int
    max_hold: int
    min_unlocked_gap: int
    max_holders: int
