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
"""The payloads of ``miglock.*`` notifications, as versioned objects.

Like Nova's ``nova/notifications/objects``: one oslo.versionedobjects
class per payload, each with its own ``VERSION``, serialized as
``miglock_object.{name,namespace,version,data,changes}``. A field change
needs a version bump, and ``tests/unit/test_payloads.py`` holds every
class to a fingerprint so a change without one fails. Consumers read a
payload through :func:`data_of`, which refuses a major version they do not
know instead of guessing at its fields.

Times are strings (``2026-01-31T12:00:00.000000Z``) rather than
``DateTimeField``: version 1.0 is the format the payloads had before they
were objects, and host agents already parse it.
"""

from oslo_versionedobjects import base
from oslo_versionedobjects import fields

from nova_miglock import lock

NAMESPACE = 'miglock'
SERIAL_NAMESPACE = 'miglock_object'


class PayloadRegistry(base.VersionedObjectRegistry):
    """Our own registry: Nova's objects live in Nova's."""


class PayloadError(ValueError):
    """A payload this consumer cannot read (unknown name or major)."""


class Payload(base.VersionedObject):
    """Base of every notification payload of ours."""

    OBJ_PROJECT_NAMESPACE = NAMESPACE
    OBJ_SERIAL_NAMESPACE = SERIAL_NAMESPACE

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Built whole when sent: "changes" would list every field.
        self.obj_reset_changes(recursive=True)

    def to_primitive(self):
        return self.obj_to_primitive()


@PayloadRegistry.register
class LockPayload(Payload):
    """An instance's lock after a change, as host agents mirror it."""

    # Version 1.0: Initial version
    VERSION = '1.0'

    fields = {
        'instance_uuid': fields.UUIDField(),
        'project_id': fields.StringField(nullable=True),
        'state': fields.StringField(),
        'locked': fields.BooleanField(),
        'holders': fields.ListOfStringsField(),
        'lease_expires_at': fields.StringField(nullable=True),
        'static_locks': fields.ListOfDictOfNullableStringsField(),
        'static_exempt_until': fields.StringField(nullable=True),
        'generation': fields.IntegerField(),
        'host': fields.StringField(nullable=True),
        'at': fields.StringField(nullable=True),
    }

    @classmethod
    def from_state(cls, state):
        return cls(
            instance_uuid=state.instance_uuid,
            project_id=state.project_id,
            state=state.state,
            locked=state.locked,
            holders=[h.holder for h in state.holds],
            lease_expires_at=lock.isoformat(state.lease_expires_at),
            static_locks=[s.to_dict() for s in state.static_locks],
            static_exempt_until=lock.isoformat(
                state.static_exempt_until if state.static_exempt else None),
            generation=state.generation,
            host=state.host,
            at=lock.isoformat(state.now))


@PayloadRegistry.register
class HoldPayload(Payload):
    """A hold that began, was renewed or ended; ``lock`` is the result."""

    # Version 1.0: Initial version
    VERSION = '1.0'

    fields = {
        'instance_uuid': fields.UUIDField(),
        'project_id': fields.StringField(nullable=True),
        'holder': fields.StringField(),
        'source': fields.StringField(),
        'reason': fields.StringField(),
        'acquired_at': fields.StringField(),
        'expires_at': fields.StringField(),
        'generation': fields.IntegerField(),
        'actor': fields.StringField(),
        'lock': fields.ObjectField('LockPayload'),
    }

    @classmethod
    def from_hold(cls, hold, state, actor):
        return cls(
            instance_uuid=hold.instance_uuid,
            project_id=hold.project_id,
            holder=hold.holder,
            source=hold.source,
            reason=hold.reason,
            acquired_at=lock.isoformat(hold.acquired_at),
            expires_at=lock.isoformat(hold.expires_at),
            generation=hold.generation,
            actor=actor or '',
            lock=LockPayload.from_state(state))


@PayloadRegistry.register
class MovePayload(Payload):
    """A move refused, admitted or ended; ``lock`` is the result."""

    # Version 1.0: Initial version
    VERSION = '1.0'

    fields = {
        'instance_uuid': fields.UUIDField(),
        'kind': fields.StringField(),
        'ticket_id': fields.StringField(nullable=True),
        'outcome': fields.StringField(nullable=True),
        'actor': fields.StringField(),
        'reason': fields.StringField(),
        'lock': fields.ObjectField('LockPayload'),
    }

    @classmethod
    def from_move(cls, state, kind, ticket, actor, reason):
        return cls(
            instance_uuid=state.instance_uuid,
            kind=kind,
            ticket_id=ticket.ticket_id if ticket else None,
            outcome=ticket.outcome if ticket else None,
            actor=actor or '',
            reason=reason or '',
            lock=LockPayload.from_state(state))


@PayloadRegistry.register
class MoveRequestPayload(Payload):
    """A move request opened, approved by its guest, or closed.

    ``outcome`` is set when it closes: what became of the move (the drain
    says ``moved``, ``broken``, ``skipped``...). ``approved_at`` is set
    once the guest said "go now".
    """

    # Version 1.0: Initial version
    VERSION = '1.0'

    fields = {
        'instance_uuid': fields.UUIDField(),
        'project_id': fields.StringField(nullable=True),
        'reason': fields.StringField(),
        'requested_by': fields.StringField(),
        'opened_at': fields.StringField(),
        'not_before': fields.StringField(),
        'approved_at': fields.StringField(nullable=True),
        'outcome': fields.StringField(nullable=True),
        'actor': fields.StringField(),
    }

    @classmethod
    def from_request(cls, request, actor, outcome=None):
        return cls(
            instance_uuid=request.instance_uuid,
            project_id=request.project_id,
            reason=request.reason or '',
            requested_by=request.requested_by or '',
            opened_at=lock.isoformat(request.opened_at),
            not_before=lock.isoformat(request.not_before),
            approved_at=lock.isoformat(request.approved_at),
            outcome=outcome,
            actor=actor or '')


@PayloadRegistry.register
class TaxPayload(Payload):
    """A project's lock tax over a period, for a rating service.

    ``lock_seconds`` is the period's lock time at face value and
    ``charged_seconds`` the same times ``rate``: what CloudKitty (or any
    rating service) rates. ``used_seconds``, ``allowance_seconds`` and
    ``refused_moves`` are the trailing history the rate was computed from
    (``nova_miglock.tax``).
    """

    # Version 1.0: Initial version
    VERSION = '1.0'

    fields = {
        'project_id': fields.StringField(),
        'period_start': fields.StringField(),
        'period_end': fields.StringField(),
        'lock_seconds': fields.FloatField(),
        'rate': fields.FloatField(),
        'charged_seconds': fields.FloatField(),
        'window_days': fields.IntegerField(),
        'used_seconds': fields.FloatField(),
        'allowance_seconds': fields.FloatField(),
        'refused_moves': fields.IntegerField(),
    }

    @classmethod
    def from_tax(cls, project_tax, since, until, window_days):
        return cls(
            project_id=project_tax.project_id,
            period_start=lock.isoformat(since),
            period_end=lock.isoformat(until),
            lock_seconds=project_tax.lock_seconds,
            rate=project_tax.rate,
            charged_seconds=project_tax.charged_seconds,
            window_days=window_days,
            used_seconds=project_tax.used_seconds,
            allowance_seconds=project_tax.allowance_seconds,
            refused_moves=project_tax.refused_moves)


@PayloadRegistry.register
class StaticAgePayload(Payload):
    """A tenant's static lock near or past ``[miglock_sla]/static_max_age``.

    ``action`` is what happens at ``max_age_at``: ``lapse`` (the lock stops
    counting) or ``notify`` (it keeps counting).
    """

    # Version 1.0: Initial version
    VERSION = '1.0'

    fields = {
        'instance_uuid': fields.UUIDField(),
        'project_id': fields.StringField(nullable=True),
        'static_locks': fields.ListOfDictOfNullableStringsField(),
        'static_since': fields.StringField(),
        'max_age_at': fields.StringField(),
        'action': fields.StringField(),
    }

    @classmethod
    def from_age(cls, age):
        return cls(
            instance_uuid=age.instance_uuid, project_id=age.project_id,
            static_locks=[s.to_dict() for s in age.static_locks],
            static_since=lock.isoformat(age.static_since),
            max_age_at=lock.isoformat(age.max_age_at),
            action=age.action)


def data_of(primitive, name):
    """The fields of a received payload ``name``, if this code reads it.

    A newer minor version only adds fields, so it is read; another major
    version, another payload or something that is not a payload is
    refused with :class:`PayloadError`.
    """
    if not isinstance(primitive, dict):
        raise PayloadError('not a versioned payload')
    key = SERIAL_NAMESPACE + '.%s'
    if primitive.get(key % 'namespace') != NAMESPACE or \
            primitive.get(key % 'name') != name:
        raise PayloadError('not a %s %s payload' % (NAMESPACE, name))
    known = PayloadRegistry.obj_classes()[name][0].VERSION
    version = str(primitive.get(key % 'version') or '')
    if version.split('.')[0] != known.split('.')[0]:
        raise PayloadError('%s version %s cannot be read by this code '
                           '(knows %s)' % (name, version, known))
    data = primitive.get(key % 'data')
    if not isinstance(data, dict):
        raise PayloadError('%s has no data' % name)
    return data


def lock_of(primitive):
    """The lock a received notification carries, read by version.

    A ``LockPayload`` is the lock; a hold's or a move's payload carries it
    in ``lock``. Consumers (the host agents) read only through here, so a
    payload of a major version they do not know is refused, not guessed.

    :raises PayloadError: not a payload this code reads.
    """
    name = primitive.get(SERIAL_NAMESPACE + '.name') \
        if isinstance(primitive, dict) else None
    if name not in ('LockPayload', 'HoldPayload', 'MovePayload'):
        raise PayloadError('%s carries no lock' % (name or 'the payload'))
    data = data_of(primitive, name)
    if name == 'LockPayload':
        return data
    return data_of(data.get('lock'), 'LockPayload')
