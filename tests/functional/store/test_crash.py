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
"""A client killed with SIGKILL mid-operation loses nothing acknowledged.

The worker is killed at random moments, many times; most kills land inside
a transaction. Afterwards every hold the worker was told it got must be in
the store, and the store must be consistent.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

from nova_miglock.store.sql import models
from nova_miglock.testing import consistency
from nova_miglock.testing import workload

ROUNDS = int(os.environ.get('MIGLOCK_CRASH_ROUNDS', '12'))


def _kill_once(url, seed, hold_uuids, move_uuids):
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tests.functional.store.crash_worker', url,
         str(seed), ','.join(hold_uuids), ','.join(move_uuids)],
        cwd=workload.ROOT, stdout=subprocess.PIPE, text=True)
    # Wait until it is working, then kill it at a random moment.
    first = proc.stdout.readline()
    assert first, 'the worker died before its first operation'
    time.sleep(random.Random(seed).uniform(0.05, 0.4))
    proc.send_signal(signal.SIGKILL)
    lines = [first] + proc.stdout.readlines()
    proc.wait()
    events = [json.loads(line) for line in lines if line.endswith('\n')]
    return events


def test_sigkill_mid_operation_keeps_every_acknowledged_hold(store):
    hold_uuids = [str(uuid.uuid4()) for _ in range(3)]
    move_uuids = [str(uuid.uuid4()) for _ in range(2)]
    acked, mid_operation = [], 0
    for round_number in range(ROUNDS):
        events = _kill_once(store.url, round_number + 1, hold_uuids,
                            move_uuids)
        acked += [e for e in events if e['op'] == 'acked']
        if events and events[-1]['op'] == 'begin':
            mid_operation += 1
    print('rounds: %d, killed mid-operation: %d, acknowledged holds: %d'
          % (ROUNDS, mid_operation, len(acked)))
    assert mid_operation >= ROUNDS // 2
    assert len(acked) > ROUNDS
    with store.sql_engine.connect() as conn:
        stored = {(r.instance_uuid, r.holder): r.expires_at
                  for r in conn.execute(sa.select(models.holds))}
    missing = [a for a in acked
               if (a['instance'], a['holder']) not in stored]
    assert missing == []
    assert consistency.check_store(store) == []
