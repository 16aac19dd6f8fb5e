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
"""oslo.policy rules of the tenant and operator lock API.

Guests are governed by flavor extra specs (they hold no Keystone token);
these rules govern people: who may see an instance's lock, take or release a
hold on it, set a static lock (tag or property), break holds, or exempt it
from its static locks. Operators
override them in Nova's policy.yaml.
"""

from oslo_policy import policy

PREFIX = 'miglock:servers:%s'

READER = 'role:reader and project_id:%(project_id)s or role:admin'
MEMBER = 'role:member and project_id:%(project_id)s or role:admin'
ADMIN = 'role:admin'

SHOW = PREFIX % 'show'
HOLD = PREFIX % 'hold'
RELEASE = PREFIX % 'release'
BREAK = PREFIX % 'break'
EXEMPT = PREFIX % 'exempt'
STATIC = PREFIX % 'static'
END_MOVE = PREFIX % 'end_move'
TICKETS = 'miglock:tickets:list'
# Listing is not about one server: its own prefix.
LIST = 'miglock:locks:list'
USAGE = 'miglock:usage:show'
QUOTA_SHOW = 'miglock:quotas:show'
QUOTA_UPDATE = 'miglock:quotas:update'
GROUPS_LIST = 'miglock:groups:list'
GROUP_SHOW = 'miglock:groups:show'
GROUP_UPDATE = 'miglock:groups:update'
GROUP_DELETE = 'miglock:groups:delete'
_GROUP_PATH = '/os-miglock/groups/{group}'

_PATH = '/servers/{server_id}/os-miglock'

# -- operator commands over REST (nova-miglock-manage's housekeeping,
# move requests, drain plans and the history model) -------------------------
REAP = 'miglock:reap'
LEDGER_PURGE = 'miglock:ledger:purge'
MOVE_REQUESTS = 'miglock:move_requests:list'
MOVE_REQUEST_SHOW = PREFIX % 'move_request:show'
MOVE_REQUEST_OPEN = PREFIX % 'move_request:open'
MOVE_REQUEST_CANCEL = PREFIX % 'move_request:cancel'
MODEL_SHOW = PREFIX % 'model:show'
DRAIN_PLAN = 'miglock:drain:plan'

OPERATOR_RULES = [
    policy.DocumentedRuleDefault(
        name=REAP, check_str=ADMIN,
        description='Record expired holds in the ledger and drop them, '
                    'as nova-miglock-manage reap.',
        operations=[{'method': 'POST', 'path': '/os-miglock/reap'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=LEDGER_PURGE, check_str=ADMIN,
        description='Delete ledger events and closed tickets older than a '
                    'time, as nova-miglock-manage ledger purge; usage '
                    'before it is no longer reported.',
        operations=[{'method': 'POST', 'path': '/os-miglock/ledger/purge'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=MOVE_REQUESTS, check_str=ADMIN,
        description='List the open move requests of every project.',
        operations=[{'method': 'GET', 'path': '/os-miglock/move-requests'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=MOVE_REQUEST_SHOW, check_str=READER,
        description="Show a server's open move request (what its guest is "
                    "told).",
        operations=[{'method': 'GET', 'path': _PATH + '/move-request'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=MOVE_REQUEST_OPEN, check_str=ADMIN,
        description="Tell a server's guest a move is coming: leases end no "
                    "later than its deadline (audited).",
        operations=[{'method': 'PUT', 'path': _PATH + '/move-request'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=MOVE_REQUEST_CANCEL, check_str=ADMIN,
        description="Cancel a server's move request (audited).",
        operations=[{'method': 'DELETE', 'path': _PATH + '/move-request'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=MODEL_SHOW, check_str=ADMIN,
        description="Show what the lock history model drains plan with "
                    "believes about a server, as nova-miglock-manage model "
                    "show.",
        operations=[{'method': 'GET', 'path': _PATH + '/model'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=DRAIN_PLAN, check_str=ADMIN,
        description='Plan a drain of compute hosts and predict its end, '
                    'moving nothing, as nova-miglock-manage drain '
                    '--dry-run.',
        operations=[{'method': 'POST', 'path': '/os-miglock/drain-plans'}],
        scope_types=['project']),
]

RULES = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=READER,
        description="List the migration locks of a project's servers; "
                    "another project's, or every project's "
                    "(all_projects=true), needs the admin role by default.",
        operations=[{'method': 'GET', 'path': '/os-miglock/locks'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=USAGE, check_str=READER,
        description="Show a project's lock-seconds per instance (what "
                    "nova-miglock-manage usage reports); another project's, "
                    "or every project's, needs the admin role by default.",
        operations=[{'method': 'GET', 'path': '/os-miglock/usage'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=TICKETS, check_str=ADMIN,
        description='List admitted moves (migration tickets) that have not '
                    'ended, of every project.',
        operations=[{'method': 'GET', 'path': '/os-miglock/tickets'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=QUOTA_SHOW, check_str=READER,
        description="Show a project's effective lock quota.",
        operations=[{'method': 'GET',
                     'path': '/os-miglock/quotas/{project_id}'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=QUOTA_UPDATE, check_str=ADMIN,
        description="Override a project's lock quota, or return it to the "
                    "configured default.",
        operations=[{'method': 'PUT',
                     'path': '/os-miglock/quotas/{project_id}'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=GROUPS_LIST, check_str=READER,
        description="List the disruption budgets of a project's groups "
                    "(server groups, and servers tagged miglock:group=NAME); "
                    "another project's, or every project's, needs the admin "
                    "role by default.",
        operations=[{'method': 'GET', 'path': '/os-miglock/groups'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=GROUP_SHOW, check_str=READER,
        description="Show a group's disruption budget and its members' "
                    "moves in progress.",
        operations=[{'method': 'GET', 'path': _GROUP_PATH}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=GROUP_UPDATE, check_str=MEMBER,
        description="Set a group's disruption budget (max_moving): how "
                    "many of its members may be moved at once.",
        operations=[{'method': 'PUT', 'path': _GROUP_PATH}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=GROUP_DELETE, check_str=MEMBER,
        description="Remove a group's disruption budget.",
        operations=[{'method': 'DELETE', 'path': _GROUP_PATH}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=SHOW, check_str=READER,
        description="Show a server's migration lock: state, holds, static "
                    "locks and migration in progress.",
        operations=[{'method': 'GET', 'path': _PATH}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=HOLD, check_str=MEMBER,
        description='Take or renew a hold on a server (source "tenant", or '
                    '"operator" for admins).',
        operations=[{'method': 'PUT', 'path': _PATH + '/holds/{holder}'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=RELEASE, check_str=MEMBER,
        description='Release a hold of the same source.',
        operations=[{'method': 'DELETE',
                     'path': _PATH + '/holds/{holder}'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=BREAK, check_str=ADMIN,
        description="End a server's holds, whoever holds them (audited).",
        operations=[{'method': 'POST', 'path': _PATH + '/action (break)'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=EXEMPT, check_str=ADMIN,
        description="Let moves ignore a server's static locks for a while "
                    "(audited).",
        operations=[{'method': 'POST', 'path': _PATH + '/action (exempt)'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=STATIC, check_str=MEMBER,
        description="Lock a server against migration until told otherwise: "
                    "set the server tag [miglock]/static_tag or the server "
                    "property [miglock]/static_property to true, when "
                    "creating the server or later. The flavor's "
                    "miglock:tenant_static, the project's quota "
                    "static_locks and [miglock_sla]/tenant_static_locks "
                    "must allow it too; removing the lock is not governed.",
        operations=[{'method': 'PUT',
                     'path': '/servers/{server_id}/tags/{tag}'},
                    {'method': 'PUT', 'path': '/servers/{server_id}/tags'},
                    {'method': 'POST',
                     'path': '/servers/{server_id}/metadata'},
                    {'method': 'PUT',
                     'path': '/servers/{server_id}/metadata'},
                    {'method': 'PUT',
                     'path': '/servers/{server_id}/metadata/{key}'},
                    {'method': 'POST', 'path': '/servers'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=END_MOVE, check_str=ADMIN,
        description="End a server's admitted move by hand, for a move whose "
                    "end Nova never reported (audited).",
        operations=[{'method': 'POST',
                     'path': _PATH + '/action (end_move)'}],
        scope_types=['project']),
]


def list_rules():
    return RULES + OPERATOR_RULES
