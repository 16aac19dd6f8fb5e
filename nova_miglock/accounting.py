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
"""Lock-seconds from the ledger: what usage reports and quotas count.

An instance is charged for the time it was locked by holds or by a
tenant's static lock (tag, property, image), not per holder: two holders
of one instance, or a hold during a static lock, count once. The
operator's locks (flavor ``miglock:static``) are not charged.
"""

import collections
import dataclasses
import datetime

from nova_miglock import lock

# The ledger events usage reads.
START_EVENTS = (lock.EVENT_ACQUIRE, lock.EVENT_RENEW, lock.EVENT_STATIC_SET)
END_EVENTS = lock.HOLD_END_EVENTS + lock.STATIC_END_EVENTS
HOLD_EVENTS = START_EVENTS + END_EVENTS
# A static lock has no expiry: it runs until it ends or until now.
_FOREVER = datetime.datetime.max


@dataclasses.dataclass
class _Life:
    project_id: str
    start: datetime.datetime
    expires: datetime.datetime
    end: datetime.datetime = None


@dataclasses.dataclass(frozen=True)
class Usage:
    instance_uuid: str
    project_id: str
    lock_seconds: float
    holds: int

    def to_dict(self):
        return dataclasses.asdict(self)


def hold_lives(rows, now):
    """``{(instance, holder, acquired_at): _Life}`` from ledger rows."""
    lives = {}
    for row in rows:
        if row['event'] not in HOLD_EVENTS or row['holder'] is None:
            continue
        key = (row['instance_uuid'], row['holder'], row['acquired_at'])
        life = lives.get(key)
        expires = row['expires_at'] or _FOREVER
        if life is None:
            life = lives[key] = _Life(project_id=row['project_id'],
                                      start=row['acquired_at'],
                                      expires=expires)
        if row['event'] in START_EVENTS:
            life.expires = expires
        elif life.end is None:
            life.end = min(row['at'], life.expires)
    for life in lives.values():
        if life.end is None:
            life.end = min(life.expires, now)
    return lives


def folded_lives(rows, now):
    """``hold_lives`` from lives the store already folded (one row each).

    Each row has the life's key, ``project_id``, ``expires_at`` (latest,
    None for a static lock) and ``ended_at`` (first end, or None).
    """
    lives = {}
    for row in rows:
        expires = row['expires_at'] or _FOREVER
        end = row['ended_at']
        lives[(row['instance_uuid'], row['holder'], row['acquired_at'])] = \
            _Life(project_id=row['project_id'], start=row['acquired_at'],
                  expires=expires,
                  end=min(end, expires) if end else min(expires, now))
    return lives


def _union_seconds(intervals):
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += (current_end - current_start).total_seconds()
    return total


def usage(rows, *, since, until, now):
    """Per-instance lock-seconds within ``[since, until)``."""
    return usage_of(hold_lives(rows, now), since=since, until=until)


def usage_of(lives, *, since, until):
    """Per-instance lock-seconds within ``[since, until)`` of ``lives``."""
    per_instance = collections.defaultdict(list)
    projects = {}
    for (instance_uuid, _holder, _acq), life in lives.items():
        start, end = max(life.start, since), min(life.end, until)
        projects[instance_uuid] = life.project_id
        if end > start:
            per_instance[instance_uuid].append((start, end))
    return sorted(
        (Usage(instance_uuid=uuid, project_id=projects[uuid],
               lock_seconds=round(_union_seconds(spans), 3),
               holds=len(spans))
         for uuid, spans in per_instance.items()),
        key=lambda u: (u.project_id, u.instance_uuid))


def per_project(usages):
    """``{project_id: lock_seconds}`` summed over instances."""
    totals = collections.defaultdict(float)
    for item in usages:
        totals[item.project_id] += item.lock_seconds
    return {project: round(total, 3) for project, total in totals.items()}


def report(store, *, project_id=None, since, until, lookback_seconds):
    """Usage between ``since`` and ``until`` read from the store.

    The store folds the ledger into one row per hold or static lock
    (``hold_lives``, a GROUP BY); only each instance's lives are merged
    here.

    A hold that started before ``since`` is found as long as it started
    within ``lookback_seconds`` of it; ``max_hold`` + ``max_lease`` covers
    every hold the configuration allows.
    """
    lives = store.hold_lives(
        project_id=project_id,
        since=since - datetime.timedelta(seconds=lookback_seconds),
        until=until)
    return usage_of(folded_lives(lives, store.now()), since=since,
                    until=until)
