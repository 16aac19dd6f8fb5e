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
"""MigrationLockWeigher: keep most hosts quick to drain.

A host is as slow to empty as its longest lock. This weigher gathers new
instances that are likely to be locked for long on the hosts their own
workload already makes slow to drain, and keeps the others on hosts that
are quick to drain, so a rolling maintenance waits on few hosts instead
of on all of them.

Its data comes from a :class:`~nova_miglock.planning.drainability.
DrainabilitySource`, read once per scheduling request (not per host): in a
deployment the lock store, where nova-miglock-listener saves it; a source
that fails makes every weight 0, never a failed boot.
"""

import math
import weakref

from nova.scheduler import utils
from nova.scheduler import weights
from oslo_log import log as logging

from nova_miglock import conf as miglock_conf
from nova_miglock.conf import weigher as weigher_conf
from nova_miglock.planning import drainability
from nova_miglock.planning import placement
from nova_miglock import store as lock_store

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF

_source = None
# Nova's weight handler formats every host's weight into a debug string on
# each request, logged or not, and a float's formatting costs by its
# digits: a weight of three decimals formats about twice as fast as one of
# seventeen, which at 10,000 hosts is most of what this weigher adds to
# the handler's charge for any weigher. Its weights are multiples of
# 1/STEPS of Nova's [0, 1]; times the default multiplier of 8, a step is
# 0.008 of a point, where Nova's spreading weighers each give a point
# between the emptiest and the fullest host: finer than what the estimates
# tell apart.
STEPS = 1000


def scaled(weight):
    """A weight of [-1, 1] on Nova's [0, 1], rounded to 1/STEPS."""
    return round(STEPS / 2 * (1.0 + max(-1.0, min(1.0, weight)))) / STEPS


def integral(multiplier):
    """``multiplier``, as an int if it is a whole number.

    Nova's weight handler formats every host's multiplier into its debug
    string on each request, and an int formats in about two thirds of the
    time a float takes (0.7 ms a request at 10,000 hosts); the product
    with the weight is the same number.
    """
    return int(multiplier) if float(multiplier).is_integer() else multiplier


def set_source(source):
    """Use ``source`` (a DrainabilitySource, or None) from now on."""
    global _source
    _source = source


def get_source():
    return _source


def request_of(request_spec):
    """The profile Nova's RequestSpec gives of the instance it places."""
    flavor = request_spec.flavor if 'flavor' in request_spec else None
    image = request_spec.image if 'image' in request_spec else None
    return drainability.Request(
        profile=placement.Profile(
            project_id=request_spec.project_id
            if 'project_id' in request_spec else None,
            flavor=flavor.flavorid if flavor and 'flavorid' in flavor
            else None,
            image=image.id if image and 'id' in image else None),
        instance_uuid=request_spec.instance_uuid
        if 'instance_uuid' in request_spec else None)


class MigrationLockWeigher(weights.BaseHostWeigher):
    """Prefer slow-to-drain hosts for lock-prone boots, quick ones else."""

    # The weight is proneness x cost, in [-1, 1], which the weigher maps
    # itself onto Nova's [0, 1] (0.5: no preference) with fixed bounds: a
    # weak preference stays weak (min-max scaling would blow it up to
    # 0..1). Bounds of 0 and 1 make Nova's normalisation the identity, so
    # the weigher also chooses the floats Nova formats (see STEPS).
    minval = 0.0
    maxval = 1.0

    def __init__(self):
        # A bad option stops the scheduler at start, naming it.
        miglock_conf.check(CONF)
        self._multiplier = integral(CONF.miglock_weigher.weight_multiplier)
        self._last = (None, None)   # (weak ref to the RequestSpec, Outlook)
        if get_source() is None and CONF.miglock_weigher.source == 'store':
            set_source(drainability.StoreSource(lock_store.get_store))
        if get_source() is None:
            LOG.warning('MigrationLockWeigher has no drainability source '
                        '([miglock_weigher]/source is none): every host '
                        'weighs 0')

    def weight_multiplier(self, host_state):
        # Read once per request in weigh_objects; most hosts are in no
        # aggregate, and then there is nothing to override.
        if not host_state.aggregates:
            return self._multiplier
        return utils.get_weight_multiplier(
            host_state, weigher_conf.AGGREGATE_KEY, self._multiplier)

    def weigh_objects(self, weighed_obj_list, request_spec):
        # The whole pass in one loop over Nova's objects: at 10,000 hosts
        # every per-host step counts (placement.weights is the same sum).
        self._multiplier = integral(CONF.miglock_weigher.weight_multiplier)
        if self._multiplier == 0 and not any(
                w.obj.aggregates for w in weighed_obj_list):
            return [0.5] * len(weighed_obj_list)
        outlook = self._outlook(request_spec)
        if outlook is None:
            return [0.5] * len(weighed_obj_list)
        slope = STEPS / 2 * max(-1.0, min(1.0, outlook.proneness))
        if not slope:
            return [0.5] * len(weighed_obj_list)
        half, get = STEPS / 2, outlook.costs.get
        return [round(half + slope * get(w.obj.host, 0.0)) / STEPS
                for w in weighed_obj_list]

    def _weigh_object(self, host_state, request_spec):
        outlook = self._outlook(request_spec)
        if outlook is None:
            return 0.5
        return scaled(placement.weights(outlook.proneness, outlook.costs,
                                        [host_state.host])[0])

    def _outlook(self, request_spec):
        """The source's answer for this request, read at most once.

        Nova weighs every instance of a multi-create with the same
        RequestSpec object; its identity is the request's.
        """
        ref, outlook = self._last
        if ref is not None and ref() is request_spec:
            return outlook
        outlook = self._read(request_spec)
        try:
            self._last = (weakref.ref(request_spec), outlook)
        except TypeError:
            self._last = (None, None)   # not Nova's RequestSpec: no cache
        return outlook

    @staticmethod
    def _read(request_spec):
        source = get_source()
        if source is None:
            return None
        try:
            outlook = source.outlook(request_of(request_spec))
            if not math.isfinite(outlook.proneness):
                raise ValueError('proneness %r' % outlook.proneness)
        except Exception as exc:  # whatever it is, never fail a boot
            LOG.warning('MigrationLockWeigher weighs every host 0 for '
                        'this request: its drainability source failed: '
                        '%(error)s', {'error': exc})
            return None
        return outlook
