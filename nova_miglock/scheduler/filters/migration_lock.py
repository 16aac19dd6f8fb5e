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
"""MigrationLockFilter: no destination for a move of a locked instance."""

import dataclasses

from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects
from nova.scheduler import filters
from nova.scheduler import utils
from oslo_log import log as logging

from nova_miglock import conf as miglock_conf
from nova_miglock import decisions
from nova_miglock import lock
from nova_miglock import static_locks
from nova_miglock import store as lock_store

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF


class MigrationLockFilter(filters.BaseHostFilter):
    """Pass no host when an existing, locked instance asks to move."""

    # An in-place rebuild does not move the instance.
    RUN_ON_REBUILD = False
    # One decision per request: the lock does not depend on the host.
    run_filter_once_per_request = True

    def __init__(self):
        super().__init__()
        # A bad option stops the scheduler at start, naming it.
        miglock_conf.check(CONF)

    def filter_all(self, filter_obj_list, spec_obj):
        # Nova hands a list; passing it back as is costs nothing per host.
        hosts = filter_obj_list
        if utils.request_is_rebuild(spec_obj):
            return hosts
        instance_uuid = spec_obj.instance_uuid
        flavor_locks = static_locks.evaluate(
            CONF, extra_specs=spec_obj.flavor.extra_specs
            if 'flavor' in spec_obj else {})
        try:
            state = lock_store.get_store().get_state(instance_uuid)
        except lock.StoreUnavailable as exc:
            return self._store_down(hosts, instance_uuid, exc)
        if state.migrating:
            return hosts  # admitted by the compute API gate
        # The flavor's lock is judged with the recorded static locks, so
        # that an operator's exemption lifts it here as in the store.
        judged = dataclasses.replace(state, static_locks=tuple(
            dict.fromkeys(state.static_locks + flavor_locks)))
        decision = decisions.decide_move(judged, 'migration', state.now)
        if decision.admitted or not self._is_move(instance_uuid):
            return hosts
        LOG.info('Instance %(instance)s is locked against migration '
                 '(%(reasons)s): no destination host passes',
                 {'instance': instance_uuid,
                  'reasons': '; '.join(decision.reasons)})
        return []

    @staticmethod
    def _is_move(instance_uuid):
        """A new boot is scheduled before its instance is put in a cell."""
        context = nova_context.get_admin_context()
        try:
            mapping = objects.InstanceMapping.get_by_instance_uuid(
                context, instance_uuid)
        except nova_exception.InstanceMappingNotFound:
            return False
        return mapping.cell_mapping is not None

    def _store_down(self, hosts, instance_uuid, exc):
        if CONF.miglock.fail_closed and self._is_move(instance_uuid):
            LOG.error('No destination for %(instance)s: the migration lock '
                      'store is unavailable and [miglock]/fail_closed is '
                      'set: %(error)s',
                      {'instance': instance_uuid, 'error': exc.message})
            return []
        return hosts
