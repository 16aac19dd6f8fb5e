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
"""Placement that keeps hosts drainable: the scoring, pure.

A host is as slow to empty as its longest lock. For one instance the
question a drain asks is "if the drain came now, how likely is this
instance to hold it up for more than ``t``?": the **risk curve** ``q(t)``,
on a fixed grid of ``t`` from a grace (locks shorter than the time the
host's other moves take anyway cost nothing) to a horizon (the drain
deadline: a lock still on then is broken, so it costs no more). It is the
chance of finding the instance locked with more than ``t`` left (the share
of its time it is locked times the residual of its locked periods) plus
the chance that it locks while it waits for its move and stays locked that
long.

A new instance has no history of its own, so its curve comes from the
instances that share its **profile**: the history model's per-instance
tallies grouped by (project, flavor, image) and by coarser levels (project
and image, project, image, flavor, the cloud), each level weighed by the
instance-time it has seen (credibility, as the model blends an instance
with its project). Grouping needs the *inventory* (each instance's profile
and lifetime, from Nova): the ledger knows neither flavor nor image, and
instances that never locked are absent from the model yet are the evidence
that a profile is quiet.

* a profile's **lock debt** is the area under its curve: the time it is
  expected to add to a drain of an otherwise quick host;
* its **proneness** compares that debt with the cloud's average on a log
  scale, from -1 (ten times quieter) to 1 (ten times more);
* a host's **drain cost** is the expected excess of the longest lock among
  its instances, ``integral of 1 - prod(1 - q_i(t))``, as a share of the
  grid's span (0..1).

The weight of a host for a new boot is ``proneness x cost``: lock-prone
instances gather on the hosts their own workload already makes slow to
drain (:func:`costs_for`), the others go to hosts that are quick to drain.
"""

import dataclasses
import functools
import math
import types

from nova_miglock.planning import survival
from nova_miglock.planning import timebins

HORIZON = 2 * timebins.HOUR
# How long an unlocked instance waits for its move once a drain starts.
WAIT = 300.0
# Locks shorter than this end while the host's other instances move: they
# do not make the drain longer, so they do not count.
GRACE = 600.0
# Instance-weeks a level needs to weigh as much as the levels above it.
CREDIBILITY_WEEKS = 1.0
# A debt this many times the cloud's average is full proneness (1 or -1).
FULL_SCALE = 10.0
POINTS = 16
CLOUD = ('cloud',)


def grid(horizon=HORIZON, points=POINTS):
    """``points`` times from ``GRACE`` to ``horizon``, evenly in log."""
    first = min(GRACE, horizon / 2)
    ratio = (horizon / first) ** (1.0 / (points - 1))
    return tuple(first * ratio ** k for k in range(points))


def area(times, values):
    """Trapezoid integral of ``values`` over ``times``."""
    return sum((t1 - t0) * (v0 + v1) / 2 for t0, t1, v0, v1 in zip(
        times, times[1:], values, values[1:]))


@dataclasses.dataclass(frozen=True)
class Profile:
    """What Nova knows about a new boot before it exists."""

    project_id: str
    flavor: str = None
    image: str = None

    def workload(self):
        """The key of the workload this profile belongs to, or None.

        Project and image: what a tenant runs, whatever its size. The
        weigher gathers a lock-prone boot with its own workload, not
        with every lock-prone instance (see :func:`costs_for`).
        """
        if self.project_id and self.image:
            return ('project-image', self.project_id, self.image)
        return None

    def levels(self):
        """Level keys, most specific first, for the attributes known."""
        p, f, i = self.project_id, self.flavor, self.image
        keys = [('profile', p, f, i) if p and f and i else None,
                ('project-image', p, i) if p and i else None,
                ('project', p) if p else None,
                ('image', i) if i else None,
                ('flavor', f) if f else None]
        return [k for k in keys if k is not None]


@dataclasses.dataclass(frozen=True)
class Member:
    """An instance of the inventory: its profile and when it lived."""

    profile: Profile
    since: float = None    # created (seconds since the epoch)
    until: float = None    # deleted, or None


class _Level:
    """Exposure, locked time and locked periods summed over instances."""

    def __init__(self):
        self.exposure = 0.0
        self.locked = 0.0
        self.starts = 0
        self.periods = survival.Counts()
        self.open_ages = []

    def add(self, exposure, inst, as_of):
        self.exposure += exposure
        if inst is None:
            return
        tally = inst.tally
        self.periods.merge(tally.periods)
        self.locked += sum(tally.locked.values())
        self.starts += sum(tally.starts.values())
        if inst.period_start is not None and inst.period_start < as_of:
            self.open_ages.append(as_of - inst.period_start)
            self.locked += as_of - inst.period_start

    def risk(self, times, wait):
        """``q(t)`` on ``times``."""
        share = min(1.0, self.locked / self.exposure)
        curve = self.periods.curve(self.open_ages)
        mean = curve.mean()
        rate = self.starts / max(self.exposure - self.locked, 1.0)
        new = (1.0 - share) * (1.0 - math.exp(-rate * wait))
        return tuple(min(1.0, share * curve.area_after(t) / mean +
                         new * curve.sf(t)) for t in times)


def levels_of(model, inventory, as_of=None):
    """``{level key: _Level}`` of the inventory's instances."""
    as_of = as_of if as_of is not None else (model.as_of or 0.0)
    start = model.window_start if model.window_start is not None else as_of
    found = {}
    for uuid, member in inventory.items():
        since = max(start, member.since if member.since is not None
                    else start)
        until = min(as_of, member.until if member.until is not None
                    else as_of)
        if until <= since:
            continue
        inst = model.instances.get(uuid)
        for key in member.profile.levels() + [CLOUD]:
            found.setdefault(key, _Level()).add(until - since, inst, as_of)
    return found


class ProfileTable:
    """Risk curves per level, and the answers for any profile.

    Plain data (``to_dict``), so a periodic job can prepare it from the
    model and the scheduler can read it: this is what the store-backed
    drainability source keeps.
    """

    def __init__(self, curves, weeks, horizon=HORIZON):
        self.horizon = horizon
        self.times = grid(horizon)
        self.curves = dict(curves)   # level key -> tuple q
        self.weeks = dict(weeks)     # level key -> instance-weeks seen
        cloud = self.curves.get(CLOUD)
        self.reference = area(self.times, cloud) if cloud else 0.0

    @classmethod
    def from_model(cls, model, inventory, as_of=None, horizon=HORIZON,
                   wait=WAIT):
        times = grid(horizon)
        found = levels_of(model, inventory, as_of)
        return cls({k: lv.risk(times, wait) for k, lv in found.items()},
                   {k: lv.exposure / timebins.WEEK
                    for k, lv in found.items()}, horizon)

    def weights(self, profile):
        """``[(level key, weight)]``: credibility, most specific first."""
        out, left = [], 1.0
        for key in profile.levels():
            x = self.weeks.get(key, 0.0)
            if x > 0:
                w = left * x / (x + CREDIBILITY_WEEKS)
                out.append((key, w))
                left -= w
        if CLOUD in self.curves:
            out.append((CLOUD, left))
        return out

    @functools.lru_cache(maxsize=4096)
    def curve(self, profile):
        """The blended risk curve of a new instance of ``profile``."""
        q = [0.0] * len(self.times)
        for key, w in self.weights(profile):
            for k, v in enumerate(self.curves[key]):
                q[k] += w * v
        return tuple(q)

    def debt(self, profile):
        """Seconds a new instance of ``profile`` is expected to add."""
        return area(self.times, self.curve(profile))

    def proneness(self, profile):
        """-1 (quiet) .. 1 (lock-prone), against the cloud's average."""
        return proneness(self.debt(profile), self.reference)

    def to_dict(self):
        return {'horizon': self.horizon,
                'levels': [{'key': list(k), 'weeks': self.weeks[k],
                            'curve': list(q)}
                           for k, q in sorted(self.curves.items())]}

    @classmethod
    def from_dict(cls, data):
        curves, weeks = {}, {}
        for level in data['levels']:
            key = tuple(level['key'])
            curves[key] = tuple(level['curve'])
            weeks[key] = level['weeks']
        return cls(curves, weeks, data['horizon'])


def proneness(debt, reference):
    """Log ratio of a debt to the reference, clamped to [-1, 1].

    No reference (a cloud that never locks, or no history yet) means no
    opinion: 0, and the weigher then weighs nothing.
    """
    if reference <= 0:
        return 0.0
    if debt <= 0:
        return -1.0
    ratio = math.log(debt / reference) / math.log(FULL_SCALE)
    return max(-1.0, min(1.0, ratio))


class HostLoad:
    """The instances on one host, kept as ``sum log(1 - q_i(t))``."""

    def __init__(self, times):
        self.times = times
        self.log_clear = [0.0] * len(times)
        self.count = 0

    def _fold(self, curve, sign):
        for k, v in enumerate(curve):
            self.log_clear[k] += sign * math.log1p(-min(v, 1.0 - 1e-12))
        self.count += sign

    def add(self, curve):
        self._fold(curve, 1)

    def remove(self, curve):
        self._fold(curve, -1)

    def cost(self):
        """How long the longest lock outlasts the grace, 0..1 of the grid."""
        if self.count <= 0:
            return 0.0
        held = [1.0 - math.exp(s) for s in self.log_clear]
        span = self.times[-1] - self.times[0]
        return max(0.0, min(1.0, area(self.times, held) / span))


def costs_for(proneness_, profile, costs, workloads):
    """The host costs a boot of ``profile`` is weighed against.

    A quiet boot (proneness 0 or less) keeps away from every host that is
    slow to drain, whatever makes it slow: the costs of all instances. A
    lock-prone boot gathers with its own workload only (``workloads``:
    ``{workload key: {host: cost of that workload's instances}}``): pulled
    to every slow host, lock-prone workloads would share the same hosts,
    and the smaller ones would take the room the next boots of the
    heaviest need, spreading it over more hosts. A prone boot whose
    workload has no instance yet has no preference. ``workloads`` None
    (a document saved before workloads were kept) means the costs of all.
    """
    if proneness_ <= 0 or workloads is None:
        return costs
    key = profile.workload()
    if key is None:
        return costs
    return workloads.get(key, EMPTY)


EMPTY = types.MappingProxyType({})


def weights(proneness_, costs, hosts):
    """The weigher's raw weight of each host, in [-1, 1].

    Positive proneness prefers hosts that are slow to drain; negative,
    hosts that are quick to drain; a host the costs do not name is empty
    of known locks (cost 0).
    """
    proneness_ = max(-1.0, min(1.0, proneness_))
    if not proneness_:
        return [0.0] * len(hosts)
    get = costs.get
    return [proneness_ * get(host, 0.0) for host in hosts]
