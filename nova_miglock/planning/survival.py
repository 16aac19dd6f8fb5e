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
"""How long locks last: a Kaplan-Meier estimate kept as counts.

A lock still running when the ledger was read has not ended: its duration
is only known to be *at least* its age (right-censored), as is one ended by
an operator's break. Kaplan-Meier uses both without pretending they ended.

The estimate is kept as two count tables (durations that ended, durations
that were censored) keyed by the duration rounded to the second below two
minutes and to 1 % above, so tables add up (incremental update), stay small
and serialise to JSON; the curve is rebuilt from them when queried.
"""

import bisect
import math

_EXACT_BELOW = 120
_STEP = math.log(1.01)
# With no history at all, a lock is assumed to last this long on average.
PRIOR_MEAN = 1800.0


def quantise(seconds):
    """The table key of a duration (whole seconds)."""
    seconds = max(0.0, float(seconds))
    if seconds < _EXACT_BELOW:
        return int(round(seconds))
    steps = round(math.log(seconds / _EXACT_BELOW) / _STEP)
    return int(round(_EXACT_BELOW * math.exp(steps * _STEP)))


class Counts:
    """Ended and censored durations: what the ledger says, and nothing else."""

    def __init__(self, ended=None, censored=None):
        self.ended = dict(ended or {})
        self.censored = dict(censored or {})

    def add(self, seconds, ended=True, weight=1):
        table = self.ended if ended else self.censored
        key = quantise(seconds)
        table[key] = table.get(key, 0) + weight

    def merge(self, other):
        for key, n in other.ended.items():
            self.ended[key] = self.ended.get(key, 0) + n
        for key, n in other.censored.items():
            self.censored[key] = self.censored.get(key, 0) + n

    @property
    def events(self):
        return sum(self.ended.values())

    @property
    def total(self):
        return self.events + sum(self.censored.values())

    def to_dict(self):
        return {'ended': {str(k): v for k, v in sorted(self.ended.items())},
                'censored': {str(k): v
                             for k, v in sorted(self.censored.items())}}

    @classmethod
    def from_dict(cls, data):
        return cls({int(k): v for k, v in data.get('ended', {}).items()},
                   {int(k): v for k, v in data.get('censored', {}).items()})

    def curve(self, open_ages=()):
        """The survival curve, with still-running locks censored at age."""
        censored = dict(self.censored)
        for age in open_ages:
            key = quantise(age)
            censored[key] = censored.get(key, 0) + 1
        return Curve.kaplan_meier(self.ended, censored)


class Curve:
    """S(t) = P(a lock lasts longer than t): a step function and a tail.

    Past the longest duration seen, S decays exponentially at the overall
    rate (ended locks per second at risk): the simplest tail that neither
    ends every lock at once nor lets one last forever.
    """

    def __init__(self, times, surv, tail_rate, events):
        self.times = times
        self.surv = surv
        self.tail_rate = tail_rate
        self.events = events
        self._neg = [-s for s in surv]

    @classmethod
    def kaplan_meier(cls, ended, censored):
        keys = sorted(set(ended) | set(censored))
        at_risk = sum(ended.values()) + sum(censored.values())
        exposure = sum(k * n for k, n in ended.items()) + sum(
            k * n for k, n in censored.items())
        times, surv, s = [], [], 1.0
        for key in keys:
            died = ended.get(key, 0)
            if died:
                s *= 1.0 - died / at_risk
                times.append(float(key))
                surv.append(s)
            at_risk -= died + censored.get(key, 0)
        events = sum(ended.values())
        rate = max(events, 1) / max(exposure, 1.0) if keys else (
            1.0 / PRIOR_MEAN)
        return cls(times, surv, rate, events)

    @classmethod
    def exponential(cls, mean):
        return cls([], [], 1.0 / mean, 0)

    def _last(self):
        return (self.times[-1], self.surv[-1]) if self.times else (0.0, 1.0)

    def sf(self, t):
        """P(duration > t)."""
        last_t, last_s = self._last()
        if t >= last_t:
            return last_s * math.exp(-self.tail_rate * (t - last_t))
        i = bisect.bisect_right(self.times, t)
        return self.surv[i - 1] if i else 1.0

    def first_below(self, level, after):
        """Smallest t > ``after`` with S(t) <= ``level``."""
        lo = bisect.bisect_right(self.times, after)
        i = bisect.bisect_left(self._neg, -level, lo)
        if i < len(self.times):
            return self.times[i]
        start = max(after, self._last()[0])
        base = self.sf(start)
        if base <= level:
            return start
        return start + math.log(base / level) / self.tail_rate

    def mean(self):
        """Expected duration (area under S, tail included)."""
        return self.area_after(0.0)

    def area_after(self, after):
        """The area under S from ``after`` on, tail included.

        ``area_after(t) / mean()`` is the chance that a lock found running
        at a random moment still has more than ``t`` to go.
        """
        area, prev_t, prev_s = 0.0, 0.0, 1.0
        for t, s in zip(self.times, self.surv):
            if t > after:
                area += prev_s * (t - max(prev_t, after))
            prev_t, prev_s = t, s
        if after > prev_t:
            return self.sf(after) / self.tail_rate
        return area + prev_s / self.tail_rate


class Blend:
    """Curves of the instance, its project and the cloud, weighted.

    Conditioning on age re-weighs the parts by how well each explains a
    lock that has lasted that long: an instance whose own locks are short
    but which has been locked for hours leans on the project's long tail.
    """

    def __init__(self, parts):
        self.parts = [(w, c) for w, c in parts if w > 0]

    def sf(self, t):
        return sum(w * c.sf(t) for w, c in self.parts)

    def remaining_sf(self, age, seconds):
        """P(a lock of age ``age`` is still on ``seconds`` later)."""
        base = self.sf(age)
        return self.sf(age + seconds) / base if base > 0 else 0.0

    def remaining_quantile(self, age, p):
        """Seconds until a lock of age ``age`` has ended with prob. ``p``."""
        level = (1.0 - p) * self.sf(age)
        lo, hi = age, age + 60.0
        while self.sf(hi) > level and hi < 1e9:
            lo, hi = hi, age + (hi - age) * 4
        for _ in range(40):
            mid = (lo + hi) / 2
            if self.sf(mid) > level:
                lo = mid
            else:
                hi = mid
        return hi - age

    def sample_remaining(self, age, rng):
        """One draw of the remaining lock time, given its age."""
        weights = [w * c.sf(age) for w, c in self.parts]
        total = sum(weights)
        if total <= 0:
            return 0.0
        pick = rng.random() * total
        for weight, (_w, curve) in zip(weights, self.parts):
            pick -= weight
            if pick <= 0:
                break
        level = (1.0 - rng.random()) * curve.sf(age)
        return curve.first_below(level, age) - age

    def mean(self):
        return sum(w * c.mean() for w, c in self.parts)

    def mean_within(self, seconds):
        """Expected ``min(duration, seconds)`` of a lock that starts now.

        What a lock costs a drain when something ends it after
        ``seconds`` anyway (a move request's ``not_before``, the deadline's
        break): the area under S up to there.
        """
        if seconds <= 0:
            return 0.0
        return sum(w * (c.mean() - c.area_after(seconds))
                   for w, c in self.parts)
