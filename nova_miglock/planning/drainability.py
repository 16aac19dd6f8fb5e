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
"""Where the placement weigher's per-request data comes from: the seam.

The weigher asks one question per scheduling request: "how lock-prone is
this boot, and how slow to drain is each host now?" A
:class:`DrainabilitySource` answers it with one read. The expensive part
(fitting the history model, grouping it by profile, summing each host's
instances) is prepared elsewhere and kept up to date as instances come
and go; the answer only looks it up (the blazar-nova pattern).

:class:`InMemorySource` keeps that state in memory; tests and
``bench/placement.py`` use it. :class:`StoreSource` is what a deployment
uses: :func:`prepare` (pure) turns the history model and Nova's inventory
into the same :class:`~placement.ProfileTable` and host costs, the
listener saves them in the lock store periodically, and the scheduler
reads one stamp per request and the document only when it changed.
"""

import abc
import dataclasses
import threading
import types

from nova_miglock.planning import placement


@dataclasses.dataclass(frozen=True)
class Request:
    """What the scheduler knows about the instance it places."""

    profile: placement.Profile
    instance_uuid: str = None


@dataclasses.dataclass(frozen=True)
class Outlook:
    """The answer: the boot's proneness and every known host's cost.

    ``costs`` maps a compute host name to its drain cost (0..1 of the
    horizon); a host it does not name has no known lock-prone instance.
    It is read-only: a source may hand out its own mapping.
    """

    proneness: float
    costs: object = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}))


class DrainabilitySource(abc.ABC):
    """One read per scheduling request; never called per host."""

    @abc.abstractmethod
    def outlook(self, request):
        """The :class:`Outlook` for ``request``.

        :raises Exception: anything; the weigher then weighs nothing.
        """


class _Loads:
    """Host loads and their costs, one curve folded in or out at a time."""

    def __init__(self, times):
        self._times = times
        self._loads = {}
        self.costs = {}
        self.view = types.MappingProxyType(self.costs)

    def add(self, host, curve):
        load = self._loads.setdefault(host, placement.HostLoad(self._times))
        load.add(curve)
        self.costs[host] = load.cost()

    def remove(self, host, curve):
        load = self._loads[host]
        load.remove(curve)
        self.costs[host] = load.cost()


class InMemorySource(DrainabilitySource):
    """A profile table and per-host loads kept in memory.

    ``place`` and ``remove`` keep the host costs current as instances
    land and leave, incrementally (one curve folded in or out), so an
    answer costs a dictionary lookup whatever the number of hosts. Host
    costs are kept for all instances and, for each lock-prone workload
    (:meth:`~placement.Profile.workload`), for its own instances.
    """

    def __init__(self, table):
        self.table = table
        self.reads = 0
        self._all = _Loads(table.times)
        self._workloads = {}
        self._views = {}
        self._where = {}

    def place(self, uuid, host, profile, curve=None):
        """``uuid`` now runs on ``host``; ``curve`` overrides its profile's.

        ``curve`` is for an instance whose own history says more than its
        profile's (an instance the model knows well).
        """
        self.remove(uuid)
        curve = curve if curve is not None else self.table.curve(profile)
        self._all.add(host, curve)
        key = profile.workload()
        if key is not None and self.table.proneness(profile) > 0:
            if key not in self._workloads:
                self._workloads[key] = _Loads(self.table.times)
                self._views[key] = self._workloads[key].view
            self._workloads[key].add(host, curve)
        else:
            key = None
        self._where[uuid] = (host, curve, key)

    def remove(self, uuid):
        if uuid not in self._where:
            return
        host, curve, key = self._where.pop(uuid)
        self._all.remove(host, curve)
        if key is not None:
            self._workloads[key].remove(host, curve)

    def cost(self, host):
        return self._all.costs.get(host, 0.0)

    def costs(self):
        """``{host: cost}`` of every host with a known instance."""
        return dict(self._all.costs)

    def workload_costs(self):
        """``{workload key: {host: cost}}`` of the lock-prone workloads."""
        return {key: dict(loads.costs)
                for key, loads in self._workloads.items()}

    def outlook(self, request):
        self.reads += 1
        profile = request.profile
        proneness = self.table.proneness(profile)
        return Outlook(proneness, placement.costs_for(
            proneness, profile, self._all.view, self._views))


# The saved-model scope the prepared table and host costs are kept under.
SCOPE = 'placement'


def prepare(model, inventory, placed, as_of=None,
            horizon=placement.HORIZON):
    """``(ProfileTable, {host: cost}, {workload: {host: cost}})``.

    From the model and the inventory. ``inventory`` maps an instance to
    its :class:`~placement.Member`, ``placed`` an instance to the compute
    host it is on. Each instance weighs on its host with its profile's
    curve, as a new boot of that profile would: the scheduler compares
    like with like.
    """
    table = placement.ProfileTable.from_model(model, inventory, as_of,
                                              horizon)
    source = InMemorySource(table)
    for uuid, host in placed.items():
        member = inventory.get(uuid)
        if member is not None and host:
            source.place(uuid, host, member.profile)
    return table, source.costs(), source.workload_costs()


def document(table, costs, workloads=None):
    """What the listener saves: plain JSON."""
    data = {'table': table.to_dict(), 'costs': dict(costs)}
    if workloads is not None:
        data['workloads'] = [{'key': list(key), 'costs': dict(c)}
                             for key, c in sorted(workloads.items())]
    return data


class StoreSource(DrainabilitySource):
    """The prepared table and costs, read from the lock store.

    Per request it reads the saved document's stamp (one small query);
    the document itself is loaded and parsed only when the listener has
    saved a new one, so a request costs the same at 10 or 10,000 hosts.
    Nothing saved yet means no opinion (proneness 0: every host weighs 0).
    """

    def __init__(self, store_of):
        self._store_of = store_of
        self._lock = threading.Lock()
        self._stamp = None
        self._loaded = None
        self.reads = 0
        self.loads = 0

    def outlook(self, request):
        self.reads += 1
        store = self._store_of()
        stamp = store.history_model_stamps([SCOPE]).get(SCOPE)
        with self._lock:
            if stamp != self._stamp:
                self._load(store, stamp)
            loaded = self._loaded
        if loaded is None:
            return Outlook(0.0)
        table, costs, workloads = loaded
        profile = request.profile
        proneness = table.proneness(profile)
        return Outlook(proneness, placement.costs_for(
            proneness, profile, costs, workloads))

    def _load(self, store, stamp):
        data = store.load_history_model(SCOPE) if stamp else None
        self.loads += 1
        # A document that does not parse is reported once (the weigher
        # logs it), then ignored until the listener saves another.
        self._stamp, self._loaded = stamp, None
        if data is not None:
            self._loaded = parse(data)


def _costs(raw):
    return types.MappingProxyType({str(h): float(c) for h, c in raw.items()})


def parse(data):
    """``(table, costs, workloads)`` of a saved document.

    ``workloads`` is None in a document saved before they were kept: the
    weigher then weighs every boot against the costs of all instances.
    """
    table = placement.ProfileTable.from_dict(data['table'])
    workloads = None
    if 'workloads' in data:
        workloads = {tuple(w['key']): _costs(w['costs'])
                     for w in data['workloads']}
    return table, _costs(data['costs']), workloads
