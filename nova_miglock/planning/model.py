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
"""The history model: what the ledger says about how instances lock.

``fit(rows)`` folds ledger rows (dicts as the store's ``ledger()`` returns
them) into counts per instance, per project and for the cloud;
``update(model, rows)`` folds only new rows into the same counts, so it
equals a refit at a fraction of the cost; ``to_dict()`` is plain JSON.
``beliefs(model)`` turns the counts into curves and rates once, and answers
the planner's questions from them cheaply:

* how long a locked period lasts (Kaplan-Meier, running ones censored), and
  how much longer one that has lasted ``a`` seconds will last;
* how likely an unlocked instance is to lock within ``t`` (a rate per hour
  of the week, so nightly batches are seen);
* ``explain()``: what it believes about an instance and from how much
  history, for ``nova-miglock-manage model show``.
"""

from nova_miglock.planning import beliefs as beliefs_mod
from nova_miglock.planning import history
from nova_miglock.planning import survival
from nova_miglock.planning import timebins

VERSION = 1


class HistoryModel:
    """Counts folded from the ledger; serialisable, updated in place."""

    def __init__(self, data=None):
        data = data or {}
        if data.get('version', VERSION) != VERSION:
            raise ValueError('history model version %r is not %d'
                             % (data.get('version'), VERSION))
        self.window_start = data.get('window_start')
        self.as_of = data.get('as_of')
        self.rows = data.get('rows', 0)
        self.projects = {p: history.Tally(t)
                         for p, t in data.get('projects', {}).items()}
        self.cloud = history.Tally(data.get('cloud'))
        self.moves = survival.Counts.from_dict(data.get('moves', {}))
        self.instances = {
            u: history.Instance(d['project_id'], d)
            for u, d in data.get('instances', {}).items()}

    def to_dict(self):
        return {'version': VERSION, 'window_start': self.window_start,
                'as_of': self.as_of, 'rows': self.rows,
                'cloud': self.cloud.to_dict(),
                'projects': {p: t.to_dict()
                             for p, t in sorted(self.projects.items())},
                'moves': self.moves.to_dict(),
                'instances': {u: i.to_dict()
                              for u, i in sorted(self.instances.items())}}

    @classmethod
    def from_dict(cls, data):
        return cls(data)


def fit(rows, as_of=None):
    """A model of all of ``rows``, judged at ``as_of`` (default: the last)."""
    return update(HistoryModel(), rows, as_of)


def update(model, rows, as_of=None):
    """Fold ``rows`` (newer than the model's ``as_of``) into ``model``.

    Rows are applied in time order; holds whose lease ran out by ``as_of``
    are ended at their expiry. Returns ``model``.
    """
    fold = history.Fold(model.instances, model.projects, model.cloud,
                        model.moves)
    for row in sorted(rows, key=lambda r: (timebins.to_seconds(r['at']),
                                           r.get('id') or 0)):
        at = timebins.to_seconds(row['at'])
        if model.window_start is None or at < model.window_start:
            model.window_start = at
        model.as_of = max(model.as_of or at, at)
        fold.row(row)
        model.rows += 1
    if as_of is not None:
        model.as_of = max(model.as_of or 0.0, timebins.to_seconds(as_of))
    if model.as_of is not None:
        for inst in model.instances.values():
            fold.expire(inst, model.as_of)
    return model


def beliefs(model, as_of=None):
    """Curves and rates judged at ``as_of`` (default: the model's)."""
    return beliefs_mod.Beliefs(model, as_of)
