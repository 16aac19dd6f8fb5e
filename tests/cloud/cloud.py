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
"""Starting and stopping the one-machine cloud.

``Cloud(run_dir).start()`` brings the services up in dependency order,
running the independent slow steps (database migrations, Keystone's
bootstrap, the libvirt daemons) side by side, and records everything that
must be undone (processes, databases, the RabbitMQ vhost) in
``run_dir/state.json`` before doing it, so that ``stop()`` (also from
another process: ``tools/cloud.sh stop``) undoes exactly that.
"""

import concurrent.futures
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa
import yaml

from nova_miglock.testing import databases
from tests.cloud import configs
from tests.cloud import identity
from tests.cloud import processes

DATABASES = ('keystone', 'placement', 'glance', 'nova_api', 'nova_cell0',
             'nova', 'miglock')
# (host name, the address its libvirtd is reached by): 127.0.0.0/8 is all
# loopback, so each compute host has an address of its own.
COMPUTES = (('compute1', '127.0.0.11'), ('compute2', '127.0.0.12'))
LIBVIRT_DIRS = ('/etc/libvirt', '/run/libvirt', '/var/lib/libvirt',
                '/var/cache/libvirt', '/var/log/libvirt')
# (name, MiB): the smallest boots, the other is what a resize asks for.
FLAVORS = (('miglock.tiny', 64), ('miglock.small', 96))
IMAGE = 'miglock-blank'
START_TIMEOUT = float(os.environ.get('MIGLOCK_CLOUD_START_TIMEOUT', '420'))


def missing():
    """Why the cloud cannot start here, or None."""
    if os.geteuid() != 0:
        return 'the one-machine cloud needs root (libvirtd, namespaces)'
    tools = ['libvirtd', 'virtlogd', 'unshare', 'qemu-system-x86_64',
             'qemu-img', 'rabbitmqctl']
    for tool in tools:
        if shutil.which(tool) is None:
            return '%s is not installed (tools/setup-cloud.sh)' % tool
    for tool in ('uwsgi', 'keystone-manage', 'glance-manage', 'nova-compute',
                 'placement-manage'):
        if not os.path.exists(os.path.join(BIN, tool)):
            return '%s is not in %s (tools/setup-cloud.sh)' % (tool, BIN)
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return 'libvirt-python is not installed (tools/setup-cloud.sh)'
    return None


BIN = os.path.dirname(sys.executable)
VENV = os.path.dirname(BIN)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _write(path, text, mode=0o640):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as stream:
        stream.write(text)
    os.chmod(path, mode)


class Cloud:
    """One cloud in ``run_dir``."""

    def __init__(self, run_dir):
        self.run_dir = os.path.abspath(run_dir)
        self.state_file = os.path.join(self.run_dir, 'state.json')
        self.state = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as stream:
                self.state = json.load(stream)

    # -- bookkeeping -------------------------------------------------------

    def _save(self):
        _write(self.state_file, json.dumps(self.state, indent=1) + '\n',
               mode=0o600)

    def path(self, *parts):
        return os.path.join(self.run_dir, *parts)

    def env(self, **extra):
        """The environment of every service: ours, without test settings."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('OS_', 'PYTEST', 'MIGLOCK_'))}
        env['PATH'] = BIN + os.pathsep + env.get('PATH', '/usr/bin:/bin')
        env.update(extra)
        return env

    def _start(self, name, argv, **env):
        self.state.setdefault('processes', [])
        if name not in self.state['processes']:
            self.state['processes'].append(name)
            self._save()
        return processes.start(self.run_dir, name, argv, env=self.env(**env))

    def _run(self, name, argv, **env):
        processes.run(self.run_dir, name, argv, env=self.env(**env))

    # -- layout ------------------------------------------------------------

    def _layout(self):
        run_id = uuid.uuid4().hex[:8]
        ports = {name: free_port() for name in (
            'keystone', 'placement', 'glance', 'nova_api', 'metadata',
            'neutron')}
        server = databases.SERVER_URLS['mysql']
        values = {
            'run_id': run_id,
            'password': secrets.token_hex(12),
            'metadata_secret': secrets.token_hex(16),
            'etc': self.path('etc'), 'state': self.path('state'),
            'instances': self.path('state', 'instances'),
            'sockets': self.path('sockets'), 'bin': BIN,
            'ports': ports,
            'urls': {name: 'http://127.0.0.1:%d' % port
                     for name, port in ports.items()},
            'vhost': 'miglock_%s' % run_id,
        }
        values['keystone'] = values['urls']['keystone'] + '/v3'
        values['rabbit'] = 'rabbit://guest:guest@127.0.0.1:5672/%s' % (
            values['vhost'])
        values['databases'] = {
            name: 'miglock_c%s_%s' % (run_id, name) for name in DATABASES}
        for name, database in values['databases'].items():
            values['db_' + name] = '%s/%s?charset=utf8' % (server, database)
        return values

    # -- the steps ---------------------------------------------------------

    def _create_databases(self, values):
        engine = sa.create_engine(databases.SERVER_URLS['mysql'],
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as conn:
                for database in values['databases'].values():
                    self.state.setdefault('databases', []).append(database)
                    self._save()
                    conn.exec_driver_sql(
                        'CREATE DATABASE %s CHARACTER SET utf8mb4' % database)
        finally:
            engine.dispose()

    def _create_vhost(self, values):
        self.state['vhost'] = values['vhost']
        self._save()
        subprocess.run(['rabbitmqctl', '-q', 'add_vhost', values['vhost']],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(['rabbitmqctl', '-q', 'set_permissions', '-p',
                        values['vhost'], 'guest', '.*', '.*', '.*'],
                       check=True, capture_output=True, timeout=120)

    def _write_configs(self, v):
        etc = v['etc']
        _write(os.path.join(etc, 'keystone', 'keystone.conf'),
               configs.KEYSTONE % v)
        _write(os.path.join(etc, 'placement', 'placement.conf'),
               configs.PLACEMENT % dict(v, user='placement'))
        _write(os.path.join(etc, 'glance', 'glance-api.conf'),
               configs.GLANCE % dict(v, user='glance'))
        shutil.copy(os.path.join(VENV, 'etc', 'glance',
                                 'glance-api-paste.ini'),
                    os.path.join(etc, 'glance', 'glance-api-paste.ini'))
        _write(os.path.join(etc, 'nova', 'nova.conf'),
               configs.NOVA % dict(v, user='nova'))
        shutil.copy(os.path.join(VENV, 'etc', 'nova', 'api-paste.ini'),
                    os.path.join(etc, 'nova', 'api-paste.ini'))
        _write(os.path.join(etc, 'nova-miglock', 'nova-miglock.conf'),
               configs.MIGLOCK % v)
        os.makedirs(v['sockets'], exist_ok=True)
        for host, address in COMPUTES:
            hooks = self.path('libvirt', host, 'etc_libvirt', 'hooks')
            per_host = dict(v, host=host, address=address, hooks=hooks,
                            replica=self.replica_path(host))
            _write(os.path.join(etc, 'nova', '%s.conf' % host),
                   configs.COMPUTE % per_host)
            _write(os.path.join(etc, 'nova-miglock', '%s.conf' % host),
                   configs.MIGLOCK_COMPUTE % per_host)
        for name in ('nova', 'glance/images', 'glance/staging',
                     'glance/tasks', 'instances', 'instances-store') + tuple(
                         host for host, _address in COMPUTES):
            os.makedirs(os.path.join(v['state'], name), exist_ok=True)

    def _shared_storage(self, v):
        """Both compute hosts' instances_path on one FUSE mount (bindfs).

        Nova's libvirt driver finds the path shared (a file one host
        creates, the other sees), but libvirt itself refuses a live
        migration whose disks are on a local filesystem ("Migration
        without shared storage is unsafe"): it recognises shared storage
        by filesystem type only (NFS, GFS2, CephFS, GlusterFS's FUSE mount
        and a few more). The bindfs mount is given the FUSE subtype
        ``glusterfs`` so that libvirt sees it as the shared filesystem it
        is here; nothing else reads that name. Mounted before the libvirt
        daemons start, since their private mount namespaces copy the
        mounts of that moment.
        """
        self.state['mounts'] = [v['instances']]
        self._save()
        self._start('bindfs', ['bindfs', '-f', '-o', 'subtype=glusterfs',
                               self.path('state', 'instances-store'),
                               v['instances']])
        processes.wait_until('the shared instance storage',
                             lambda: os.path.ismount(v['instances']),
                             START_TIMEOUT, self.run_dir, 'bindfs')

    def _nova_manage(self, log, *args):
        self._run(log, [os.path.join(BIN, 'nova-manage'), '--config-file',
                        self.path('etc', 'nova', 'nova.conf')] + list(args))

    def _sync_nova_api(self, v):
        log = 'nova-manage-api'
        self._nova_manage(log, 'api_db', 'sync')
        self._nova_manage(log, 'cell_v2', 'map_cell0',
                          '--database_connection', v['db_nova_cell0'])
        self._nova_manage(log, 'cell_v2', 'create_cell', '--name', 'cell1')

    def _sync_nova_cell(self, v, cell):
        """Migrate one cell database (what "db sync" does for each)."""
        conf = self.path('etc', 'nova', 'sync-%s.conf' % cell)
        _write(conf, '[database]\nconnection = %s\n' % v['db_' + cell])
        self._nova_manage('nova-manage-%s' % cell, '--config-file', conf,
                          'db', 'sync', '--local_cell')

    def _uwsgi(self, name, module, port, threads=4, **env):
        ini = self.path('etc', 'uwsgi', '%s.ini' % name)
        _write(ini, configs.UWSGI % {'port': port, 'module': module,
                                     'threads': threads})
        self._start(name, [os.path.join(BIN, 'uwsgi'), '--ini', ini], **env)
        processes.wait_until('%s to answer on port %d' % (name, port),
                             lambda: processes.http_ready(
                                 'http://127.0.0.1:%d/' % port),
                             START_TIMEOUT, self.run_dir, name)

    def _keystone(self, v):
        conf = self.path('etc', 'keystone', 'keystone.conf')
        manage = [os.path.join(BIN, 'keystone-manage'), '--config-file', conf]

        def keys():
            for command in ('fernet_setup', 'credential_setup'):
                self._run('keystone-keys', manage + [
                    command, '--keystone-user', 'root', '--keystone-group',
                    'root'])

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            keys_made = pool.submit(keys)
            self._run('keystone-manage', manage + ['db_sync'])
            keys_made.result()
        self._run('keystone-manage', manage + [
            'bootstrap', '--bootstrap-password', v['password'],
            '--bootstrap-region-id', 'RegionOne',
            '--bootstrap-admin-url', v['keystone'],
            '--bootstrap-internal-url', v['keystone'],
            '--bootstrap-public-url', v['keystone']])
        self._uwsgi('keystone', 'keystone.wsgi.api:application',
                    v['ports']['keystone'], OS_KEYSTONE_CONFIG_FILES=conf)
        self.state['projects'] = identity.populate(
            v['keystone'], v['password'], v['urls'])
        self._save()

    def _placement(self, v):
        etc = self.path('etc', 'placement')
        self._run('placement-manage', [
            os.path.join(BIN, 'placement-manage'), '--config-file',
            os.path.join(etc, 'placement.conf'), 'db', 'sync'])
        return lambda: self._uwsgi(
            'placement', 'placement.wsgi.api:application',
            v['ports']['placement'], OS_PLACEMENT_CONFIG_DIR=etc)

    def _glance(self, v):
        conf = self.path('etc', 'glance', 'glance-api.conf')
        self._run('glance-manage', [os.path.join(BIN, 'glance-manage'),
                                    '--config-file', conf, 'db_sync'])
        return lambda: self._uwsgi(
            'glance-api', 'glance.wsgi.api:application',
            v['ports']['glance'], OS_GLANCE_CONFIG_DIR=self.path(
                'etc', 'glance'))

    def _configure_nova(self, v):
        """Plug nova-miglock into Nova exactly as an operator does."""
        self._run('nova-miglock-manage', [
            os.path.join(BIN, 'nova-miglock-manage'), 'configure-nova',
            '--nova-conf', self.path('etc', 'nova', 'nova.conf'),
            '--api-paste', self.path('etc', 'nova', 'api-paste.ini'),
            '--set-store', v['db_miglock']])

    def _sync_miglock(self, v):
        self._run('nova-miglock-manage', self._miglock_manage() + [
            'db', 'sync'])

    def _miglock_manage(self, *files):
        argv = [os.path.join(BIN, 'nova-miglock-manage'), '--config-file',
                self.path('etc', 'nova', 'nova.conf'), '--config-file',
                self.path('etc', 'nova-miglock', 'nova-miglock.conf')]
        for path in files:
            argv += ['--config-file', path]
        return argv

    def _libvirtd(self, v, host, address):
        from nova_miglock.testing import libvirt_lab as lab
        root = self.path('libvirt', host)
        private = {path: os.path.join(root, path.strip('/').replace('/', '_'))
                   for path in LIBVIRT_DIRS}
        lab._kvm_usable_by_qemu()
        shutil.copytree('/etc/libvirt', private['/etc/libvirt'],
                        symlinks=True)
        for path in LIBVIRT_DIRS[1:]:
            os.makedirs(private[path])
        etc = private['/etc/libvirt']
        with open(os.path.join(etc, 'qemu.conf'), 'a') as stream:
            stream.write(configs.QEMU)
        shutil.rmtree(os.path.join(etc, 'hooks'), ignore_errors=True)
        # The hook, as an operator installs it (before the daemon starts,
        # so that it needs no reload).
        self._run('hook-install-%s' % host, self._miglock_manage(
            self.path('etc', 'nova-miglock', '%s.conf' % host)) + [
            'hook', 'install'])
        config = os.path.join(root, 'libvirtd.conf')
        _write(config, configs.LIBVIRTD % {'uuid': uuid.uuid4()})
        for path in LIBVIRT_DIRS:
            os.makedirs(path, exist_ok=True)  # mount points
        socket_path = os.path.join(private['/run/libvirt'], 'libvirt-sock')
        link = os.path.join(v['sockets'], address)
        if not os.path.lexists(link):
            os.symlink(socket_path, link)
        binds = ' && '.join('mount --bind %s %s' % (private[p], p)
                            for p in LIBVIRT_DIRS)
        self.state.setdefault('virtlogd', []).append(
            os.path.join(root, 'virtlogd.pid'))
        self._save()
        self._start('libvirtd-%s' % host, [
            'unshare', '--mount', '--uts', '--propagation', 'private',
            'sh', '-c', '%s && hostname %s && virtlogd -d --pid-file %s && '
            'exec libvirtd --config %s --pid-file %s' % (
                binds, host, os.path.join(root, 'virtlogd.pid'), config,
                os.path.join(root, 'libvirtd.pid'))])
        processes.wait_until('libvirtd on %s' % host,
                             lambda: os.path.exists(socket_path),
                             START_TIMEOUT, self.run_dir,
                             'libvirtd-%s' % host)

    def _nova_service(self, name, binary, *extra_files):
        argv = [os.path.join(BIN, binary), '--config-file',
                self.path('etc', 'nova', 'nova.conf')]
        for path in extra_files:
            argv += ['--config-file', path]
        self._start(name, argv)

    def _nova_api(self, v):
        etc = self.path('etc', 'nova')
        self._uwsgi('nova-api', 'nova.wsgi.osapi_compute:application',
                    v['ports']['nova_api'], OS_NOVA_CONFIG_DIR=etc)

    def _nova_metadata(self, v):
        etc = self.path('etc', 'nova')
        self._uwsgi('nova-api-metadata', 'nova.wsgi.metadata:application',
                    v['ports']['metadata'], OS_NOVA_CONFIG_DIR=etc)

    def _computes(self, v):
        for host, _address in COMPUTES:
            self._compute(host)

    def stop_compute(self, host):
        """Stop nova-compute and the host agent (libvirtd stays)."""
        processes.stop_all(self.run_dir, ['nova-compute-%s' % host,
                                          'miglock-compute-%s' % host])

    def start_compute(self, host):
        self._compute(host)

    def replica_path(self, host):
        """The host-local lock replica its agent writes and hook reads."""
        return self.path('state', host, 'miglock-replica')

    def stop_agent(self, host):
        """Stop nova-miglock's host agent only."""
        processes.stop(self.run_dir, 'miglock-compute-%s' % host)

    def _compute(self, host):
        self._nova_service('nova-compute-%s' % host, 'nova-compute',
                           self.path('etc', 'nova', '%s.conf' % host))
        self.start_agent(host)

    def start_agent(self, host):
        self._start('miglock-compute-%s' % host, [
            os.path.join(BIN, 'nova-miglock-compute')] + self._config_args(
            self.path('etc', 'nova', 'nova.conf'),
            self.path('etc', 'nova-miglock', 'nova-miglock.conf'),
            self.path('etc', 'nova-miglock', '%s.conf' % host)))

    @staticmethod
    def _config_args(*files):
        args = []
        for path in files:
            args += ['--config-file', path]
        return args

    def _image_and_flavor(self, v):
        from keystoneauth1.identity import v3
        from keystoneauth1 import session as ks_session
        session = ks_session.Session(auth=v3.Password(
            auth_url=v['keystone'], username='admin',
            password=v['password'], project_name='admin',
            user_domain_id='default', project_domain_id='default'))
        image = session.post('/v2/images', endpoint_filter={
            'service_type': 'image'}, json={
            'name': IMAGE, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public'}).json()
        # A blank 1 MiB disk: the guest sits in its firmware, which is all
        # a migration needs.
        session.put('/v2/images/%s/file' % image['id'],
                    endpoint_filter={'service_type': 'image'},
                    data=b'\0' * (1 << 20),
                    headers={'Content-Type': 'application/octet-stream'})
        for name, ram in FLAVORS:
            session.post('/flavors', endpoint_filter={
                'service_type': 'compute'}, json={'flavor': {
                    'name': name, 'ram': ram, 'vcpus': 1, 'disk': 1}})
        self.state['image'] = image['id']
        self._save()

    def _computes_ready(self, v):
        engine = sa.create_engine(v['db_nova_api'])
        try:
            with engine.connect() as conn:
                mapped = conn.exec_driver_sql(
                    'SELECT count(*) FROM host_mappings').scalar()
        finally:
            engine.dispose()
        return mapped >= len(COMPUTES)

    def start(self):
        """Start the cloud; on failure stop what started and raise."""
        reason = missing()
        if reason:
            raise processes.StartError(reason)
        if self.state.get('processes'):
            raise processes.StartError('a cloud already runs in %s; stop '
                                       'it first' % self.run_dir)
        started = time.monotonic()
        os.makedirs(self.run_dir, exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        v = self._layout()
        self.state.update(values=v, started=time.time())
        self._save()
        try:
            self._start_all(v)
        except BaseException:
            self.stop()
            raise
        self.state['start_seconds'] = round(time.monotonic() - started, 1)
        self._save()
        return self.state

    def _start_all(self, v):
        self._write_configs(v)
        self._configure_nova(v)
        self._shared_storage(v)
        self._create_databases(v)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=10)
        try:
            vhost = pool.submit(self._create_vhost, v)
            keystone = pool.submit(self._keystone, v)
            placement = pool.submit(self._placement, v)
            glance = pool.submit(self._glance, v)
            nova = [pool.submit(self._sync_nova_api, v)] + [
                pool.submit(self._sync_nova_cell, v, cell)
                for cell in ('nova', 'nova_cell0')]
            miglock = pool.submit(self._sync_miglock, v)
            daemons = [pool.submit(self._libvirtd, v, host, address)
                       for host, address in COMPUTES]
            self._start('neutron', [sys.executable, '-m',
                                    'tests.cloud.neutron',
                                    str(v['ports']['neutron'])],
                        PYTHONPATH=os.path.dirname(os.path.dirname(
                            os.path.dirname(os.path.abspath(__file__)))))
            keystone.result()
            later = [pool.submit(placement.result()),
                     pool.submit(glance.result())]
            for future in [vhost, miglock] + nova:
                future.result()
            later += [pool.submit(self._nova_api, v),
                      pool.submit(self._nova_metadata, v)]
            self._nova_service('nova-conductor', 'nova-conductor')
            self._nova_service('nova-scheduler', 'nova-scheduler')
            self._start('miglock-listener', [
                os.path.join(BIN, 'nova-miglock-listener')] +
                self._config_args(
                    self.path('etc', 'nova', 'nova.conf'),
                    self.path('etc', 'nova-miglock', 'nova-miglock.conf')))
            for future in daemons:
                future.result()
            self._computes(v)
            for future in later:
                future.result()
            self._image_and_flavor(v)
            processes.wait_until('both compute hosts in the cell',
                                 lambda: self._computes_ready(v),
                                 START_TIMEOUT, self.run_dir,
                                 'nova-compute-compute2')
        finally:
            pool.shutdown(wait=True)
        _write(self.path('clouds.yaml'), yaml.safe_dump(
            identity.clouds_yaml(v['keystone'], v['password'])))

    # -- stopping ----------------------------------------------------------

    def libvirt_uri(self, host):
        address = dict(COMPUTES)[host]
        return 'qemu+unix:///system?socket=%s' % os.path.join(
            self.path('sockets'), address)

    def destroy_domains(self):
        try:
            import libvirt
        except ImportError:
            return
        libvirt.registerErrorHandler(lambda *args: None, None)
        for host, _address in COMPUTES:
            try:
                conn = libvirt.open(self.libvirt_uri(host))
            except libvirt.libvirtError:
                continue
            try:
                for domain in conn.listAllDomains():
                    try:
                        if domain.isActive():
                            domain.destroy()
                        domain.undefineFlags(
                            libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
                    except libvirt.libvirtError:
                        pass
            finally:
                conn.close()

    def stop(self):
        """Stop every process, drop the databases and the vhost."""
        errors = []
        names = list(self.state.get('processes', []))
        # Nova's services first (they hold domains and connections), the
        # libvirt daemons after their guests are gone.
        processes.stop_all(self.run_dir, [
            name for name in names if not name.startswith('libvirtd-')])
        self.destroy_domains()
        processes.stop_all(self.run_dir, [
            name for name in names if name.startswith('libvirtd-')])
        for mount in self.state.pop('mounts', []):
            if os.path.ismount(mount):
                subprocess.run(['fusermount', '-u', '-z', mount],
                               capture_output=True, timeout=60)
        for pid_file in self.state.get('virtlogd', []):
            try:
                with open(pid_file) as stream:
                    os.kill(int(stream.read().strip()), 15)
            except (OSError, ValueError):
                pass
        self.state['processes'] = []
        self._drop_databases(errors)
        self._delete_vhost(errors)
        self._save()
        return errors

    def _drop_databases(self, errors):
        dropped = []
        engine = sa.create_engine(databases.SERVER_URLS['mysql'],
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as conn:
                for database in self.state.get('databases', []):
                    conn.exec_driver_sql('DROP DATABASE IF EXISTS %s'
                                         % database)
                    dropped.append(database)
        except sa.exc.SQLAlchemyError as exc:
            errors.append('dropping databases: %s' % exc)
        finally:
            engine.dispose()
        self.state['databases'] = [name for name in self.state.get(
            'databases', []) if name not in dropped]

    def _delete_vhost(self, errors):
        vhost = self.state.pop('vhost', None)
        if not vhost:
            return
        result = subprocess.run(['rabbitmqctl', '-q', 'delete_vhost', vhost],
                                capture_output=True, text=True, timeout=120)
        if result.returncode:
            errors.append('deleting vhost %s: %s' % (vhost, result.stderr))
