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
"""Move requests in the SQL store: open, read, close, and the lease cap.

A request tells the guest a move is coming and by when (``not_before``).
Each write locks the instance's row first, as every other write does, so
a request and a hold of one instance are totally ordered: a lease granted
after the request never ends later than its ``not_before``
(:func:`cap`, called inside the acquire transaction), and once that time
has passed no new lease is granted until the request closes.
"""

import dataclasses

import sqlalchemy as sa

from nova_miglock import leases
from nova_miglock import lock
from nova_miglock.store.sql import models
from nova_miglock.store.sql import queries
from nova_miglock.store.sql import writes

_TABLE = models.move_requests


@dataclasses.dataclass(frozen=True)
class MoveRequest:
    instance_uuid: str
    project_id: str
    reason: str
    requested_by: str
    opened_at: object
    not_before: object
    approved_at: object = None

    def to_dict(self, now=None):
        data = {'reason': self.reason, 'requested_by': self.requested_by,
                'opened_at': lock.isoformat(self.opened_at),
                'not_before': lock.isoformat(self.not_before),
                'approved_at': lock.isoformat(self.approved_at)}
        if now is not None:
            data['seconds_left'] = max(0.0, round(
                (self.not_before - now).total_seconds(), 3))
        return data


def _from(row):
    return None if row is None else MoveRequest(**dict(row._mapping))


def _read(conn, instance_uuid):
    return _from(conn.execute(sa.select(_TABLE).where(
        _TABLE.c.instance_uuid == instance_uuid)).first())


def open_request(store, instance_uuid, *, project_id, reason, seconds,
                 actor, host=None):
    """Open (or bring forward) the instance's request.

    ``not_before`` is ``seconds`` from the store's clock. An open request
    keeps the earlier of its deadline and the new one.

    :returns: ``(request, opened)``; ``opened`` is False when one was open.
    """
    with store._write() as conn:
        row = store._lock_or_create(conn, instance_uuid, project_id, host)
        now = queries.read_now(conn)
        not_before = now + leases.seconds(seconds)
        found = _read(conn, instance_uuid)
        if found is not None:
            if not_before < found.not_before:
                conn.execute(sa.update(_TABLE).where(
                    _TABLE.c.instance_uuid == instance_uuid).values(
                        not_before=not_before))
                found = dataclasses.replace(found, not_before=not_before)
            return found, False
        request = MoveRequest(instance_uuid, row.project_id, reason,
                              actor, now, not_before)
        conn.execute(sa.insert(_TABLE).values(**dataclasses.asdict(
            request)))
        # A change of the instance: an in-place renewal waiting for its
        # row must see it (store/sql/renewals.py) and decide again.
        writes.update_instance(conn, instance_uuid,
                               generation=row.generation + 1,
                               updated_at=now)
        writes.record(conn, at=now, event=lock.EVENT_MOVE_REQUESTED,
                      instance_uuid=instance_uuid, project_id=row.project_id,
                      reason=reason, actor=actor, expires_at=not_before)
    return request, True


def close_request(store, instance_uuid, *, outcome, actor):
    """Close the instance's request, if one is open (idempotent)."""
    with store._write() as conn:
        row = queries.lock_instance(conn, instance_uuid)
        found = _read(conn, instance_uuid) if row is not None else None
        if found is None:
            return None
        conn.execute(sa.delete(_TABLE).where(
            _TABLE.c.instance_uuid == instance_uuid))
        writes.record(conn, at=queries.read_now(conn),
                      event=lock.EVENT_REQUEST_CLOSED,
                      instance_uuid=instance_uuid,
                      project_id=row.project_id, reason=outcome, actor=actor)
    return found


def approve(store, instance_uuid, *, actor):
    """The guest says "go now": its holds end and no new one is granted.

    Holds of the tenant or the operator are theirs to end. Approving again
    is a no-op.

    :returns: ``(request, ended_holds)``.
    :raises NotHeld: no move request is open (reason ``not_held``: there
        is nothing to approve).
    """
    with store._write() as conn:
        row = queries.lock_instance(conn, instance_uuid)
        found = _read(conn, instance_uuid) if row is not None else None
        if found is None:
            raise lock.NotHeld('no move of instance %s was requested; '
                               'there is nothing to approve' % instance_uuid)
        snap = queries.snapshot(conn, instance_uuid, row.project_id)
        now = snap.now
        guest = [h for h in snap.holds.values()
                 if h.source == lock.SOURCE_GUEST]
        ended = store._delete_holds(conn, row, now, guest,
                                    event=lock.EVENT_APPROVE,
                                    reason='move approved', actor=actor)
        left = [h.expires_at for h in snap.holds.values()
                if h not in guest and h.is_active(now)]
        writes.update_instance(
            conn, instance_uuid, generation=row.generation + 1,
            locked_until=leases.locked_until_after(
                now=now, old_until=row.locked_until, active_expiries=left),
            updated_at=now)
        if found.approved_at is None:
            conn.execute(sa.update(_TABLE).where(
                _TABLE.c.instance_uuid == instance_uuid).values(
                    approved_at=now))
            found = dataclasses.replace(found, approved_at=now)
    return found, ended


def get_request(store, instance_uuid):
    with store._read() as conn:
        return _read(conn, instance_uuid)


def list_requests(store, *, limit=100):
    """Open requests, the soonest ``not_before`` first."""
    with store._read() as conn:
        rows = conn.execute(sa.select(_TABLE).order_by(
            _TABLE.c.not_before, _TABLE.c.instance_uuid).limit(limit))
        return [_from(row) for row in rows]


def not_after(conn, instance_uuid, now, *, cap=True, grace=0):
    """When a lease granted now must end: the open request's deadline.

    Called inside the acquire transaction, after the instance's row is
    locked; None when no move is requested or ``cap`` is off. The deadline
    is the request's ``not_before`` plus ``grace`` seconds
    (``[miglock] move_request_caps_leases`` and ``move_request_grace``).

    :raises MoveRequested: the deadline has passed, or the guest approved.
    """
    found = _read(conn, instance_uuid)
    if found is None:
        return None
    if found.approved_at is not None:
        raise lock.MoveRequested(
            'the move of instance %s was approved; no new lock until it '
            'has happened' % instance_uuid, retry_after=60)
    if not cap:
        return None
    ends = found.not_before + leases.seconds(grace)
    if ends <= now:
        raise lock.MoveRequested(
            'a move of instance %s was requested for %s (%s); no new lock '
            'until it has happened' % (instance_uuid,
                                       lock.isoformat(found.not_before),
                                       found.reason or 'no reason given'),
            retry_after=60)
    return ends
