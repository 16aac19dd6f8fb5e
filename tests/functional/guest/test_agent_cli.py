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
"""A guest application takes its migration lock through the real stack.

The ``miglock`` command runs as a subprocess, talks HTTP to a proxy that
signs like Neutron's, which forwards to Nova's own metadata API (with our
filter) served on 127.0.0.1, for an instance booted through Nova's API.
"""

import json
import os
import subprocess
import sys

from nova_miglock.testing.nova import base

AGENT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), 'nova_miglock', 'agent',
    'miglock.py')
PYTHON38 = '/root/.pyenv/versions/3.8.18/bin/python3.8'


class GuestAgentTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.proxy = self.proxy_for(self.server)

    def miglock(self, *args, python=sys.executable, timeout=60):
        return subprocess.run(
            [python, AGENT, '--endpoint', self.proxy.url] + list(args),
            capture_output=True, text=True, timeout=timeout)

    def status(self):
        result = self.miglock('status', '--format', 'json')
        self.assertEqual(0, result.returncode, result.stderr)
        return json.loads(result.stdout)

    def test_lock_status_unlock_round_trip(self):
        self.assertEqual('unlocked', self.status()['state'])
        result = self.miglock('lock', 'db-checkpoint', '--lease', '120',
                              '--reason', 'nightly checkpoint')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('locked: db-checkpoint until', result.stdout)
        state = self.status()
        self.assertEqual('locked', state['state'])
        (hold,) = state['holds']
        self.assertEqual(('db-checkpoint', 'guest', 'nightly checkpoint'),
                         (hold['holder'], hold['source'], hold['reason']))
        self.assertTrue(115 < hold['expires_in'] <= 120)
        stored = self.store.get_state(self.server['id'])
        self.assertEqual(['db-checkpoint'], [h.holder for h in stored.holds])
        self.assertEqual(self.server['tenant_id'], stored.project_id)

        result = self.miglock('unlock', 'db-checkpoint')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('unlocked', self.status()['state'])

    def test_run_holds_the_lock_only_while_the_command_runs(self):
        probe = ('import json, urllib.request; print(json.load('
                 'urllib.request.urlopen("%s/openstack/miglock"))["state"]);'
                 ' raise SystemExit(3)' % self.proxy.url)
        result = self.miglock('run', 'batch', '--lease', '30', '--',
                              sys.executable, '-c', probe)
        self.assertEqual(3, result.returncode, result.stderr)
        self.assertEqual('locked', result.stdout.strip())
        self.assertEqual('unlocked', self.status()['state'])

    def test_lock_while_migrating_exits_75_at_once(self):
        self.store.open_ticket(self.server['id'],
                               project_id=self.server['tenant_id'],
                               kind='live-migration', request_id='req',
                               static_locks=())
        result = self.miglock('lock', 'db')
        self.assertEqual(75, result.returncode)
        self.assertIn('migration of instance', result.stderr)
        self.assertEqual('migrating', self.status()['state'])

    def test_forbidden_by_flavor_exits_77_naming_the_rule(self):
        flavor = self._create_flavor(extra_spec={
            'miglock:guest_lock': 'forbidden'})
        server = self.boot(flavor_id=flavor)
        self.proxy = self.proxy_for(server)
        result = self.miglock('lock', 'db')
        self.assertEqual(77, result.returncode)
        self.assertIn('miglock:guest_lock=forbidden', result.stderr)
        self.assertEqual('unlocked', self.status()['state'])

    def test_usage_errors_exit_64(self):
        result = self.miglock('lock', 'db', '--lease', 'zero')
        self.assertEqual(64, result.returncode)
        result = self.miglock('lock', 'bad name!')
        self.assertEqual(64, result.returncode)
        self.assertIn('holder must be', result.stderr)

    def test_unreachable_service_exits_69_after_retries(self):
        result = subprocess.run(
            [sys.executable, AGENT, '--endpoint', 'http://127.0.0.1:9',
             '--retries', '1', 'status'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(69, result.returncode)
        self.assertIn('cannot reach the metadata service', result.stderr)

    def test_agent_runs_on_python_3_8(self):
        if not os.path.exists(PYTHON38):
            self.skipTest('no Python 3.8 on this machine')
        result = self.miglock('lock', 'old-guest', '--lease', '60',
                              python=PYTHON38)
        self.assertEqual(0, result.returncode, result.stderr)
        result = self.miglock('status', python=PYTHON38)
        self.assertIn('hold: old-guest (guest)', result.stdout)
