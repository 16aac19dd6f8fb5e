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
"""Group disruption budgets on the server lock API (version 1.1).

=======  ===========================  =========================================
GET      /os-miglock/groups           budgets of a project (groups:list)
GET      /os-miglock/groups/{group}   a budget and the members moving (show)
PUT      /os-miglock/groups/{group}   ``{"group": {"max_moving": 1}}`` or
                                      ``"25%"`` (update)
DELETE   /os-miglock/groups/{group}   remove the budget (delete)
=======  ===========================  =========================================

``{group}`` is a Nova server group's uuid, whose project is the group's
own, or ``tag:NAME``: the servers of a project tagged ``miglock:group=NAME``
(the caller's project, or ``?project_id=`` for an admin). Setting a budget
reads the group's members from Nova now, records them in the store and
keeps their number for percentages; the gate refreshes both at every move.
"""

from oslo_log import log as logging
import webob.exc

from nova_miglock.api import faults
from nova_miglock.api import instances
from nova_miglock.api import schemas
from nova_miglock.api import validation
from nova_miglock.api import views
from nova_miglock.decisions import groups as group_rules
from nova_miglock import lock
from nova_miglock import policies
from nova_miglock import policy

LOG = logging.getLogger(__name__)
# One page of budgets at most.
MAX_LIST = 1000
_TRUE = ('true', '1')


class GroupBudgets:
    """Handlers of ``/os-miglock/groups``; the lock API filter routes."""

    def __init__(self, manager, reply):
        self._manager = manager
        self._reply = reply

    def serve(self, req, context, version, body, query, key):
        if key is None:
            if req.method == 'GET':
                return self.index(context, version, query)
            return None
        if req.method not in ('GET', 'PUT', 'DELETE'):
            return None
        key = group_rules.validate_key(key)
        group = None
        if group_rules.kind_of(key) == group_rules.KIND_SERVER_GROUP:
            group = instances.server_group_by_uuid(context, key)
            if group is None:
                return faults.nova_fault(req, webob.exc.HTTPNotFound(
                    explanation='Server group %s could not be found.'
                    % key))
            project = group.project_id
        else:
            project = query.get('project_id', context.project_id)
        if req.method == 'PUT':
            return self.update(context, version, project, key, group,
                               body=body())
        if req.method == 'DELETE':
            return self.delete(context, project, key)
        return self.show(req, context, version, project, key)

    @staticmethod
    def _operator_only(context, verb):
        # A budget of 0 locks every member, with no lease, no quota and
        # no max_hold: an operator's tool, not a tenant's.
        if not context.is_admin:
            raise lock.NotPermitted(
                'max_moving 0 stops every move of the group; only an '
                'operator may %s it' % verb, rule='admin')

    def _check_not_frozen(self, context, project, key):
        """An operator's freeze (max_moving 0) is the operator's to lift."""
        found = self._manager.group_budget(project, key)
        if found is not None and found['max_moving'].allowed(1) == 0:
            self._operator_only(context, 'change or remove')

    @staticmethod
    def _members(context, project, key, group):
        """The group's members as Nova shows them now (uuids)."""
        if group is not None:
            return list(group.members or ())
        tag = group_rules.TAG_PREFIX + key[len(group_rules.KEY_TAG_PREFIX):]
        return instances.tagged(context, project, tag)

    def index(self, context, version, query):
        project = query.get('project_id', context.project_id)
        if query.get('all_projects') in _TRUE:
            project = None
        policy.authorize(context, policies.GROUPS_LIST,
                         {'project_id': project})
        found = self._manager.list_group_budgets(project_id=project,
                                                 limit=MAX_LIST)
        return self._reply(200, views.groups(found, version))

    def show(self, req, context, version, project, key):
        policy.authorize(context, policies.GROUP_SHOW,
                         {'project_id': project})
        found = self._manager.group_budget(project, key)
        if found is None:
            return faults.nova_fault(req, webob.exc.HTTPNotFound(
                explanation='%s has no disruption budget.'
                % group_rules.describe_key(key).capitalize()))
        return self._reply(200, views.group(found, version))

    def update(self, context, version, project, key, group, *, body):
        validation.validate(schemas.group_update, body)
        policy.authorize(context, policies.GROUP_UPDATE,
                         {'project_id': project})
        if group_rules.parse_budget(
                body['group']['max_moving']).allowed(1) == 0:
            self._operator_only(context, 'set')
        self._check_not_frozen(context, project, key)
        # Read only once the caller may: a tag group's members are
        # counted in every cell.
        members = self._members(context, project, key, group)
        found = self._manager.set_group_budget(
            project, key, body['group']['max_moving'],
            actor='user:%s' % context.user_id, members=len(members),
            member_uuids=members)
        LOG.info('Disruption budget of %(group)s in project %(project)s set '
                 'to max_moving=%(budget)s by user %(user)s',
                 {'group': key, 'project': project,
                  'budget': found['max_moving'], 'user': context.user_id})
        return self._reply(200, views.group(found, version))

    def delete(self, context, project, key):
        policy.authorize(context, policies.GROUP_DELETE,
                         {'project_id': project})
        self._check_not_frozen(context, project, key)
        if self._manager.delete_group_budget(project, key):
            LOG.info('Disruption budget of %(group)s in project '
                     '%(project)s removed by user %(user)s',
                     {'group': key, 'project': project,
                      'user': context.user_id})
        return self._reply(204)
