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
"""nova-miglock-compute against a real libvirtd and a real store.

The agent mirrors holds into the domain's metadata at resync and, through
``miglock.*`` notifications carried by the real RabbitMQ on 127.0.0.1, as
soon as a hold changes; it survives a libvirtd restart and a store outage.
"""

import os
import statistics
import time
import unittest
import uuid

import fixtures
import oslo_messaging as messaging

from nova_miglock import lock
from nova_miglock import manager as lock_manager
from nova_miglock import notifications
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import migration
from nova_miglock.testing import fixtures as miglock_fixtures
from nova_miglock.testing import libvirt_lab as lab

MISSING = lab.missing()
RABBIT = os.environ.get('MIGLOCK_TEST_RABBIT_URL',
                        'rabbit://guest:guest@127.0.0.1:5672/')
LIMITS = lock.HoldLimits(max_lease=3600, max_hold=86400,
                         min_unlocked_gap=0, max_holders=16)


@unittest.skipIf(MISSING, MISSING)
class HostAgentTest(lab.LabTestCase):

    DAEMONS = {'daemon': None}

    def setUp(self):
        super().setUp()
        from nova_miglock.hypervisor import sync
        workdir = self.useFixture(fixtures.TempDir()).path
        self.topic = 'miglock_%s' % uuid.uuid4().hex[:8]
        self.conf = miglock_fixtures.make_conf(**{
            'miglock_compute.libvirt_uri': self.daemon.uri,
            'miglock_compute.host': 'host-%s' % self.topic,
            'miglock_notifications.topics': [self.topic],
            'miglock_notifications.driver': 'messagingv2'})
        self.store = driver.SQLLockStore(
            self.conf, connection='sqlite:///%s/store.sqlite' % workdir)
        migration.sync(self.store)
        self.addCleanup(self.store.dispose)
        self.conn = self.daemon.connect()
        self.domain = self.daemon.define_and_start(
            self.conn, self.id().split('.')[-1][:40])
        self.addCleanup(self.daemon.destroy_domains)
        self.uuid = self.domain.UUIDString()
        self.writer = sync.DomainWriter()
        self.agent = sync.HostAgent(self.conf, self.store)

    def hold(self, lease=600):
        return self.store.acquire(self.uuid, 'db', project_id='p',
                                  source=lock.SOURCE_GUEST,
                                  lease_seconds=lease, reason='checkpoint',
                                  limits=LIMITS)

    def element(self):
        from nova_miglock.hypervisor import domain_xml
        domain = self.conn.lookupByUUIDString(self.uuid)
        return domain_xml.parse(domain.XMLDesc().encode())

    def generation(self):
        element = self.element()
        return -1 if element is None else element.generation

    def test_resync_mirrors_a_hold_and_its_release(self):
        _hold, state = self.hold()
        self.assertEqual(1, self.agent.resync())
        mirrored = self.element()
        self.assertEqual(('locked', ('db',), state.generation),
                         (mirrored.state, mirrored.holders,
                          mirrored.generation))
        self.assertEqual(0, self.agent.resync())  # already current
        self.store.release(self.uuid, 'db', source=lock.SOURCE_GUEST)
        self.agent.resync()
        self.assertEqual('unlocked', self.element().state)

    def test_domains_never_locked_are_left_alone(self):
        self.assertEqual(0, self.agent.resync())
        self.assertIsNone(self.element())

    def test_survives_a_libvirtd_restart(self):
        self.agent.resync()
        self.daemon.restart()
        self.conn = self.daemon.connect()
        self.hold()
        self.assertEqual(1, self.agent.resync())
        self.assertEqual('locked', self.element().state)

    def test_keeps_the_last_lock_while_the_store_is_down(self):
        self.hold()
        self.agent.resync()
        broken = driver.SQLLockStore(
            self.conf, connection='mysql+pymysql://root@127.0.0.1:1/x')
        from nova_miglock.hypervisor import sync
        self.assertEqual(0, sync.HostAgent(self.conf, broken).resync())
        self.assertEqual('locked', self.element().state)

    def test_notifications_over_rabbitmq_update_the_domain_quickly(self):
        from nova_miglock.hypervisor import service
        transport = messaging.get_notification_transport(self.conf,
                                                         url=RABBIT)
        self.addCleanup(transport.cleanup)
        agent_service = service.HostAgentService(self.conf, self.store,
                                                 transport=transport)
        agent_service.start()
        self.addCleanup(agent_service.stop)
        manager = lock_manager.LockManager(
            self.conf, store=self.store,
            notifier=notifications.Notifier(self.conf, transport=transport))
        target = lock_manager.Target(self.uuid, 'p')
        lags = []
        for n in range(10):
            started = time.monotonic()
            if n % 2 == 0:
                grant = manager.acquire(target, 'db', source='guest',
                                        lease_seconds=600)
                generation = grant.state.generation
            else:
                manager.release(target, 'db', source='guest')
                generation = self.store.get_state(self.uuid).generation
            while self.generation() < generation:
                self.assertLess(time.monotonic() - started, 10,
                                'the agent did not follow the notification')
                time.sleep(0.005)
            lags.append(time.monotonic() - started)
        print('store change -> domain metadata over RabbitMQ: p50 %.0f ms, '
              'max %.0f ms' % (statistics.median(lags) * 1e3,
                               max(lags) * 1e3))
        self.assertEqual('unlocked', self.element().state)
