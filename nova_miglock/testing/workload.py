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
"""A random lock/move workload run by several processes at once.

Each worker writes one JSON line per observation, using only what the store
answered (its clock): granted holds with their lease, releases, admitted and
closed tickets. ``consistency.check_intervals`` then proves from these lines
alone that no hold overlapped an admitted move.

Run as ``python -m nova_miglock.testing.workload URL SECONDS SEED WORKER
INSTANCES OUT [faults] [groups=JSON]``. With ``groups`` (``{key: [member
uuids]}``, project ``race``) every move names the groups of its instance,
whose budgets the caller set, and a move the budget refuses is counted as
``refused_budget``. With ``faults`` (a cluster losing nodes under the
workload) an operation the store failed closed on (``StoreUnavailable``) is
counted as ``unavailable`` and the worker goes on: its outcome is unknown to
the client, so it is not an acknowledged observation.

Conflicts the store retried are counted from the engine's own error events:
``conflict_at_commit`` (a Galera certification failure, reported at COMMIT)
and ``conflict_in_statement`` (a row-lock deadlock).
"""

import datetime
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

from nova_miglock.decisions import groups as group_rules
from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.testing import consistency
from nova_miglock.testing import fixtures

WORKERS = 8
SECONDS = float(os.environ.get('MIGLOCK_RACE_SECONDS', '5'))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
LIMITS = lock.HoldLimits(max_lease=5, max_hold=3600, min_unlocked_gap=0,
                         max_holders=64)


def _stamp(value):
    return lock.isoformat(value)


DEADLOCK_ERRORS = (1213, 1205)  # MySQL: deadlock, lock wait timeout
BACKOFF = 0.05  # seconds between attempts while the store is unavailable


def count_conflicts(sql_engine, emit):
    """Call ``emit(kind)`` for every deadlock or certification conflict."""
    @sa.event.listens_for(sql_engine, 'handle_error')
    def _count(context):
        code = getattr(context.original_exception, 'args', (None,))
        if code and code[0] in DEADLOCK_ERRORS:
            emit('conflict_at_commit' if context.statement is None
                 else 'conflict_in_statement')


def refs_of(groups):
    """``{instance: [GroupRef]}`` from ``{key: [member uuids]}``."""
    refs = {}
    for key, members in sorted((groups or {}).items()):
        for member in members:
            refs.setdefault(member, []).append(
                group_rules.GroupRef('race', key, len(members)))
    return refs


def run(url, seconds, seed, worker, instances, out, faults=False,
        groups=None):
    rng = random.Random(seed)
    refs = refs_of(groups)
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    holders = ['w%d' % worker]
    counts = {}
    deadline = time.monotonic() + seconds

    def emit(kind, **data):
        counts[kind] = counts.get(kind, 0) + 1
        if data:
            out.write(json.dumps(dict(data, kind=kind)) + '\n')

    count_conflicts(store.sql_engine, emit)

    slowest = 0.0
    while time.monotonic() < deadline:
        started = time.monotonic()
        instance = rng.choice(instances)
        holder = rng.choice(holders)
        roll = rng.random()
        # Before the call, on the clock the store reads (this host's): a
        # release or close whose outcome is unknown may have taken effect
        # from this moment on.
        attempt = _stamp(datetime.datetime.now(datetime.timezone.utc)
                         .replace(tzinfo=None))
        try:
            if roll < 0.25:
                # A third are renewals of one's own hold, the store's
                # in-place path (one statement on PostgreSQL).
                hold, _ = store.try_acquire(
                    instance, holder, project_id='race',
                    source=lock.SOURCE_GUEST, lease_seconds=1,
                    reason='race', limits=LIMITS, renew_only=roll < 0.08)
                emit('hold', instance=instance, holder=holder,
                     acquired_at=_stamp(hold.acquired_at),
                     expires_at=_stamp(hold.expires_at))
            elif roll < 0.60:
                released, state = store.release(instance, holder,
                                                source=lock.SOURCE_GUEST)
                if released is not None:
                    emit('release', instance=instance, holder=holder,
                         acquired_at=_stamp(released.acquired_at),
                         at=_stamp(state.now))
                else:
                    emit('release_noop', instance=instance, holder=holder,
                         at=attempt)
            elif roll < 0.88:
                ticket, _ = store.open_ticket(
                    instance, project_id='race', kind='live-migration',
                    request_id='w%d' % worker, static_locks=(),
                    groups=refs.get(instance, []) if groups else None)
                emit('ticket', instance=instance, ticket=ticket.ticket_id,
                     admitted_at=_stamp(ticket.admitted_at))
            else:
                closed, _ = store.close_ticket(instance, outcome='done')
                if closed is not None:
                    emit('close', instance=instance, ticket=closed.ticket_id,
                         admitted_at=_stamp(closed.admitted_at),
                         closed_at=_stamp(closed.closed_at))
                else:
                    emit('close_noop', instance=instance, at=attempt)
        except lock.NotHeld:
            emit('renew_noop')
        except lock.MigrationInProgress:
            emit('refused_migrating')
        except lock.InstanceLocked:
            emit('refused_locked')
        except lock.GroupBudgetSpent:
            emit('refused_budget')
        except lock.StoreUnavailable:
            if not faults:
                raise
            # Committed or not, the caller cannot tell (the reply was
            # lost): what it asked may have happened.
            if 0.25 <= roll < 0.60:
                emit('release_unknown', instance=instance, holder=holder,
                     at=attempt)
            elif roll >= 0.88:
                emit('close_unknown', instance=instance, at=attempt)
            emit('unavailable')
            time.sleep(BACKOFF)
        slowest = max(slowest, time.monotonic() - started)
    store.dispose()
    out.write(json.dumps({'kind': 'slowest', 'seconds': slowest}) + '\n')
    out.write(json.dumps({'kind': 'counts', 'counts': counts}) + '\n')


def clients_race(target, args_list, seconds):
    """Fork one client per ``args_list`` entry; start them together.

    Each client is ``target(*args, start, seconds, results)`` and puts one
    result on ``results``; the list of results comes back. The benchmarks'
    clients share this so every engine's figures are taken the same way.
    """
    context = multiprocessing.get_context('fork')
    start, results = context.Event(), context.Queue()
    procs = [context.Process(target=target,
                             args=args + (start, seconds, results))
             for args in args_list]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # let every client connect before the clock starts
    start.set()
    collected = [results.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    return collected


def run_race(url, directory, seconds=SECONDS, workers=WORKERS, instances=4,
             faults=False, groups=None):
    """Race ``workers`` processes; worker n uses ``url[n % len(url)]``.

    ``url`` is one URL or a list of them (the nodes of a cluster); with
    ``faults`` the workers outlive the store failing closed.
    ``instances``: how many, or their uuids; ``groups``: ``{key: [member
    uuids]}`` of project ``race`` (the caller sets their budgets).
    """
    urls = [url] if isinstance(url, str) else list(url)
    uuids = ([str(uuid.uuid4()) for _ in range(instances)]
             if isinstance(instances, int) else list(instances))
    extra = (['faults'] if faults else []) + (
        ['groups=' + json.dumps(groups)] if groups else [])
    outputs = [os.path.join(directory, 'worker-%d.jsonl' % n)
               for n in range(workers)]
    procs = [subprocess.Popen(
        [sys.executable, '-m', 'nova_miglock.testing.workload',
         urls[n % len(urls)], str(seconds), str(n * 7919 + 1), str(n),
         ','.join(uuids), path] + extra,
        cwd=ROOT) for n, path in enumerate(outputs)]
    for proc in procs:
        assert proc.wait(timeout=seconds + 120) == 0
    return consistency.read_observations(outputs)


def main(argv):
    url, seconds, seed, worker, instances, path = argv[:6]
    # One line at a time, so that a test can watch the race start.
    with open(path, 'w', buffering=1) as out:
        options = argv[6:]
        groups = [json.loads(o[len('groups='):]) for o in options
                  if o.startswith('groups=')]
        run(url, float(seconds), int(seed), int(worker),
            instances.split(','), out, faults='faults' in options,
            groups=groups[0] if groups else None)


if __name__ == '__main__':
    main(sys.argv[1:])
