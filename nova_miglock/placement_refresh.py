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
"""The listener's refresh of what MigrationLockWeigher reads.

The expensive part of weighing (fitting the history model, grouping it by
profile, summing each host's instances) runs here, in the listener,
every ``[miglock_listener]/placement_interval``; the scheduler only reads
the result (:class:`~nova_miglock.planning.drainability.StoreSource`).
The inventory comes from Nova's API: the ledger knows neither flavor nor
image, and instances that never locked are the evidence that a profile is
quiet.
"""

from oslo_log import log as logging
from oslo_utils import timeutils

from nova_miglock.drain import learn
from nova_miglock.planning import drainability
from nova_miglock.planning import placement
from nova_miglock.planning import timebins

LOG = logging.getLogger(__name__)
HOST_ATTR = 'OS-EXT-SRV-ATTR:host'


def _ref_id(ref):
    """The id of a server's flavor or image reference (2.1 shape)."""
    return ref.get('id') if isinstance(ref, dict) else None


def _created(server):
    try:
        return timebins.to_seconds(timeutils.normalize_time(
            timeutils.parse_isotime(server.created)))
    except (AttributeError, TypeError, ValueError):
        return None


def inventory_of(servers):
    """``({uuid: Member}, {uuid: host})`` from Nova's server listing."""
    inventory, placed = {}, {}
    for server in servers:
        inventory[server.id] = placement.Member(
            profile=placement.Profile(
                project_id=getattr(server, 'tenant_id', None),
                flavor=_ref_id(getattr(server, 'flavor', None)),
                image=_ref_id(getattr(server, 'image', None))),
            since=_created(server))
        host = getattr(server, HOST_ATTR, None)
        if host:
            placed[server.id] = host
    return inventory, placed


class PlacementRefresh:
    """Fit, group and save: one pass per ``run_once``."""

    def __init__(self, conf, store, nova_factory):
        self._conf = conf
        self._store = store
        self._nova_factory = nova_factory

    def _servers(self):
        # limit=-1: novaclient follows Nova's pages to the end.
        return self._nova_factory().servers.list(
            detailed=True, search_opts={'all_tenants': True}, limit=-1)

    def run_once(self):
        options = self._conf.miglock_listener
        if not options.placement_interval:
            return
        # The store's clock, as the ledger's rows are stamped with it.
        now = timebins.to_seconds(self._store.now())
        fitted, folded = learn.current(self._store, now,
                                       options.placement_history_days)
        inventory, placed = inventory_of(self._servers())
        table, costs, workloads = drainability.prepare(
            fitted, inventory, placed, as_of=now)
        self._store.save_history_model(
            drainability.SCOPE,
            drainability.document(table, costs, workloads),
            timebins.to_datetime(now))
        LOG.info('Placement refreshed: %(instances)d instances, '
                 '%(hosts)d hosts with a drain cost, %(levels)d profile '
                 'levels, %(workloads)d lock-prone workloads, %(rows)d new '
                 'ledger rows',
                 {'instances': len(inventory), 'hosts': len(costs),
                  'levels': len(table.curves), 'workloads': len(workloads),
                  'rows': folded})
