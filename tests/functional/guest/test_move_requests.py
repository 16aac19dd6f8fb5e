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
"""A move request reaches the guest: status, wait, and the lease cap.

The operator's side goes through the LockManager, as the drain does; the
guest's through the real ``miglock`` agent, the signing proxy and Nova's
metadata API with our filter.
"""

import importlib.util
import json
import subprocess
import sys
import threading

from nova_miglock import manager as lock_manager
from nova_miglock.testing.nova import base
from tests.functional.guest.test_agent_cli import AGENT


class MoveRequestTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.proxy = self.proxy_for(self.server)
        self.target = lock_manager.Target(self.server['id'],
                                          self.server['tenant_id'])

    def miglock(self, *args):
        return subprocess.run(
            [sys.executable, AGENT, '--endpoint', self.proxy.url] +
            list(args), capture_output=True, text=True, timeout=60)

    def test_the_guest_sees_the_request_and_its_leases_end_by_it(self):
        result = self.miglock('wait', '--move-request', '--timeout', '1',
                              '--interval', '0.2')
        self.assertEqual(75, result.returncode)
        self.assertIn('no move request', result.stderr)
        self.assertIsNone(json.loads(self.miglock(
            'status', '--format', 'json').stdout)['move_request'])

        self.manager.open_move_request(self.target, seconds=300,
                                       reason='BIOS update',
                                       actor='operator:test')

        result = self.miglock('wait', '--move-request', '--timeout', '10')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('move requested by operator:test: "BIOS update"',
                      result.stdout)
        request = json.loads(self.miglock(
            'status', '--format', 'json').stdout)['move_request']
        self.assertEqual('BIOS update', request['reason'])
        self.assertTrue(295 < request['seconds_left'] <= 300)
        self.assertIn('move requested by', self.miglock('status').stdout)

        result = self.miglock('lock', 'db', '--lease', '3600')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('by move_request', result.stdout)
        (hold,) = self.store.get_state(self.server['id']).holds
        self.assertEqual(request['not_before'],
                         hold.to_dict()['expires_at'])

        self.manager.close_move_request(self.server['id'], outcome='moved',
                                        actor='operator:test')
        result = self.miglock('lock', 'db', '--lease', '3600')
        self.assertNotIn('cut', result.stdout)

    def test_approve_ends_the_guest_s_holds_and_says_go(self):
        result = self.miglock('approve')
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nothing to approve', result.stderr)
        self.assertEqual(0, self.miglock('lock', 'db').returncode)
        self.manager.open_move_request(self.target, seconds=300,
                                       reason='kernel update',
                                       actor='operator:test')
        result = self.miglock('approve')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('may start now', result.stdout)
        state = json.loads(self.miglock('status', '--format', 'json').stdout)
        self.assertEqual('unlocked', state['state'])
        self.assertIsNotNone(state['move_request']['approved_at'])
        result = self.miglock('lock', 'db')
        self.assertEqual(75, result.returncode)
        self.assertIn('was approved', result.stderr)

    def test_a_command_runs_once_per_request(self):
        self.manager.open_move_request(self.target, seconds=300,
                                       reason='rack move',
                                       actor='operator:test')
        probe = ('import os; print(os.environ["MIGLOCK_REASON"], '
                 'os.environ["MIGLOCK_NOT_BEFORE"]); raise SystemExit(4)')
        result = self.miglock('on-move-request', '--once', '--interval',
                              '0.2', '--', sys.executable, '-c', probe)
        self.assertEqual(4, result.returncode, result.stderr)
        self.assertIn('rack move 20', result.stdout)

    def test_the_python_api_calls_back_once_per_request(self):
        spec = importlib.util.spec_from_file_location('miglock', AGENT)
        agent = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(agent)
        seen, stop = [], threading.Event()

        def callback(request):
            seen.append(request['reason'])
            if len(seen) == 2:
                stop.set()
            else:
                # The move happened; later another one is requested.
                self.manager.close_move_request(
                    self.server['id'], outcome='moved', actor='test')
                self.manager.open_move_request(
                    self.target, seconds=60, reason='second',
                    actor='operator:test')

        self.manager.open_move_request(self.target, seconds=300,
                                       reason='first', actor='operator:test')
        watcher = threading.Thread(target=agent.watch_move_requests, args=(
            callback, agent.Client(self.proxy.url), 0.1, stop))
        watcher.start()
        watcher.join(30)
        self.assertFalse(watcher.is_alive())
        self.assertEqual(['first', 'second'], seen)
