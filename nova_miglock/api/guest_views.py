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
"""The wire format of the guest channel (``/openstack/miglock``), in one place.

Guests run the ``miglock`` agent (or their own client) of whatever
release installed them, so this format is a contract of its own: it is
not versioned with the tenant and operator API (:mod:`.views`), a change
here reaches every running agent, and ``tests/unit/test_guest_views.py``
pins it field by field. The compute host is never shown. Builders
take domain values (holds, states, grants, move requests) and return
plain data; :mod:`nova_miglock.api.metadata` sends what they return.
"""

from nova_miglock import lock


def _time(when):
    return lock.isoformat(when)


def hold(item, now=None):
    """One hold; with the seconds it has left when ``now`` is given."""
    body = {
        'holder': item.holder,
        'source': item.source,
        'reason': item.reason,
        'acquired_at': _time(item.acquired_at),
        'renewed_at': _time(item.renewed_at),
        'expires_at': _time(item.expires_at),
        'generation': item.generation,
    }
    if now is not None:
        body['expires_in'] = max(0.0, round(
            lock.seconds_between(now, item.expires_at), 3))
    return body


def holds(state):
    """``GET .../holds``: the active holds, each with its seconds left."""
    return {'holds': [hold(h, state.now) for h in state.holds]}


def grant(granted):
    """``PUT .../holds/NAME``: the hold, its lease and what cut it."""
    return dict(hold(granted.hold, granted.state.now),
                lease_seconds=granted.granted_seconds,
                lease_capped_by=granted.cut_by if granted.capped else None,
                instance_state=granted.state.state)


def _ticket(ticket):
    if ticket is None:
        return None
    return {
        'ticket_id': ticket.ticket_id,
        'kind': ticket.kind,
        'request_id': ticket.request_id,
        'admitted_at': _time(ticket.admitted_at),
        'deadline': _time(ticket.deadline),
        'closed_at': _time(ticket.closed_at),
        'outcome': ticket.outcome,
    }


def move_request(request, now=None):
    """A move request as the guest sees it; ``seconds_left`` with ``now``."""
    body = {'reason': request.reason, 'requested_by': request.requested_by,
            'opened_at': _time(request.opened_at),
            'not_before': _time(request.not_before),
            'approved_at': _time(request.approved_at)}
    if now is not None:
        body['seconds_left'] = max(0.0, round(
            (request.not_before - now).total_seconds(), 3))
    return body


def approved(request):
    """``POST .../approve``: the request the guest approved."""
    return {'move_request': move_request(request)}


def state(current, limits, request):
    """``GET /openstack/miglock``: the lock, what the guest may do, moves.

    ``limits`` is the ``policy`` object (whether the guest may lock, the
    lease limits and the rule that set them); ``request`` the open move
    request or None.
    """
    return {
        'instance_uuid': current.instance_uuid,
        'state': current.state,
        'locked': current.locked,
        'holds': [hold(h, current.now) for h in current.holds],
        'static_locks': [{'kind': s.kind, 'name': s.name, 'value': s.value}
                         for s in current.static_locks],
        # The guest is told of a wanted move by its move request (below),
        # with a reason and a deadline; not by the bare flag a refused move
        # sets, which said neither and every refused retry set again.
        'migration': _ticket(current.ticket),
        'locked_since': _time(current.locked_since if current.locked
                              else None),
        'static_exempt_until': _time(
            current.static_exempt_until if current.static_exempt else None),
        'generation': current.generation,
        'now': _time(current.now),
        'policy': limits,
        'move_request': (move_request(request, current.now) if request
                         else None),
    }
