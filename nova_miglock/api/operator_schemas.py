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
"""JSON schemas of the operator endpoints (version 1.0).

The housekeeping and planning commands of ``nova-miglock-manage`` over
REST: reap, ledger purge, move requests, a drain's plan and the history
model. Like :mod:`nova_miglock.api.schemas`, requests are checked before
a handler runs and the functional tests hold every answer to the response
schemas here.
"""

from nova_miglock.api import schemas
from nova_miglock.drain import options as drain_options
from nova_miglock import lock
from nova_miglock.planning import strategies

# A drain plan is computed inside the API request: a bounded amount of
# work (the manage command takes as many hosts as the operator likes).
MAX_PLAN_HOSTS = 10
MAX_PLAN_SECONDS = 30 * 86400
MAX_MODEL_DAYS = 366
MAX_PARALLEL = 100

_seconds = {'type': 'integer', 'minimum': 1,
            'maximum': lock.MAX_EXEMPTION_SECONDS}
_limit = {'type': 'integer', 'minimum': 1, 'maximum': 1000}
_host = {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$',
         'description': 'a compute host name'}
_count = {'type': 'integer', 'minimum': 0}
_nullable_number = {'type': ['number', 'null']}

# -- requests ---------------------------------------------------------------

# POST /os-miglock/reap; an empty body takes the default limit.
reap = {
    'title': 'Reap expired holds',
    'type': 'object',
    'properties': {'limit': _limit},
    'additionalProperties': False,
}

# POST /os-miglock/ledger/purge
purge = {
    'title': 'Purge the ledger',
    'type': 'object',
    'properties': {'before': schemas.usage_query['properties']['since']},
    'required': ['before'],
    'additionalProperties': False,
}

# PUT /servers/{server_id}/os-miglock/move-request
move_request_open = {
    'title': 'Request a move',
    'type': 'object',
    'properties': {'move_request': {
        'type': 'object',
        'properties': {'seconds': _seconds,
                       'reason': schemas.required_reason},
        'required': ['seconds', 'reason'],
        'additionalProperties': False}},
    'required': ['move_request'],
    'additionalProperties': False,
}

# GET /os-miglock/move-requests query parameters.
move_requests_query = {
    'title': 'List move requests',
    'type': 'object',
    'properties': {'limit': schemas.list_query['properties']['limit']},
    'additionalProperties': False,
}

# GET /servers/{server_id}/os-miglock/model query parameters.
model_query = {
    'title': 'Show the history model',
    'type': 'object',
    'properties': {'days': {'type': 'string', 'pattern': '^[0-9]{1,3}$',
                            'description': 'whole days, 1 to %d'
                                           % MAX_MODEL_DAYS}},
    'additionalProperties': False,
}

# POST /os-miglock/drain-plans: what ``nova-miglock-manage drain
# --dry-run`` is given, without what only a real drain uses (poll, move
# timeout).
drain_plan = {
    'title': 'Plan a drain',
    'type': 'object',
    'properties': {'drain_plan': {
        'type': 'object',
        'properties': {
            'hosts': {'type': 'array', 'items': _host, 'minItems': 1,
                      'maxItems': MAX_PLAN_HOSTS, 'uniqueItems': True},
            'within': {'type': 'integer', 'minimum': 1,
                       'maximum': MAX_PLAN_SECONDS},
            'deadline': schemas.timestamp,
            'strategy': {'type': 'string', 'enum': list(strategies.NAMES)},
            'parallel': {'type': 'integer', 'minimum': 1,
                         'maximum': MAX_PARALLEL},
            'per_host': {'type': 'integer', 'minimum': 1,
                         'maximum': MAX_PARALLEL},
            'on_deadline': {'type': 'string',
                            'enum': list(drain_options.ON_DEADLINE)},
            # 0 (none, like null) from version 1.2: the handler refuses
            # it before, as this schema did.
            'notice': {'type': ['integer', 'null'], 'minimum': 0,
                       'maximum': MAX_PLAN_SECONDS},
            'reason': schemas.required_reason,
        },
        'required': ['hosts'],
        'additionalProperties': False}},
    'required': ['drain_plan'],
    'additionalProperties': False,
}

# -- responses --------------------------------------------------------------

_reaped_hold = {
    'type': 'object',
    'properties': dict(schemas.hold_response['properties']['hold'][
        'properties'], instance_uuid=schemas.uuid),
    'required': ['instance_uuid', 'holder', 'source', 'reason',
                 'acquired_at', 'renewed_at', 'expires_at', 'generation'],
    'additionalProperties': False,
}

reap_response = {
    'type': 'object',
    'properties': {'reaped': {'type': 'array', 'items': _reaped_hold}},
    'required': ['reaped'],
    'additionalProperties': False,
}

purge_response = {
    'type': 'object',
    'properties': {'purged': {
        'type': 'object',
        'properties': {'before': schemas.timestamp,
                       'ledger_events': _count,
                       'closed_tickets': _count},
        'required': ['before', 'ledger_events', 'closed_tickets'],
        'additionalProperties': False}},
    'required': ['purged'],
    'additionalProperties': False,
}

_move_request = {
    'type': 'object',
    'properties': {
        'instance_uuid': schemas.uuid,
        'project_id': {'type': 'string'},
        'reason': {'type': 'string'},
        'requested_by': {'type': 'string'},
        'opened_at': schemas.timestamp,
        'not_before': schemas.timestamp,
        'approved_at': schemas.nullable_timestamp,
        'seconds_left': {'type': 'number', 'minimum': 0},
    },
    'required': ['instance_uuid', 'project_id', 'reason', 'requested_by',
                 'opened_at', 'not_before', 'approved_at', 'seconds_left'],
    'additionalProperties': False,
}

move_request_response = {
    'type': 'object',
    'properties': {'move_request': {'oneOf': [_move_request,
                                              {'type': 'null'}]}},
    'required': ['move_request'],
    'additionalProperties': False,
}

move_requests_response = {
    'type': 'object',
    'properties': {'move_requests': {'type': 'array',
                                     'items': _move_request}},
    'required': ['move_requests'],
    'additionalProperties': False,
}

_quantiles = {
    'type': ['object', 'null'],
    'properties': {'p50': _nullable_number, 'p90': _nullable_number},
    'required': ['p50', 'p90'],
}

model_response = {
    'type': 'object',
    'properties': {'model': {
        'type': 'object',
        'properties': {
            'instance_uuid': schemas.uuid,
            'project_id': {'type': ['string', 'null']},
            'as_of': schemas.timestamp,
            'ledger_rows': _count,
            'ledger_rows_new': _count,
            'move_seconds_p50': {'type': 'number', 'minimum': 0},
            'history': {'type': 'array', 'items': {
                'type': 'object',
                'properties': {
                    'level': {'type': 'string'},
                    'locked_periods_ended': _count,
                    'locked_periods_censored': _count,
                    'holds': _count,
                    'lock_starts': _count,
                    'instances': _count,
                },
                'required': ['level', 'locked_periods_ended',
                             'locked_periods_censored', 'holds',
                             'lock_starts', 'instances'],
                'additionalProperties': False}},
            'weights': {'type': 'object',
                        'additionalProperties': {'type': 'number'}},
            'locked_period_seconds': {
                'type': 'object',
                'properties': {'p50': _nullable_number,
                               'p90': _nullable_number,
                               'mean': _nullable_number},
                'required': ['p50', 'p90', 'mean'],
                'additionalProperties': False},
            'lock_probability': {
                'type': 'object',
                'properties': {'within_1h': {'type': 'number'},
                               'within_24h': {'type': 'number'}},
                'required': ['within_1h', 'within_24h'],
                'additionalProperties': False},
            'busiest_hours': {'type': 'array', 'items': {
                'type': 'object',
                'properties': {'hour': {'type': 'string'},
                               'locks_per_hour': {'type': 'number'}},
                'required': ['hour', 'locks_per_hour'],
                'additionalProperties': False}},
            'locked_for_seconds': _nullable_number,
            'remaining_seconds': _quantiles,
        },
        'required': ['instance_uuid', 'project_id', 'as_of', 'ledger_rows',
                     'ledger_rows_new', 'move_seconds_p50', 'history',
                     'weights', 'locked_period_seconds', 'lock_probability',
                     'busiest_hours', 'locked_for_seconds',
                     'remaining_seconds'],
        'additionalProperties': False}},
    'required': ['model'],
    'additionalProperties': False,
}

_planned = {
    'type': 'object',
    'properties': {
        'instance_uuid': schemas.uuid,
        'name': {'type': ['string', 'null']},
        'project_id': {'type': ['string', 'null']},
        'host': {'type': ['string', 'null']},
        'outcome': {'type': 'string'},
        'action': {'type': ['string', 'null']},
        'predicted_start_seconds': _nullable_number,
        'predicted_end_seconds': _nullable_number,
        'locked_at_start': {'type': ['boolean', 'null']},
        'message': {'type': 'string'},
    },
    'required': ['instance_uuid', 'name', 'project_id', 'host', 'outcome',
                 'action', 'predicted_start_seconds',
                 'predicted_end_seconds', 'locked_at_start', 'message'],
    'additionalProperties': False,
}

drain_plan_response = {
    'type': 'object',
    'properties': {'drain_plan': {
        'type': 'object',
        'properties': {
            'hosts': {'type': 'array', 'items': {'type': 'string'}},
            'strategy': {'type': 'string'},
            'planned_at': schemas.timestamp,
            'deadline': schemas.timestamp,
            'on_deadline': {'type': 'string'},
            'predicted': {
                'type': ['object', 'null'],
                'properties': {
                    'p50_seconds': {'type': 'number'},
                    'p90_seconds': {'type': 'number'},
                    'needs_break': {'type': 'array',
                                    'items': {'type': 'string'}}},
                'required': ['p50_seconds', 'p90_seconds', 'needs_break'],
                'additionalProperties': False},
            'counts': {'type': 'object',
                       'additionalProperties': {'type': 'integer'}},
            'instances': {'type': 'array', 'items': _planned},
            # From version 1.2: what the guests would be told, or null.
            'notice': {
                'type': ['object', 'null'],
                'properties': {
                    'seconds': {'type': 'integer', 'minimum': 1},
                    'not_before': schemas.timestamp,
                    'guests': {'type': 'integer', 'minimum': 0}},
                'required': ['seconds', 'not_before', 'guests'],
                'additionalProperties': False},
        },
        'required': ['hosts', 'strategy', 'planned_at', 'deadline',
                     'on_deadline', 'predicted', 'counts', 'instances'],
        'additionalProperties': False}},
    'required': ['drain_plan'],
    'additionalProperties': False,
}
