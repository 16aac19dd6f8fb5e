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
(``run`` would not even give the hook one). It decides by the domain's
``<uuid>`` against the replica file, never by the lock element.
"""

import io

import pytest

from nova_miglock.hypervisor import domain_xml
from nova_miglock.hypervisor import hook
from tests.unit.hypervisor import test_domain_xml as samples
from tests.unit.hypervisor import test_replica


class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError('the hook read stdin for another operation')


@pytest.fixture
def replica_path(tmp_path):
    path = tmp_path / 'replica'
    path.write_bytes(test_replica.make(test_replica.entry())._data)
    return str(path)


def run(argv, stdin=b'', replica_path='/nonexistent', now=samples.NOW):
    stderr = io.StringIO()
    status = hook.main(argv, stdin=io.BytesIO(stdin) if isinstance(
        stdin, bytes) else stdin, stderr=stderr, now=now, clock_skew=5,
        replica_path=replica_path, max_age=300)
    return status, stderr.getvalue()


@pytest.mark.parametrize('operation', [
    ['started', 'begin'], ['stopped', 'end'], ['release', 'end'],
    ['reconnect', 'begin'], ['migrate', 'end'], ['frobnicate', 'x'],
    ['attach', 'begin'], ['restore', 'end']])
def test_every_other_operation_is_allowed_without_reading(operation):
    assert run(['qemu', 'vm'] + operation + ['-'], Unreadable()) == (0, '')


def test_locked_domain_is_refused_with_one_line(replica_path):
    status, stderr = run(['qemu', 'vm', 'migrate', 'begin', '-'],
                         samples.domain(''), replica_path)
    assert status == hook.EXIT_LOCKED
    assert stderr.count('\n') == 1
    assert stderr.startswith('nova-miglock: refusing migrate of vm: '
                             'instance %s is locked' % samples.UUID)


def test_the_element_in_the_xml_does_not_matter(replica_path):
    unlocked = samples.in_domain(samples.data(state='migrating',
                                              generation=999999))
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'], unlocked,
               replica_path)[0] == hook.EXIT_LOCKED
    locked = samples.in_domain(samples.data(
        lease_expires_at='2099-01-01T00:00:00.000000Z'))
    other = locked.replace(samples.UUID.encode(),
                           b'00000000-0000-4000-8000-000000000009')
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'], other,
               replica_path) == (0, '')


@pytest.mark.parametrize('operation', ['restore', 'prepare', 'start'])
def test_arrivals_from_elsewhere_are_refused(replica_path, operation):
    status, stderr = run(['qemu', 'vm', operation, 'begin', '-'],
                         samples.domain(''), replica_path)
    assert status == hook.EXIT_LOCKED
    assert 'Nova has it on another host (compute-2)' in stderr


def test_a_missing_replica_fails_closed_only_for_nova_migrations():
    status, stderr = run(['qemu', 'vm', 'migrate', 'begin', '-'],
                         samples.domain(''))
    assert status == hook.EXIT_LOCKED
    assert 'cannot read /nonexistent' in stderr
    assert 'is nova-miglock-compute running' in stderr
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'],
               samples.domain('', nova=False)) == (0, '')
    assert run(['qemu', 'vm', 'start', 'begin', '-'],
               samples.domain('')) == (0, '')


@pytest.mark.parametrize('stdin, fragment', [
    (b'', 'no domain XML on stdin'),
    (b'   \n', 'no domain XML on stdin'),
    (b'\x00\xff garbage', 'does not parse'),
    (b'<domain>' + b'<a/>' * 10, 'does not parse'),
    (b'<network><uuid>%s</uuid></network>' % samples.UUID.encode(),
     'not a domain'),
    (b'<domain><name>x</name></domain>', 'has 0 <uuid> elements'),
    (b'<domain><uuid>a</uuid><uuid>b</uuid></domain>', 'has 2 <uuid>'),
    (b'<domain><uuid>not-a-uuid</uuid></domain>', 'bad domain <uuid>'),
])
def test_bad_input_is_refused_fail_closed(stdin, fragment):
    for operation in ('migrate', 'start'):
        status, stderr = run(['qemu', 'vm', operation, 'begin', '-'], stdin)
        assert status == hook.EXIT_REFUSED
        assert fragment in stderr and stderr.count('\n') == 1


def test_a_nested_uuid_is_not_the_domain_uuid(replica_path):
    xml = ('<domain><metadata><uuid>%s</uuid></metadata>'
           '<uuid>00000000-0000-4000-8000-000000000009</uuid></domain>'
           % samples.UUID).encode()
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'], xml,
               replica_path) == (0, '')


def test_huge_input_is_refused_without_reading_it_all(monkeypatch):
    monkeypatch.setattr(hook, 'MAX_INPUT', 1024)
    stdin = io.BytesIO(b'<domain>' + b' ' * 10 ** 6)
    status, stderr = run(['qemu', 'vm', 'migrate', 'begin', '-'], stdin)
    assert status == hook.EXIT_REFUSED
    assert 'over 1024 bytes' in stderr
    assert stdin.tell() <= 1025


def test_long_names_and_reasons_stay_bounded(tmp_path):
    path = tmp_path / 'replica'
    path.write_bytes(test_replica.make(test_replica.entry(
        holders=['h%05d' % n for n in range(50000)], static='s' * 10 ** 6))
        ._data)
    status, stderr = run(['qemu', 'v' * 10000, 'migrate', 'begin', '-'],
                         samples.domain(''), str(path))
    assert status == hook.EXIT_LOCKED
    assert len(stderr) <= 500 and stderr.count('\n') == 1


def test_too_few_arguments_print_usage():
    status, stderr = run(['hook'])
    assert status == hook.EXIT_REFUSED and 'usage:' in stderr


def test_the_namespace_is_ours():
    assert domain_xml.NAMESPACE.startswith('http://openstack.org/xmlns/')


def test_only_the_uuid_text_is_the_uuid(replica_path):
    xml = ('<domain><name>x</name><uuid>%s</uuid><memory>65536</memory>'
           '</domain>' % samples.UUID).encode()
    assert run(['qemu', 'vm', 'migrate', 'begin', '-'], xml,
               replica_path)[0] == hook.EXIT_LOCKED
