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
"""Options for the placement weigher (MigrationLockWeigher)."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_weigher',
    title='Placement that keeps hosts drainable',
    help='MigrationLockWeigher gathers instances likely to hold a drain '
         'up on hosts that are already slow to drain, and keeps the others '
         'on hosts that are quick to drain.')

# The aggregate metadata key that overrides the multiplier per aggregate.
AGGREGATE_KEY = 'miglock_weight_multiplier'

ALL_OPTS = [
    cfg.StrOpt('source',
               default='store',
               choices=[('store', 'read what nova-miglock-listener saves '
                                  'in the lock store'),
                        ('none', 'no source: every host weighs 0')],
               help="""
Where MigrationLockWeigher reads the lock-proneness of a boot and the drain
cost of every host.

Possible values:

* store: one small query per scheduling request against the lock store
  (``[miglock_database]``/``[miglock_store]``), the saved document read
  again only after the listener has refreshed it.
* none: weigh nothing.

Related options:

* ``[miglock_listener]/placement_interval``: how often it is refreshed.
"""),
    cfg.FloatOpt('weight_multiplier',
                 default=8.0,
                 help="""
How strongly MigrationLockWeigher's preference counts against Nova's other
weighers.

The weigher's own weight of a host lies between 0 and 1, like that of
Nova's RAM, CPU and disk weighers, which spread instances; a lock-prone
boot uses the upper half of that range (its workload's hosts against the
others), a quiet one the lower half. Nova's three spreading weighers at
their default multiplier of 1.0 give up to 3 points to the emptiest host,
so a multiplier of about 8 (up to 4 points) lets a lock-prone workload
stay on its few hosts even when they are fuller than the rest, and still
lets spreading decide between hosts that are equally slow (or quick) to
drain. An aggregate can override it with the
``miglock_weight_multiplier`` metadata key, as Nova's weighers allow.

Possible values:

* 0: the weigher weighs nothing and reads nothing (Nova chooses as if it
  were not loaded).
* A positive number: gather lock-prone instances, with that strength.
* A negative number: spread lock-prone instances over as many hosts as
  possible (every host then drains as slowly as its slowest instance).

Related options:

* ``[filter_scheduler] weight_classes`` must name
  ``nova_miglock.scheduler.weighers.migration_lock.MigrationLockWeigher``.
* ``[filter_scheduler] ram_weight_multiplier``, ``cpu_weight_multiplier``,
  ``disk_weight_multiplier``: the spreading this weigher works against.
* ``[filter_scheduler] soft_anti_affinity_weight_multiplier``: keep it
  above this one if members of a soft-anti-affinity group must stay apart
  even when they are lock-prone.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
