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
"""Time as the planner counts it: float seconds since the epoch, UTC.

Lock arrivals are counted per hour of the week (168 bins, Monday 00:00 UTC
is bin 0) so that nightly batches and weekend jobs show up; the functions
here split intervals into those bins without looping over every hour.
"""

import calendar
import datetime

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
BINS = 168
# The epoch (1970-01-01) was a Thursday: three days after a Monday.
_EPOCH_OFFSET = 3 * DAY


def to_seconds(when):
    """Seconds since the epoch of a naive-UTC datetime (or a number)."""
    if when is None:
        return None
    if isinstance(when, (int, float)):
        return float(when)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return calendar.timegm(when.timetuple()) + when.microsecond / 1e6


def to_datetime(seconds):
    """The naive-UTC datetime the store and lock.py speak in."""
    if seconds is None:
        return None
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(
        seconds=seconds)


def hour_of_week(t):
    """The bin of instant ``t`` (0 = Monday 00:00-01:00 UTC)."""
    return int(((t + _EPOCH_OFFSET) % WEEK) // HOUR)


def next_boundary(t):
    """The start of the hour after instant ``t``."""
    return ((t + _EPOCH_OFFSET) // HOUR + 1) * HOUR - _EPOCH_OFFSET


def bin_label(index):
    """``'Mon 02h'`` for bin 2, for people."""
    day = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[index // 24]
    return '%s %02dh' % (day, index % 24)


def cumulative(t):
    """Seconds spent in each bin from the epoch to ``t``, as a list.

    The difference of two such lists is the time an interval spends in
    each bin; summed over many instances it gives exposure in O(168).
    """
    shifted = t + _EPOCH_OFFSET
    weeks, rest = divmod(shifted, WEEK)
    full, part = divmod(rest, HOUR)
    full = int(full)
    base = weeks * HOUR
    return [base + (HOUR if i < full else part if i == full else 0.0)
            for i in range(BINS)]


def split(start, end):
    """``{bin: seconds}`` of the interval ``[start, end)``, sparse."""
    out = {}
    if end <= start:
        return out
    if end - start >= WEEK:
        return {i: s for i, s in enumerate(
            b - a for a, b in zip(cumulative(start), cumulative(end)))}
    t = start
    while t < end:
        index = hour_of_week(t)
        boundary = min(end, next_boundary(t))
        out[index] = out.get(index, 0.0) + boundary - t
        t = boundary
    return out
