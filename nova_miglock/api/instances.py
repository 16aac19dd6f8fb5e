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
"""Reading instances from Nova's databases, the cell-aware way.

Only imported inside Nova's API processes, where Nova's objects and its
database configuration are available.
"""

from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects
from nova import servicegroup

from nova_miglock.decisions import groups as group_rules
from nova_miglock import manager as lock_manager
from nova_miglock import static_locks

# What a move decision needs to know about an instance.
MOVE_ATTRS = ['flavor', 'metadata', 'system_metadata', 'tags']


def _cell_context(context, instance_uuid):
    try:
        mapping = objects.InstanceMapping.get_by_instance_uuid(
            context, instance_uuid)
    except nova_exception.InstanceMappingNotFound:
        return None
    return mapping.cell_mapping


def load(context, instance_uuid, expected_attrs=MOVE_ATTRS):
    """The instance as ``context`` may see it, or None.

    A non-admin context only sees its project's instances, exactly as in
    Nova's own API, so nobody learns about an instance they cannot see.
    """
    cell = _cell_context(context, instance_uuid)
    if cell is None:
        return None
    try:
        with nova_context.target_cell(context, cell) as cctxt:
            return objects.Instance.get_by_uuid(
                cctxt, instance_uuid, expected_attrs=expected_attrs)
    except nova_exception.InstanceNotFound:
        return None


def target(conf, instance):
    """The lock manager's view of an instance loaded with MOVE_ATTRS."""
    return lock_manager.Target(
        instance_uuid=instance.uuid, project_id=instance.project_id,
        extra_specs=dict(instance.flavor.extra_specs or {}),
        static_locks=static_locks.from_instance(conf, instance),
        host=instance.host)


def server_group(context, instance_uuid):
    """The instance's server group (Nova's API database), or None."""
    try:
        return objects.InstanceGroup.get_by_instance_uuid(
            context.elevated(), instance_uuid)
    except nova_exception.InstanceGroupNotFound:
        return None


def server_group_by_uuid(context, group_uuid):
    """A server group by uuid (Nova's API database), or None."""
    try:
        return objects.InstanceGroup.get_by_uuid(context.elevated(),
                                                 group_uuid)
    except nova_exception.InstanceGroupNotFound:
        return None


def groups(context, instance):
    """The budget groups an instance loaded with MOVE_ATTRS is in now.

    Its server group (with its member count) and one group per
    ``miglock:group=NAME`` tag (counted in every cell: percentages need
    the size, and a project's servers may span cells).
    """
    found = []
    group = server_group(context, instance.uuid)
    if group is not None:
        found.append(group_rules.GroupRef(
            group.project_id, group.uuid, len(group.members or ())))
    tags = [t.tag for t in instance.tags or ()]
    for key in group_rules.tag_keys(tags):
        found.append(group_rules.GroupRef(
            instance.project_id, key,
            tagged_count(context, instance.project_id,
                         group_rules.TAG_PREFIX +
                         key[len(group_rules.KEY_TAG_PREFIX):])))
    return tuple(found)


def tagged(context, project_id, tag):
    """The uuids of a project's servers tagged ``tag``, in every cell."""
    admin = context.elevated()

    def _uuids(cctxt):
        return [i.uuid for i in objects.InstanceList.get_by_filters(
            cctxt, {'project_id': project_id, 'tags': [tag],
                    'deleted': False}, expected_attrs=[])]

    uuids = []
    for result in nova_context.scatter_gather_skip_cell0(
            admin, _uuids).values():
        if not nova_context.is_cell_failure_sentinel(result):
            uuids.extend(result)
    return uuids


def tagged_count(context, project_id, tag):
    return len(tagged(context, project_id, tag))


def load_tags(instance_uuid):
    """The server tags of an instance (not part of metadata lookups)."""
    context = nova_context.get_admin_context()
    cell = _cell_context(context, instance_uuid)
    if cell is None:
        return []
    with nova_context.target_cell(context, cell) as cctxt:
        return [t.tag for t in objects.TagList.get_by_resource_id(
            cctxt, instance_uuid)]


_SERVICEGROUP = []


def compute_host_is_up(context, instance_uuid, host):
    """Whether the compute service of ``host`` is up, as Nova judges it."""
    if not _SERVICEGROUP:
        _SERVICEGROUP.append(servicegroup.API())
    cell = _cell_context(context, instance_uuid)
    admin = context.elevated()
    try:
        if cell is None:
            service = objects.Service.get_by_compute_host(admin, host)
        else:
            with nova_context.target_cell(admin, cell) as cctxt:
                service = objects.Service.get_by_compute_host(cctxt, host)
    except nova_exception.ComputeHostNotFound:
        return False
    return _SERVICEGROUP[0].service_is_up(service)
