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
"""JSON schemas of the server lock API (version 1.0): the contract.

Request schemas are checked by :func:`nova_miglock.api.validation.schema`
before a handler runs; response schemas describe what
:mod:`nova_miglock.api.views` builds, and the functional tests check every
answer against them, so neither the code nor the API reference can drift
from this module.

Limits that depend on configuration (``[miglock]/max_lease``, quotas) are
not schema: they are policy, answered 422 or 429 by the lock manager.
"""

import copy

from nova_miglock import lock

# -- parameter types ---------------------------------------------------------

holder = {
    'type': 'string',
    'pattern': '^%s$' % lock.HOLDER_PATTERN,
    'description': '1 to 64 letters, digits and "_.:@-", starting with a '
                   'letter or digit.',
}

reason = {
    'type': ['string', 'null'],
    'maxLength': lock.MAX_REASON_LENGTH,
    'pattern': '^[^\\x00-\\x1f\\x7f]*$',
    'description': 'Free text without control characters.',
}

# A reason that must say something (breaks and exemptions are audited).
required_reason = {
    'type': 'string',
    'minLength': 1,
    'maxLength': lock.MAX_REASON_LENGTH,
    'pattern': '^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f][^\\x00-\\x1f\\x7f]*$',
    'description': 'Why, in free text without control characters; not '
                   'blank.',
}

timestamp = {'type': 'string',
             'pattern': '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'}
nullable_timestamp = {'type': ['string', 'null'],
                      'pattern': timestamp['pattern']}
uuid = {'type': 'string', 'minLength': 32, 'maxLength': 36}

# -- requests ---------------------------------------------------------------

# PUT /servers/{server_id}/os-miglock/holds/{holder}; an empty body takes
# every default.
hold = {
    'title': 'Take or renew a hold',
    'type': 'object',
    'properties': {
        'lease_seconds': {'type': ['integer', 'null'], 'minimum': 1},
        'reason': reason,
        'wait': {'type': ['number', 'null'], 'minimum': 0},
    },
    'additionalProperties': False,
}

# DELETE /servers/{server_id}/os-miglock/holds/{holder}: no body.
release = {'title': 'Release a hold', 'type': 'object', 'properties': {},
           'additionalProperties': False}

# GET requests carry no body either.
no_body = copy.deepcopy(release)
no_body['title'] = 'No request body'

_break = {
    'type': 'object',
    'properties': {
        'reason': required_reason,
        'holder': {'oneOf': [holder, {'type': 'null'}]},
    },
    'required': ['reason'],
    'additionalProperties': False,
}

_exempt = {
    'type': 'object',
    'properties': {
        'reason': required_reason,
        'seconds': {'type': 'integer', 'minimum': 0,
                    'maximum': lock.MAX_EXEMPTION_SECONDS},
    },
    'required': ['reason'],
    'additionalProperties': False,
}

# The store keeps an outcome in 32 characters.
_end_move = {
    'type': 'object',
    'properties': {
        'outcome': {'type': 'string', 'minLength': 1, 'maxLength': 32,
                    'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]*$',
                    'description': 'letters, digits and "_.:-"'},
    },
    'additionalProperties': False,
}

# POST /servers/{server_id}/os-miglock/action: exactly one action.
action = {
    'title': 'Operator action',
    'type': 'object',
    'properties': {'break': _break, 'exempt': _exempt,
                   'end_move': _end_move},
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
}

# GET /os-miglock/locks query parameters (strings, as in a URL).
list_query = {
    'title': 'List locks',
    'type': 'object',
    'properties': {
        'project_id': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'all_projects': {'type': 'string',
                         'enum': ['true', 'false', '1', '0']},
        'include_unlocked': {'type': 'string',
                             'enum': ['true', 'false', '1', '0']},
        'limit': {'type': 'string', 'pattern': '^[0-9]{1,6}$'},
    },
    'additionalProperties': False,
}

# PUT /os-miglock/quotas/{project_id}: null returns to the configured
# default; -1 is unlimited. The store keeps 32-bit integers.
_quota_limit = {'type': ['integer', 'null'], 'minimum': -1,
                'maximum': 2 ** 31 - 1}
# The project's SLA; null leaves it to the flavor and the configuration.
_sla_permission = {'type': ['string', 'null'],
                   'enum': ['allowed', 'forbidden', None]}
_sla_cap = {'type': ['integer', 'null'], 'minimum': 1,
            'maximum': 2 ** 31 - 1}
SLA_FIELDS = ('guest_locks', 'static_locks', 'max_lease', 'max_hold')
quota_update = {
    'title': 'Set quota',
    'type': 'object',
    'properties': {'quota': {
        'type': 'object',
        'properties': {'locked_instances': _quota_limit,
                       'lock_seconds_per_day': _quota_limit,
                       # From version 1.1: the project's SLA.
                       'guest_locks': _sla_permission,
                       'static_locks': _sla_permission,
                       'max_lease': _sla_cap,
                       'max_hold': _sla_cap},
        'minProperties': 1,
        'additionalProperties': False}},
    'required': ['quota'],
    'additionalProperties': False,
}

# GET /os-miglock/tickets query parameters.
tickets_query = {
    'title': 'List migration tickets',
    'type': 'object',
    'properties': {
        'overdue': list_query['properties']['all_projects'],
        'limit': list_query['properties']['limit'],
    },
    'additionalProperties': False,
}

# GET /os-miglock/usage query parameters.
_query_time = {'type': 'string',
               'pattern': '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
                          '(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?)?'
                          'Z?$',
               'description': 'a UTC date or time, ISO 8601 (e.g. '
                              '2026-11-26 or 2026-11-26T10:00:00Z)'}
usage_query = {
    'title': 'Lock usage',
    'type': 'object',
    'properties': {
        'project_id': list_query['properties']['project_id'],
        'all_projects': list_query['properties']['all_projects'],
        'since': _query_time,
        'until': _query_time,
    },
    'additionalProperties': False,
}

# -- responses --------------------------------------------------------------

_hold = {
    'type': 'object',
    'properties': {
        'holder': holder,
        'source': {'type': 'string', 'enum': list(lock.SOURCES)},
        'reason': {'type': 'string'},
        'acquired_at': timestamp,
        'renewed_at': timestamp,
        'expires_at': timestamp,
        'expires_in': {'type': 'number', 'minimum': 0},
        'generation': {'type': 'integer'},
    },
    'required': ['holder', 'source', 'reason', 'acquired_at', 'renewed_at',
                 'expires_at', 'generation'],
    'additionalProperties': False,
}

_static_lock = {
    'type': 'object',
    'properties': {
        'kind': {'type': 'string'},
        'name': {'type': 'string'},
        'value': {'type': 'string'},
    },
    'required': ['kind', 'name', 'value'],
    'additionalProperties': False,
}

_migration = {
    'type': ['object', 'null'],
    'properties': {
        'ticket_id': {'type': 'string'},
        'kind': {'type': 'string'},
        'request_id': {'type': ['string', 'null']},
        'admitted_at': timestamp,
        'deadline': timestamp,
        'closed_at': nullable_timestamp,
        'outcome': {'type': ['string', 'null']},
    },
    'required': ['ticket_id', 'kind', 'admitted_at', 'deadline'],
    'additionalProperties': False,
}

_state = {
    'type': 'object',
    'properties': {
        'instance_uuid': uuid,
        'state': {'type': 'string', 'enum': [
            lock.STATE_UNLOCKED, lock.STATE_LOCKED, lock.STATE_MIGRATING]},
        'locked': {'type': 'boolean'},
        'holds': {'type': 'array', 'items': _hold},
        'static_locks': {'type': 'array', 'items': _static_lock},
        'migration': _migration,
        'migration_requested': {'type': 'boolean'},
        'migration_requested_at': nullable_timestamp,
        'locked_since': nullable_timestamp,
        'static_exempt_until': nullable_timestamp,
        'generation': {'type': 'integer'},
        'now': timestamp,
    },
    'required': ['instance_uuid', 'state', 'locked', 'holds',
                 'static_locks', 'migration', 'migration_requested',
                 'migration_requested_at', 'locked_since',
                 'static_exempt_until', 'generation', 'now'],
    'additionalProperties': False,
}

show_response = {
    'type': 'object',
    'properties': {'miglock': _state},
    'required': ['miglock'],
    'additionalProperties': False,
}

_grant = copy.deepcopy(_hold)
_grant['properties'].update({
    'lease_seconds': {'type': 'number', 'minimum': 0},
    'lease_capped_by': {'type': ['string', 'null'],
                        'enum': ['max_hold', 'move_request', None]},
    'instance_state': _state['properties']['state'],
})
_grant['required'] += ['expires_in', 'lease_seconds', 'lease_capped_by',
                       'instance_state']

hold_response = {
    'type': 'object',
    'properties': {'hold': _grant},
    'required': ['hold'],
    'additionalProperties': False,
}

break_response = {
    'type': 'object',
    'properties': {'broken': {'type': 'array', 'items': _hold}},
    'required': ['broken'],
    'additionalProperties': False,
}

exempt_response = show_response

_open_ticket = copy.deepcopy(_migration)
_open_ticket['type'] = 'object'
_open_ticket['properties']['instance_uuid'] = uuid
_open_ticket['required'] = _migration['required'] + ['instance_uuid']

tickets_response = {
    'type': 'object',
    'properties': {'tickets': {'type': 'array', 'items': _open_ticket}},
    'required': ['tickets'],
    'additionalProperties': False,
}

end_move_response = {
    'type': 'object',
    'properties': {'ended': _migration},
    'required': ['ended'],
    'additionalProperties': False,
}

_listed = {
    'type': 'object',
    'properties': dict(_state['properties'], project_id={
        'type': ['string', 'null']}),
    'required': _state['required'] + ['project_id'],
    'additionalProperties': False,
}

list_response = {
    'type': 'object',
    'properties': {'locks': {'type': 'array', 'items': _listed}},
    'required': ['locks'],
    'additionalProperties': False,
}

_version = {
    'type': 'object',
    'properties': {
        'id': {'type': 'string'},
        'status': {'type': 'string', 'enum': ['CURRENT', 'SUPPORTED']},
        'version': {'type': 'string'},
        'min_version': {'type': 'string'},
        'links': {'type': 'array', 'items': {
            'type': 'object',
            'properties': {'rel': {'type': 'string'},
                           'href': {'type': 'string'}},
            'required': ['rel', 'href'],
            'additionalProperties': False}},
    },
    'required': ['id', 'status', 'version', 'min_version', 'links'],
    'additionalProperties': False,
}

versions_response = {
    'type': 'object',
    'properties': {'versions': {'type': 'array', 'items': _version,
                                'minItems': 1}},
    'required': ['versions'],
    'additionalProperties': False,
}

usage_response = {
    'type': 'object',
    'properties': {'usage': {
        'type': 'object',
        'properties': {
            'since': timestamp,
            'until': timestamp,
            'instances': {'type': 'array', 'items': {
                'type': 'object',
                'properties': {
                    'instance_uuid': uuid,
                    'project_id': {'type': ['string', 'null']},
                    'lock_seconds': {'type': 'number', 'minimum': 0},
                    'holds': {'type': 'integer', 'minimum': 0},
                },
                'required': ['instance_uuid', 'project_id', 'lock_seconds',
                             'holds'],
                'additionalProperties': False}},
            'projects': {'type': 'object', 'additionalProperties': {
                'type': 'number', 'minimum': 0}},
        },
        'required': ['since', 'until', 'instances', 'projects'],
        'additionalProperties': False}},
    'required': ['usage'],
    'additionalProperties': False,
}

quota_response = {
    'type': 'object',
    'properties': {'quota': {
        'type': 'object',
        'properties': {
            'project_id': {'type': 'string'},
            'locked_instances': {'type': 'integer', 'minimum': -1},
            'lock_seconds_per_day': {'type': 'integer', 'minimum': -1},
            # From version 1.1.
            'guest_locks': _sla_permission,
            'static_locks': _sla_permission,
            'max_lease': _sla_cap,
            'max_hold': _sla_cap,
        },
        'required': ['project_id', 'locked_instances',
                     'lock_seconds_per_day'],
        'additionalProperties': False}},
    'required': ['quota'],
    'additionalProperties': False,
}

# -- group disruption budgets (version 1.1) ----------------------------------

max_moving = {
    'oneOf': [{'type': 'integer', 'minimum': 0, 'maximum': 9999},
              {'type': 'string', 'pattern': '^(0|[1-9][0-9]?|100)%$'}],
    'description': 'How many members may move at once: a whole number, or '
                   'a percentage of the members ("25%", rounded down but '
                   'at least one unless 0%).',
}

# PUT /os-miglock/groups/{group}
group_update = {
    'title': 'Set a group budget',
    'type': 'object',
    'properties': {'group': {
        'type': 'object',
        'properties': {'max_moving': max_moving},
        'required': ['max_moving'],
        'additionalProperties': False}},
    'required': ['group'],
    'additionalProperties': False,
}

# GET /os-miglock/groups and /os-miglock/groups/{group} (tag groups are
# per project: an admin names another project's with project_id).
groups_query = {
    'title': 'List group budgets',
    'type': 'object',
    'properties': {
        'project_id': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'all_projects': {'type': 'string',
                         'enum': ['true', 'false', '1', '0']},
    },
    'additionalProperties': False,
}

_group_move = {
    'type': 'object',
    'properties': {'instance_uuid': uuid,
                   'kind': {'type': 'string'},
                   'admitted_at': timestamp,
                   'deadline': timestamp},
    'required': ['instance_uuid', 'kind', 'admitted_at', 'deadline'],
    'additionalProperties': False,
}

_group = {
    'type': 'object',
    'properties': {
        'group': {'type': 'string'},
        'kind': {'type': 'string', 'enum': ['server-group', 'tag']},
        'project_id': {'type': 'string'},
        'max_moving': max_moving,
        'members': {'type': ['integer', 'null'], 'minimum': 0},
        'allowed_moving': {'type': ['integer', 'null'], 'minimum': 0},
        'moving': {'type': 'array', 'items': _group_move},
        'updated_at': timestamp,
        'updated_by': {'type': 'string'},
    },
    'required': ['group', 'kind', 'project_id', 'max_moving', 'members',
                 'allowed_moving', 'moving', 'updated_at', 'updated_by'],
    'additionalProperties': False,
}

group_response = {
    'type': 'object',
    'properties': {'group': _group},
    'required': ['group'],
    'additionalProperties': False,
}

groups_response = {
    'type': 'object',
    'properties': {'groups': {'type': 'array', 'items': _group}},
    'required': ['groups'],
    'additionalProperties': False,
}
