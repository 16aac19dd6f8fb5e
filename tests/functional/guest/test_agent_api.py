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
"""The agent's Python API keeps a lock alive and reports losing it.

Against the real stack: Nova's metadata API with our filter, over HTTP.
"""

import threading
import time

from nova_miglock.agent import miglock
from nova_miglock import lock
from nova_miglock.testing.nova import base


class MigrationLockTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.proxy = self.proxy_for(self.server)
        self.client = miglock.Client(self.proxy.url, timeout=10, retries=1)
        self.lost = []
        self.lost_event = threading.Event()

    def on_lost(self, error):
        self.lost.append(error)
        self.lost_event.set()

    def holds(self):
        return self.store.get_state(self.server['id']).holds

    def test_renews_in_the_background_and_releases_on_exit(self):
        with miglock.MigrationLock('job', lease=3, reason='batch',
                                   client=self.client,
                                   on_lost=self.on_lost) as held:
            (first,) = self.holds()
            time.sleep(2.5)
            (renewed,) = self.holds()
            self.assertGreater(renewed.expires_at, first.expires_at)
            self.assertEqual(first.acquired_at, renewed.acquired_at)
            self.assertTrue(held.held)
            held.check()
        self.assertEqual((), self.holds())
        self.assertEqual([], self.lost)

    def test_a_broken_lock_is_reported_not_silently_retaken(self):
        held = miglock.MigrationLock('job', lease=3, client=self.client,
                                     on_lost=self.on_lost).acquire()
        self.store.end_holds(self.server['id'], event=lock.EVENT_BREAK,
                             reason='maintenance', actor='operator:test')
        self.assertTrue(self.lost_event.wait(10))
        self.assertIsInstance(self.lost[0], miglock.LockLost)
        self.assertTrue(held.lost)
        self.assertFalse(held.held)
        self.assertRaises(miglock.LockLost, held.check)
        self.assertEqual((), self.holds())
        held.release()

    def test_running_into_max_hold_is_reported(self):
        self.flags(max_hold=4, min_unlocked_gap=60, group='miglock')
        held = miglock.MigrationLock('job', lease=3, client=self.client,
                                     on_lost=self.on_lost).acquire()
        self.assertTrue(self.lost_event.wait(15))
        self.assertEqual('max_hold_reached', self.lost[0].reason)
        self.assertRaises(miglock.LockLost, held.check)
        held.release()

    def test_acquire_errors_surface_to_the_application(self):
        self.store.open_ticket(self.server['id'],
                               project_id=self.server['tenant_id'],
                               kind='migrate', request_id='r',
                               static_locks=())
        error = self.assertRaises(miglock.Busy, miglock.MigrationLock(
            'job', lease=30, client=self.client).acquire)
        self.assertEqual('migration_in_progress', error.reason)
        self.assertEqual(15, error.retry_after)
