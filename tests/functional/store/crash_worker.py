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
"""A worker that is killed with SIGKILL while it takes locks.

Before each operation it prints ``begin``; after each acknowledged acquire
it prints the hold it was granted. The killer then checks that every
acknowledged hold survived and that the store is consistent.

Run as ``python -m tests.functional.store.crash_worker URL SEED HOLD_UUIDS
MOVE_UUIDS``.
"""

import json
import random
import sys

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.testing import fixtures

LIMITS = lock.HoldLimits(max_lease=3600, max_hold=86400, min_unlocked_gap=0,
                         max_holders=100000)


def say(**data):
    sys.stdout.write(json.dumps(data) + '\n')
    sys.stdout.flush()


def main(url, seed, hold_uuids, move_uuids):
    rng = random.Random(seed)
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    serial = 0
    while True:
        serial += 1
        if rng.random() < 0.7:
            instance = rng.choice(hold_uuids)
            holder = 's%d-%d' % (seed, serial)
            say(op='begin')
            hold, _ = store.try_acquire(
                instance, holder, project_id='crash',
                source=lock.SOURCE_GUEST, lease_seconds=3600,
                reason='crash test', limits=LIMITS)
            say(op='acked', instance=instance, holder=holder,
                expires_at=lock.isoformat(hold.expires_at))
        else:
            instance = rng.choice(move_uuids)
            say(op='begin')
            try:
                store.open_ticket(instance, project_id='crash',
                                  kind='migrate', request_id='crash',
                                  static_locks=())
            except lock.MigrationInProgress:
                store.close_ticket(instance, outcome='done')
            say(op='done')


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3].split(','),
         sys.argv[4].split(','))
