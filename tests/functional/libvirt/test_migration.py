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
"""The libvirt hook refuses a real live migration of a locked domain.

Two real libvirtd daemons with QEMU (TCG) on this machine; the destination
has the hook installed by ``nova-miglock-manage``'s installer; the source
domain's lock is written by the host agent's writer, as in production.
"""

import datetime
import unittest

from nova_miglock.hypervisor import domain_xml
from nova_miglock.manage import hook as hook_installer
from nova_miglock.testing import libvirt_lab as lab

MISSING = lab.missing()


def lock_data(instance_uuid, state='locked', lease_seconds=600,
              holders=('db',), static=(), generation=1):
    expires = datetime.datetime.utcnow() + datetime.timedelta(
        seconds=lease_seconds)
    return {'instance_uuid': instance_uuid, 'state': state,
            'generation': generation,
            'at': datetime.datetime.utcnow().strftime(
                '%Y-%m-%dT%H:%M:%S.%fZ'),
            'lease_expires_at': expires.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
            if holders else None,
            'holders': list(holders), 'static_locks': list(static),
            'static_exempt_until': None}


@unittest.skipIf(MISSING, MISSING)
class HookMigrationTest(lab.LabTestCase):
    """Live migrations between two real daemons.

    Each test starts a domain of its own on ``src``; ``dst`` has the hook.
    """

    DAEMONS = {'src': None,
               'dst': lambda hooks: hook_installer.install(hooks,
                                                           clock_skew=5)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.src_conn = cls.src.connect()
        cls.dst_conn = cls.dst.connect()

    def setUp(self):
        super().setUp()
        import libvirt

        from nova_miglock.hypervisor import sync
        self.libvirt = libvirt
        self.domain = self.src.define_and_start(self.src_conn,
                                                self.id().split('.')[-1][:40])
        self.addCleanup(self.src.destroy_domains)
        self.addCleanup(self.dst.destroy_domains)
        self.uuid = self.domain.UUIDString()
        self.writer = sync.DomainWriter()

    def migrate(self):
        lv = self.libvirt
        self.domain.migrateToURI3(
            self.dst.uri,
            {lv.VIR_MIGRATE_PARAM_URI: 'tcp://127.0.0.1:%d' % lab.free_port()},
            lv.VIR_MIGRATE_LIVE | lv.VIR_MIGRATE_PEER2PEER |
            lv.VIR_MIGRATE_PERSIST_DEST | lv.VIR_MIGRATE_UNDEFINE_SOURCE)

    def test_locked_domain_is_refused_and_keeps_running_on_the_source(self):
        self.writer.apply(self.domain, lock_data(self.uuid))
        error = self.assertRaises(self.libvirt.libvirtError, self.migrate)
        self.assertEqual(self.libvirt.VIR_ERR_HOOK_SCRIPT_FAILED,
                         error.get_error_code())
        self.assertIn('nova-miglock: refusing migration of %s: instance '
                      '%s is locked against migration: held by db until'
                      % (self.domain.name(), self.uuid), str(error))
        self.assertTrue(self.domain.isActive())
        self.assertEqual([], self.dst_conn.listAllDomains())

    def test_released_lock_lets_the_same_migration_through(self):
        self.writer.apply(self.domain, lock_data(self.uuid))
        self.assertRaises(self.libvirt.libvirtError, self.migrate)
        self.writer.apply(self.domain, lock_data(
            self.uuid, state='unlocked', holders=(), generation=2))
        self.migrate()
        arrived = self.dst_conn.lookupByUUIDString(self.uuid)
        self.assertTrue(arrived.isActive())
        self.assertEqual(2, self.writer.current_generation(arrived))
        self.assertIn(domain_xml.NAMESPACE, arrived.XMLDesc())

    def test_an_expired_lease_no_longer_locks(self):
        self.writer.apply(self.domain, lock_data(self.uuid,
                                                 lease_seconds=-60))
        self.migrate()
        self.assertTrue(self.dst_conn.lookupByUUIDString(
            self.uuid).isActive())

    def test_a_static_lock_refuses_and_a_move_in_progress_passes(self):
        static = [{'kind': 'flavor', 'name': 'miglock:static',
                   'value': 'true'}]
        self.writer.apply(self.domain, lock_data(self.uuid, holders=(),
                                                 static=static))
        error = self.assertRaises(self.libvirt.libvirtError, self.migrate)
        self.assertIn('flavor miglock:static=true', str(error))
        # The gate admitted this move: the agent wrote "migrating".
        self.writer.apply(self.domain, lock_data(
            self.uuid, state='migrating', holders=(), static=static,
            generation=2))
        self.migrate()

    def test_a_domain_without_the_element_migrates(self):
        self.migrate()
        self.assertTrue(self.dst_conn.lookupByUUIDString(
            self.uuid).isActive())
