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
"""The libvirt hook's answers as libvirt sees them.

Exit status and one line on stderr; nothing is ever written to stdout
(``run`` would not even give the hook one).
"""

import io

import pytest

from nova_miglock.hypervisor import domain_xml
from nova_miglock.hypervisor import hook
from tests.unit.hypervisor import test_domain_xml as samples


class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError('the hook read stdin for another operation')


def run(argv, stdin=b'', now=samples.NOW):
    stderr = io.StringIO()
    status = hook.main(argv, stdin=io.BytesIO(stdin) if isinstance(
        stdin, bytes) else stdin, stderr=stderr, now=now, clock_skew=5)
    return status, stderr.getvalue()


@pytest.mark.parametrize('operation', [
    ['prepare', 'begin'], ['start', 'begin'], ['started', 'begin'],
    ['stopped', 'end'], ['release', 'end'], ['reconnect', 'begin'],
    ['migrate', 'end'], ['restore', 'begin'], ['frobnicate', 'x'],
    ['attach', 'begin']])
def test_every_other_operation_is_allowed_without_reading(operation):
    assert run(['qemu', 'vm'] + operation + ['-'], Unreadable()) == (0, '')


def test_locked_domain_is_refused_with_one_line():
    status, stderr = run(['qemu', 'vm', 'migrate', 'begin', '-'],
                         samples.in_domain(samples.data()))
    assert status == hook.EXIT_LOCKED
    assert stderr.count('\n') == 1
    assert stderr.startswith('nova-miglock: refusing migration of vm: '
                             'instance %s is locked' % samples.UUID)


def test_unlocked_and_unmarked_domains_are_allowed():
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'], samples.in_domain(
        samples.data(state='unlocked', holders=[]))) == (0, '')
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'],
               samples.domain('')) == (0, '')


@pytest.mark.parametrize('stdin, fragment', [
    (b'', 'no domain XML on stdin'),
    (b'   \n', 'no domain XML on stdin'),
    (b'\x00\xff garbage', 'cannot be trusted'),
    (b'<domain>' + b'<a/>' * 10, 'cannot be trusted'),
])
def test_bad_input_is_refused_fail_closed(stdin, fragment):
    status, stderr = run(['qemu', 'vm', 'migrate', 'begin', '-'], stdin)
    assert status == hook.EXIT_REFUSED
    assert fragment in stderr and stderr.count('\n') == 1


def test_huge_input_is_refused_without_reading_it_all(monkeypatch):
    monkeypatch.setattr(hook, 'MAX_INPUT', 1024)
    stdin = io.BytesIO(b'<domain>' + b' ' * 10 ** 6)
    status, stderr = run(['qemu', 'vm', 'migrate', 'begin', '-'], stdin)
    assert status == hook.EXIT_REFUSED
    assert 'over 1024 bytes' in stderr
    assert stdin.tell() <= 1025


def test_too_few_arguments_print_usage():
    status, stderr = run(['hook'])
    assert status == hook.EXIT_REFUSED and 'usage:' in stderr


def test_the_namespace_is_ours():
    assert domain_xml.NAMESPACE.startswith('http://openstack.org/xmlns/')
