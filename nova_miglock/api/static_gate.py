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
"""The gate's static-lock part: who may set a tenant's static lock.

A tenant locks its server with the tag ``[miglock]/static_tag`` or the
property ``[miglock]/static_property=true``. Both reach Nova through a few
controller methods (the tag and metadata APIs, and server create); this
module sits on those methods, inside Nova's router like the move gate, and
refuses with 403, before Nova changes anything, a request that would set
a static lock where the SLA (configuration, flavor, project) or the policy
rule ``miglock:servers:static`` does not allow it. A request that sets no
new static lock is never judged, and removing one is always allowed.
"""

import functools

from nova.api.openstack import common
from nova.api.openstack.compute import server_metadata
from nova.api.openstack.compute import server_tags
from nova.api.openstack.compute import servers
from nova import exception as nova_exception
from nova import objects
from oslo_log import log as logging
from oslo_utils import strutils
import webob.exc

from nova_miglock.api import dispatch
from nova_miglock.api import instances
from nova_miglock import lock
from nova_miglock import policies
from nova_miglock import policy
from nova_miglock import static_locks

LOG = logging.getLogger(__name__)

# Nova's controller methods that can set a tag or a property, by the name
# their route dispatches to and the function behind it.
SETTERS = {
    server_tags.ServerTagsController.update: 'tag',
    server_tags.ServerTagsController.update_all: 'tags',
    server_metadata.ServerMetadataController.create: 'metadata',
    server_metadata.ServerMetadataController.update_all: 'metadata',
    server_metadata.ServerMetadataController.update: 'meta',
    servers.ServersController.create: 'create',
}

_INSTANCE_ATTRS = ['flavor', 'metadata', 'tags']


class GatedSetter:
    """One of Nova's tag or metadata setters, judged before it runs."""

    def __init__(self, judge, kind, method):
        functools.update_wrapper(self, method)
        self.kind = kind
        self._judge = judge
        self._method = method

    def __call__(self, req, **kwargs):
        call = functools.partial(self._method, req=req, **kwargs)
        return self._judge(req, self.kind, kwargs, call)


def install(app, judge):
    """Route every call of Nova's setters through ``judge``. Idempotent."""
    for router in dispatch.find_routers(app):
        for resource, route_actions in dispatch.resources(router):
            _wrap(resource.controller, route_actions, judge)


def _wrap(controller, route_actions, judge):
    for name in route_actions:
        method = getattr(controller, name, None) if name else None
        if method is None or isinstance(method, GatedSetter):
            continue
        kind = SETTERS.get(getattr(method, '__func__', None))
        if kind is not None:
            setattr(controller, name, GatedSetter(judge, kind, method))


def _truthy(value):
    return isinstance(value, str) and strutils.bool_from_string(
        value, default=False)


def _dict(value):
    return value if isinstance(value, dict) else {}


def requested(conf, kind, kwargs):
    """The tenant static locks a setter's request asks for, as StaticLocks.

    Reads the request as Nova will: a malformed body asks for nothing here
    and Nova refuses it with 400 itself.
    """
    tag, prop = conf.miglock.static_tag, conf.miglock.static_property
    body = _dict(kwargs.get('body'))
    tags, metadata = (), {}
    if kind == 'tag':
        tags = (kwargs.get('id'),)
    elif kind == 'tags':
        tags = body.get('tags') if isinstance(body.get('tags'), list) else ()
    elif kind == 'metadata':
        metadata = _dict(body.get('metadata'))
    elif kind == 'meta':
        metadata = _dict(body.get('meta'))
    elif kind == 'create':
        server = _dict(body.get('server'))
        tags = server.get('tags') if isinstance(server.get('tags'),
                                                list) else ()
        metadata = _dict(server.get('metadata'))
    found = []
    if tag in tags:
        found.append(lock.StaticLock(static_locks.KIND_TAG, tag))
    if _truthy(metadata.get(prop)):
        found.append(lock.StaticLock(static_locks.KIND_PROPERTY, prop,
                                     metadata[prop]))
    return found


class StaticLockGate:
    """Refuses a tenant static lock that the SLA or the policy forbids."""

    def __init__(self, conf, manager):
        self._conf = conf
        self._manager = manager

    def judge(self, req, kind, kwargs, call):
        context = req.environ.get('nova.context')
        asked = requested(self._conf, kind, kwargs)
        if context is None or not asked:
            return call()
        found = self._subject(context, kind, kwargs)
        if found is None:
            return call()  # Nova answers: no such server or flavor.
        project_id, extra_specs, present = found
        new = [s for s in asked if s.kind not in present]
        if not new:
            return call()  # already set: nothing new is locked
        self._check(context, project_id, extra_specs, new,
                    kwargs.get('server_id'), bool(present))
        return call()

    def _subject(self, context, kind, kwargs):
        """``(project, flavor extra specs, static kinds present)``."""
        if kind == 'create':
            server = _dict(_dict(kwargs.get('body')).get('server'))
            extra_specs = self._flavor_specs(context,
                                             server.get('flavorRef'))
            if extra_specs is None:
                return None
            return context.project_id, extra_specs, ()
        instance = instances.load(context, kwargs.get('server_id'),
                                  expected_attrs=_INSTANCE_ATTRS)
        if instance is None:
            return None
        present = {s.kind for s in static_locks.evaluate(
            self._conf, tags=[t.tag for t in (instance.tags or [])],
            metadata=instance.metadata or {})}
        return (instance.project_id,
                dict(instance.flavor.extra_specs or {}), present)

    @staticmethod
    def _flavor_specs(context, flavor_ref):
        if not isinstance(flavor_ref, (str, int)):
            return None
        try:
            flavor = objects.Flavor.get_by_flavor_id(
                context, common.get_id_from_href(flavor_ref))
        except nova_exception.FlavorNotFound:
            return None
        return dict(flavor.extra_specs or {})

    def _check(self, context, project_id, extra_specs, new, server_id,
               locked):
        described = ', '.join(s.describe() for s in new)
        try:
            policy.authorize(context, policies.STATIC,
                             {'project_id': project_id})
            sla = self._manager.get_quota(project_id)
            policy.check_tenant_may_lock(self._conf, extra_specs, sla)
            if not locked:
                self._manager.check_static_quota(project_id, server_id)
        except lock.QuotaExceeded as exc:
            raise webob.exc.HTTPForbidden(
                explanation='Cannot set %s: %s. Release a lock of the '
                'project first.' % (described, exc.message))
        except lock.NotPermitted as exc:
            LOG.info('Refused %(locks)s on a server of project %(project)s: '
                     '%(error)s', {'locks': described, 'project': project_id,
                                   'error': exc.message})
            raise webob.exc.HTTPForbidden(
                explanation='Cannot set %s: a static migration lock is not '
                'allowed here (%s). Ask your cloud operator, or lock with a '
                'hold (openstack server miglock hold).'
                % (described, exc.message))
        except lock.StoreUnavailable as exc:
            LOG.error('Refused %(locks)s: %(error)s',
                      {'locks': described, 'error': exc.message})
            raise webob.exc.HTTPServiceUnavailable(
                explanation='Static migration locks cannot be checked while '
                'the migration lock store cannot be reached; retry later.',
                headers={'Retry-After':
                         self._conf.miglock_gate.unavailable_retry_after})
