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
"""The installed libvirt hook, run as libvirt runs it (a subprocess).

Installed by ``nova-miglock-manage hook install`` into a scratch hooks
directory, for both the qemu and the libxl driver (libvirt's libxl driver
runs its hooks with the same argv and stdin for the operations it has:
prepare, start, started, stopped, release, migrate, reconnect; Xen itself
cannot run here, so libxl is checked at this protocol level only).
"""

import os
import subprocess
import sys

import pytest

from nova_miglock.manage import hook as hook_installer
from tests.unit.hypervisor import test_domain_xml as samples
from tests.unit.hypervisor import test_replica

MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-miglock-manage')
FAR = b'<domain><name>x</name><uuid>%s</uuid></domain>'


@pytest.fixture(scope='module')
def hooks_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp('hooks')
    replica = path / 'replica'
    replica.write_bytes(test_replica.make(
        test_replica.entry(lease_expires=4102444800.0), written=4102444800.0,
        host='compute-1')._data)
    config = path / 'miglock.conf'
    config.write_text('[miglock_hook]\nreplica_path = %s\n' % replica)
    result = subprocess.run(
        [MANAGE, '--config-file', str(config), 'hook', 'install',
         '--hooks-dir', str(path), '--no-reload'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return path


def run(hooks_dir, driver, args, stdin):
    script = os.path.join(hooks_dir, '%s.d' % driver, '50-nova-miglock')
    return subprocess.run([script] + args, input=stdin, capture_output=True,
                          timeout=30)


LOCKED = samples.domain('')
OTHER = samples.domain('', uuid='00000000-0000-4000-8000-000000000009')


@pytest.mark.parametrize('driver', ['qemu', 'libxl'])
@pytest.mark.parametrize('args, stdin, status, fragment', [
    (['vm', 'migrate', 'begin', '-'], LOCKED, 1,
     b'is locked against migration: held by db, etl until 2100-01-01'),
    (['vm', 'start', 'begin', '-'], LOCKED, 1,
     b'Nova has it on another host (compute-2)'),
    (['vm', 'prepare', 'begin', '-'], LOCKED, 1, b'another host'),
    (['vm', 'migrate', 'begin', '-'], OTHER, 0, b''),
    (['vm', 'start', 'begin', '-'], OTHER, 0, b''),
    (['vm', 'migrate', 'begin', '-'], b'', 2, b'no domain XML on stdin'),
    (['vm', 'migrate', 'begin', '-'], b'<<<garbage', 2, b'does not parse'),
    (['vm', 'migrate', 'begin', '-'], b'<domain>' + b'x' * (17 * 2 ** 20),
     2, b'is over 16777216 bytes'),
    (['vm', 'started', 'begin', '-'], b'<<<garbage', 0, b''),
    (['vm', 'reconnect', 'begin', '-'], b'<<<garbage', 0, b''),
    (['vm', 'unknown-op', 'begin', '-'], b'', 0, b''),
    (['vm'], b'', 0, b''),
])
def test_exit_status_stderr_and_never_stdout(hooks_dir, driver, args, stdin,
                                             status, fragment):
    result = run(hooks_dir, driver, args, stdin)
    assert result.returncode == status, result.stderr
    assert result.stdout == b''
    assert fragment in result.stderr
    assert result.stderr.count(b'\n') == (1 if status else 0)
    assert b'Traceback' not in result.stderr


def test_restore_is_judged_by_the_qemu_hook(hooks_dir):
    result = run(hooks_dir, 'qemu', ['vm', 'restore', 'begin', '-'], LOCKED)
    assert result.returncode == 1 and b'another host' in result.stderr


@pytest.fixture
def broken_hooks(tmp_path):
    """The hook installed with an interpreter that has since gone away."""
    hook_installer.install(str(tmp_path), 5, str(tmp_path / 'replica'), 300,
                           python=str(tmp_path / 'gone' / 'python3'))
    return tmp_path


@pytest.mark.parametrize('operation', [
    ['prepare', 'begin'], ['start', 'begin'], ['started', 'begin'],
    ['restore', 'begin'], ['reconnect', 'begin'], ['stopped', 'end'],
    ['release', 'end'], ['migrate', 'end']])
def test_without_its_interpreter_the_hook_never_stops_a_guest(broken_hooks,
                                                              operation):
    for driver in ('qemu', 'libxl'):
        result = run(broken_hooks, driver, ['vm'] + operation + ['-'],
                     LOCKED)
        assert (result.returncode, result.stdout) == (0, b''), result.stderr


def test_without_its_interpreter_a_migration_is_refused_naming_the_fix(
        broken_hooks):
    result = run(broken_hooks, 'qemu', ['v' * 5000, 'migrate', 'begin', '-'],
                 LOCKED)
    assert result.returncode == 1
    assert result.stderr.count(b'\n') == 1 and len(result.stderr) < 500
    assert b'python3 is missing; install the hook again: ' \
        b'nova-miglock-manage hook install' in result.stderr


def test_bad_paths_are_refused_at_install(tmp_path):
    with pytest.raises(ValueError):
        hook_installer.install(str(tmp_path), 5, "/var/lib/it's", 300)
    assert not (tmp_path / 'qemu.d' / '50-nova-miglock').exists()


def test_an_existing_operator_hook_is_left_alone(tmp_path):
    hooks_dir = tmp_path
    mine = os.path.join(hooks_dir, 'qemu')
    with open(mine, 'w') as stream:
        stream.write('#!/bin/sh\nexit 0\n')
    result = subprocess.run(
        [MANAGE, '--config-file', os.devnull, 'hook', 'install',
         '--hooks-dir', str(hooks_dir), '--no-reload', '--drivers', 'qemu'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    with open(mine) as stream:
        assert stream.read() == '#!/bin/sh\nexit 0\n'
