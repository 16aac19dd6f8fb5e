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
"""When unlocked instances lock: a rate per hour of the week.

Starts of locked periods are counted per hour-of-week bin, against the time
instances spent unlocked in that bin (the exposure). An instance's rate is
shrunk toward its project's, the project's toward the cloud's, and the
cloud's toward its own weekly mean (Gamma-Poisson credibility): a bin with
little exposure says little and borrows from the level above.
"""

import math

from nova_miglock.planning import timebins

# Pseudo-exposure (seconds of one bin) that the level above weighs as.
PRIOR_SECONDS = {'instance': 2 * timebins.HOUR, 'project': 4 * timebins.HOUR,
                 'cloud': 4 * timebins.HOUR}
# With no history at all: one lock a day.
PRIOR_RATE = 1.0 / timebins.DAY


def exposure(*, observers, window_start, as_of, locked):
    """Unlocked seconds per bin of ``observers`` instances over the window.

    ``locked`` is ``{bin: seconds locked}`` summed over those instances.
    """
    if as_of <= window_start:
        return [0.0] * timebins.BINS
    span = [b - a for a, b in zip(timebins.cumulative(window_start),
                                  timebins.cumulative(as_of))]
    return [max(0.0, observers * s - locked.get(i, 0.0))
            for i, s in enumerate(span)]


def shrink(starts, exposed, parent, prior_seconds):
    """Per-bin rates: the level's own counts plus the parent's as a prior."""
    return [(starts.get(i, 0) + prior_seconds * parent[i]) /
            (exposed[i] + prior_seconds) for i in range(timebins.BINS)]


def flat(starts, exposed):
    total = sum(exposed)
    rate = sum(starts.values()) / total if total > 0 else PRIOR_RATE
    return [rate] * timebins.BINS


def cumulative_hazard(rates, start, seconds):
    """Expected lock starts in ``[start, start + seconds)``."""
    total = 0.0
    for index, part in timebins.split(start, start + seconds).items():
        total += rates[index] * part
    return total


def prob_within(rates, start, seconds):
    """P(an unlocked instance locks within ``seconds`` of ``start``)."""
    if seconds <= 0:
        return 0.0
    return 1.0 - math.exp(-cumulative_hazard(rates, start, seconds))


def sample_next(rates, start, rng, limit):
    """Time of the next lock start after ``start``, or None before ``limit``.

    Inverts the cumulative hazard bin by bin, so a nightly batch is drawn
    at night and never spread over the day.
    """
    need = -math.log(1.0 - rng.random())
    t = start
    while t < limit:
        index = timebins.hour_of_week(t)
        boundary = min(limit, timebins.next_boundary(t))
        rate = rates[index]
        mass = rate * (boundary - t)
        if mass >= need and rate > 0:
            return t + need / rate
        need -= mass
        t = boundary
    return None
