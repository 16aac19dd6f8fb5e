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
"""Every way a libvirt user can move a domain, against two real daemons.

Two real libvirtd daemons with QEMU (TCG) on this machine, ``src`` and
``dst``, each with the hook installed by ``nova-miglock-manage``'s
installer and its own lock replica written by a real host agent
(``HostAgent``) from one real store. The store records that Nova has the
instances on ``src``. Each bypass an operator with libvirt access tried
is refused while the instance is locked, and allowed after release, after
the lease expires, and with an admitted move; what Nova does in place is
never refused, with the hook's interpreter gone too and across a libvirtd
restart with running guests.

The daemons start once for the class (a few seconds each); each test
starts its own domain on ``src``.
"""

import datetime
import os
import re
import shutil
import tempfile
import time
import unittest

from nova_miglock.hypervisor import domain_xml
from nova_miglock import lock
from nova_miglock.manage import hook as hook_installer
from nova_miglock.testing import fixtures as miglock_fixtures
from nova_miglock.testing import libvirt_lab as lab

MISSING = lab.missing()
LIMITS = lock.HoldLimits(max_lease=3600, max_hold=86400,
                         min_unlocked_gap=0, max_holders=16)
STATIC = [lock.StaticLock('tag', 'miglock:static')]


def _hooked(name):
    def install(hooks_dir):
        EnforcementLabTest.hooks[name] = hooks_dir
        hook_installer.install(hooks_dir, 0,
                               EnforcementLabTest.replica_path(name), 300)
    return install


@unittest.skipIf(MISSING, MISSING)
class EnforcementLabTest(lab.LabTestCase):

    DAEMONS = {'src': _hooked('src'), 'dst': _hooked('dst')}
    hooks = {}
    workdir = None

    @classmethod
    def replica_path(cls, name):
        return os.path.join(cls.workdir, 'replica-%s' % name)

    @classmethod
    def setUpClass(cls):
        import libvirt

        from nova_miglock.hypervisor import sync
        from nova_miglock.store.sql import driver
        from nova_miglock.store.sql import migration
        cls.libvirt = libvirt
        cls.workdir = tempfile.mkdtemp(prefix='miglock-lab-')
        os.chmod(cls.workdir, 0o755)  # QEMU writes save files here
        super().setUpClass()
        cls.src_conn = cls.src.connect()
        cls.dst_conn = cls.dst.connect()
        conf = miglock_fixtures.make_conf()
        cls.store = driver.SQLLockStore(
            conf, connection='sqlite:///%s/store.sqlite' % cls.workdir)
        migration.sync(cls.store)
        cls.agents = {}
        for name, daemon in (('src', cls.src), ('dst', cls.dst)):
            cls.agents[name] = sync.HostAgent(miglock_fixtures.make_conf(**{
                'miglock_compute.libvirt_uri': daemon.uri,
                'miglock_compute.host': name,
                'miglock_hook.replica_path': cls.replica_path(name)}),
                cls.store)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.store.dispose()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.addCleanup(self.src.destroy_domains)
        self.addCleanup(self.dst.destroy_domains)
        self.name = self.id().split('.')[-1][:40]
        self.domain = self.src.define_and_start(self.src_conn, self.name)
        self.uuid = self.domain.UUIDString()
        self.sync()

    # -- the store and the agents --------------------------------------------

    def sync(self):
        for agent in self.agents.values():
            self.assertTrue(agent.resync_replica())
            agent.resync_elements()

    def hold(self, lease=600):
        _hold, state = self.store.acquire(
            self.uuid, 'db', project_id='p', source=lock.SOURCE_GUEST,
            lease_seconds=lease, reason='checkpoint', limits=LIMITS,
            host='src')
        self.sync()
        return state

    def release(self):
        self.store.release(self.uuid, 'db', source=lock.SOURCE_GUEST)
        self.sync()

    # -- libvirt ----------------------------------------------------------

    def migrate(self, domain=None, xml=None, offline=False):
        lv = self.libvirt
        params = {}
        flags = lv.VIR_MIGRATE_PEER2PEER | lv.VIR_MIGRATE_PERSIST_DEST
        if offline:
            flags |= lv.VIR_MIGRATE_OFFLINE
        else:
            flags |= lv.VIR_MIGRATE_LIVE | lv.VIR_MIGRATE_UNDEFINE_SOURCE
            params[lv.VIR_MIGRATE_PARAM_URI] = \
                'tcp://127.0.0.1:%d' % lab.free_port()
        if xml is not None:
            params[lv.VIR_MIGRATE_PARAM_DEST_XML] = xml
        (domain or self.domain).migrateToURI3(self.dst.uri, params, flags)

    def assertRefused(self, call, *args, fragment='is locked against '
                      'migration', **kwargs):
        error = self.assertRaises(self.libvirt.libvirtError, call, *args,
                                  **kwargs)
        self.assertEqual(self.libvirt.VIR_ERR_HOOK_SCRIPT_FAILED,
                         error.get_error_code(), str(error))
        self.assertIn('nova-miglock: refusing', str(error))
        self.assertIn(fragment, str(error))
        self.assertLess(len(str(error)), 1000)
        return error

    def on_dst(self):
        try:
            return self.dst_conn.lookupByUUIDString(self.uuid)
        except self.libvirt.libvirtError:
            return None

    def xml_without_element(self):
        xml = self.domain.XMLDesc(self.libvirt.VIR_DOMAIN_XML_MIGRATABLE)
        return re.sub(r'<miglock:lock [^>]*/>', '', xml)

    def save_path(self, daemon, name=None):
        return os.path.join(daemon._private('/var/lib/libvirt'), 'qemu',
                            'save', '%s.save' % (name or self.name))

    # -- migrate ----------------------------------------------------------

    def test_live_migration_is_refused_however_the_xml_is_edited(self):
        state = self.hold()
        error = self.assertRefused(self.migrate)
        self.assertIn('instance %s is locked against migration: held by '
                      'db until' % self.uuid, str(error))
        # --xml with our element removed, or saying "migrating".
        self.assertRefused(self.migrate, xml=self.xml_without_element())
        edited = re.sub(r'state="locked" generation="\d+"',
                        'state="migrating" generation="999999"',
                        self.domain.XMLDesc(
                            self.libvirt.VIR_DOMAIN_XML_MIGRATABLE))
        self.assertIn('generation="999999"', edited)
        self.assertRefused(self.migrate, xml=edited)
        # virsh metadata --remove on the source: still refused, and the
        # agent puts the element back.
        self.domain.setMetadata(
            self.libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None,
            domain_xml.NAMESPACE, self.libvirt.VIR_DOMAIN_AFFECT_LIVE |
            self.libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        self.assertRefused(self.migrate)
        # A tampered element with a higher generation is repaired too.
        self.domain.setMetadata(
            self.libvirt.VIR_DOMAIN_METADATA_ELEMENT,
            '<lock instance="%s" state="unlocked" generation="999999"/>'
            % self.uuid, domain_xml.PREFIX, domain_xml.NAMESPACE,
            self.libvirt.VIR_DOMAIN_AFFECT_LIVE)
        self.sync()
        mirrored = domain_xml.parse(self.domain.XMLDesc().encode())
        self.assertEqual(('locked', state.generation),
                         (mirrored.state, mirrored.generation))
        self.assertTrue(self.domain.isActive())
        self.assertIsNone(self.on_dst())
        self.release()
        self.migrate(xml=self.xml_without_element())
        self.assertTrue(self.on_dst().isActive())

    def test_offline_migration_with_the_element_removed_is_refused(self):
        self.hold()
        self.domain.destroy()
        self.assertRefused(self.migrate, offline=True,
                           xml=self.xml_without_element())
        self.assertIsNone(self.on_dst())
        self.release()
        self.migrate(offline=True, xml=self.xml_without_element())
        self.assertTrue(self.on_dst().isPersistent())

    def test_an_expired_lease_no_longer_locks(self):
        # Long enough for the refused attempt to start before the lease
        # ends on a loaded machine (2 s was not, in CI).
        state = self.hold(lease=6)
        self.assertRefused(self.migrate)
        # No resync: the hook judges the lease's end from the replica.
        expires = (state.lease_expires_at -
                   datetime.datetime(1970, 1, 1)).total_seconds()
        time.sleep(max(0, expires - time.time()) + 0.2)
        self.migrate()
        self.assertTrue(self.on_dst().isActive())

    def test_an_admitted_move_passes_a_static_lock(self):
        self.store.set_static_locks(self.uuid, project_id='p',
                                    static_locks=STATIC, kinds=['tag'],
                                    host='src')
        self.sync()
        self.assertRefused(self.migrate, fragment='tag '
                           'miglock:static')
        # An evacuation is admitted whatever the locks: it has a ticket.
        self.store.admit_evacuation(self.uuid, project_id='p',
                                    request_id='req-1', static_locks=STATIC)
        self.sync()
        self.migrate()
        self.assertTrue(self.on_dst().isActive())

    # -- save/restore, managedsave, define ------------------------------------

    def test_a_save_file_restored_on_another_host_is_refused(self):
        self.hold()
        saved = os.path.join(self.workdir, '%s.save' % self.name)
        self.domain.save(saved)
        self.addCleanup(os.unlink, saved)
        self.assertRefused(self.dst_conn.restore, saved,
                           fragment='Nova has it on another host (src)')
        self.assertIsNone(self.on_dst())
        # On the host Nova has it on, the same restore is Nova's business.
        self.src_conn.restore(saved)
        self.assertTrue(self.domain.isActive())
        self.domain.save(saved)
        self.release()
        self.dst_conn.restore(saved)
        self.assertTrue(self.on_dst().isActive())

    def test_a_copied_managedsave_file_is_refused_elsewhere(self):
        self.hold()
        xml = self.domain.XMLDesc(self.libvirt.VIR_DOMAIN_XML_MIGRATABLE)
        self.domain.managedSave()
        target = self.save_path(self.dst)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(self.save_path(self.src), target)
        copy = self.dst_conn.defineXML(xml)
        self.assertRefused(copy.create, fragment='another host (src)')
        self.assertFalse(copy.isActive())
        # The source starts from its own managedsave file: in place.
        self.domain.create()
        self.assertTrue(self.domain.isActive())
        self.release()
        copy.create()
        self.assertTrue(copy.isActive())

    def test_dumpxml_define_and_start_on_another_host_is_refused(self):
        self.hold()
        copy = self.dst_conn.defineXML(self.domain.XMLDesc())
        self.assertRefused(copy.create, fragment='another host (src)')
        self.assertFalse(copy.isActive())
        self.release()
        copy.create()
        self.assertTrue(copy.isActive())

    # -- what Nova does in place is never refused ---------------------------

    def in_place(self, domain):
        """Nova's own operations on the host it has the instance on."""
        domain.destroy()
        domain.create()
        domain.reset()
        domain.suspend()
        domain.resume()
        domain.managedSave()
        domain.create()
        saved = os.path.join(self.workdir, '%s.save' % self.name)
        domain.save(saved)
        self.src_conn.restore(saved)
        os.unlink(saved)
        self.assertTrue(domain.isActive())

    def test_nova_in_place_and_a_libvirtd_restart_are_never_refused(self):
        self.hold()
        self.in_place(self.domain)
        self.src.restart()
        conn = self.src.connect()
        self.assertTrue(conn.lookupByUUIDString(self.uuid).isActive())
        type(self).src_conn = conn

    def test_without_its_interpreter_the_hook_stops_no_guest(self):
        self.hold()
        gone = os.path.join(self.workdir, 'gone', 'python3')
        for name in ('src', 'dst'):
            hook_installer.install(self.hooks[name], 0,
                                   self.replica_path(name), 300, python=gone)
            self.addCleanup(hook_installer.install, self.hooks[name], 0,
                            self.replica_path(name), 300)
        self.in_place(self.domain)
        self.src.restart()  # reconnect with a running guest
        conn = self.src.connect()
        type(self).src_conn = conn
        self.domain = conn.lookupByUUIDString(self.uuid)
        self.assertTrue(self.domain.isActive())
        # Only an incoming migration is refused, naming the fix.
        self.release()
        self.assertRefused(self.migrate, fragment='install the hook again: '
                           'nova-miglock-manage hook install')
        self.assertTrue(self.domain.isActive())
