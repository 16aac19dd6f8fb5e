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
"""A client of the server lock API on a keystoneauth session.

The API lives in Nova's compute endpoint (``/servers/{id}/os-miglock``,
``/os-miglock``), so the client needs only the compute endpoint and the
session openstackclient (or any SDK user) already has. It imports nothing
of the server side. Errors keep the server's message: Nova's fault body
``{"<fault>": {"code", "message"}}``.
"""

import re
import urllib.parse

from osc_lib import exceptions

API_VERSION = '1.0'
# Group disruption budgets exist from this version of the API on; only
# their calls ask for it, so the rest keeps working with a 1.0 server.
GROUPS_API_VERSION = '1.1'
# From this version a drain plan without a notice gets the drain's default
# notice, 0 means none, and the plan shows the notice (``notice``).
DRAIN_NOTICE_API_VERSION = '1.2'
# Nova's server groups are listed at the first compute API version that
# shows every policy (soft-anti-affinity and soft-affinity came in 2.15).
SERVER_GROUPS_COMPUTE_VERSION = '2.15'
SERVICE_TYPE = 'miglock'
_UUID = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                   r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')
# A request that takes longer is answered as failed: every wait is
# bounded, a hold's own ``wait`` included (it adds to this).
TIMEOUT = 60


class APIError(exceptions.ClientException):
    """The API refused a request; ``code`` is the HTTP status."""

    http_status = 500
    message = 'Migration lock API error'


class Client:
    """The lock of servers, through Nova's compute endpoint."""

    def __init__(self, session, endpoint, version=API_VERSION,
                 timeout=TIMEOUT):
        self._session = session
        self._endpoint = endpoint.rstrip('/')
        self._version = version
        self._timeout = timeout

    def _request(self, method, path, body=None, params=None, wait=0,
                 version=None, service=SERVICE_TYPE):
        headers = {'Accept': 'application/json',
                   'OpenStack-API-Version': '%s %s' % (
                       service, version or self._version)}
        response = self._session.request(
            self._endpoint + path, method, json=body, params=params,
            headers=headers, raise_exc=False,
            timeout=self._timeout + (wait or 0))
        if response.status_code >= 400:
            raise APIError(response.status_code, _error_message(response))
        if not response.content:
            return None
        return response.json()

    @staticmethod
    def _server_path(server_id, rest=''):
        return '/servers/%s/os-miglock%s' % (
            urllib.parse.quote(server_id, safe=''), rest)

    def find_server(self, name_or_id):
        """The id of a server given by id or by its exact name."""
        if _UUID.match(name_or_id):
            return name_or_id
        found = self._request('GET', '/servers', params={
            'name': '^%s$' % re.escape(name_or_id)})['servers']
        found = [s for s in found if s.get('name') == name_or_id]
        if not found:
            raise exceptions.CommandError(
                'No server with a name or ID of %r exists.' % name_or_id)
        if len(found) > 1:
            raise exceptions.CommandError(
                'More than one server is named %r; give its ID.'
                % name_or_id)
        return found[0]['id']

    def find_group(self, name_or_key):
        """A group key from ``tag:NAME``, a server group's ID or its name.

        A name is looked up among the caller's server groups (Nova's
        ``/os-server-groups``); the API itself takes only keys.
        """
        if name_or_key.startswith('tag:') or _UUID.match(name_or_key):
            return name_or_key
        found = [g for g in self._request(
            'GET', '/os-server-groups', service='compute',
            version=SERVER_GROUPS_COMPUTE_VERSION)['server_groups']
            if g.get('name') == name_or_key]
        if not found:
            raise exceptions.CommandError(
                'No server group with a name or ID of %r exists (a tag '
                'group is tag:NAME).' % name_or_key)
        if len(found) > 1:
            raise exceptions.CommandError(
                'More than one server group is named %r; give its ID.'
                % name_or_key)
        return found[0]['id']

    def versions(self):
        return self._request('GET', '/os-miglock')['versions']

    def show(self, server_id):
        return self._request('GET', self._server_path(server_id))['miglock']

    def hold(self, server_id, holder, lease_seconds=None, reason=None,
             wait=None):
        body = {key: value for key, value in (
            ('lease_seconds', lease_seconds), ('reason', reason),
            ('wait', wait)) if value is not None}
        return self._request('PUT', self._server_path(
            server_id, '/holds/%s' % urllib.parse.quote(holder, safe='')),
            body=body, wait=wait)['hold']

    def release(self, server_id, holder):
        self._request('DELETE', self._server_path(
            server_id, '/holds/%s' % urllib.parse.quote(holder, safe='')))

    def break_holds(self, server_id, reason, holder=None):
        args = {'reason': reason}
        if holder is not None:
            args['holder'] = holder
        return self._request('POST', self._server_path(server_id, '/action'),
                             body={'break': args})['broken']

    def exempt(self, server_id, reason, seconds=None):
        args = {'reason': reason}
        if seconds is not None:
            args['seconds'] = seconds
        return self._request('POST', self._server_path(server_id, '/action'),
                             body={'exempt': args})['miglock']

    def usage(self, project_id=None, all_projects=False, since=None,
              until=None):
        params = {key: value for key, value in (
            ('project_id', project_id), ('since', since), ('until', until))
            if value}
        if all_projects:
            params['all_projects'] = 'true'
        return self._request('GET', '/os-miglock/usage',
                             params=params)['usage']

    def tickets(self, overdue=False):
        params = {'overdue': 'true'} if overdue else {}
        return self._request('GET', '/os-miglock/tickets',
                             params=params)['tickets']

    def end_move(self, server_id, outcome=None):
        args = {'outcome': outcome} if outcome else {}
        return self._request('POST', self._server_path(server_id, '/action'),
                             body={'end_move': args})['ended']

    def _quota_path(self, project_id):
        return '/os-miglock/quotas/%s' % urllib.parse.quote(project_id,
                                                            safe='')

    def quota_show(self, project_id):
        return self._request('GET', self._quota_path(project_id))['quota']

    def quota_set(self, project_id, **limits):
        """Set limits; a limit of None returns it to the default."""
        return self._request('PUT', self._quota_path(project_id),
                             body={'quota': limits})['quota']

    def list(self, project_id=None, all_projects=False,
             include_unlocked=False, limit=None):
        params = {}
        if project_id:
            params['project_id'] = project_id
        if all_projects:
            params['all_projects'] = 'true'
        if include_unlocked:
            params['include_unlocked'] = 'true'
        if limit is not None:
            params['limit'] = str(limit)
        return self._request('GET', '/os-miglock/locks',
                             params=params)['locks']

    # -- nova-miglock-manage's commands (admin by default) -----------------

    def reap(self, limit=None):
        body = {'limit': limit} if limit is not None else {}
        return self._request('POST', '/os-miglock/reap', body=body)['reaped']

    def purge_ledger(self, before):
        return self._request('POST', '/os-miglock/ledger/purge',
                             body={'before': before})['purged']

    def move_request_open(self, server_id, seconds, reason):
        return self._request('PUT', self._server_path(
            server_id, '/move-request'), body={'move_request': {
                'seconds': seconds, 'reason': reason}})['move_request']

    def move_request_show(self, server_id):
        """The server's open move request, or None."""
        return self._request('GET', self._server_path(
            server_id, '/move-request'))['move_request']

    def move_request_cancel(self, server_id):
        self._request('DELETE', self._server_path(server_id,
                                                  '/move-request'))

    def move_requests(self, limit=None):
        params = {'limit': str(limit)} if limit is not None else {}
        return self._request('GET', '/os-miglock/move-requests',
                             params=params)['move_requests']

    def drain_plan(self, hosts, **options):
        """Plan a drain of ``hosts``; options of None are not sent.

        Asked at version 1.2, where a plan is the drain's dry run: without
        ``notice`` the drain's default notice, ``notice=0`` none. A server
        older than 1.2 (406) is asked at 1.0 when that means the same, an
        explicit notice or none; the default notice it cannot plan.
        """
        body = {key: value for key, value in options.items()
                if value is not None}
        body['hosts'] = list(hosts)
        try:
            return self._request('POST', '/os-miglock/drain-plans',
                                 body={'drain_plan': body},
                                 version=DRAIN_NOTICE_API_VERSION)[
                'drain_plan']
        except APIError as exc:
            if exc.code != 406:
                raise
        if 'notice' not in body:
            raise exceptions.CommandError(
                "This server's migration lock API predates version %s: it "
                "cannot plan with the drain's default notice. Give "
                "--notice or --no-notice." % DRAIN_NOTICE_API_VERSION)
        if not body['notice']:
            del body['notice']
        return self._request('POST', '/os-miglock/drain-plans',
                             body={'drain_plan': body})['drain_plan']

    def model_show(self, server_id, days=None):
        params = {'days': str(days)} if days is not None else {}
        return self._request('GET', self._server_path(server_id, '/model'),
                             params=params)['model']

    # -- group disruption budgets (API version 1.1) -------------------------

    @staticmethod
    def _group_path(group):
        return '/os-miglock/groups/%s' % urllib.parse.quote(group, safe=':')

    @staticmethod
    def _group_params(project_id):
        return {'project_id': project_id} if project_id else {}

    def group_set(self, group, max_moving, project_id=None):
        """Set a group's budget: a count (int) or a percentage ("25%")."""
        return self._request(
            'PUT', self._group_path(group),
            body={'group': {'max_moving': max_moving}},
            params=self._group_params(project_id),
            version=GROUPS_API_VERSION)['group']

    def group_show(self, group, project_id=None):
        return self._request('GET', self._group_path(group),
                             params=self._group_params(project_id),
                             version=GROUPS_API_VERSION)['group']

    def group_delete(self, group, project_id=None):
        """Remove a group's budget; a group without one is no error."""
        self._request('DELETE', self._group_path(group),
                      params=self._group_params(project_id),
                      version=GROUPS_API_VERSION)

    def groups(self, project_id=None, all_projects=False):
        params = self._group_params(project_id)
        if all_projects:
            params['all_projects'] = 'true'
        return self._request('GET', '/os-miglock/groups', params=params,
                             version=GROUPS_API_VERSION)['groups']


def _error_message(response):
    """The server's own words, whatever shape the error body has."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or '').strip()[:500]
    if isinstance(body, dict) and len(body) == 1:
        fault = next(iter(body.values()))
        if isinstance(fault, dict) and fault.get('message'):
            return fault['message']
    return str(body)[:500]
