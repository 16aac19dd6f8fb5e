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
"""The wire format of the operator endpoints.

Builders of :mod:`nova_miglock.api.operator_schemas`' answers, taking the
API version like :mod:`nova_miglock.api.views`. Times are shown as every
other answer of the API shows them (``lock.isoformat``), whatever format
the planning code keeps them in.
"""

import datetime

from nova_miglock.api import versions
from nova_miglock.api import views
from nova_miglock import lock

# What a plan's report carries that only a real drain fills in.
_PLAN_ITEM_KEYS = (
    ('instance_uuid', 'instance'), ('name', 'name'),
    ('project_id', 'project_id'), ('host', 'from'), ('outcome', 'outcome'),
    ('action', 'action'),
    ('predicted_start_seconds', 'predicted_start_seconds'),
    ('predicted_end_seconds', 'predicted_end_seconds'),
    ('locked_at_start', 'locked_at_start'), ('message', 'message'))


def _time(text):
    """An ISO 8601 time of the planning code, in the API's format."""
    if text is None:
        return None
    return lock.isoformat(datetime.datetime.fromisoformat(text.rstrip('Z')))


def reaped(found, version):
    """``POST /os-miglock/reap``: the expired holds now recorded."""
    return {'reaped': [dict(views.hold(hold), instance_uuid=hold.instance_uuid)
                       for hold, _state in found]}


def purged(counts, before, version):
    """``POST /os-miglock/ledger/purge``: what was deleted."""
    return {'purged': {'before': lock.isoformat(before),
                       'ledger_events': counts['ledger'],
                       'closed_tickets': counts['tickets']}}


def _move_request(request, now):
    return {
        'instance_uuid': request.instance_uuid,
        'project_id': request.project_id,
        'reason': request.reason,
        'requested_by': request.requested_by,
        'opened_at': lock.isoformat(request.opened_at),
        'not_before': lock.isoformat(request.not_before),
        'approved_at': lock.isoformat(request.approved_at),
        'seconds_left': max(0.0, round(
            lock.seconds_between(now, request.not_before), 3)),
    }


def move_request(request, now, version):
    """``/servers/{id}/os-miglock/move-request``: the open one, or null."""
    return {'move_request': None if request is None
            else _move_request(request, now)}


def move_requests(found, now, version):
    """``GET /os-miglock/move-requests``: every open request."""
    return {'move_requests': [_move_request(r, now) for r in found]}


def model(data, version):
    """``GET /servers/{id}/os-miglock/model``: what drains believe."""
    return {'model': dict(data, as_of=_time(data['as_of']))}


def drain_plan(report, version):
    """``POST /os-miglock/drain-plans``: a drain's plan, nothing moved.

    From version 1.2 it says what the guests would be told: ``notice``
    (``seconds``, ``not_before``, ``guests``) as in the JSON report of
    ``nova-miglock-manage drain --dry-run``, or null for no notice.
    """
    plan = {
        'hosts': report['hosts'],
        'strategy': report['strategy'],
        'planned_at': _time(report['started_at']),
        'deadline': _time(report['deadline']),
        'on_deadline': report['on_deadline'],
        'predicted': report['predicted'],
        'counts': report['counts'],
        'instances': [{key: item[source] for key, source in _PLAN_ITEM_KEYS}
                      for item in report['instances']],
    }
    if version >= versions.DRAIN_NOTICE:
        notice = report.get('notice')
        plan['notice'] = None if not notice else dict(
            notice, not_before=_time(notice['not_before']))
    return {'drain_plan': plan}
