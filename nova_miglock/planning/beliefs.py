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
"""Answers drawn from a history model: curves and rates, built once.

Every answer about an instance blends three levels: its own history, its
project's and the cloud's, each weighed by how much it has seen (an
instance with two locked periods leans on its project; one with fifty
speaks for itself). Still-running periods are censored at their age.
"""

import functools

from nova_miglock.planning import arrivals
from nova_miglock.planning import explain
from nova_miglock.planning import history
from nova_miglock.planning import survival
from nova_miglock.planning import timebins

# Ended periods a level needs to weigh as much as the levels above it.
CREDIBILITY = 5.0
DEFAULT_MOVE_SECONDS = 60.0


class Beliefs:

    def __init__(self, model, as_of=None):
        self.model = model
        self.as_of = timebins.to_seconds(as_of) if as_of is not None \
            else (model.as_of or 0.0)
        self.window_start = model.window_start or self.as_of
        self._open = {}
        for uuid, inst in model.instances.items():
            if inst.period_start is not None and \
                    inst.period_start < self.as_of:
                self._open[uuid] = inst.period_start

    def _open_of(self, uuids):
        return [(self._open[u]) for u in uuids if u in self._open]

    def _open_ages(self, starts):
        return [self.as_of - s for s in starts]

    def _open_locked(self, starts):
        locked = {}
        for start in starts:
            for index, s in timebins.split(start, self.as_of).items():
                locked[index] = locked.get(index, 0.0) + s
        return locked

    @functools.cached_property
    def _members(self):
        members = {}
        for uuid, inst in self.model.instances.items():
            members.setdefault(inst.project_id, []).append(uuid)
        return members

    def _level(self, tally, starts, parent, prior, since=None):
        """(curve, rates) of one level."""
        curve = tally.periods.curve(self._open_ages(starts))
        locked = dict(tally.locked)
        for index, s in self._open_locked(starts).items():
            locked[index] = locked.get(index, 0.0) + s
        exposed = arrivals.exposure(
            observers=max(tally.observers, 1),
            window_start=max(self.window_start, since or 0.0),
            as_of=self.as_of, locked=locked)
        if parent is None:
            parent = arrivals.flat(tally.starts, exposed)
        return curve, arrivals.shrink(tally.starts, exposed, parent, prior)

    @functools.cached_property
    def cloud(self):
        return self._level(self.model.cloud, list(self._open.values()), None,
                           arrivals.PRIOR_SECONDS['cloud'])

    @functools.lru_cache(maxsize=None)
    def project(self, project_id):
        tally = self.model.projects.get(project_id)
        if tally is None:
            return self.cloud
        starts = self._open_of(self._members.get(project_id, ()))
        return self._level(tally, starts, self.cloud[1],
                           arrivals.PRIOR_SECONDS['project'])

    @functools.lru_cache(maxsize=None)
    def instance(self, uuid, project_id=None, known_since=None):
        """An :class:`InstanceBelief` (history or not) for ``uuid``."""
        inst = self.model.instances.get(uuid)
        project_id = inst.project_id if inst else project_id
        proj_tally = self.model.projects.get(project_id)
        levels = [('cloud', self.model.cloud, self.cloud)]
        if proj_tally is not None:
            levels.append(('project', proj_tally, self.project(project_id)))
        tally = inst.tally if inst else history.Tally({'observers': 1})
        if inst is not None or known_since is not None:
            own = self._level(tally, self._open_of([uuid]), levels[-1][2][1],
                              arrivals.PRIOR_SECONDS['instance'],
                              since=known_since)
            levels.append(('instance', tally, own))
        return InstanceBelief(self, uuid, project_id, levels,
                              self._open.get(uuid))

    @functools.cached_property
    def move_curve(self):
        if not self.model.moves.events:
            return survival.Curve.exponential(DEFAULT_MOVE_SECONDS)
        return self.model.moves.curve()

    def move_seconds(self):
        """The median duration of a move the ledger has seen."""
        return self.move_curve.first_below(0.5, -1.0)


def credibility(levels):
    """``{level: weight}``: the most specific level first, by events seen."""
    weights, left = {}, 1.0
    for name, tally, _fit in reversed(levels):
        n = tally.periods.events
        w = left * (n / (n + CREDIBILITY)) if name != 'cloud' else left
        weights[name] = w
        left -= w
    if not levels[0][1].periods.events:
        weights['prior'] = weights.pop('cloud')
    return weights


class InstanceBelief:
    """What the model believes about one instance, judged at ``as_of``."""

    def __init__(self, beliefs, uuid, project_id, levels, open_start):
        self.as_of = beliefs.as_of
        self.uuid = uuid
        self.project_id = project_id
        self.levels = levels
        self.weights = credibility(levels)
        fits = {name: fit for name, _t, fit in levels}
        prior = survival.Curve.exponential(survival.PRIOR_MEAN)
        self.blend = survival.Blend(
            [(w, fits[name][0] if name != 'prior' else prior)
             for name, w in self.weights.items()])
        self.rates = fits[levels[-1][0]][1]
        self.locked_since = open_start

    def remaining_quantile(self, age, p):
        return self.blend.remaining_quantile(age, p)

    def remaining_sf(self, age, seconds):
        return self.blend.remaining_sf(age, seconds)

    def sample_remaining(self, age, rng):
        return self.blend.sample_remaining(age, rng)

    def prob_lock_within(self, start, seconds):
        return arrivals.prob_within(self.rates, start, seconds)

    def sample_next_lock(self, start, rng, limit):
        return arrivals.sample_next(self.rates, start, rng, limit)

    def explain(self, locked_since=None):
        """What it believes and from how much history, as plain data."""
        return explain.describe(self, locked_since)
