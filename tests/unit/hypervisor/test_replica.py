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
"""The replica's format and the decision the hook takes from it."""

import pytest

from nova_miglock.hypervisor import replica
from tests.unit.hypervisor import test_domain_xml as samples

NOW = samples.NOW
UUID = samples.UUID
HERE = 'compute-1'


def entry(**changes):
    values = dict(uuid=UUID, generation=4, state='locked',
                  lease_expires=NOW + 300, holders=('db', 'etl'), static='',
                  exempt_until=None, ticket='', host='compute-2')
    values.update(changes)
    return replica.Entry(**values)


def make(*entries, written=NOW - 10, host=HERE):
    return replica.Replica((replica.format_header(written, host) + ''.join(
        replica.format_entry(e) for e in entries)).encode())


def decide(operation, *entries, uuid=UUID, max_age=300, nova=False,
           **kwargs):
    return replica.decide(operation, uuid, make(*entries, **kwargs), NOW,
                          5, max_age, nova_domain=nova)


def test_round_trip_and_lookup():
    tricky = entry(static='flavor a\tb\nc; image x', holders=('d,b', 'e'),
                   exempt_until=NOW + 1.5, host=None)
    other = entry(uuid='00000000-0000-4000-8000-000000000001', state='x')
    found = make(other, tricky)
    assert found.written == NOW - 10 and found.host == HERE
    got = found.lookup(UUID.upper())
    assert got.static == 'flavor a b c; image x'
    assert got.holders == ('d b', 'e')
    assert (got.exempt_until, got.host) == (NOW + 1.5, None)
    assert found.lookup('00000000-0000-4000-8000-000000000002') is None
    written, host, entries = replica.parse(
        (replica.format_header(1, HERE) + replica.format_entry(other))
        .encode())
    assert entries == {other.uuid: other}


@pytest.mark.parametrize('data', [
    b'', b'garbage\n', b'nova-miglock-replica 2 1.0 h\n',
    b'nova-miglock-replica 1 soon h\n'])
def test_bad_headers(data):
    with pytest.raises(replica.BadReplica):
        replica.Replica(data)


def test_a_damaged_entry_is_an_error_not_a_guess():
    data = make(written=NOW)._data + UUID.encode() + b'\tfour\tlocked\n'
    with pytest.raises(replica.BadReplica):
        replica.Replica(data).lookup(UUID)


def test_migrate_of_a_locked_instance_is_refused_naming_why():
    allowed, why = decide('migrate', entry())
    assert not allowed
    assert why == ('instance %s is locked against migration: held by db, '
                   'etl until 2026-11-26T12:05:00Z' % UUID)


def test_unlisted_expired_or_admitted_instances_migrate():
    assert decide('migrate')[0]
    assert decide('migrate', entry(lease_expires=NOW - 6))[0]
    assert not decide('migrate', entry(lease_expires=NOW - 4))[0]  # skew
    assert decide('migrate', entry(state='migrating', ticket='open'))[0]


def test_static_locks_until_exempt():
    static = entry(holders=(), lease_expires=None, static='flavor x=true')
    assert decide('migrate', static) == (False, (
        'instance %s is locked against migration: flavor x=true' % UUID))
    assert decide('migrate', entry(holders=(), lease_expires=None,
                                   static='flavor x=true',
                                   exempt_until=NOW + 60))[0]


@pytest.mark.parametrize('operation', ['restore', 'prepare', 'start'])
def test_arrivals_are_refused_only_where_nova_does_not_have_it(operation):
    allowed, why = decide(operation, entry(host='compute-2'))
    assert not allowed and 'Nova has it on another host (compute-2)' in why
    assert decide(operation, entry(host=HERE))[0]      # in place
    assert decide(operation, entry(host=None))[0]      # unknown
    assert decide(operation, entry(ticket='open'))[0]  # admitted move
    assert decide(operation, entry(lease_expires=NOW - 60))[0]


def test_a_stale_replica_fails_closed_for_migrations_of_nova_instances():
    stale = dict(written=NOW - 301)
    allowed, why = decide('migrate', nova=True, **stale)
    assert not allowed and 'replica is 301 s old' in why
    # Listed in the replica: a Nova instance even without Nova's metadata.
    assert not decide('migrate', entry(ticket='open'), **stale)[0]
    assert decide('migrate', nova=False, **stale)[0]
    # Nothing else fails closed: starts are judged on what it says.
    assert decide('start', entry(host=HERE), **stale)[0]
    assert not decide('start', entry(), **stale)[0]
    assert decide('migrate', nova=True, written=NOW - 299)[0]


def test_an_unreadable_replica_fails_closed_only_for_nova_migrations():
    missing = replica.BadReplica('cannot read /x: No such file')
    assert not replica.decide('migrate', UUID, missing, NOW, 5, 300, True)[0]
    assert replica.decide('migrate', UUID, missing, NOW, 5, 300, False)[0]
    for operation in ('restore', 'prepare', 'start'):
        assert replica.decide(operation, UUID, missing, NOW, 5, 300, True)[0]


def test_messages_are_bounded():
    many = entry(holders=['holder-%04d' % n for n in range(5000)],
                 static='x' * 100000)
    allowed, why = decide('migrate', many)
    assert not allowed and len(why) <= replica.MAX_MESSAGE
    assert why.endswith('more characters)')
    assert replica.bounded('short') == 'short'
