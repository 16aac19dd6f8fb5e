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

import contextlib
import io
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
# The demo's transcript is for people: Nova's and its libraries'
# deprecation notices to their own developers would drown it. Our own
# package's warnings still show.
for _category in (DeprecationWarning, PendingDeprecationWarning,
                  FutureWarning):
    warnings.filterwarnings('ignore', category=_category,
                            module=r'(?!nova_miglock)')

import nova_miglock.testing.nova  # noqa: E402,F401,H306  (Nova threads first)

import novaclient  # noqa: E402
from novaclient import exceptions as nova_exceptions  # noqa: E402

from nova_miglock.manage import cli  # noqa: E402
from nova_miglock.testing.nova import base  # noqa: E402
from nova_miglock.testing.nova import clients  # noqa: E402

DEMO = os.path.join(ROOT, '.demo')
AGENT = os.path.join(ROOT, 'nova_miglock', 'agent', 'miglock.py')
MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-miglock-manage')


def say(text):
    print('\n' + textwrap.fill(text, 78))
    sys.stdout.flush()


def show(command, output=''):
    # To the terminal even while a command's own output is being captured.
    out = sys.__stdout__
    if command:
        out.write('  %s\n' % command)
    for line in output.strip().splitlines():
        out.write('      %s\n' % line)
    out.flush()


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
        self.drain_story(server)
        # Nova's services log their shutdown; not part of the story.
        self.addCleanup(logging.disable, logging.CRITICAL)

    def manage_in_process(self, *args):
        """nova-miglock-manage on this process's Nova (no Keystone here)."""
        parsed = cli.build_parser().parse_args(list(args))
        show('operator$ nova-miglock-manage %s' % ' '.join(
            '"%s"' % a if ' ' in a else a for a in args))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = parsed.func(self.manager, parsed)
        show('', out.getvalue() + '(exit status %d)' % (status or 0))

    def drain_story(self, server):
        other = self.boot(name='web-1', host=self.host_of(server))
        host = self.host_of(server)
        self.proxy = self.proxy_for(other)
        say('Now %s needs a BIOS update. It runs db-primary and web-1, '
            "whose guest is taking a backup:" % host)
        self.guest('lock', 'backup', '--lease', '600', '--reason',
                   'nightly backup')
        self.stub_out('nova_miglock.manage.drain.nova_for',
                      lambda conf: self.nova)
        self.stub_out('nova_miglock.manage.drain._progress',
                      lambda start: self.progress)
        say('The operator asks what a drain would do, and when it would '
            'end (the prediction comes from the ledger):')
        self.manage_in_process('drain', host, '--within', '10m',
                               '--dry-run')
        say('Then drains it for real; it tells the guests first (by '
            'default: 5 minutes, half the time to the deadline). The '
            'backup is done; web-1 sees the request and approves the move '
            'at once:')
        self.told = False
        self.manage_in_process('drain', host, '--within', '10m', '--poll',
                               '1', '--reason', 'BIOS update')
        self.manage_in_process('undrain', host)

    def progress(self, text):
        sys.__stdout__.write('      (progress) %s\n' % text)
        if text.startswith('told') and not self.told:
            self.told = True
            self.guest('wait', '--move-request', '--timeout', '10')
            self.guest('approve')


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
