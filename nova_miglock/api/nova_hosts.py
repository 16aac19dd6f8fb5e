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
"""What a drain's plan reads of Nova, from inside Nova's API process.

``nova-miglock-manage drain`` reads Nova through its REST API
(:class:`nova_miglock.drain.nova.NovaAPI`). Inside nova-api the same two
questions a plan asks (is there a compute service on the host, what does
it run) are answered from Nova's cell databases, the cell-aware way,
instead of calling the API the request came in through. Nothing here
changes Nova: a plan moves nothing.
"""

from nova.api.openstack import common
from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects

from nova_miglock.drain import nova as nova_api


class UnknownHost(nova_api.NovaError):
    """Nova has no compute service on the host (404)."""


class NovaHosts:
    """The read half of the drain's Nova edge, for a dry run only."""

    def __init__(self, context):
        self._context = context

    def _cell(self, host):
        try:
            return objects.HostMapping.get_by_host(self._context,
                                                   host).cell_mapping
        except nova_exception.HostMappingNotFound:
            raise UnknownHost('Nova has no compute service on host %r'
                              % host)

    def check_host(self, host):
        with nova_context.target_cell(self._context,
                                      self._cell(host)) as cctxt:
            try:
                return objects.Service.get_by_compute_host(cctxt, host)
            except nova_exception.ComputeHostNotFound:
                raise UnknownHost('Nova has no compute service on host %r'
                                  % host)

    def servers_on(self, host):
        """Every server Nova has on ``host``, of all projects."""
        with nova_context.target_cell(self._context,
                                      self._cell(host)) as cctxt:
            found = objects.InstanceList.get_by_host(
                cctxt, host, expected_attrs=['metadata', 'tags'])
        return [nova_api.Server(
            uuid=i.uuid, name=i.display_name, project_id=i.project_id,
            host=i.host,
            status=common.status_from_state(i.vm_state, i.task_state),
            task_state=i.task_state,
            tags=tuple(t.tag for t in i.tags or ()),
            metadata=dict(i.metadata or {})) for i in found]
