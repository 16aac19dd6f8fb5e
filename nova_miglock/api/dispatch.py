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
"""Where the gate sits: on the controller methods Nova dispatches moves to.

Nova's compute API router (``APIRouterV21``) matches a request with Routes
(``_method`` override applied, project id prefix optional), and the
matched ``Resource`` parses the JSON body and looks the action up in its
``wsgi_actions`` table by the body's only key. Whatever the request looked
like on the wire, a move starts only when one of the controller methods
below is called. This module finds the routers in a paste pipeline and
puts a :class:`GatedMove` in place of each of those methods, in every
``Resource`` of the router, so the gate judges the very call Nova makes:
method, path and body as Nova understood them, nothing parsed twice.
"""

import functools

from nova.api.openstack.compute import evacuate
from nova.api.openstack.compute import migrate_server
from nova.api.openstack.compute import servers
from nova.api.openstack.compute import shelve
from nova.api.openstack import wsgi as openstack_wsgi
from nova.api import wsgi as base_wsgi

# Nova's controller methods that start a move, by server action name.
MOVE_METHODS = {
    'os-migrateLive': migrate_server.MigrateServerController._migrate_live,
    'migrate': migrate_server.MigrateServerController._migrate,
    'resize': servers.ServersController._resize,
    'evacuate': evacuate.EvacuateController._evacuate,
    'unshelve': shelve.ShelveController._unshelve,
}

# Attributes through which WSGI middleware reaches the app it wraps.
_NEXT_APP_ATTRS = ('application', 'app', '_app')
_MAX_DEPTH = 32


class NotInstalled(Exception):
    """The gate could not be put in front of Nova's move methods."""


class GatedMove:
    """One of Nova's move methods, called only through the gate's judge.

    It carries the method's attributes (``wsgi_codes``, schemas), which
    Nova's ``Resource`` reads from whatever it dispatches to.
    """

    def __init__(self, judge, action, method):
        functools.update_wrapper(self, method)
        self.action = action
        self._judge = judge
        self._method = method

    def __call__(self, req, **kwargs):
        call = functools.partial(self._method, req=req, **kwargs)
        return self._judge(req, self.action, kwargs.get('id'), call)


def find_routers(app):
    """Nova routers reachable from ``app`` down the middleware chain."""
    found, seen = [], set()

    def walk(node, depth):
        if node is None or id(node) in seen or depth > _MAX_DEPTH:
            return
        seen.add(id(node))
        if isinstance(node, base_wsgi.Router):
            found.append(node)
            return
        for attr in _NEXT_APP_ATTRS:
            walk(getattr(node, attr, None), depth + 1)

    walk(app, 0)
    return found


def resources(router):
    """Every distinct Resource of a router, with its route action names."""
    resources = {}
    for route in router.map.matchlist:
        resource = route.defaults.get('controller')
        if isinstance(resource, openstack_wsgi.Resource):
            entry = resources.setdefault(id(resource), (resource, set()))
            entry[1].add(route.defaults.get('action'))
    return resources.values()


def _gated_action(name, method, by_function):
    """The move ``method`` (dispatched as ``name``) starts, if we gate it.

    A method is a move by its function, or by the action name Nova
    dispatches it for: a controller that overrides a move method and
    calls the original (``os-volumes_boot``'s resize) is gated too.
    """
    if isinstance(method, GatedMove):
        return method.action
    if name in by_function.values():
        return name
    return by_function.get(getattr(method, '__func__', None))


def install(app, actions, judge):
    """Route every call of Nova's methods for ``actions`` through ``judge``.

    ``judge(req, action, server_id, call)`` decides and calls ``call()``
    to let Nova go on. Idempotent.

    :raises NotInstalled: no router below ``app``, or a move method missing
        from it (an unsupported Nova): better no API than an ungated one.
    """
    routers = find_routers(app)
    if not routers:
        raise NotInstalled(
            'miglock_gate found no Nova compute API router below it; put '
            'it in the openstack_compute_api_v21 pipelines, right before '
            'the application')
    by_function = {MOVE_METHODS[action]: action for action in actions}
    for router in routers:
        found = set()
        for resource, route_actions in resources(router):
            found |= _wrap_table(resource.wsgi_actions, by_function, judge)
            found |= _wrap_routed(resource.controller, route_actions,
                                  by_function, judge)
        missing = set(actions) - found
        if missing:
            raise NotInstalled(
                'miglock_gate cannot find the handler of %s in Nova\'s '
                'compute API; this Nova version is not supported'
                % ', '.join(sorted(missing)))
    return routers


def _wrap_table(table, by_function, judge):
    """Gate the move methods of a Resource's action table."""
    found = set()
    for key, method in list(table.items()):
        action = _gated_action(key, method, by_function)
        if action is None:
            continue
        if not isinstance(method, GatedMove):
            table[key] = GatedMove(judge, action, method)
        found.add(action)
    return found


def _wrap_routed(controller, route_actions, by_function, judge):
    """Gate move methods a route names directly (none in Nova 34)."""
    found = set()
    for name in route_actions:
        method = getattr(controller, name, None) if name else None
        action = _gated_action(name, method, by_function)
        if action is None:
            continue
        if not isinstance(method, GatedMove):
            setattr(controller, name, GatedMove(judge, action, method))
        found.add(action)
    return found
