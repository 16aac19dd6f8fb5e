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
"""Demo: the lock store refusing a move while a guest holds its lock.

Runs on the embedded SQLite store in .demo/, through the operator CLI.
"""

import os
import shutil
import subprocess
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, '.demo')
URL = 'sqlite:///%s' % os.path.join(DEMO, 'miglock.sqlite')
MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-miglock-manage')


def say(text):
    print('\n>>> ' + text)


def manage(*args):
    command = [MANAGE, '--config-file', os.devnull, '--store', URL] + list(
        args)
    print('$ nova-miglock-manage ' + ' '.join(args))
    sys.stdout.flush()
    subprocess.run(command, check=True)


def main():
    from nova_miglock import lock
    from nova_miglock.store.sql import driver
    from tests import fixtures

    shutil.rmtree(DEMO, ignore_errors=True)
    os.makedirs(DEMO)
    instance = str(uuid.uuid4())
    say('Create the embedded lock store')
    manage('db', 'sync')
    store = driver.SQLLockStore(fixtures.make_conf(), connection=URL)
    limits = lock.HoldLimits(max_lease=3600, max_hold=14400,
                             min_unlocked_gap=300, max_holders=16)
    say('A guest takes a 5 minute hold for its database checkpoint')
    hold, _ = store.acquire(instance, 'db-checkpoint', project_id='demo',
                            source=lock.SOURCE_GUEST, lease_seconds=300,
                            reason='nightly checkpoint', limits=limits)
    print('granted until %s' % lock.isoformat(hold.expires_at))
    manage('lock', 'list')
    say('The operator tries to live-migrate the instance')
    try:
        store.open_ticket(instance, project_id='demo', kind='live-migration',
                          request_id='req-demo', static_locks=())
    except lock.InstanceLocked as refused:
        print('REFUSED: %s' % refused.message)
    say('The guest finishes and releases its hold')
    store.release(instance, 'db-checkpoint', source=lock.SOURCE_GUEST)
    say('The same migration is admitted now')
    ticket, state = store.open_ticket(
        instance, project_id='demo', kind='live-migration',
        request_id='req-demo', static_locks=())
    print('ADMITTED: ticket %s, instance is %s' % (ticket.ticket_id,
                                                   state.state))
    manage('lock', 'show', instance)
    store.dispose()


if __name__ == '__main__':
    sys.path.insert(0, ROOT)
    main()
