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
"""The operator commands of ``nova-miglock-manage`` over REST.

Served by :class:`nova_miglock.api.server_locks.MigrationLockServers`
beside the lock endpoints, with the same framing, versioning, errors and
oslo.policy (every rule here defaults to the admin role, as only an
operator with the store's credentials can run the manage command):

======  =========================================  ===========================
POST    /os-miglock/reap                           ``reap``
POST    /os-miglock/ledger/purge                   ``ledger purge``
GET     /os-miglock/move-requests                  open move requests
POST    /os-miglock/drain-plans                    ``drain --dry-run``
GET     /servers/{id}/os-miglock/move-request      the server's request
PUT     /servers/{id}/os-miglock/move-request      open (tell the guest)
DELETE  /servers/{id}/os-miglock/move-request      cancel
GET     /servers/{id}/os-miglock/model             ``model show``
======  =========================================  ===========================

A real drain is not offered: it runs for as long as the hosts take to
empty (hours), which no API request may, and it disables compute services
and moves instances through Nova's own API. Its plan is: it reads Nova and
the store and changes nothing but the history model's cache.
"""

import datetime
import time

from oslo_log import log as logging
import webob.exc

from nova_miglock.api import bodies
from nova_miglock.api import faults
from nova_miglock.api import nova_hosts
from nova_miglock.api import operator_schemas as schemas
from nova_miglock.api import operator_views as views
from nova_miglock.api import validation
from nova_miglock.api import versions
from nova_miglock.drain import executor
from nova_miglock.drain import nova as nova_api
from nova_miglock.drain import options as drain_options
from nova_miglock import lock
from nova_miglock.manage import model
from nova_miglock.planning import timebins
from nova_miglock import policies
from nova_miglock import policy

LOG = logging.getLogger(__name__)

REAP_LIMIT = 1000
LIST_LIMIT = 1000
MODEL_DAYS = 28


class OperatorEndpoints:
    """Handlers mixed into the server lock filter (see the module doc).

    ``_serve_operator_root`` and ``_serve_operator_server`` answer the
    paths above, or return None for the filter to go on routing.
    """

    def _serve_operator_root(self, req, context, version, raw, rest):
        path = rest.rstrip('/')
        if path == '/reap' and req.method == 'POST':
            return self.reap(context, version,
                             body=bodies.json_document(raw))
        if path == '/ledger/purge' and req.method == 'POST':
            return self.purge(context, version,
                              body=bodies.json_document(raw))
        if path == '/move-requests' and req.method == 'GET':
            return self.move_requests(req, context, version)
        if path == '/drain-plans' and req.method == 'POST':
            return self.drain_plan(req, context, version,
                                   body=bodies.json_document(raw))
        return None

    def _serve_operator_server(self, req, context, version, raw, target,
                               scope, rest):
        path = rest.rstrip('/')
        if path == '/move-request' and req.method == 'GET':
            return self.move_request_show(context, version, target, scope)
        if path == '/move-request' and req.method == 'PUT':
            return self.move_request_open(context, version, target, scope,
                                          body=bodies.json_document(raw))
        if path == '/move-request' and req.method == 'DELETE':
            return self.move_request_cancel(context, target, scope)
        if path == '/model' and req.method == 'GET':
            return self.model_show(req, context, version, target, scope)
        return None

    # -- housekeeping -------------------------------------------------------

    @validation.schema(schemas.reap)
    def reap(self, context, version, *, body):
        policy.authorize(context, policies.REAP, {})
        found = self._manager.reap(limit=body.get('limit', REAP_LIMIT))
        LOG.info('%(count)d expired hold(s) reaped by %(actor)s',
                 {'count': len(found), 'actor': _actor(context)})
        return self._reply(200, views.reaped(found, version))

    @validation.schema(schemas.purge)
    def purge(self, context, version, *, body):
        policy.authorize(context, policies.LEDGER_PURGE, {})
        before = _when(body['before'])
        counts = self._manager.purge_ledger(before)
        LOG.info('Ledger purged before %(before)s by %(actor)s: %(counts)s',
                 {'before': lock.isoformat(before), 'actor': _actor(context),
                  'counts': counts})
        return self._reply(200, views.purged(counts, before, version))

    # -- move requests ------------------------------------------------------

    def move_requests(self, req, context, version):
        query = _query(req, schemas.move_requests_query)
        policy.authorize(context, policies.MOVE_REQUESTS, {})
        limit = min(int(query.get('limit', LIST_LIMIT)), LIST_LIMIT)
        found = self._manager.list_move_requests(limit=limit)
        return self._reply(200, views.move_requests(
            found, self._manager.now(), version))

    def move_request_show(self, context, version, target, scope):
        policy.authorize(context, policies.MOVE_REQUEST_SHOW, scope)
        return self._reply(200, views.move_request(
            self._manager.move_request(target.instance_uuid),
            self._manager.now(), version))

    @validation.schema(schemas.move_request_open)
    def move_request_open(self, context, version, target, scope, *, body):
        policy.authorize(context, policies.MOVE_REQUEST_OPEN, scope)
        args = body['move_request']
        request = self._manager.open_move_request(
            target, seconds=args['seconds'], reason=args['reason'],
            actor=_actor(context))
        return self._reply(200, views.move_request(
            request, self._manager.now(), version))

    def move_request_cancel(self, context, target, scope):
        policy.authorize(context, policies.MOVE_REQUEST_CANCEL, scope)
        self._manager.close_move_request(
            target.instance_uuid, outcome='cancelled', actor=_actor(context))
        return self._reply(204)

    # -- planning -----------------------------------------------------------

    def model_show(self, req, context, version, target, scope):
        query = _query(req, schemas.model_query)
        policy.authorize(context, policies.MODEL_SHOW, scope)
        days = int(query.get('days', MODEL_DAYS))
        if not 1 <= days <= schemas.MAX_MODEL_DAYS:
            raise lock.InvalidRequest('days is 1 to %d, got %d'
                                      % (schemas.MAX_MODEL_DAYS, days))
        return self._reply(200, views.model(model.describe(
            self._manager.store, target.instance_uuid, days), version))

    @validation.schema(schemas.drain_plan)
    def drain_plan(self, req, context, version, *, body):
        policy.authorize(context, policies.DRAIN_PLAN, {})
        args = body['drain_plan']
        now = time.time()
        deadline = _deadline(args, now)
        options = drain_options.Options(
            deadline=deadline, dry_run=True,
            strategy=args.get('strategy', drain_options.Options.strategy),
            parallel=args.get('parallel', 2),
            per_host=args.get('per_host', 1),
            on_deadline=args.get('on_deadline', 'skip'),
            notice=_notice(args, version, deadline - now,
                           self._conf.miglock.drain_notice),
            reason=args.get('reason', 'host maintenance'),
            actor=_actor(context))
        nova = nova_hosts.NovaHosts(context.elevated())
        try:
            report = executor.Drain(self._manager, nova, args['hosts'],
                                    options).run()
        except nova_hosts.UnknownHost as exc:
            return faults.nova_fault(req, webob.exc.HTTPNotFound(
                explanation=str(exc)))
        except nova_api.NovaError as exc:
            raise lock.InvalidRequest(str(exc))
        return self._reply(200, views.drain_plan(report, version))


def _query(req, schema):
    try:
        query = dict(req.GET.mixed())
    except UnicodeDecodeError:
        raise lock.InvalidRequest('the query string is not UTF-8')
    return validation.validate(schema, query, what='query')


def _when(text):
    """A schema-checked ISO 8601 date or time, as naive UTC."""
    try:
        return datetime.datetime.fromisoformat(text.rstrip('Z'))
    except ValueError as exc:
        raise lock.InvalidRequest('Invalid request body: %s' % exc)


def _deadline(args, now):
    """The plan's deadline, in seconds since the epoch."""
    if 'within' in args and 'deadline' in args:
        raise lock.InvalidRequest('give within or deadline, not both')
    if 'deadline' not in args:
        return now + args.get('within', 3600)
    deadline = timebins.to_seconds(_when(args['deadline']))
    if deadline <= now:
        raise lock.InvalidRequest('the deadline %s is in the past'
                                  % args['deadline'])
    return deadline


def _notice(args, version, to_deadline, most):
    """The plan's notice to the guests, in seconds, or None for none.

    From version 1.2 the plan is the drain's dry run: without ``notice``
    the drain's default (``[miglock] drain_notice`` or half the time to the
    deadline), ``notice`` 0 or null none. Before, a plan without a notice
    has none, and 0 is refused as it was by the 1.0 schema.
    """
    if version >= versions.DRAIN_NOTICE:
        asked = (args['notice'] or 0) if 'notice' in args else None
        return drain_options.resolve_notice(asked, most, to_deadline)
    if args.get('notice') == 0:
        raise lock.InvalidRequest(
            'Invalid request body: drain_plan/notice: 0 needs version %s or '
            'later (%s: miglock %s); leave it out for no notice'
            % (versions.DRAIN_NOTICE, versions.HEADER,
               versions.DRAIN_NOTICE))
    return args.get('notice')


def _actor(context):
    return 'user:%s' % context.user_id
