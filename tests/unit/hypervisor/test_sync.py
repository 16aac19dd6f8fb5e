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
"""The host agent's metadata logic, on libvirt's built-in test driver.

``test:///default`` is libvirt's own in-process driver (no daemon), with a
running domain called ``test``; the real daemons are in
``tests/functional/libvirt``.
"""

import uuid

import pytest

from nova_miglock.hypervisor import domain_xml
from nova_miglock.hypervisor import replica
from nova_miglock import lock
from nova_miglock.testing import fixtures
from tests.unit.hypervisor import test_domain_xml as samples

libvirt = pytest.importorskip('libvirt')


@pytest.fixture
def domain():
    from nova_miglock.hypervisor import sync
    libvirt.registerErrorHandler(lambda *args: None, None)
    conn = libvirt.open('test:///default')
    dom = conn.lookupByName('test')
    yield dom, sync.DomainWriter(), conn
    # The test driver keeps its state for the whole process.
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None,
                    domain_xml.NAMESPACE, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    conn.close()


def test_write_then_read_back(domain):
    dom, writer, _conn = domain
    assert writer.current_generation(dom) is None
    writer.write(dom, samples.data(instance_uuid=dom.UUIDString()))
    assert writer.current_generation(dom) == 4
    found = domain_xml.parse(dom.XMLDesc().encode())
    assert found.holders == ('db', 'etl')


def test_any_difference_is_repaired_whatever_its_generation(domain):
    dom, writer, _conn = domain
    assert writer.apply(dom, samples.data(generation=5))
    assert not writer.apply(dom, samples.data(generation=5))  # the same
    # Tampered: a higher generation saying "unlocked" is rewritten.
    writer.write(dom, samples.data(generation=999999, state='unlocked',
                                   holders=[], lease_expires_at=None))
    assert writer.apply(dom, samples.data(generation=5))
    assert domain_xml.parse(dom.XMLDesc().encode()).generation == 5
    # Incomplete (locked by nothing) is malformed, hence rewritten.
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                    '<lock instance="x" state="locked" generation="5"/>',
                    domain_xml.PREFIX, domain_xml.NAMESPACE,
                    libvirt.VIR_DOMAIN_AFFECT_LIVE)
    assert isinstance(writer.current(dom), domain_xml.MalformedLock)
    assert writer.apply(dom, samples.data(generation=5))
    assert domain_xml.parse(dom.XMLDesc().encode()).holders == ('db', 'etl')


@pytest.fixture
def store(tmp_path):
    from nova_miglock.store.sql import driver
    from nova_miglock.store.sql import migration
    store = driver.SQLLockStore(fixtures.make_conf(), connection=(
        'sqlite:///%s' % (tmp_path / 'store.sqlite')))
    migration.sync(store)
    yield store
    store.dispose()


def conf(tmp_path):
    return fixtures.make_conf(**{
        'miglock_hook.replica_path': str(tmp_path / 'replica'),
        'miglock_compute.host': 'compute-1'})


def read_replica(tmp_path):
    return replica.parse((tmp_path / 'replica').read_bytes())


def test_notified_locks_of_every_host_reach_the_replica(domain, store,
                                                        tmp_path):
    from nova_miglock.hypervisor import sync
    dom, writer, conn = domain
    agent = sync.HostAgent(conf(tmp_path), store, writer=writer,
                           connect=lambda: conn)
    agent.resync()
    elsewhere = str(uuid.uuid4())
    assert agent.on_lock(samples.data(instance_uuid=elsewhere,
                                      host='compute-9'))
    assert writer.current_generation(dom) is None
    assert agent.on_lock(samples.data(instance_uuid=dom.UUIDString()))
    assert writer.current_generation(dom) == 4
    _written, host, entries = read_replica(tmp_path)
    assert host == 'compute-1'
    assert entries[elsewhere].host == 'compute-9'
    assert entries[elsewhere].holders == ('db', 'etl')
    # Out of order: an older notification changes nothing.
    assert not agent.on_lock(samples.data(instance_uuid=elsewhere,
                                          generation=3, state='unlocked',
                                          holders=[]))
    assert agent.on_lock(samples.data(instance_uuid=elsewhere, generation=5,
                                      state='unlocked', holders=[],
                                      lease_expires_at=None))
    assert elsewhere not in read_replica(tmp_path)[2]
    assert not agent.on_lock(samples.data(instance_uuid=elsewhere))


def test_a_resync_keeps_what_notifications_brought_meanwhile(tmp_path):
    from nova_miglock.hypervisor import sync
    replica_file = sync.ReplicaFile(str(tmp_path / 'replica'), 'h',
                                    clock=lambda: 1000.0)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    replica_file.begin_resync()
    replica_file.apply(samples.data(instance_uuid=a, generation=9))
    replica_file.apply(samples.data(instance_uuid=b, generation=9,
                                    state='unlocked', holders=[]))
    # The store was read before those two changes.
    replica_file.replace([samples.data(instance_uuid=b, generation=8)])
    assert replica_file.flush()
    assert not replica_file.flush()  # nothing changed since
    written, _host, entries = read_replica(tmp_path)
    assert written == 1000.0
    assert set(entries) == {a}


def test_the_replica_keeps_its_owner_and_mode(tmp_path):
    from nova_miglock.hypervisor import sync
    path = tmp_path / 'replica'
    sync.write_atomically(str(path), 'one')
    assert (path.stat().st_mode & 0o777) == 0o600
    path.chmod(0o640)
    sync.write_atomically(str(path), 'two')
    assert (path.stat().st_mode & 0o777) == 0o640
    assert path.read_text() == 'two'
    assert [p.name for p in tmp_path.iterdir()] == ['replica']


def test_resync_writes_from_the_store_and_skips_unknown_domains(
        domain, store, tmp_path):
    from nova_miglock.hypervisor import sync
    dom, writer, conn = domain
    agent = sync.HostAgent(conf(tmp_path), store, writer=writer,
                           connect=lambda: conn)
    assert agent.resync() == 0  # the store never saw this domain
    _hold, state = store.acquire(
        dom.UUIDString(), 'db', project_id='p', source=lock.SOURCE_GUEST,
        lease_seconds=60, reason='', limits=lock.HoldLimits(
            max_lease=60, max_hold=600, min_unlocked_gap=0, max_holders=4))
    assert agent.resync() == 1
    assert writer.current_generation(dom) == state.generation
    assert agent.resync() == 0
    entries = read_replica(tmp_path)[2]
    assert entries[dom.UUIDString()].generation == state.generation


def test_a_store_outage_leaves_the_replica_to_age(domain, tmp_path):
    from nova_miglock.hypervisor import sync
    from nova_miglock.store.sql import driver
    dom, writer, conn = domain
    broken = driver.SQLLockStore(fixtures.make_conf(), connection=(
        'sqlite:///%s' % (tmp_path / 'missing' / 'store.sqlite')))
    agent = sync.HostAgent(conf(tmp_path), broken, writer=writer,
                           connect=lambda: conn)
    assert agent.resync() == 0
    assert not (tmp_path / 'replica').exists()


def test_an_unwritable_replica_still_mirrors_elements(domain, store,
                                                      tmp_path):
    from nova_miglock.hypervisor import sync
    dom, writer, conn = domain
    (tmp_path / 'ro').mkdir()
    agent = sync.HostAgent(fixtures.make_conf(**{
        'miglock_hook.replica_path': str(tmp_path / 'ro' / 'x' / 'replica'),
        'miglock_compute.host': 'compute-1'}), store, writer=writer,
        connect=lambda: conn)
    (tmp_path / 'ro' / 'x').write_text('a file, not a directory')
    store.acquire(dom.UUIDString(), 'db', project_id='p',
                  source=lock.SOURCE_GUEST, lease_seconds=60, reason='',
                  limits=lock.HoldLimits(max_lease=60, max_hold=600,
                                         min_unlocked_gap=0, max_holders=4))
    assert agent.resync() == 1
