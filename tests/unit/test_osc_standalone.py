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
"""The openstackclient plugin runs where only the client extra is installed.

A workstation has openstackclient, not Nova, a database driver or
oslo.messaging. Two checks: every module of ``nova_miglock.osc`` loads,
and every command builds its parser, in an interpreter where importing
anything of the server side fails (a meta path finder refuses it, as if
it were not installed); and what the plugin imports is exactly what the
``client`` extra of setup.cfg installs.
"""

import ast
import configparser
from importlib import metadata
import json
import os
import subprocess
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
OSC = os.path.join(ROOT, 'nova_miglock', 'osc')
# What the server side imports and a workstation does not have.
SERVER_SIDE = ('nova', 'novaclient', 'sqlalchemy', 'alembic', 'oslo_db',
               'oslo_messaging', 'oslo_versionedobjects', 'oslo_policy',
               'oslo_service', 'cotyledon', 'futurist', 'webob',
               'microversion_parse', 'jsonschema', 'libvirt', 'pymysql',
               'psycopg2')

_PROBE = '''
import importlib
import importlib.abc
from importlib import metadata
import json
import pkgutil
import sys

BLOCKED = set(sys.argv[1].split(','))
refused = []


class ServerSideIsNotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            refused.append(name)
            raise ImportError('%s is not installed here' % name)
        return None


sys.meta_path.insert(0, ServerSideIsNotInstalled())
import nova_miglock.osc
modules = ['nova_miglock.osc'] + [
    info.name for info in pkgutil.walk_packages(nova_miglock.osc.__path__,
                                                'nova_miglock.osc.')]
for name in modules:
    importlib.import_module(name)
commands = []
for entry in metadata.entry_points(group='openstack.miglock.v1'):
    command = entry.load()(None, None)
    command.get_parser('openstack ' + entry.name.replace('_', ' '))
    commands.append(entry.name)
print(json.dumps({'modules': modules, 'commands': commands,
                  'refused': refused,
                  'loaded': sorted(m for m in sys.modules
                                   if m.split('.')[0] in BLOCKED)}))
'''


def test_the_plugin_loads_and_parses_with_no_server_side_installed():
    result = subprocess.run(
        [sys.executable, '-c', _PROBE, ','.join(SERVER_SIDE)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(
            [ROOT] + [p for p in os.environ.get('PYTHONPATH', '').split(
                os.pathsep) if p])))
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)
    # A refused import that mattered failed the probe above; what was
    # refused and survived is a library's optional import (osc-lib tries
    # osprofiler, which needs webob). None of it got in.
    assert found['loaded'] == [], found['refused']
    assert 'nova_miglock.osc.v1.operator' in found['modules']
    assert 'nova_miglock.osc.v1.groups' in found['modules']
    assert {'server_migration_drain_plan', 'server_migration_group_set',
            'server_migration_group_show', 'server_migration_group_list',
            'server_migration_group_delete'} <= set(found['commands'])
    assert len(found['commands']) >= 23


def _imported_by_the_plugin():
    modules = set()
    for directory, _dirs, files in os.walk(OSC):
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(directory, name)) as stream:
                    tree = ast.parse(stream.read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        modules.update(a.name.split('.')[0]
                                       for a in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.level == 0:
                        modules.add(node.module.split('.')[0])
    return modules - set(sys.stdlib_module_names)


def _client_extra():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, 'setup.cfg'))
    return [Requirement(line) for line in
            config['extras']['client'].strip().splitlines()]


def test_the_client_extra_is_exactly_what_the_plugin_imports():
    distributions = metadata.packages_distributions()
    imported = set()
    for module in _imported_by_the_plugin() - {'nova_miglock'}:
        imported.update(canonicalize_name(d) for d in distributions[module])
    assert {canonicalize_name(r.name) for r in _client_extra()} == imported


def test_the_plugin_imports_only_itself_of_nova_miglock():
    """``nova_miglock.osc`` never reaches into the server's modules."""
    for directory, _dirs, files in os.walk(OSC):
        for name in files:
            if not name.endswith('.py'):
                continue
            with open(os.path.join(directory, name)) as stream:
                tree = ast.parse(stream.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and \
                        node.module.startswith('nova_miglock'):
                    assert node.module.startswith('nova_miglock.osc'), (
                        name, node.module)
