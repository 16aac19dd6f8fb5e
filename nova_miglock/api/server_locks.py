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
"""The tenant and operator lock API: ``/servers/{id}/os-miglock``.

A paste filter for the compute API pipelines (after ``keystonecontext``,
beside the gate). People, unlike guests, authenticate with Keystone and are
governed by oslo.policy (``nova_miglock.policies``):

=======  ========================================  ========================
GET      /os-miglock                               versions (discovery)
GET      /os-miglock/locks                         locks of a project (list)
GET      /os-miglock/usage                         lock-seconds (usage)
GET,PUT  /os-miglock/quotas/{project_id}           a project's lock quota
GET      /os-miglock/tickets                       open moves (tickets)
*        /os-miglock/groups[/{group}]              group disruption budgets
                                                   (1.1; see ``groups``)
GET      /servers/{id}/os-miglock                  state (show)
PUT      /servers/{id}/os-miglock/holds/{holder}   acquire or renew (hold)
DELETE   /servers/{id}/os-miglock/holds/{holder}   release (release)
POST     /servers/{id}/os-miglock/action           ``{"break": {"reason",
                                                   "holder"}}`` (break) or
                                                   ``{"exempt": {"reason",
                                                   "seconds"}}`` (exempt) or
                                                   ``{"end_move":
                                                   {"outcome"}}``
=======  ========================================  ========================

and the operator commands of ``nova-miglock-manage`` listed in
:mod:`nova_miglock.api.operator_api` (reap, ledger purge, move requests,
drain plans, the history model).

Bodies are checked against ``nova_miglock.api.schemas`` before a handler
runs, answers are built by ``nova_miglock.api.views``, and the version is
negotiated by ``nova_miglock.api.versions``. A member's hold has the
source ``tenant``, an admin's ``operator``; each can release only its own
source's holds; breaking is for operators.
"""

import datetime
import re

from oslo_log import log as logging
import webob
import webob.dec
import webob.exc

from nova_miglock import accounting
from nova_miglock.api import base
from nova_miglock.api import bodies
from nova_miglock.api import faults
from nova_miglock.api import groups as group_budgets
from nova_miglock.api import instances
from nova_miglock.api import operator_api
from nova_miglock.api import responses
from nova_miglock.api import schemas
from nova_miglock.api import validation
from nova_miglock.api import versions
from nova_miglock.api import views
from nova_miglock import conf as miglock_conf
from nova_miglock import lock
from nova_miglock import policies
from nova_miglock import policy

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF

# An optional project id before our paths, never "servers" (that is
# Nova's GET /servers/{id} of a server named like our root).
_PREFIX = r'^(?:/(?!servers(?:/|$))[^/]+)?'
PATH = re.compile(r'^(?:/[^/]+)?/servers/(?P<server>[^/]+)/os-miglock'
                  r'(?P<rest>/.*)?$')
ROOT_PATH = re.compile(_PREFIX + r'/os-miglock(?P<rest>/.*)?$')
HOLD_PATH = re.compile(r'^/holds/(?P<holder>[^/]+)/?$')
QUOTA_PATH = re.compile(r'^/quotas/(?P<project>[^/]{1,255})/?$')
GROUP_PATH = re.compile(r'^/groups(?:/(?P<group>[^/]+))?/?$')
# Operators may list every instance's lock; one page at most.
MAX_LIST = 1000
# Usage is computed from the ledger: a year at most per request.
MAX_USAGE_RANGE = datetime.timedelta(days=366)
_TRUE = ('true', '1')


class MigrationLockServers(operator_api.OperatorEndpoints, base.LockFilter):
    """Paste filter serving the lock of a server to its tenant and ops."""

    @webob.dec.wsgify
    def __call__(self, req):
        path = base.path_info(req) or ''
        context = req.environ.get('nova.context')
        server, root = PATH.match(path), ROOT_PATH.match(path)
        if context is None or (server is None and root is None):
            return self.application
        version = None
        try:
            # Framing is checked first, whatever the method: a request
            # whose body cannot be read is answered before anything else.
            raw = self._body(req)
            version = versions.requested(req.environ)
            if server is not None:
                response = self._serve(req, context, version, raw,
                                       server.group('server'),
                                       server.group('rest') or '')
            else:
                response = self._serve_root(req, context, version, raw,
                                            root.group('rest') or '')
        except versions.VersionNotSupported as exc:
            response = faults.nova_fault(req, webob.exc.HTTPNotAcceptable(
                explanation=exc.message))
        except lock.MigLockError as exc:
            response = self._error(req, exc)
        except bodies.BodyError as exc:
            response = faults.nova_fault(req, webob.exc.status_map[
                exc.status](explanation=exc.message))
        return versions.stamp(response, version or versions.MAX_VERSION)

    # -- routing ------------------------------------------------------------

    def _serve_root(self, req, context, version, raw, rest):
        if rest in ('', '/') and req.method == 'GET':
            return self._reply(200, views.versions(
                req.path_url.rstrip('/'), versions.MIN_VERSION,
                versions.MAX_VERSION))
        if rest in ('/locks', '/locks/') and req.method == 'GET':
            return self.index(req, context, version)
        if rest in ('/usage', '/usage/') and req.method == 'GET':
            return self.usage(req, context, version)
        if rest in ('/tickets', '/tickets/') and req.method == 'GET':
            return self.tickets(req, context, version)
        group = GROUP_PATH.match(rest)
        if group and version >= versions.GROUPS:
            response = group_budgets.GroupBudgets(
                self._manager, self._reply).serve(
                    req, context, version,
                    lambda: bodies.json_document(raw),
                    _query(req, schemas.groups_query), group.group('group'))
            if response is not None:
                return response
        quota = QUOTA_PATH.match(rest)
        if quota and req.method == 'GET':
            return self.quota_show(context, version, quota.group('project'))
        if quota and req.method == 'PUT':
            return self.quota_update(context, version,
                                     quota.group('project'),
                                     body=bodies.json_document(raw))
        # nova-miglock-manage's commands (operator_api).
        operator = self._serve_operator_root(req, context, version, raw,
                                             rest)
        if operator is not None:
            return operator
        return self._not_found(req)

    def _serve(self, req, context, version, raw, server_id, rest):
        instance = instances.load(context, server_id)
        if instance is None:
            return faults.nova_fault(req, webob.exc.HTTPNotFound(
                explanation='Instance %s could not be found.' % server_id))
        target = instances.target(self._conf, instance)
        scope = {'project_id': instance.project_id}
        hold = HOLD_PATH.match(rest)
        if rest in ('', '/') and req.method == 'GET':
            return self.show(context, version, target, scope)
        if hold and req.method == 'DELETE':
            return self.release(context, target, scope, hold.group('holder'))
        if hold and req.method == 'PUT':
            return self.hold(context, version, target, scope,
                             hold.group('holder'),
                             body=bodies.json_document(raw))
        if rest in ('/action', '/action/') and req.method == 'POST':
            return self.action(context, version, target, scope,
                               body=bodies.json_document(raw))
        # nova-miglock-manage's commands (operator_api).
        operator = self._serve_operator_server(req, context, version, raw,
                                               target, scope, rest)
        if operator is not None:
            return operator
        return self._not_found(req)

    # -- handlers -----------------------------------------------------------

    def index(self, req, context, version):
        query = _query(req, schemas.list_query)
        project = _project(context, query, policies.LIST)
        states = self._manager.list_states(
            project_id=project,
            locked_only=query.get('include_unlocked') not in _TRUE,
            limit=min(int(query.get('limit', MAX_LIST)), MAX_LIST))
        return self._reply(200, views.index(states, version))

    def tickets(self, req, context, version):
        query = _query(req, schemas.tickets_query)
        policy.authorize(context, policies.TICKETS, {})
        limit = min(int(query.get('limit', MAX_LIST)), MAX_LIST)
        found = self._manager.list_tickets(
            overdue=query.get('overdue') in _TRUE, limit=limit)
        return self._reply(200, views.tickets(found, version))

    def usage(self, req, context, version):
        query = _query(req, schemas.usage_query)
        project = _project(context, query, policies.USAGE)
        now = self._manager.now()
        since = _timestamp(query.get('since')) or datetime.datetime.combine(
            now.date(), datetime.time())
        until = _timestamp(query.get('until')) or now
        if not since < until <= since + MAX_USAGE_RANGE:
            raise lock.InvalidRequest(
                'until must be after since, by at most %d days'
                % MAX_USAGE_RANGE.days)
        usages = self._manager.usage(project_id=project, since=since,
                                     until=until)
        return self._reply(200, views.usage(
            usages, accounting.per_project(usages), since, until, version))

    def quota_show(self, context, version, project):
        policy.authorize(context, policies.QUOTA_SHOW,
                         {'project_id': project})
        return self._reply(200, views.quota(
            project, self._manager.get_quota(project), version))

    @validation.schema(schemas.quota_update)
    def quota_update(self, context, version, project, *, body):
        policy.authorize(context, policies.QUOTA_UPDATE,
                         {'project_id': project})
        sla_fields = set(body['quota']) & set(schemas.SLA_FIELDS)
        if sla_fields and version < versions.SLA_VERSION:
            raise lock.InvalidRequest(
                'Invalid request body: quota: %s need version %s or later '
                '(%s: miglock %s)' % (', '.join(sorted(sla_fields)),
                                      versions.SLA_VERSION, versions.HEADER,
                                      versions.SLA_VERSION))
        limits = self._manager.set_quota(project, **body['quota'])
        LOG.info('Lock quota of project %(project)s set to %(limits)s by '
                 '%(actor)s', {'project': project, 'limits': limits,
                               'actor': _actor(context)})
        return self._reply(200, views.quota(project, limits, version))

    def show(self, context, version, target, scope):
        policy.authorize(context, policies.SHOW, scope)
        return self._reply(200, views.show(self._manager.state(target),
                                           version))

    def release(self, context, target, scope, holder):
        policy.authorize(context, policies.RELEASE, scope)
        self._manager.release(target, holder, source=_source(context),
                              actor=_actor(context))
        return self._reply(204)

    @validation.schema(schemas.hold)
    def hold(self, context, version, target, scope, holder, *, body):
        policy.authorize(context, policies.HOLD, scope)
        reason = body.get('reason')
        granted = self._manager.acquire(
            target, holder, source=_source(context),
            lease_seconds=body.get('lease_seconds'),
            reason='' if reason is None else reason,
            wait=body.get('wait') or 0, actor=_actor(context))
        return self._reply(200, views.grant(granted, version))

    @validation.schema(schemas.action)
    def action(self, context, version, target, scope, *, body):
        (name, args), = body.items()
        if name == 'break':
            policy.authorize(context, policies.BREAK, scope)
            ended = self._manager.break_locks(
                target.instance_uuid, reason=args['reason'],
                actor=_actor(context), holder=args.get('holder'))
            return self._reply(200, views.broken(ended, version))
        if name == 'end_move':
            policy.authorize(context, policies.END_MOVE, scope)
            ticket = self._manager.end_move(
                target.instance_uuid,
                outcome=args.get('outcome', 'closed-by-operator'),
                actor=_actor(context))
            return self._reply(200, views.ended(ticket, version))
        policy.authorize(context, policies.EXEMPT, scope)
        self._manager.exempt_static(
            target.instance_uuid, seconds=args.get('seconds', 3600),
            reason=args['reason'], actor=_actor(context))
        return self._reply(200, views.show(self._manager.state(target),
                                           version))

    # -- answers ------------------------------------------------------------

    @staticmethod
    def _reply(status, body=None):
        return responses.json_response(status, body)

    @staticmethod
    def _not_found(req):
        return faults.nova_fault(req, webob.exc.HTTPNotFound(
            explanation='No %s on %s' % (req.method, req.path_info)))

    def _body(self, req):
        return bodies.read(req.environ, self._conf.miglock_gate.max_body_size)

    def _error(self, req, exc):
        status = responses.status_of(exc)
        message = exc.message
        retry_after = exc.retry_after
        if status == 503:
            LOG.error('Migration lock store unavailable: %s', exc.message)
            message = responses.UNAVAILABLE_MESSAGE
            retry_after = retry_after or \
                self._conf.miglock_gate.unavailable_retry_after
        headers = {'Retry-After': retry_after} if retry_after else {}
        error = webob.exc.status_map[status](explanation=message,
                                             headers=headers)
        return faults.nova_fault(req, error)


def _query(req, schema):
    """The query string as a dict, checked against ``schema``."""
    try:
        query = dict(req.GET.mixed())
    except UnicodeDecodeError:
        raise lock.InvalidRequest('the query string is not UTF-8')
    return validation.validate(schema, query, what='query')


def _project(context, query, rule):
    """The project a query is about, once ``rule`` allows it (None: all)."""
    project = query.get('project_id', context.project_id)
    if query.get('all_projects') in _TRUE:
        project = None
    policy.authorize(context, rule, {'project_id': project})
    return project


def _timestamp(text):
    """A schema-checked ISO 8601 date or time, as naive UTC."""
    if text is None:
        return None
    try:
        return datetime.datetime.fromisoformat(text.rstrip('Z'))
    except ValueError as exc:
        raise lock.InvalidRequest('Invalid query: %s' % exc)


def _source(context):
    return lock.SOURCE_OPERATOR if context.is_admin else lock.SOURCE_TENANT


def _actor(context):
    return 'user:%s' % context.user_id
