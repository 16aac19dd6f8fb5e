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
GET      /servers/{id}/os-miglock                  state (show)
PUT      /servers/{id}/os-miglock/holds/{holder}   acquire or renew (hold)
DELETE   /servers/{id}/os-miglock/holds/{holder}   release (release)
POST     /servers/{id}/os-miglock/action           ``{"break": {"reason",
                                                   "holder"}}`` (break) or
                                                   ``{"exempt": {"reason",
                                                   "seconds"}}`` (exempt)
=======  ========================================  ========================

A member's hold has the source ``tenant``, an admin's ``operator``; each can
release only its own source's holds; breaking is for operators.
"""

import re

from oslo_log import log as logging
import webob
import webob.dec
import webob.exc

from nova_miglock.api import base
from nova_miglock.api import bodies
from nova_miglock.api import faults
from nova_miglock.api import instances
from nova_miglock.api import responses
from nova_miglock import conf as miglock_conf
from nova_miglock import lock
from nova_miglock import policies
from nova_miglock import policy

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF

PATH = re.compile(r'^(?:/[^/]+)?/servers/(?P<server>[^/]+)/os-miglock'
                  r'(?P<rest>/.*)?$')
HOLD_PATH = re.compile(r'^/holds/(?P<holder>[^/]+)/?$')
HOLD_FIELDS = frozenset(['lease_seconds', 'reason', 'wait'])
ACTIONS = {'break': frozenset(['reason', 'holder']),
           'exempt': frozenset(['reason', 'seconds'])}


class MigrationLockServers(base.LockFilter):
    """Paste filter serving the lock of a server to its tenant and ops."""

    @webob.dec.wsgify
    def __call__(self, req):
        match = PATH.match(base.path_info(req) or '')
        context = req.environ.get('nova.context')
        if match is None or context is None:
            return self.application
        try:
            return self._serve(req, context, match.group('server'),
                               match.group('rest') or '')
        except lock.MigLockError as exc:
            return self._error(req, exc)
        except bodies.BodyError as exc:
            return faults.nova_fault(req, webob.exc.status_map[exc.status](
                explanation=exc.message))

    def _serve(self, req, context, server_id, rest):
        # Framing is checked first, whatever the method: a request whose
        # body cannot be read is answered before anything else is done.
        raw = self._body(req)
        instance = instances.load(context, server_id)
        if instance is None:
            return faults.nova_fault(req, webob.exc.HTTPNotFound(
                explanation='Instance %s could not be found.' % server_id))
        target = instances.target(self._conf, instance)
        scope = {'project_id': instance.project_id}
        hold = HOLD_PATH.match(rest)
        if rest in ('', '/') and req.method == 'GET':
            policy.authorize(context, policies.SHOW, scope)
            return responses.json_response(200, {
                'miglock': self._manager.state(target).to_dict()})
        if hold and req.method in ('PUT', 'DELETE'):
            return self._hold(req, context, target, scope,
                              hold.group('holder'), raw)
        if rest in ('/action', '/action/') and req.method == 'POST':
            return self._action(context, target, scope, raw)
        return faults.nova_fault(req, webob.exc.HTTPNotFound(
            explanation='No %s on %s' % (req.method, req.path_info)))

    def _hold(self, req, context, target, scope, holder, raw):
        source = lock.SOURCE_OPERATOR if context.is_admin \
            else lock.SOURCE_TENANT
        actor = 'user:%s' % context.user_id
        if req.method == 'DELETE':
            policy.authorize(context, policies.RELEASE, scope)
            self._manager.release(target, holder, source=source, actor=actor)
            return responses.json_response(204)
        policy.authorize(context, policies.HOLD, scope)
        fields = bodies.json_object(raw, HOLD_FIELDS)
        grant = self._manager.acquire(
            target, holder, source=source,
            lease_seconds=fields.get('lease_seconds'),
            reason=fields.get('reason', ''), wait=fields.get('wait', 0),
            actor=actor)
        return responses.json_response(200, {'hold': grant.to_dict()})

    def _action(self, context, target, scope, raw):
        body = bodies.json_object(raw, frozenset(ACTIONS))
        if len(body) != 1 or not isinstance(next(iter(body.values())),
                                            dict):
            raise lock.InvalidRequest('give exactly one action: {"break": '
                                      '{...}} or {"exempt": {...}}')
        (action, args), = body.items()
        unknown = set(args) - ACTIONS[action]
        if unknown:
            raise lock.InvalidRequest('unknown field(s) of %s: %s'
                                      % (action, ', '.join(sorted(unknown))))
        actor = 'user:%s' % context.user_id
        if action == 'break':
            policy.authorize(context, policies.BREAK, scope)
            ended = self._manager.break_locks(
                target.instance_uuid, reason=args.get('reason', ''),
                actor=actor, holder=args.get('holder'))
            return responses.json_response(200, {'broken': [
                h.to_dict() for h in ended]})
        policy.authorize(context, policies.EXEMPT, scope)
        self._manager.exempt_static(
            target.instance_uuid, seconds=args.get('seconds', 3600),
            reason=args.get('reason', ''), actor=actor)
        return responses.json_response(200, {
            'miglock': self._manager.state(target).to_dict()})

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
