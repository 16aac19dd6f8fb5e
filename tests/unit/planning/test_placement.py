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
"""Placement scoring: risk curves by profile, host costs, weights."""

import datetime
import json
import math

import pytest

from nova_miglock import lock
from nova_miglock.planning import drainability
from nova_miglock.planning import model
from nova_miglock.planning import placement
from nova_miglock.planning import planner
from nova_miglock.planning import survival
from nova_miglock.planning import timebins
from nova_miglock.planning import world

MONDAY = timebins.to_seconds(datetime.datetime(2026, 11, 23))
HOUR = timebins.HOUR
DB = placement.Profile('p1', 'db-flavor', 'postgres')
WEB = placement.Profile('p1', 'small', 'ubuntu')


def period(uuid, start, end, project='p1'):
    """Ledger rows of one hold from ``start`` to ``end`` (seconds)."""
    base = {'instance_uuid': uuid, 'project_id': project, 'holder': 'job',
            'acquired_at': timebins.to_datetime(start),
            'expires_at': timebins.to_datetime(end)}
    return [dict(base, at=timebins.to_datetime(start),
                 event=lock.EVENT_ACQUIRE),
            dict(base, at=timebins.to_datetime(end),
                 event=lock.EVENT_RELEASE)]


def cloud(lockers=3, quiet=3, days=7, every=4 * HOUR, length=2 * HOUR):
    """A model and inventory of lockers and quiet instances.

    Lockers of profile DB are locked ``length`` in every ``every``;
    quiet instances of profile WEB never lock; over ``days``.
    """
    rows, inventory = [], {}
    for i in range(lockers):
        uuid = 'db-%d' % i
        inventory[uuid] = placement.Member(DB, MONDAY)
        t = MONDAY + 600 * i
        while t + length < MONDAY + days * timebins.DAY:
            rows += period(uuid, t, t + length)
            t += every
    for i in range(quiet):
        inventory['web-%d' % i] = placement.Member(WEB, MONDAY)
    as_of = MONDAY + days * timebins.DAY
    fitted = model.fit(rows, as_of=timebins.to_datetime(as_of))
    fitted.window_start = MONDAY
    return fitted, inventory


def test_area_after_integrates_the_steps_and_the_tail():
    curve = survival.Curve([10.0, 20.0], [0.5, 0.25], 0.01, 2)
    assert curve.area_after(0) == pytest.approx(10 + 5 + 25)
    assert curve.area_after(15) == pytest.approx(2.5 + 25)
    assert curve.area_after(30) == pytest.approx(0.25 * math.exp(-0.1) /
                                                 0.01)
    assert curve.mean() == curve.area_after(0)


def test_risk_of_a_fixed_length_lock_is_share_times_residual():
    # One instance locked 1 h out of every 5 h: locked 20 % of the time;
    # a lock found running has (3600 - t) / 3600 chance of > t left.
    fitted, _ = cloud(lockers=1, quiet=0, days=5, every=5 * HOUR,
                      length=HOUR)
    inventory = {'db-0': placement.Member(DB, MONDAY)}
    level = placement.levels_of(fitted, inventory)[('profile',) + (
        'p1', 'db-flavor', 'postgres')]
    share = level.locked / level.exposure
    assert share == pytest.approx(0.2, abs=0.01)
    times = (0.0, 1800.0, 3600.0)
    q = level.risk(times, wait=0.0)
    assert q[0] == pytest.approx(share)
    assert q[1] == pytest.approx(share / 2, rel=0.02)
    assert q[2] == pytest.approx(0.0, abs=0.01)


def test_a_lock_prone_profile_is_prone_and_a_never_locking_one_quiet():
    table = placement.ProfileTable.from_model(*cloud())
    # DB instances are locked half the time, twice the cloud's average.
    assert table.proneness(DB) == pytest.approx(math.log10(2), abs=0.05)
    # WEB instances never wrote a ledger row: the inventory alone makes
    # them the evidence that the profile is quiet (a little of the
    # project's lockers shows through its credibility weight).
    assert set(table.curves[('profile', 'p1', 'small', 'ubuntu')]) == {0.0}
    assert table.debt(WEB) < table.debt(DB) / 10
    assert table.proneness(WEB) < -0.5


def test_a_profile_without_history_borrows_from_its_project_then_cloud():
    table = placement.ProfileTable.from_model(*cloud())
    new_image = placement.Profile('p1', 'db-flavor', 'new-image')
    weights = dict(table.weights(new_image))
    assert ('profile', 'p1', 'db-flavor', 'new-image') not in weights
    assert weights[('project', 'p1')] > 0
    assert weights[('flavor', 'db-flavor')] > 0
    assert sum(weights.values()) == pytest.approx(1.0)
    stranger = placement.Profile('other', None, None)
    assert table.weights(stranger) == [(placement.CLOUD, 1.0)]
    assert table.curve(stranger) == table.curves[placement.CLOUD]


def test_no_history_means_no_opinion():
    empty = placement.ProfileTable.from_model(model.fit([]), {})
    assert empty.proneness(DB) == 0.0
    assert placement.weights(0.0, {'a': 1.0}, ['a', 'b']) == [0.0, 0.0]


def test_the_table_survives_json():
    table = placement.ProfileTable.from_model(*cloud())
    again = placement.ProfileTable.from_dict(json.loads(json.dumps(
        table.to_dict())))
    assert again.curve(DB) == pytest.approx(table.curve(DB))
    assert again.proneness(WEB) == table.proneness(WEB)


def test_locks_shorter_than_the_grace_cost_nothing():
    # Five-minute locks end while the host's other instances move.
    fitted, inventory = cloud(every=1800, length=300)
    table = placement.ProfileTable.from_model(fitted, inventory)
    assert table.times[0] == placement.GRACE
    assert table.debt(DB) == 0.0
    assert table.proneness(DB) == 0.0      # nothing in the cloud counts


def test_host_cost_is_the_expected_longest_lock():
    table = placement.ProfileTable.from_model(*cloud())
    load = placement.HostLoad(table.times)
    assert load.cost() == 0.0
    load.add(table.curve(DB))
    one = load.cost()
    span = table.times[-1] - table.times[0]
    assert one == pytest.approx(table.debt(DB) / span)
    load.add(table.curve(DB))
    two = load.cost()
    # The longest of two locks outlasts either, and less than both summed.
    assert one < two < 2 * one
    load.remove(table.curve(DB))
    load.remove(table.curve(DB))
    assert load.cost() == 0.0


def test_prone_boots_prefer_slow_hosts_and_quiet_boots_quick_ones():
    costs = {'slow': 0.8, 'quick': 0.1}
    hosts = ['slow', 'quick', 'unknown']
    prone = placement.weights(0.9, costs, hosts)
    quiet = placement.weights(-0.9, costs, hosts)
    assert prone.index(max(prone)) == 0
    assert quiet.index(max(quiet)) == 2      # no known lock at all
    assert quiet[1] > quiet[0]
    assert placement.weights(7.0, costs, hosts)[0] == 0.8   # clamped


def test_in_memory_source_keeps_host_costs_as_instances_come_and_go():
    table = placement.ProfileTable.from_model(*cloud())
    source = drainability.InMemorySource(table)
    source.place('a', 'host1', DB)
    source.place('b', 'host2', WEB)
    outlook = source.outlook(drainability.Request(WEB))
    assert source.reads == 1
    assert outlook.proneness == table.proneness(WEB)
    assert outlook.costs['host1'] > 10 * outlook.costs['host2']
    quiet = source.cost('host2')
    source.place('a', 'host2', DB)           # moved
    assert source.cost('host1') == 0.0
    assert source.cost('host2') > 10 * quiet
    source.remove('a')
    assert source.cost('host2') == pytest.approx(quiet)
    with pytest.raises(TypeError):
        outlook.costs['host1'] = 0.0         # read-only view


def test_a_prone_boot_weighs_hosts_by_its_own_workload_a_quiet_by_all():
    table = placement.ProfileTable.from_model(*cloud())
    source = drainability.InMemorySource(table)
    assert table.proneness(DB) > 0 > table.proneness(WEB)
    # No DB yet: a DB boot has no preference, whatever else is placed.
    source.place('w', 'host2', WEB)
    assert dict(source.outlook(drainability.Request(DB)).costs) == {}
    source.place('a', 'host1', DB)
    source.place('b', 'host2', WEB)
    db = source.outlook(drainability.Request(DB)).costs
    assert dict(db) == {'host1': source.cost('host1')}
    # A boot of another workload: the DB host is nothing special to it,
    # while a quiet boot keeps away from every slow host.
    other = placement.Profile('p1', 'db-flavor', 'mysql')
    assert dict(source.outlook(drainability.Request(other)).costs) == {}
    web = source.outlook(drainability.Request(WEB)).costs
    assert web['host1'] > 10 * web['host2']
    # A workload's costs follow its instances as they move and go.
    source.place('a', 'host3', DB)
    assert source.workload_costs() == {DB.workload(): {
        'host1': 0.0, 'host3': source.cost('host3')}}
    source.remove('a')
    assert source.workload_costs()[DB.workload()]['host3'] == 0.0


def test_costs_for_without_workloads_or_a_key_is_every_instance():
    costs = {'h': 0.5}
    workloads = {DB.workload(): {'h2': 0.4}}
    assert placement.costs_for(0.9, DB, costs, workloads) == {'h2': 0.4}
    assert placement.costs_for(0.9, DB, costs, None) is costs
    assert placement.costs_for(-0.9, DB, costs, workloads) is costs
    assert placement.costs_for(0.9, placement.Profile('p1', 'small'),
                               costs, workloads) is costs


def test_a_document_keeps_the_workloads_and_an_old_one_has_none():
    table = placement.ProfileTable.from_model(*cloud())
    source = drainability.InMemorySource(table)
    source.place('a', 'host1', DB)
    data = json.loads(json.dumps(drainability.document(
        table, source.costs(), source.workload_costs())))
    _table, costs, workloads = drainability.parse(data)
    assert dict(workloads[DB.workload()]) == {'host1': costs['host1']}
    del data['workloads']
    assert drainability.parse(data)[2] is None


def test_greedy_placement_gathers_prone_instances():
    # Hosts otherwise equal, a spreading term like Nova's RAM weigher:
    # with the weight, the three lockers share one host.
    table = placement.ProfileTable.from_model(*cloud())
    for multiplier, expected in ((0.0, 3), (4.0, 1)):
        source = drainability.InMemorySource(table)
        used = {h: 0 for h in ('h1', 'h2', 'h3')}
        hosts = sorted(used)
        with_db = set()
        for i, profile in enumerate([DB, WEB, WEB, WEB] * 3):
            outlook = source.outlook(drainability.Request(profile))
            ours = placement.weights(outlook.proneness, outlook.costs, hosts)
            best = max(hosts, key=lambda h: (
                1 - used[h] / 10 + multiplier * (ours[hosts.index(h)] + 1)
                / 2, -hosts.index(h)))
            used[best] += 1
            source.place('i%d' % i, best, profile)
            if profile == DB:
                with_db.add(best)
        assert len(with_db) == expected


def test_rehearse_drains_one_host_of_a_world():
    guests = [world.Guest('a', [(MONDAY, MONDAY + 600)]),
              world.Guest('b', [])]
    w = world.TimelineWorld(guests)
    candidates = [planner.Candidate(w.state(g.uuid, MONDAY))
                  for g in guests]
    params = planner.Params(deadline=MONDAY + HOUR, samples=0)
    beliefs = model.beliefs(model.fit([]), as_of=MONDAY)
    outcome = planner.rehearse(w, candidates, beliefs, MONDAY, params)
    assert outcome.records['a'].admitted_at >= MONDAY + 600
    assert outcome.breaks == 0
    assert outcome.makespan >= 600
