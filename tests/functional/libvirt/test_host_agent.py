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

The agent keeps the host's lock replica and mirrors holds into the
domain's metadata at resync and, through ``miglock.*`` notifications
carried by the real RabbitMQ on 127.0.0.1, as soon as a hold changes; it
survives a libvirtd restart and a store outage, and the real console
script stops within 2 s of SIGTERM.
"""

import os
import re
import signal
import statistics
import subprocess
import sys
import time
import unittest
import uuid

import fixtures
import oslo_messaging as messaging

from nova_miglock.hypervisor import replica
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
        self.workdir = workdir = self.useFixture(fixtures.TempDir()).path
        self.topic = 'miglock_%s' % uuid.uuid4().hex[:8]
        self.replica_path = os.path.join(workdir, 'replica')
        self.conf = miglock_fixtures.make_conf(**{
            'miglock_compute.libvirt_uri': self.daemon.uri,
            'miglock_compute.host': 'host-%s' % self.topic,
            'miglock_hook.replica_path': self.replica_path,
            'miglock_notifications.topics': [self.topic],
            'miglock_notifications.driver': 'messagingv2'})
        self.store_url = 'sqlite:///%s/store.sqlite' % workdir
        self.store = driver.SQLLockStore(self.conf,
                                         connection=self.store_url)
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

    def replicated(self):
        """The generation of the instance in the replica file (or -1)."""
        try:
            with open(self.replica_path, 'rb') as stream:
                found = replica.Replica(stream.read()).lookup(self.uuid)
        except (OSError, replica.BadReplica):
            return -1
        return -1 if found is None else found.generation

    def test_resync_mirrors_a_hold_and_its_release(self):
        _hold, state = self.hold()
        self.assertEqual(1, self.agent.resync())
        mirrored = self.element()
        self.assertEqual(('locked', ('db',), state.generation),
                         (mirrored.state, mirrored.holders,
                          mirrored.generation))
        self.assertEqual(state.generation, self.replicated())
        self.assertEqual(0, self.agent.resync())  # already current
        self.store.release(self.uuid, 'db', source=lock.SOURCE_GUEST)
        self.agent.resync()
        self.assertEqual('unlocked', self.element().state)
        self.assertEqual(-1, self.replicated())  # unlocked: not listed

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
        lags, replica_lags = [], []
        for n in range(10):
            started = time.monotonic()
            if n % 2 == 0:
                grant = manager.acquire(target, 'db', source='guest',
                                        lease_seconds=600)
                generation = grant.state.generation
            else:
                manager.release(target, 'db', source='guest')
                generation = self.store.get_state(self.uuid).generation
            wanted = generation if n % 2 == 0 else -1
            while self.replicated() != wanted:
                self.assertLess(time.monotonic() - started, 10,
                                'the replica did not follow')
                time.sleep(0.005)
            replica_lags.append(time.monotonic() - started)
            while self.generation() < generation:
                self.assertLess(time.monotonic() - started, 10,
                                'the agent did not follow the notification')
                time.sleep(0.005)
            lags.append(time.monotonic() - started)
        print('store change -> replica over RabbitMQ: p50 %.0f ms, max %.0f '
              'ms; -> domain metadata: p50 %.0f ms, max %.0f ms' % (
                  statistics.median(replica_lags) * 1e3,
                  max(replica_lags) * 1e3, statistics.median(lags) * 1e3,
                  max(lags) * 1e3))
        self.assertEqual('unlocked', self.element().state)

    def test_libvirt_events_repair_an_edited_or_arriving_element(self):
        from nova_miglock.hypervisor import domain_xml
        from nova_miglock.hypervisor import service
        transport = messaging.get_notification_transport(self.conf,
                                                         url=RABBIT)
        self.addCleanup(transport.cleanup)
        _hold, state = self.hold()
        agent_service = service.HostAgentService(self.conf, self.store,
                                                 transport=transport)
        agent_service.start()
        self.addCleanup(agent_service.stop)
        self.assertEqual(state.generation, self.generation())
        lv = agent_service.agent._writer.libvirt
        forged = ('<lock instance="%s" state="unlocked" generation="999999"'
                  '/>' % self.uuid)
        # virsh metadata on a running domain: repaired with no resync.
        domain = self.conn.lookupByUUIDString(self.uuid)
        domain.setMetadata(lv.VIR_DOMAIN_METADATA_ELEMENT, forged,
                           domain_xml.PREFIX, domain_xml.NAMESPACE,
                           lv.VIR_DOMAIN_AFFECT_LIVE)
        self.wait_for_generation(state.generation)
        # A domain arriving with a forged element (define, then start).
        xml = domain.XMLDesc(lv.VIR_DOMAIN_XML_INACTIVE)
        domain.destroy()
        domain.undefine()
        xml = re.sub(r'<miglock:lock [^>]*/>', '<miglock:lock '
                     'instance="%s" state="unlocked" generation="999999"/>'
                     % self.uuid, xml)
        self.assertIn('999999', xml)
        self.conn.defineXML(xml).create()
        self.wait_for_generation(state.generation)
        self.assertEqual('locked', self.element().state)

    def wait_for_generation(self, generation, timeout=10):
        deadline = time.monotonic() + timeout
        while self.generation() != generation:
            self.assertLess(time.monotonic(), deadline,
                            'the element was not repaired')
            time.sleep(0.01)

    def test_the_service_stops_within_two_seconds_of_sigterm(self):
        self.hold()
        config = os.path.join(self.workdir, 'compute.conf')
        log = os.path.join(self.workdir, 'compute.log')
        with open(config, 'w') as stream:
            stream.write(
                '[DEFAULT]\ntransport_url = %s\nlog_file = %s\n'
                '[miglock_database]\nconnection = %s\n'
                '[miglock_compute]\nlibvirt_uri = %s\nhost = h-%s\n'
                '[miglock_hook]\nreplica_path = %s\n'
                '[miglock_notifications]\ntopics = %s\n' % (
                    RABBIT, log, self.store_url, self.daemon.uri,
                    self.topic, self.replica_path, self.topic))
        process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable),
                          'nova-miglock-compute'), '--config-file', config],
            start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: process.poll() is None and
                        os.killpg(process.pid, signal.SIGKILL))
        deadline = time.monotonic() + 60
        while self.replicated() < 0:
            self.assertLess(time.monotonic(), deadline, open(log).read()
                            if os.path.exists(log) else 'no log')
            self.assertIsNone(process.poll())
            time.sleep(0.1)
        started = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        status = process.wait(20)
        elapsed = time.monotonic() - started
        with open(log) as stream:
            tail = stream.read()[-3000:]
        self.assertEqual(0, status, tail)
        self.assertLess(elapsed, 2, tail)
