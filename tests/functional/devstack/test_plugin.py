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
"""devstack/plugin.sh, every phase in stack.sh's order, with errexit.

The devstack functions the plugin calls are stand-ins (``stand-ins.sh``
beside this file, following devstack master at the revision it names);
everything else is real: nova-miglock-manage from this checkout, Nova 34's
own api-paste.ini, INI files written the way devstack's ``iniset`` writes
them, and the lock store on the MariaDB at 127.0.0.1. Keystone, pip and
systemd are recorded rather than called (see the stand-ins).
"""

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from nova_miglock.testing import databases

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BIN = os.path.dirname(sys.executable)
NOVA_PASTE = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')
PHASES = ['stack pre-install', 'stack install', 'stack post-config',
          'stack extra', 'stack test-config']
CONTROLLER = ('key,mysql,rabbit,n-api,n-api-meta,n-cond,n-sch,n-cpu,'
              'placement-api,q-svc,q-agt')
SUBNODE = 'n-cpu,placement-client,q-agt'

# What stack.sh has done before the plugin's post-config (lib/nova's
# configure_nova and create_nova_conf, in part).
BEFORE_PLUGIN = """
install -d "$NOVA_CONF_DIR"
if [[ "$ENABLED_SERVICES" =~ "n-api" ]]; then
    cp "$NOVA_SOURCE_PASTE" "$NOVA_CONF_DIR"
fi
iniset "$NOVA_CONF" DEFAULT debug True
iniset "$NOVA_CONF" wsgi api_paste_config "$NOVA_API_PASTE_INI"
iniset "$NOVA_CONF" filter_scheduler enabled_filters "$NOVA_FILTERS"
iniset "$NOVA_CONF" notifications notify_on_state_change vm_and_task_state
chmod 0640 "$NOVA_CONF"
"""


def _script(steps):
    lines = ['set -o errexit', 'source "$STANDINS"',
             'source "$PLUGIN_DIR/settings"', BEFORE_PLUGIN]
    lines += ['source "$PLUGIN_DIR/plugin.sh" %s' % step for step in steps]
    return '\n'.join(lines) + '\n'


class Node:
    """One devstack node in a temporary directory."""

    def __init__(self, tmp_path, services, db_name):
        self.dir = tmp_path
        self.conf_dir = tmp_path / 'etc-nova'
        self.log = tmp_path / 'standin.log'
        self.hooks = tmp_path / 'hooks'
        server = databases.SERVER_URLS['mysql']
        self.env = dict(
            os.environ, PATH='%s:%s' % (BIN, os.environ['PATH']),
            STANDINS=os.path.join(HERE, 'stand-ins.sh'),
            STANDIN_LOG=str(self.log),
            PLUGIN_DIR=os.path.join(ROOT, 'devstack'),
            NOVA_SOURCE_PASTE=NOVA_PASTE,
            ENABLED_SERVICES=services, DISABLED_SERVICES='',
            DEST=str(tmp_path), STACK_USER=_user(),
            NOVA_CONF_DIR=str(self.conf_dir),
            NOVA_CONF=str(self.conf_dir / 'nova.conf'),
            NOVA_API_PASTE_INI=str(self.conf_dir / 'api-paste.ini'),
            NOVA_FILTERS='ComputeFilter,ImagePropertiesFilter',
            NOVA_MIGLOCK_CONF=str(self.conf_dir / 'nova-miglock.conf'),
            NOVA_MIGLOCK_DB_NAME=db_name,
            NOVA_MIGLOCK_HOOKS_DIR=str(self.hooks),
            NOVA_MIGLOCK_LIBVIRTD_PID_FILE=str(tmp_path / 'libvirtd.pid'),
            DATABASE_BACKENDS='mysql postgresql', DATABASE_TYPE='mysql',
            DATABASE_USER='root', DATABASE_PASSWORD='',
            DATABASE_HOST='127.0.0.1', MYSQL_HOST='127.0.0.1',
            MYSQL_GATHER_PERFORMANCE='False',
            BASE_SQL_CONN=server.replace('root@', 'root:@'),
            RABBIT_USERID='stackrabbit', RABBIT_PASSWORD='rabbitpw',
            RABBIT_HOST='127.0.0.1', SERVICE_PASSWORD='servicepw',
            ADMIN_PASSWORD='adminpw', SERVICE_PROJECT_NAME='service',
            SERVICE_DOMAIN_NAME='Default', REGION_NAME='RegionOne',
            KEYSTONE_SERVICE_URI='http://127.0.0.1/identity')

    def run(self, steps):
        return subprocess.run(['bash', '-c', _script(steps)], env=self.env,
                              capture_output=True, text=True, timeout=240)

    def calls(self, name):
        if not self.log.exists():
            return []
        return [line.split(' ', 1)[1] for line in
                self.log.read_text().splitlines()
                if line.split(' ', 1)[0] == name]

    def text(self, name):
        return (self.conf_dir / name).read_text()


def _user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def _manage(node, *args):
    return subprocess.run(
        [os.path.join(BIN, 'nova-miglock-manage'), '--config-file',
         node.env['NOVA_CONF'], '--config-file',
         node.env['NOVA_MIGLOCK_CONF']] + list(args),
        capture_output=True, text=True, timeout=60)


@pytest.fixture
def db_name():
    name = 'miglock_ds_%s' % uuid.uuid4().hex[:10]
    yield name
    engine = sa.create_engine(databases.SERVER_URLS['mysql'])
    with engine.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS %s' % name)
    engine.dispose()


def test_all_in_one_node_stacks_and_cleans(tmp_path, db_name):
    node = Node(tmp_path, CONTROLLER, db_name)
    result = node.run(PHASES)
    assert result.returncode == 0, result.stderr[-3000:]
    # The store exists and its schema is current (db version exits 3 if
    # not).
    version = _manage(node, 'db', 'version')
    assert version.returncode == 0, version.stdout + version.stderr
    assert node.calls('recreate_database') == [db_name]
    paste = node.text('api-paste.ini')
    assert 'keystonecontext miglock_api miglock_gate' in paste
    assert 'miglock_metadata metaapp' in paste
    nova_conf = node.text('nova.conf')
    assert 'ImagePropertiesFilter,MigrationLockFilter' in nova_conf
    assert '[miglock_database]' in nova_conf
    assert oct(os.stat(node.env['NOVA_CONF']).st_mode & 0o777) == '0o640'
    own = node.text('nova-miglock.conf')
    assert 'username = nova-miglock' in own
    assert 'password = servicepw' in own and 'adminpw' not in own
    assert node.calls('get_or_create_user') == [
        'nova-miglock servicepw Default']
    started = [call.split('|')[0] for call in node.calls('run_process')]
    assert started == ['miglock-compute', 'miglock-listener']
    assert (node.hooks / 'qemu.d' / '50-nova-miglock').exists()

    result = node.run(['unstack', 'clean'])
    assert result.returncode == 0, result.stderr[-3000:]
    assert node.calls('stop_process') == ['miglock-listener',
                                          'miglock-compute']
    assert not (node.hooks / 'qemu.d' / '50-nova-miglock').exists()
    assert not os.path.exists(node.env['NOVA_MIGLOCK_CONF'])


def test_compute_subnode_stacks_without_touching_the_store(tmp_path,
                                                           db_name):
    controller = Node(tmp_path / 'controller', CONTROLLER, db_name)
    assert controller.run(PHASES).returncode == 0
    hold = _manage(controller, 'quota', 'set', 'p-kept',
                   '--locked-instances', '7')
    assert hold.returncode == 0, hold.stderr

    node = Node(tmp_path / 'subnode', SUBNODE, db_name)
    result = node.run(PHASES)
    assert result.returncode == 0, result.stderr[-3000:]
    assert node.calls('recreate_database') == []
    assert not os.path.exists(node.env['NOVA_API_PASTE_INI'])
    nova_conf = node.text('nova.conf')
    assert 'notification_format = both' in nova_conf
    # No secret that nova-compute lacks.
    assert '[miglock_database]' not in nova_conf
    own = node.text('nova-miglock.conf')
    assert db_name in own and '[miglock_nova]' not in own
    assert node.calls('get_or_create_user') == []
    started = [call.split('|')[0] for call in node.calls('run_process')]
    assert started == ['miglock-compute']
    assert (node.hooks / 'qemu.d' / '50-nova-miglock').exists()
    # The controller's store still has its data.
    shown = _manage(controller, 'quota', 'show', 'p-kept')
    assert '7' in shown.stdout, shown.stdout + shown.stderr


def test_a_failing_step_stops_the_stack(tmp_path, db_name):
    """errexit reaches into the plugin: a broken api-paste.ini aborts."""
    node = Node(tmp_path, CONTROLLER, db_name)
    (tmp_path / 'broken').mkdir()
    broken = tmp_path / 'broken' / 'api-paste.ini'
    broken.write_text('[pipeline:meta]\npipeline = cors myapp\n')
    node.env['NOVA_SOURCE_PASTE'] = str(broken)
    result = node.run(PHASES)
    assert result.returncode != 0
    assert 'has no metaapp' in result.stderr
    assert node.calls('run_process') == []
