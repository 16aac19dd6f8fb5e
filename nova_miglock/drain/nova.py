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
"""The drain's edge to Nova's API, on python-novaclient.

Every call the drain makes to Nova is here, so the executor reads as the
decisions it takes. Live migrations are posted through the client's
session rather than ``servers.live_migrate`` because the drain must read
the gate's 409 and its ``Retry-After``, which novaclient's exception for a
409 drops, and may have to name a ticket it admitted beforehand.
"""

import dataclasses

from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc

from nova_miglock import drain

# Services by id (2.53), block_migration "auto" (2.25), hosts of servers.
MICROVERSION = '2.53'


class NovaError(Exception):
    """Nova could not do what the drain needs (one line for the user)."""


@dataclasses.dataclass(frozen=True)
class Server:
    uuid: str
    name: str
    project_id: str
    host: str
    status: str
    task_state: str = None
    tags: tuple = ()
    metadata: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Reply:
    """Nova's answer to a move request."""

    status: int
    message: str = ''
    retry_after: float = None

    @property
    def accepted(self):
        return self.status == 202


def _server(raw):
    return Server(uuid=raw.id, name=getattr(raw, 'name', ''),
                  project_id=getattr(raw, 'tenant_id', None),
                  host=getattr(raw, 'OS-EXT-SRV-ATTR:host', None),
                  status=getattr(raw, 'status', None),
                  task_state=getattr(raw, 'OS-EXT-STS:task_state', None),
                  tags=tuple(getattr(raw, 'tags', None) or ()),
                  metadata=dict(getattr(raw, 'metadata', None) or {}))


def _message(body):
    if isinstance(body, dict) and body:
        fault = next(iter(body.values()))
        if isinstance(fault, dict):
            return str(fault.get('message', ''))
    return str(body or '')[:500]


def _retry_after(headers):
    try:
        value = float(headers.get('Retry-After'))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


class NovaAPI:
    """What the drain asks of Nova (an admin's novaclient at 2.53+)."""

    def __init__(self, client):
        self._client = client

    def servers_on(self, host):
        """Every server Nova has on ``host``, of all projects."""
        try:
            found = self._client.servers.list(
                search_opts={'all_tenants': True, 'host': host})
        except nova_exc.ClientException as exc:
            raise NovaError('cannot list the servers of %s: %s'
                            % (host, exc))
        return [_server(s) for s in found]

    def server(self, uuid):
        """The server now, or None when Nova no longer has it."""
        try:
            return _server(self._client.servers.get(uuid))
        except nova_exc.NotFound:
            return None

    def _service(self, host):
        try:
            found = self._client.services.list(host=host,
                                               binary='nova-compute')
        except nova_exc.ClientException as exc:
            raise NovaError('cannot read the compute service of %s: %s'
                            % (host, exc))
        if not found:
            raise NovaError('Nova has no compute service on host %r' % host)
        return found[0]

    def check_host(self, host):
        """The host's compute service (raises NovaError if there is none)."""
        return self._service(host)

    def disable(self, host, reason):
        """Nothing new lands on ``host`` (idempotent; the reason shows)."""
        service = self._service(host)
        try:
            self._client.services.disable_log_reason(service.id, reason)
        except nova_exc.ClientException as exc:
            raise NovaError('cannot disable the compute service of %s: %s'
                            % (host, exc))

    def enable(self, host):
        service = self._service(host)
        try:
            self._client.services.enable(service.id)
        except nova_exc.ClientException as exc:
            raise NovaError('cannot enable the compute service of %s: %s'
                            % (host, exc))

    def live_migrate(self, uuid, ticket_id=None):
        """Ask for a live migration to wherever the scheduler finds room."""
        return self._action(uuid, {'os-migrateLive': {
            'host': None, 'block_migration': 'auto'}}, ticket_id)

    def cold_migrate(self, uuid, ticket_id=None):
        """Ask for a cold migration; it ends when confirmed."""
        return self._action(uuid, {'migrate': None}, ticket_id)

    def confirm(self, uuid):
        """Confirm a cold migration waiting in VERIFY_RESIZE."""
        return self._action(uuid, {'confirmResize': None})

    def _action(self, uuid, body, ticket_id=None):
        headers = {drain.TICKET_HEADER: ticket_id} if ticket_id else {}
        try:
            resp, reply = self._client.client.post(
                '/servers/%s/action' % uuid, json=body, headers=headers,
                raise_exc=False)
        except (nova_exc.ClientException, ks_exc.ClientException) as exc:
            return Reply(getattr(exc, 'code', 0) or 0, str(exc))
        return Reply(resp.status_code, _message(reply),
                     _retry_after(resp.headers))
