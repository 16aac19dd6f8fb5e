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
"""The guest channel: ``/openstack/miglock`` in Nova's metadata API.

A paste filter placed in front of Nova's metadata app (``[pipeline:meta]``).
It answers ``/openstack/miglock`` itself and hands every other request to
Nova untouched. The Neutron metadata proxy forwards any path and method, so
a guest reaches it at ``http://169.254.169.254/openstack/miglock``:

=======  ==============================  ===================================
GET      /openstack/miglock              state, holds, static locks, move
GET      /openstack/miglock/holds/NAME   one hold (404 if none)
PUT      /openstack/miglock/holds/NAME   acquire or renew: ``{"lease_seconds",
                                         "reason", "wait", "renew"}``
DELETE   /openstack/miglock/holds/NAME   release (idempotent, 204)
POST     /openstack/miglock/approve      approve the requested move now
=======  ==============================  ===================================

Answers are built by :mod:`nova_miglock.api.guest_views`, the guest's
wire format.
"""

from oslo_log import log as logging
import webob
import webob.dec

from nova_miglock.api import base
from nova_miglock.api import bodies
from nova_miglock.api import guest_views
from nova_miglock.api import identity
from nova_miglock.api import instances
from nova_miglock.api import responses
from nova_miglock import conf as miglock_conf
from nova_miglock import lock
from nova_miglock import manager as lock_manager
from nova_miglock import policy
from nova_miglock import static_locks

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF

PREFIX = '/openstack/miglock'
HOLD_FIELDS = frozenset(['lease_seconds', 'reason', 'wait', 'renew'])


def _route(path):
    """``(kind, holder)`` for a path under PREFIX, or None if unknown."""
    rest = path[len(PREFIX):].strip('/')
    if not rest:
        return 'state', None
    parts = rest.split('/')
    if parts == ['holds']:
        return 'holds', None
    if parts == ['approve']:
        return 'approve', None
    if len(parts) == 2 and parts[0] == 'holds' and parts[1]:
        return 'hold', parts[1]
    return None


ALLOWED = {'state': ('GET',), 'holds': ('GET',), 'approve': ('POST',),
           'hold': ('GET', 'PUT', 'DELETE')}


class MigrationLockMetadata(base.LockFilter):
    """Paste filter serving the migration lock to guests."""

    def __init__(self, application, conf=CONF, manager=None,
                 identifier=None):
        super().__init__(application, conf, manager)
        self._identifier = identifier or identity.GuestIdentifier(conf)

    @webob.dec.wsgify
    def __call__(self, req):
        # PATH_INFO holds the path's bytes as Latin-1; ours are ASCII.
        path = req.environ.get('PATH_INFO', '')
        if path != PREFIX and not path.startswith(PREFIX + '/'):
            return self.application
        if base.path_info(req) is None:
            return responses.error(404, 'not_found', 'no such resource')
        try:
            return self._serve(req)
        except Exception:
            LOG.exception('Unexpected failure serving %(method)s %(path)s',
                          {'method': req.method, 'path': req.path_info})
            return responses.error(500, 'internal_error',
                                   'unexpected error; it has been logged')

    def _serve(self, req):
        route = _route(req.path_info)
        if route is None:
            return responses.error(404, 'not_found',
                                   'no such resource: %s' % req.path_info)
        kind, holder = route
        if req.method not in ALLOWED[kind]:
            return responses.error(
                405, 'method_not_allowed',
                '%s is not allowed on %s' % (req.method, req.path_info),
                headers={'Allow': ', '.join(ALLOWED[kind])})
        try:
            body = bodies.read(req.environ,
                               self._conf.miglock_metadata.max_body_size)
        except bodies.BodyError as exc:
            return responses.error(exc.status, exc.reason, exc.message)
        try:
            guest = self._identifier.identify(req)
        except identity.IdentityError as exc:
            return responses.error(403, 'identity', str(exc))
        except identity.LookupFailed:
            return self._unavailable()
        try:
            return self._dispatch(req, kind, holder, body, guest)
        except lock.MigLockError as exc:
            if isinstance(exc, lock.StoreUnavailable):
                LOG.error('Migration lock store unavailable: %s', exc.message)
            return responses.from_error(
                exc, self._conf.miglock_metadata.unavailable_retry_after)

    def _unavailable(self):
        return responses.error(
            503, lock.StoreUnavailable.reason,
            responses.UNAVAILABLE_MESSAGE,
            retry_after=self._conf.miglock_metadata.unavailable_retry_after)

    def _dispatch(self, req, kind, holder, body, guest):
        target = self._target(guest, with_static_locks=req.method == 'GET')
        if kind == 'hold' and req.method == 'PUT':
            return self._put(target, holder, body)
        if kind == 'approve':
            bodies.json_object(body, frozenset())
            request = self._manager.approve_move(target, actor='guest')
            return responses.json_response(200, guest_views.approved(
                request))
        if kind == 'hold' and req.method == 'DELETE':
            self._manager.release(target, holder, source=lock.SOURCE_GUEST,
                                  actor='guest')
            return responses.json_response(204)
        state = self._manager.state(target)
        if kind == 'hold':
            lock.validate_holder(holder)
            found = [h for h in state.holds if h.holder == holder]
            if not found:
                return responses.error(404, 'not_found',
                                       'no active hold named %s' % holder)
            return responses.json_response(200, guest_views.hold(
                found[0], state.now))
        if kind == 'holds':
            return responses.json_response(200, guest_views.holds(state))
        return responses.json_response(200, self._state_body(target, state))

    def _target(self, guest, with_static_locks=False):
        instance = guest.instance
        extra_specs = dict(instance.flavor.extra_specs or {}) \
            if instance.flavor else {}
        found = ()
        if with_static_locks:
            # Only reads show static locks; tags cost a query of their own.
            found = static_locks.from_instance(
                self._conf, instance,
                tags=instances.load_tags(guest.instance_uuid))
        return lock_manager.Target(
            instance_uuid=guest.instance_uuid, project_id=guest.project_id,
            extra_specs=extra_specs, static_locks=found)

    def _put(self, target, holder, raw):
        fields = bodies.json_object(raw, HOLD_FIELDS)
        grant = self._manager.acquire(
            target, holder, source=lock.SOURCE_GUEST,
            lease_seconds=fields.get('lease_seconds'),
            reason=fields.get('reason', ''), wait=fields.get('wait', 0),
            renew_only=fields.get('renew', False), actor='guest')
        return responses.json_response(200, guest_views.grant(grant))

    def _state_body(self, target, state):
        project_sla = self._manager.get_quota(target.project_id)
        limits, rule = policy.hold_limits(self._conf, target.extra_specs,
                                          project_sla)
        try:
            policy.check_guest_may_lock(self._conf, target.extra_specs,
                                        project_sla)
            may_lock = True
        except lock.NotPermitted:
            may_lock = False
        return guest_views.state(
            state, {'guest_may_lock': may_lock,
                    'max_lease': limits.max_lease,
                    'max_lease_rule': rule,
                    'max_hold': limits.max_hold,
                    'default_lease': self._conf.miglock.default_lease},
            self._manager.move_request(target.instance_uuid))
