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
"""Real libvirt daemons for tests: two on one machine, able to migrate.

Each daemon (with its own virtlogd) runs in a private mount namespace in
which copies of libvirt's directories are bind-mounted over the real ones,
with its own host UUID, so QEMU (TCG) domains can live-migrate from one to
the other over 127.0.0.1. Needs root, libvirtd, virtlogd, unshare and
qemu-system-x86 (``tools/test.sh`` installs them when it runs as root).
"""

import os
import shutil
import socket
import subprocess
import time
import uuid

import fixtures
import testtools

DIRS = ('/etc/libvirt', '/run/libvirt', '/var/lib/libvirt',
        '/var/cache/libvirt', '/var/log/libvirt')

DOMAIN = """<domain type='qemu'>
  <name>%(name)s</name>
  <uuid>%(uuid)s</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def missing():
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return 'the libvirt lab needs root'
    for tool in ('libvirtd', 'virtlogd', 'unshare', 'qemu-system-x86_64'):
        if shutil.which(tool) is None:
            return '%s is not installed (tools/test.sh installs it as root)' \
                % tool
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return 'libvirt-python is not installed'
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _kvm_usable_by_qemu():
    """Let QEMU's user open /dev/kvm.

    When it exists but QEMU cannot use it, libvirt probes QEMU again on
    every call, which takes seconds.
    """
    if os.path.exists('/dev/kvm'):
        subprocess.run(['chgrp', 'kvm', '/dev/kvm'], check=False)
        os.chmod('/dev/kvm', 0o660)


class LibvirtDaemon(fixtures.Fixture):
    """One libvirtd in its own mount namespace."""

    def __init__(self, base, name, hook_script=None):
        super().__init__()
        self.root = os.path.join(base, name)
        self.name = name
        self.hook_script = hook_script

    def _private(self, path):
        return os.path.join(self.root, path.strip('/').replace('/', '_'))

    def _setUp(self):
        _kvm_usable_by_qemu()
        for path in DIRS:
            private = self._private(path)
            if path == '/etc/libvirt':
                shutil.copytree(path, private, symlinks=True)
            else:
                os.makedirs(private)
        etc = self._private('/etc/libvirt')
        with open(os.path.join(etc, 'qemu.conf'), 'a') as stream:
            stream.write('\ncgroup_controllers = [ ]\n')
        hooks = os.path.join(etc, 'hooks')
        shutil.rmtree(hooks, ignore_errors=True)
        os.makedirs(hooks)
        if self.hook_script:
            self.hook_script(hooks)
        config = os.path.join(self.root, 'libvirtd.conf')
        with open(config, 'w') as stream:
            stream.write('host_uuid = "%s"\nlisten_tls = 0\n'
                         'unix_sock_group = "root"\n' % uuid.uuid4())
        for path in DIRS:
            os.makedirs(path, exist_ok=True)  # mount points
        self.config = config
        self._start()
        self.addCleanup(self._stop)

    def _start(self):
        binds = ' && '.join('mount --bind %s %s' % (self._private(p), p)
                            for p in DIRS)
        self.log = open(os.path.join(self.root, 'libvirtd.log'), 'a')
        self.process = subprocess.Popen(
            ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
             '%s && virtlogd -d --pid-file %s && '
             'exec libvirtd --config %s --pid-file %s'
             % (binds, os.path.join(self.root, 'virtlogd.pid'), self.config,
                os.path.join(self.root, 'libvirtd.pid'))],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.socket = os.path.join(self._private('/run/libvirt'),
                                   'libvirt-sock')
        self.uri = 'qemu+unix:///system?socket=%s' % self.socket
        deadline = time.monotonic() + 60
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or \
                    time.monotonic() > deadline:
                raise RuntimeError('libvirtd %s did not start: %s' % (
                    self.name, open(self.log.name).read()[-2000:]))
            time.sleep(0.1)

    def restart(self):
        """Stop libvirtd (its guests keep running) and start it again."""
        self._terminate()
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self._start()

    def _terminate(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        try:
            with open(os.path.join(self.root, 'virtlogd.pid')) as stream:
                os.kill(int(stream.read().strip()), 15)
        except (OSError, ValueError):
            pass
        self.log.close()

    def destroy_domains(self):
        """libvirtd leaves guests running when it stops; we do not."""
        import libvirt
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError:
            return
        try:
            for domain in conn.listAllDomains():
                try:
                    if domain.isActive():
                        domain.destroy()
                    if domain.isPersistent():
                        domain.undefineFlags(
                            libvirt.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)
                except libvirt.libvirtError:
                    pass
        finally:
            conn.close()

    def _stop(self):
        self.destroy_domains()
        self._terminate()

    def connect(self):
        import libvirt
        libvirt.registerErrorHandler(lambda *args: None, None)
        conn = libvirt.open(self.uri)
        self.addCleanup(conn.close)
        return conn

    def define_and_start(self, conn, name):
        domain = conn.defineXML(DOMAIN % {'name': name,
                                          'uuid': uuid.uuid4()})
        domain.create()
        return domain


class LabTestCase(testtools.TestCase):
    """Tests sharing the daemons of their class.

    ``DAEMONS`` maps attribute names to hook installers (or None); each
    daemon starts once for the class, since starting one probes QEMU for
    seconds. Tests destroy their own domains.
    """

    DAEMONS = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lab = fixtures.Fixture()
        cls.lab.setUp()
        base = cls.lab.useFixture(fixtures.TempDir()).path
        for name, hook_script in cls.DAEMONS.items():
            setattr(cls, name, cls.lab.useFixture(
                LibvirtDaemon(base, name, hook_script=hook_script)))

    @classmethod
    def tearDownClass(cls):
        cls.lab.cleanUp()
        super().tearDownClass()
