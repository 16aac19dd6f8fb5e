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
"""Synthetic guests and the ledger their history writes, for tests and bench.

Lock behaviour is drawn from the shapes real workloads show: heavy-tailed
job lengths (lognormal, Pareto), background jobs at a Poisson rate that is
higher in office hours, nightly batches that start together in a window,
and instances locked most of the time. A guest's history is played through
the same world rules as the drain (``max_hold``, ``min_unlocked_gap``) and
written as ledger rows shaped like the store's, so the model learns from
exactly what the store would have recorded.
"""

import dataclasses
import datetime
import math

from nova_miglock import lock
from nova_miglock.planning import timebins


@dataclasses.dataclass(frozen=True)
class Kind:
    """A family of guest behaviour."""

    name: str
    per_day: float                   # background jobs a day
    duration: tuple                  # ('lognormal', median, sigma) | ...
    office_factor: float = 1.0       # rate multiplier 08-18h on weekdays
    batch_hour: float = None         # nightly batch start (UTC hour)
    batch_window: float = 900.0      # spread of batch starts (seconds)
    batch_duration: tuple = None
    static: bool = False


def draw_duration(shape, rng):
    name, scale, spread = shape
    if name == 'lognormal':
        return scale * math.exp(rng.gauss(0.0, spread))
    if name == 'pareto':
        return scale / (1.0 - rng.random()) ** (1.0 / spread)
    if name == 'exponential':
        return rng.expovariate(1.0 / scale)
    raise ValueError('unknown duration shape %r' % name)


def _office(t):
    index = timebins.hour_of_week(t)
    return index < 5 * 24 and 8 <= index % 24 < 18


def _background(kind, start, rng):
    peak = kind.per_day * max(kind.office_factor, 1.0) / timebins.DAY
    t = start
    while peak > 0:
        t += rng.expovariate(peak)
        rate = kind.per_day / timebins.DAY * (
            kind.office_factor if _office(t) else 1.0)
        if rng.random() * peak <= rate:
            yield t, t + draw_duration(kind.duration, rng)


def _batches(kind, start, rng):
    day = math.floor(start / timebins.DAY) * timebins.DAY
    while kind.batch_hour is not None:
        t = day + kind.batch_hour * timebins.HOUR + \
            rng.random() * kind.batch_window
        if t >= start:
            yield t, t + draw_duration(kind.batch_duration, rng)
        day += timebins.DAY


def jobs(kind, start, rng):
    """Lock periods the guest wants from ``start`` on, merged, in order."""
    if kind.static:
        return
    streams = [_background(kind, start, rng), _batches(kind, start, rng)]
    heads = [next(s, None) for s in streams]
    current = None
    while any(heads):
        i = min((i for i, h in enumerate(heads) if h),
                key=lambda i: heads[i][0])
        job, heads[i] = heads[i], next(streams[i], None)
        if current is not None and job[0] <= current[1]:
            current = (current[0], max(current[1], job[1]))
            continue
        if current is not None:
            yield current
        current = job
    if current is not None:
        yield current


def _at(t):
    return timebins.to_datetime(t)


def _row(event, guest, t, acquired, expires):
    return {'at': _at(t), 'event': event, 'instance_uuid': guest.uuid,
            'project_id': guest.project_id, 'holder': 'job',
            'source': lock.SOURCE_GUEST, 'acquired_at': _at(acquired),
            'expires_at': _at(expires), 'reason': '', 'actor': ''}


def history(world, uuid, since, until):
    """Ledger rows of ``uuid``'s holds in ``[since, until)``.

    Walks the world's periods up to ``until`` and leaves the world there,
    so the drain goes on from the same state the ledger ends in.
    """
    inst = world.instance(uuid)
    guest = inst.guest
    half = guest.lease / 2
    rows, t = [], since
    while True:
        period = inst.period(t)
        if period is None or period.start >= until:
            return rows
        if period.start >= since:
            renew = period.start
            while renew < min(period.end, until):
                event = lock.EVENT_ACQUIRE if renew == period.start \
                    else lock.EVENT_RENEW
                rows.append(_row(event, guest, renew, period.start,
                                 min(renew + guest.lease, period.hard_end)))
                renew += half
            if period.end <= until:
                event = (lock.EVENT_EXPIRE if period.end >= period.hard_end
                         else lock.EVENT_RELEASE)
                rows.append(_row(event, guest, period.end, period.start,
                                 min(period.end, period.hard_end)))
        if period.end > until:
            return rows
        t = period.end


def move_rows(guest, at):
    """A past move of ``guest`` (so the model learns how long moves take)."""
    base = {'instance_uuid': guest.uuid, 'project_id': guest.project_id,
            'holder': None, 'source': None, 'acquired_at': None,
            'expires_at': None, 'reason': '', 'actor': ''}
    return [dict(base, at=_at(at), event=lock.EVENT_MOVE_ADMITTED),
            dict(base, at=_at(at + guest.move_seconds),
                 event=lock.EVENT_MOVE_ENDED)]


def epoch(year, month, day, hour=0, minute=0):
    return timebins.to_seconds(datetime.datetime(year, month, day, hour,
                                                 minute))
