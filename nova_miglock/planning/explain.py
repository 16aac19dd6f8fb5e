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
"""What the model believes about an instance, in words and numbers.

The answer is plain data (JSON-ready) so ``nova-miglock-manage model show``
can print it as a table or JSON: how much history each level contributed,
how much each weighs, what a locked period lasts, when the instance tends
to lock, and, if it is locked now, how much longer it is expected to be.
"""

from nova_miglock.planning import timebins


def _history(name, tally):
    periods = tally.periods
    return {'level': name,
            'locked_periods_ended': periods.events,
            'locked_periods_censored': periods.total - periods.events,
            'holds': tally.holds.total,
            'lock_starts': sum(tally.starts.values()),
            'instances': tally.observers}


def _seconds(value):
    return None if value is None else round(value, 1)


def busiest_hours(rates, top=3):
    """The hours of the week with the highest lock rate, per hour."""
    ranked = sorted(range(len(rates)), key=lambda i: -rates[i])[:top]
    return [{'hour': timebins.bin_label(i),
             'locks_per_hour': round(rates[i] * timebins.HOUR, 4)}
            for i in ranked]


def describe(belief, locked_since=None):
    as_of = belief.as_of
    since = locked_since if locked_since is not None else belief.locked_since
    data = {
        'instance_uuid': belief.uuid,
        'project_id': belief.project_id,
        'as_of': timebins.to_datetime(as_of).isoformat() + 'Z',
        'history': [_history(name, tally)
                    for name, tally, _fit in reversed(belief.levels)],
        'weights': {k: round(v, 3) for k, v in belief.weights.items()},
        'locked_period_seconds': {
            'p50': _seconds(belief.remaining_quantile(0.0, 0.5)),
            'p90': _seconds(belief.remaining_quantile(0.0, 0.9)),
            'mean': _seconds(belief.blend.mean())},
        'lock_probability': {
            'within_1h': round(belief.prob_lock_within(
                as_of, timebins.HOUR), 3),
            'within_24h': round(belief.prob_lock_within(
                as_of, timebins.DAY), 3)},
        'busiest_hours': busiest_hours(belief.rates),
        'locked_for_seconds': None,
        'remaining_seconds': None,
    }
    if since is not None:
        age = max(0.0, as_of - since)
        data['locked_for_seconds'] = _seconds(age)
        data['remaining_seconds'] = {
            'p50': _seconds(belief.remaining_quantile(age, 0.5)),
            'p90': _seconds(belief.remaining_quantile(age, 0.9))}
    return data
