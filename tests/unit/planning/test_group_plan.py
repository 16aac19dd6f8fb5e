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
"""The planner and the drain's scheduling count group budgets."""

from nova_miglock.drain import group_budgets
from nova_miglock.planning import model
from nova_miglock.planning import planner
from nova_miglock.planning import simulate
from nova_miglock.planning import world

START = 1796601600.0        # a Monday, 00:00 UTC


def _plan(groups, budgets, parallel=4):
    guests = [world.Guest(uuid, [], move_seconds=100) for uuid in groups]
    sim = world.TimelineWorld(guests)
    beliefs = model.beliefs(model.fit([]), as_of=START)
    candidates = [planner.Candidate(sim.state(uuid, START), host='h1',
                                    group=group)
                  for uuid, group in groups.items()]
    params = planner.Params(
        deadline=START + 3600, samples=4, limits=simulate.Limits(
            parallel=parallel, per_host=None, budgets=budgets))
    return {e.uuid: e for e in planner.plan(candidates, beliefs, START,
                                            params).entries}


def _overlap(a, b):
    return a.start_p50 < b.end_p50 and b.start_p50 < a.end_p50


def test_two_members_of_a_budget_of_one_are_planned_one_after_the_other():
    entries = _plan({'a': 'p/db', 'b': 'p/db', 'c': None}, {'p/db': 1})
    assert not _overlap(entries['a'], entries['b'])
    # The wait the budget causes is predicted: the second starts when the
    # first ends, while an instance of no group starts at once.
    second = max(entries['a'], entries['b'], key=lambda e: e.start_p50)
    assert second.start_p50 >= min(entries['a'].end_p50,
                                   entries['b'].end_p50)
    assert entries['c'].start_p50 < second.start_p50


def test_every_group_of_an_instance_counts():
    # b is in both groups: it waits for a (db) and blocks c (web).
    entries = _plan({'a': ('p/db',), 'b': ('p/db', 'p/web'),
                     'c': ('p/web',)}, {'p/db': 1, 'p/web': 1})
    assert not _overlap(entries['a'], entries['b'])
    assert not _overlap(entries['b'], entries['c'])


def test_without_a_budget_members_move_in_parallel():
    entries = _plan({'a': 'p/db', 'b': 'p/db'}, {})
    assert _overlap(entries['a'], entries['b'])


def test_the_drain_sends_no_move_over_a_budget():
    groups = {'a': ('p/db',), 'b': ('p/db',), 'c': ()}
    budgets = {'p/db': 1}
    assert group_budgets.fits('b', groups, budgets, running={})
    assert not group_budgets.fits('b', groups, budgets, running={'a': 1})
    assert group_budgets.fits('c', groups, budgets, running={'a': 1})
    assert not group_budgets.fits('a', groups, {'p/db': 0}, running={})
    # A move Nova shows done counts until the store closed its ticket.
    assert not group_budgets.fits('b', groups, budgets, running={},
                                  moving=lambda u: u == 'a')
