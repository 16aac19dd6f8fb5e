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
"""A real three-node MariaDB Galera cluster on one machine, for tests.

Three ``mariadbd`` processes, each with its own data directory, socket and
ports under one temporary directory, replicate through the ``galera-4``
provider. Node 1 bootstraps the cluster; nodes 2 and 3 join it and receive
their data by state transfer (``rsync``), as a replacement node would in
production. Every process is started in its own session and stopped by its
process id (its group: the state transfer spawns ``rsync`` daemons), so
nothing outlives the cluster, and the machine's own MariaDB is never
touched.

Failure detection is shortened (``evs.*`` timeouts of a second or two) so
that killing a node costs the survivors seconds, not the default tens of
seconds; everything else is the stock configuration.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pwd

import pymysql

PROVIDERS = ('/usr/lib/galera/libgalera_smm.so', '/usr/lib/libgalera_smm.so',
             '/usr/lib64/galera-4/libgalera_smm.so',
             '/usr/lib64/galera/libgalera_smm.so')
SERVER_BINARIES = ('mariadbd', 'mysqld')
INSTALL_BINARIES = ('mariadb-install-db', 'mysql_install_db')
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Short failure detection: a killed node leaves the view in about 2 s.
PROVIDER_OPTIONS = ('evs.keepalive_period=PT0.3S; evs.suspect_timeout=PT1.5S;'
                    ' evs.inactive_timeout=PT3S; evs.inactive_check_period='
                    'PT0.5S; evs.install_timeout=PT3S; gcache.size=64M;'
                    ' pc.announce_timeout=PT0.5S')


def _service_user():
    """The account the servers run as when the tests run as root.

    ``mariadbd`` refuses root, and the rsync state transfer daemon run by
    root drops to ``nobody``, which could not write the joiner's files: so
    as root the whole cluster runs as the distribution's ``mysql`` account.
    """
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam('mysql')
    except KeyError:
        return None


class ClusterError(Exception):
    """The cluster could not be started or did not reach the wanted state."""


def _which(names, extra_dirs=('/usr/sbin', '/usr/local/sbin', '/sbin')):
    path = os.environ.get('PATH', '') + os.pathsep + os.pathsep.join(
        extra_dirs)
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def missing():
    """Why a cluster cannot run here (``None`` when it can)."""
    needs = {'a MariaDB server (mariadbd)': _which(SERVER_BINARIES),
             'mariadb-install-db': _which(INSTALL_BINARIES),
             'the Galera 4 provider (libgalera_smm.so, package galera-4)':
                 next((p for p in PROVIDERS if os.path.exists(p)), None),
             'rsync (state transfer)': _which(('rsync',)),
             'wsrep_sst_rsync (MariaDB server package)':
                 _which(('wsrep_sst_rsync',))}
    absent = [name for name, found in needs.items() if not found]
    return ('missing %s' % ', '.join(absent)) if absent else None


def _free_ports(count):
    """Ports nothing listens on now (bound then released by the kernel)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(('127.0.0.1', 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Node:
    """One ``mariadbd`` of the cluster: its files, ports and process."""

    def __init__(self, cluster, index, ports):
        self.cluster = cluster
        self.index = index
        self.name = 'node%d' % index
        self.port, self.gcomm_port, self.ist_port, self.sst_port = ports
        self.directory = os.path.join(cluster.directory, self.name)
        self.datadir = os.path.join(self.directory, 'data')
        self.socket = os.path.join(self.directory, 'mysqld.sock')
        self.config = os.path.join(self.directory, 'my.cnf')
        self.log = os.path.join(self.directory, 'error.log')
        # Not the shared /tmp: nothing else can touch the temporary files.
        self.tmpdir = os.path.join(self.directory, 'tmp')
        self.process = None

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def url(self, database=''):
        return 'mysql+pymysql://root@127.0.0.1:%d/%s' % (self.port, database)

    def write_config(self, gcomm):
        os.makedirs(self.datadir, exist_ok=True)
        os.makedirs(self.tmpdir, exist_ok=True)
        lines = [
            '[mariadbd]',
            'datadir=%s' % self.datadir,
            'tmpdir=%s' % self.tmpdir,
            'socket=%s' % self.socket,
            'pid-file=%s' % os.path.join(self.directory, 'mysqld.pid'),
            'log-error=%s' % self.log,
            'port=%d' % self.port,
            'bind-address=127.0.0.1',
            'skip-name-resolve',
            'max_connections=300',
            'innodb_buffer_pool_size=32M',
            'innodb_log_file_size=16M',
            'binlog_format=ROW',
            'default_storage_engine=InnoDB',
            'innodb_autoinc_lock_mode=2',
            'wsrep_on=ON',
            'wsrep_provider=%s' % self.cluster.provider,
            'wsrep_cluster_name=%s' % self.cluster.name,
            'wsrep_cluster_address=%s' % gcomm,
            'wsrep_node_name=%s' % self.name,
            'wsrep_node_address=127.0.0.1:%d' % self.gcomm_port,
            'wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:%d;'
            ' ist.recv_addr=127.0.0.1:%d; %s"'
            % (self.gcomm_port, self.ist_port, PROVIDER_OPTIONS),
            'wsrep_sst_method=rsync',
            'wsrep_sst_receive_address=127.0.0.1:%d' % self.sst_port,
            'wsrep_slave_threads=2',
        ]
        with open(self.config, 'w') as stream:
            stream.write('\n'.join(lines) + '\n')

    def start(self, bootstrap=False):
        """Start the server; it bootstraps a new cluster or joins one."""
        args = [self.cluster.server, '--defaults-file=%s' % self.config]
        if self.cluster.user:
            args.append('--user=%s' % self.cluster.user.pw_name)
        if bootstrap:
            args.append('--wsrep-new-cluster')
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def kill(self):
        """SIGKILL the server (and its state transfer helpers)."""
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def stop(self):
        """Stop the server cleanly, killing it if it does not stop in time."""
        if self.process is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
        self._signal(signal.SIGKILL)  # helpers left in its process group
        self.process = None

    def _signal(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def connect(self, **kwargs):
        return pymysql.connect(unix_socket=self.socket, user='root',
                               autocommit=True, connect_timeout=5, **kwargs)

    def status(self):
        """``{wsrep status variable: value}``, or None if unreachable."""
        try:
            conn = self.connect()
        except pymysql.err.MySQLError:
            return None
        try:
            with conn.cursor() as cursor:
                cursor.execute("SHOW STATUS LIKE 'wsrep_%'")
                return dict(cursor.fetchall())
        finally:
            conn.close()

    def is_synced(self):
        status = self.process is not None and self.status()
        return bool(status) and status.get(
            'wsrep_local_state_comment') == 'Synced'

    def wait_synced(self, cluster_size, timeout=START_TIMEOUT):
        """Wait until this node is Synced in a primary view of that size."""
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ClusterError('%s exited with %s; its log ends:\n%s'
                                   % (self.name, self.process.returncode,
                                      self.log_tail()))
            status = self.status()
            if status and status.get('wsrep_local_state_comment') == \
                    'Synced' and status.get('wsrep_ready') == 'ON' and \
                    status.get('wsrep_cluster_status') == 'Primary' and \
                    int(status.get('wsrep_cluster_size', 0)) == cluster_size:
                return status
            time.sleep(0.2)
        raise ClusterError('%s not synced in a cluster of %d after %.0f s '
                           '(last status %s); its log ends:\n%s' % (
                               self.name, cluster_size, timeout,
                               status and {k: status.get(k) for k in (
                                   'wsrep_local_state_comment',
                                   'wsrep_cluster_size')}, self.log_tail()))

    def log_tail(self, lines=30):
        try:
            with open(self.log, errors='replace') as stream:
                return ''.join(stream.readlines()[-lines:])
        except OSError:
            return '(no log)'


class Cluster:
    """Three Galera nodes under one temporary directory.

    Use as a context manager, or call ``start()`` then ``stop()``.
    """

    size = 3

    def __init__(self, directory=None):
        reason = missing()
        if reason:
            raise ClusterError(reason)
        self.server = _which(SERVER_BINARIES)
        self.install = _which(INSTALL_BINARIES)
        self.provider = next(p for p in PROVIDERS if os.path.exists(p))
        self.user = _service_user()
        self._own_directory = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix='miglock-gal-')
        self.name = 'miglock_%s' % uuid.uuid4().hex[:8]
        ports = _free_ports(4 * self.size)
        self.nodes = [Node(self, n + 1, ports[4 * n:4 * n + 4])
                      for n in range(self.size)]
        self.gcomm = 'gcomm://' + ','.join(
            '127.0.0.1:%d' % node.gcomm_port for node in self.nodes)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        """Bootstrap node 1, then join nodes 2 and 3 by state transfer."""
        try:
            for node in self.nodes:
                node.write_config(self.gcomm)
            self._chown()
            self._install(self.nodes[0])
            self.nodes[0].start(bootstrap=True)
            self.nodes[0].wait_synced(1)
            self._grant(self.nodes[0])
            # Both join at once: the second waits for a free donor.
            for node in self.nodes[1:]:
                node.start()
            self.wait_synced()
        except BaseException:
            self.stop()
            raise

    def _chown(self):
        if self.user is None:
            return
        uid, gid = self.user.pw_uid, self.user.pw_gid
        os.chown(self.directory, uid, gid)
        for parent, dirs, files in os.walk(self.directory):
            for name in dirs + files:
                os.chown(os.path.join(parent, name), uid, gid)

    def _install(self, node):
        args = [self.install, '--no-defaults', '--datadir=%s' % node.datadir,
                '--tmpdir=%s' % node.tmpdir,
                '--auth-root-authentication-method=normal',
                '--skip-test-db', '--skip-name-resolve']
        if self.user:
            args.append('--user=%s' % self.user.pw_name)
        result = subprocess.run(args, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True,
                                timeout=START_TIMEOUT)
        if result.returncode:
            raise ClusterError('mariadb-install-db failed: %s'
                               % result.stderr[-2000:])

    @staticmethod
    def _grant(node):
        """Let root in over TCP from 127.0.0.1, as the tests connect."""
        conn = node.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
                cursor.execute("GRANT ALL ON *.* TO 'root'@'127.0.0.1' "
                               "WITH GRANT OPTION")
        finally:
            conn.close()

    def stop(self):
        """Stop every node by its process id and remove the files."""
        errors = []
        for node in reversed(self.nodes):
            try:
                node.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        if errors:
            raise errors[0]

    def kill(self, node):
        """SIGKILL one node; wait until the survivors form a primary view."""
        node.kill()
        alive = [n for n in self.nodes if n.process is not None]
        for other in alive:
            other.wait_synced(len(alive))

    def restart(self, node):
        """Start a killed node; it rejoins by state transfer (IST or SST)."""
        node.start()
        node.wait_synced(len([n for n in self.nodes
                              if n.process is not None]))

    def heal(self):
        """Start every node a failed test left down; wait until synced."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is not None:
                node.process = None
            if node.process is None:
                node.start()
        self.wait_synced()

    def wait_synced(self):
        alive = [n for n in self.nodes if n.process is not None]
        for node in alive:
            node.wait_synced(len(alive))

    def create_database(self):
        """A new database (created on node 1, replicated); its name."""
        name = 'miglock_g_%s' % uuid.uuid4().hex[:12]
        conn = self.nodes[0].connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute('CREATE DATABASE %s' % name)
        finally:
            conn.close()
        return name

    def drop_database(self, name):
        conn = self.nodes[0].connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute('DROP DATABASE IF EXISTS %s' % name)
        finally:
            conn.close()
