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
"""The wire format of the server lock API, in one place.

Handlers hand domain values (:class:`~nova_miglock.lock.LockState`,
:class:`~nova_miglock.manager.Grant`, holds) to these builders and send
what they return; ``nova_miglock.api.schemas`` describes the result and
the functional tests hold each answer to it. Like Nova's views, a builder
takes the request's API version, so a later version changes the format
here and nowhere else. The compute host is never shown: like Nova, tenants
are not told where their instance runs.
"""

from nova_miglock.api import schemas
from nova_miglock.api import versions as api_versions
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


def _static_lock(static):
    return {'kind': static.kind, 'name': static.name, 'value': static.value}


def _state(state):
    return {
        'instance_uuid': state.instance_uuid,
        'state': state.state,
        'locked': state.locked,
        'holds': [hold(h, state.now) for h in state.holds],
        'static_locks': [_static_lock(s) for s in state.static_locks],
        'migration': _ticket(state.ticket),
        'migration_requested': state.migration_requested_at is not None,
        'migration_requested_at': _time(state.migration_requested_at),
        'locked_since': _time(state.locked_since if state.locked else None),
        'static_exempt_until': _time(
            state.static_exempt_until if state.static_exempt else None),
        'generation': state.generation,
        'now': _time(state.now),
    }


def show(state, version):
    """``GET /servers/{id}/os-miglock`` and the answer to an exemption."""
    return {'miglock': _state(state)}


def grant(granted, version):
    """``PUT .../holds/{holder}``: the hold and how its lease was cut."""
    body = hold(granted.hold, granted.state.now)
    body.update({
        'lease_seconds': granted.granted_seconds,
        'lease_capped_by': granted.cut_by if granted.capped else None,
        'instance_state': granted.state.state,
    })
    return {'hold': body}


def broken(holds, version):
    """``POST .../action`` with ``break``: the holds that ended."""
    return {'broken': [hold(h) for h in holds]}


def index(states, version):
    """``GET /os-miglock/locks``: each instance's lock and its project."""
    return {'locks': [dict(_state(s), project_id=s.project_id)
                      for s in states]}


def tickets(open_tickets, version):
    """``GET /os-miglock/tickets``: admitted moves that have not ended."""
    return {'tickets': [dict(_ticket(t), instance_uuid=t.instance_uuid)
                        for t in open_tickets]}


def ended(ticket, version):
    """``POST .../action`` with ``end_move``: the ticket closed, if any."""
    return {'ended': _ticket(ticket)}


def usage(usages, totals, since, until, version):
    """``GET /os-miglock/usage``: lock-seconds per instance and project."""
    return {'usage': {
        'since': _time(since),
        'until': _time(until),
        'instances': [{'instance_uuid': u.instance_uuid,
                       'project_id': u.project_id,
                       'lock_seconds': u.lock_seconds,
                       'holds': u.holds} for u in usages],
        'projects': dict(totals),
    }}


def quota(project_id, limits, version):
    """``/os-miglock/quotas/{project_id}``: the effective limits."""
    body = {'project_id': project_id,
            'locked_instances': limits['locked_instances'],
            'lock_seconds_per_day': limits['lock_seconds_per_day']}
    if version >= api_versions.SLA_VERSION:
        body.update((name, limits.get(name)) for name in schemas.SLA_FIELDS)
    return {'quota': body}


def versions(base_url, minimum, maximum):
    """``GET /os-miglock``: the versions this server serves."""
    return {'versions': [{
        'id': 'v%d.0' % maximum.major,
        'status': 'CURRENT',
        'version': str(maximum),
        'min_version': str(minimum),
        'links': [{'rel': 'self', 'href': base_url}],
    }]}


def _group(found):
    budget, members = found['max_moving'], found['members']
    allowed = None if members is None and budget.percent else \
        budget.allowed(members)
    return {'group': found['group'], 'kind': found['kind'],
            'project_id': found['project_id'],
            'max_moving': budget.to_api(), 'members': members,
            'allowed_moving': allowed,
            'moving': [{'instance_uuid': m.instance_uuid, 'kind': m.kind,
                        'admitted_at': _time(m.admitted_at),
                        'deadline': _time(m.deadline)}
                       for m in found['moving']],
            'updated_at': _time(found['updated_at']),
            'updated_by': found['updated_by']}


def group(found, version):
    """``/os-miglock/groups/{group}`` (1.1): a budget, members moving."""
    return {'group': _group(found)}


def groups(found, version):
    """``GET /os-miglock/groups`` (1.1): the budgets of a project."""
    return {'groups': [_group(g) for g in found]}
