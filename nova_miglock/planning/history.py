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
"""Hold lives and locked periods rebuilt from ledger rows, incrementally.

A hold is one holder's claim, identified by (instance, holder, acquired_at)
as the ledger records it. An instance's *locked period* runs from the first
hold while it was unlocked to the moment no hold is left: that is what keeps
a move out, so it is what the planner needs. Rows are folded one by one into
per-instance state, so new rows extend the result without a re-read.

A hold whose lease ran out ended at its expiry even before the reaper wrote
the ``expire`` row (an expired hold never counts, see lock.py), so every row
first ends the instance's holds that expired before it.
"""

from nova_miglock import lock
from nova_miglock.planning import survival
from nova_miglock.planning import timebins

_GROW = (lock.EVENT_ACQUIRE, lock.EVENT_RENEW)
# A hold an operator ended says only that it lasted at least that long.
_CENSORING = (lock.EVENT_BREAK, lock.EVENT_EVACUATED)


class Tally:
    """What one level (an instance, a project, the cloud) has seen."""

    def __init__(self, data=None):
        data = data or {}
        self.periods = survival.Counts.from_dict(data.get('periods', {}))
        self.holds = survival.Counts.from_dict(data.get('holds', {}))
        self.starts = {int(k): v for k, v in data.get('starts', {}).items()}
        self.locked = {int(k): v for k, v in data.get('locked', {}).items()}
        self.observers = data.get('observers', 0)

    def add_period(self, start, end, ended):
        self.periods.add(end - start, ended)
        for index, seconds in timebins.split(start, end).items():
            self.locked[index] = self.locked.get(index, 0.0) + seconds

    def add_start(self, start):
        index = timebins.hour_of_week(start)
        self.starts[index] = self.starts.get(index, 0) + 1

    def to_dict(self):
        return {'periods': self.periods.to_dict(),
                'holds': self.holds.to_dict(),
                'starts': {str(k): v for k, v in sorted(self.starts.items())},
                'locked': {str(k): v
                           for k, v in sorted(self.locked.items())},
                'observers': self.observers}


class Instance:
    """One instance's open holds and open period, plus its tally."""

    def __init__(self, project_id, data=None):
        data = data or {}
        self.project_id = project_id
        self.tally = Tally(data.get('tally'))
        # "holder|acquired_at" -> [acquired_at, expires_at]
        self.holds = dict(data.get('holds', {}))
        self.period_start = data.get('period_start')
        self.move_start = data.get('move_start')
        self.last_at = data.get('last_at')

    def to_dict(self):
        return {'project_id': self.project_id, 'tally': self.tally.to_dict(),
                'holds': self.holds, 'period_start': self.period_start,
                'move_start': self.move_start, 'last_at': self.last_at}

    @property
    def locked(self):
        return bool(self.holds)


class Fold:
    """Applies rows to instance state and mirrors every count upward."""

    def __init__(self, instances, projects, cloud, moves):
        self.instances = instances
        self.projects = projects
        self.cloud = cloud
        self.moves = moves

    def levels(self, inst):
        return (inst.tally, self.projects[inst.project_id], self.cloud)

    def instance(self, row):
        uuid = row['instance_uuid']
        inst = self.instances.get(uuid)
        if inst is None:
            inst = self.instances[uuid] = Instance(row['project_id'])
            if inst.project_id not in self.projects:
                self.projects[inst.project_id] = Tally()
            for tally in self.levels(inst):
                tally.observers += 1
        return inst

    def row(self, row):
        at = timebins.to_seconds(row['at'])
        inst = self.instance(row)
        self.expire(inst, at)
        inst.last_at = max(inst.last_at or at, at)
        event = row['event']
        if event in _GROW and row.get('holder'):
            self._grow(inst, row)
        elif event in lock.HOLD_END_EVENTS and row.get('holder'):
            key = _key(row)
            if key in inst.holds:
                acquired, expires = inst.holds[key]
                self._end_hold(inst, key, min(at, expires),
                               event not in _CENSORING)
        elif event == lock.EVENT_MOVE_ADMITTED:
            inst.move_start = at
        elif event == lock.EVENT_MOVE_ENDED and inst.move_start is not None:
            self.moves.add(at - inst.move_start)
            inst.move_start = None

    def _grow(self, inst, row):
        key = _key(row)
        acquired = timebins.to_seconds(row['acquired_at'])
        expires = timebins.to_seconds(row['expires_at'])
        if key not in inst.holds and not inst.holds:
            inst.period_start = acquired
            for tally in self.levels(inst):
                tally.add_start(acquired)
        inst.holds[key] = [acquired, expires]

    def expire(self, inst, until):
        """End, at their expiry, the holds whose lease ran out by ``until``."""
        due = sorted((exp, key) for key, (_acq, exp) in inst.holds.items()
                     if exp < until)
        for expires, key in due:
            self._end_hold(inst, key, expires, True)

    def _end_hold(self, inst, key, end, ended):
        acquired, _expires = inst.holds.pop(key)
        for tally in self.levels(inst):
            tally.holds.add(end - acquired, ended)
        if not inst.holds and inst.period_start is not None:
            start = inst.period_start
            inst.period_start = None
            for tally in self.levels(inst):
                tally.add_period(start, max(start, end), ended)


def _key(row):
    acquired = timebins.to_seconds(row['acquired_at'])
    return '%s|%.6f' % (row['holder'], acquired)
