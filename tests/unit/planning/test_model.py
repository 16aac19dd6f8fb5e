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
"""The history model against hand-computed cases."""

import datetime
import json
import random

import pytest

from nova_miglock import lock
from nova_miglock.planning import arrivals
from nova_miglock.planning import model
from nova_miglock.planning import survival
from nova_miglock.planning import synthetic
from nova_miglock.planning import timebins
from nova_miglock.planning import world

MONDAY = datetime.datetime(2026, 11, 23)   # a Monday, 00:00 UTC


def at(seconds):
    return MONDAY + datetime.timedelta(seconds=seconds)


def hold_rows(instance, start, end, event=lock.EVENT_RELEASE, holder='h',
              project='p1', lease=None):
    expires = start + (lease or (end - start))
    rows = [{'at': at(start), 'event': lock.EVENT_ACQUIRE,
             'instance_uuid': instance, 'project_id': project,
             'holder': holder, 'acquired_at': at(start),
             'expires_at': at(expires)}]
    if event is not None:
        rows.append(dict(rows[0], at=at(end), event=event))
    return rows


def test_kaplan_meier_counts_censored_durations_as_at_risk_only():
    counts = survival.Counts()
    for seconds, ended in ((3, True), (5, False), (6, True), (8, True),
                           (10, False)):
        counts.add(seconds, ended)
    curve = counts.curve()
    # S(3) = 4/5; 5 is censored (3 left at risk); S(6) = 0.8 * 2/3;
    # S(8) = S(6) * 1/2.
    assert curve.sf(2.9) == 1.0
    assert curve.sf(3) == pytest.approx(0.8)
    assert curve.sf(5.5) == pytest.approx(0.8)
    assert curve.sf(6) == pytest.approx(0.8 * 2 / 3)
    assert curve.sf(8) == pytest.approx(0.8 * 2 / 3 / 2)
    blend = survival.Blend([(1.0, curve)])
    assert blend.remaining_sf(5, 2) == pytest.approx(2 / 3)


def test_ledger_periods_censor_breaks_and_running_holds():
    rows = (hold_rows('a', 0, 3) + hold_rows('a', 100, 105, lock.EVENT_BREAK)
            + hold_rows('a', 200, 206) + hold_rows('a', 300, 308)
            + hold_rows('a', 400, None, None, lease=1000))
    fitted = model.fit(rows, as_of=at(410))
    curve = model.beliefs(fitted).cloud[0]
    # ended: 3, 6, 8; censored: 5 (break) and 10 (running at 410).
    assert curve.sf(3) == pytest.approx(0.8)
    assert curve.sf(6) == pytest.approx(0.8 * 2 / 3)
    assert curve.sf(8) == pytest.approx(0.8 * 2 / 3 / 2)


def test_overlapping_holders_make_one_locked_period():
    rows = (hold_rows('a', 0, 50, holder='x') +
            hold_rows('a', 20, 80, holder='y'))
    tally = model.fit(rows).instances['a'].tally
    assert tally.periods.ended == {80: 1}
    assert tally.holds.events == 2
    assert tally.starts == {0: 1}


def test_a_lease_that_ran_out_ends_the_hold_at_its_expiry():
    rows = hold_rows('a', 0, None, None, lease=30)
    rows += hold_rows('b', 500, 510)
    tally = model.fit(rows).instances['a'].tally
    assert tally.periods.ended == {30: 1}
    assert not model.fit(rows).instances['a'].holds


def test_lock_rate_per_hour_of_week_uses_unlocked_exposure():
    exposed = arrivals.exposure(observers=2, window_start=0.0,
                                as_of=timebins.WEEK,
                                locked={3: 1800.0})
    # The epoch is a Thursday: bin 3 (Mon 03h) was seen once by each.
    assert exposed[3] == 2 * 3600 - 1800
    assert exposed[4] == 2 * 3600
    rates = arrivals.shrink({3: 2}, exposed, [0.0] * 168, 3600.0)
    assert rates[3] == pytest.approx(2 / (5400 + 3600))
    assert rates[4] == 0.0


def test_nightly_locks_raise_the_rate_at_night_only():
    rows = []
    for day in range(14):
        rows += hold_rows('a', day * 86400 + 2 * 3600 + 60,
                          day * 86400 + 3 * 3600)
    beliefs = model.beliefs(model.fit(rows, as_of=at(14 * 86400)))
    belief = beliefs.instance('a')
    night = timebins.to_seconds(at(14 * 86400 + 1.5 * 3600))
    noon = timebins.to_seconds(at(14 * 86400 + 12 * 3600))
    assert belief.prob_lock_within(night, 2 * 3600) > 0.8
    assert belief.prob_lock_within(noon, 3600) < 0.05
    hours = belief.explain()['busiest_hours']
    assert hours[0]['hour'].endswith('02h')


def _history(seed=3):
    start = synthetic.epoch(2026, 11, 23)
    kind = synthetic.Kind('w', 12, ('lognormal', 900, 1.0),
                          batch_hour=2, batch_duration=('lognormal', 3600, .5))
    rng = random.Random(seed)
    guests = [world.Guest('i%d' % i, synthetic.jobs(kind, start, rng),
                          project_id='p%d' % (i % 2), lease=300)
              for i in range(4)]
    sim = world.TimelineWorld(guests, world.Rules(max_hold=7200,
                                                  min_unlocked_gap=60))
    rows = []
    for guest in guests:
        rows += synthetic.history(sim, guest.uuid, start, start + 10 * 86400)
    return sorted(rows, key=lambda r: r['at']), start


def test_incremental_update_equals_a_full_refit():
    rows, start = _history()
    cut = timebins.to_datetime(start + 6 * 86400)
    end = timebins.to_datetime(start + 10 * 86400)
    full = model.fit(rows, as_of=end)
    part = model.fit([r for r in rows if r['at'] < cut], as_of=cut)
    part = model.update(model.HistoryModel.from_dict(
        json.loads(json.dumps(part.to_dict()))),
        [r for r in rows if r['at'] >= cut], as_of=end)
    assert part.to_dict() == full.to_dict()
    assert full.rows > 100


def test_explain_says_how_much_history_each_level_gave():
    rows, start = _history()
    beliefs = model.beliefs(model.fit(rows))
    text = beliefs.instance('i1').explain()
    levels = {h['level']: h for h in text['history']}
    assert levels['project']['instances'] == 2
    assert levels['cloud']['instances'] == 4
    assert levels['instance']['locked_periods_ended'] > 5
    assert sum(text['weights'].values()) == pytest.approx(1.0)
    assert text['locked_period_seconds']['p50'] <= \
        text['locked_period_seconds']['p90']
    json.dumps(text)
    unknown = beliefs.instance('new', 'p1').explain()
    assert 'instance' not in unknown['weights']


def test_remaining_time_grows_with_age_under_a_heavy_tail():
    counts = survival.Counts()
    rng = random.Random(1)
    for _ in range(500):
        counts.add(synthetic.draw_duration(('pareto', 60, 1.2), rng))
    blend = survival.Blend([(1.0, counts.curve())])
    assert blend.remaining_quantile(600, 0.5) > \
        blend.remaining_quantile(0, 0.5)
