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
"""Demo: a guest's migration lock refuses a real live migration.

Real Nova 34 services run in this process (API, conductor, scheduler, two
computes with Nova's fake hypervisor, placement) with nova-miglock plugged
in as an operator would: the compute API gate and the guest channel in
api-paste.ini, the scheduler filter, the embedded SQLite store in .demo/.
The guest runs the real ``miglock`` agent over HTTP; the operator uses
python-novaclient.
"""

import logging
import os
import shutil
import subprocess
import sys
import textwrap
import time
import unittest
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
warnings.simplefilter('ignore')

import nova_miglock.testing.nova  # noqa: E402,F401,H306  (Nova threads first)

import novaclient  # noqa: E402
from novaclient import exceptions as nova_exceptions  # noqa: E402

from nova_miglock.testing.nova import base  # noqa: E402
from nova_miglock.testing.nova import clients  # noqa: E402

DEMO = os.path.join(ROOT, '.demo')
AGENT = os.path.join(ROOT, 'nova_miglock', 'agent', 'miglock.py')
MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-miglock-manage')


def say(text):
    print('\n' + textwrap.fill(text, 78))
    sys.stdout.flush()


def show(command, output=''):
    print('  %s' % command)
    for line in output.strip().splitlines():
        print('      ' + line)
    sys.stdout.flush()


class Demo(base.NovaTestCase):

    def setUp(self):
        shutil.rmtree(DEMO, ignore_errors=True)
        os.makedirs(DEMO)
        started = time.monotonic()
        super().setUp()
        self.nova = clients.novaclient_for(
            self, version=novaclient.API_MAX_VERSION.get_string())
        say('Nova is up in %.0f s: API, conductor, scheduler, computes '
            'host1 and host2, placement. nova-miglock is plugged in: the '
            'compute API gate and the guest channel in api-paste.ini, '
            'MigrationLockFilter in the scheduler, the embedded store %s.'
            % (time.monotonic() - started,
               os.path.relpath(self.store_path(), ROOT)))

    def store_path(self):
        return os.path.join(DEMO, 'miglock.sqlite')

    def guest(self, *args):
        result = subprocess.run(
            [sys.executable, AGENT, '--endpoint', self.proxy.url] +
            list(args), capture_output=True, text=True, timeout=60)
        show('guest$ miglock %s' % ' '.join(
            '"%s"' % a if ' ' in a else a for a in args),
            result.stdout + result.stderr + '(exit status %d)'
            % result.returncode)

    def live_migrate(self, server):
        command = 'operator$ nova live-migration %s' % server.name
        try:
            self.nova.servers.live_migrate(server, host=None,
                                           block_migration='auto')
        except nova_exceptions.Conflict as refused:
            show(command, textwrap.fill('ERROR (Conflict): %s (HTTP %s)' % (
                refused.message, refused.code), 72))
            return False
        show(command, 'accepted (HTTP 202)')
        return True

    def host_of(self, server):
        return getattr(self.nova.servers.get(server.id),
                       'OS-EXT-SRV-ATTR:host')

    def test_story(self):
        created = self.boot(name='db-primary', host='host1')
        server = self.nova.servers.get(created['id'])
        self.proxy = self.proxy_for(created)
        say('Server db-primary (%s) runs on %s. Inside it, the database '
            'starts its nightly checkpoint and takes a migration lock '
            'through the metadata service:' % (server.id,
                                               self.host_of(server)))
        self.guest('lock', 'db-checkpoint', '--lease', '300', '--reason',
                   'nightly checkpoint')
        say('The operator wants to empty host1 and live-migrates it:')
        self.live_migrate(server)
        say('Nothing moved: db-primary is still %s on %s. The guest sees '
            'that an operator asked to move it:'
            % (self.nova.servers.get(server.id).status,
               self.host_of(server)))
        self.guest('status')
        say('The checkpoint is done; the guest releases its lock:')
        self.guest('unlock', 'db-checkpoint')
        say('The operator runs the same command again:')
        if self.live_migrate(server):
            self._wait_for_migration_status(created, ['completed'])
            self._wait_for_state_change(created, 'ACTIVE')
        say('db-primary now runs on %s. The ledger in the store has the '
            'whole story:' % self.host_of(server))
        result = subprocess.run(
            [MANAGE, '--config-file', os.devnull, '--store',
             'sqlite:///' + self.store_path(), 'lock', 'show', server.id],
            capture_output=True, text=True, timeout=60)
        show('operator$ nova-miglock-manage lock show %s' % server.id,
             result.stdout + result.stderr)
        # Nova's services log their shutdown; not part of the story.
        self.addCleanup(logging.disable, logging.CRITICAL)


def main():
    started = time.monotonic()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Demo)
    result = unittest.TextTestRunner(stream=open(os.devnull, 'w'),
                                     verbosity=0).run(suite)
    for _test, trace in result.errors + result.failures:
        print(trace)
    print('\nDemo %s in %.0f s.' % ('finished' if result.wasSuccessful()
                                    else 'FAILED',
                                    time.monotonic() - started))
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
