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
directory, for both the qemu and the libxl driver (the libxl hook gets the
same argv and stdin, so Xen hosts managed by libvirt are covered the same
way; Xen itself cannot run here).
"""

import os
import subprocess
import sys

import pytest

from nova_miglock.testing import domain_samples as samples

MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-miglock-manage')


@pytest.fixture(scope='module')
def hooks_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp('hooks')
    result = subprocess.run(
        [MANAGE, '--config-file', os.devnull, 'hook', 'install',
         '--hooks-dir', str(path), '--no-reload'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return path


def run(hooks_dir, driver, args, stdin):
    script = os.path.join(hooks_dir, '%s.d' % driver, '50-nova-miglock')
    return subprocess.run([script] + args, input=stdin, capture_output=True,
                          timeout=30)


@pytest.mark.parametrize('driver', ['qemu', 'libxl'])
@pytest.mark.parametrize('args, stdin, status, fragment', [
    (['vm', 'migrate', 'begin', '-'], samples.in_domain(samples.data(
        lease_expires_at='2099-01-01T00:00:00.000000Z')), 1,
     b'is locked against migration: held by db, etl'),
    (['vm', 'migrate', 'begin', '-'], samples.in_domain(samples.data(
        lease_expires_at='2000-01-01T00:00:00.000000Z')), 0, b''),
    (['vm', 'migrate', 'begin', '-'], samples.domain(''), 0, b''),
    (['vm', 'migrate', 'begin', '-'], b'', 2, b'no domain XML on stdin'),
    (['vm', 'migrate', 'begin', '-'], b'<<<garbage', 2, b'cannot be trusted'),
    (['vm', 'migrate', 'begin', '-'], b'<domain>' + b'x' * (17 * 2 ** 20),
     2, b'is over 16777216 bytes'),
    (['vm', 'start', 'begin', '-'], b'<<<garbage', 0, b''),
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


def test_an_existing_operator_hook_is_left_alone(hooks_dir):
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
