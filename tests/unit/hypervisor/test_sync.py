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


def test_older_generations_never_overwrite_newer(domain):
    dom, writer, _conn = domain
    assert writer.apply(dom, samples.data(generation=5))
    assert not writer.apply(dom, samples.data(generation=3, state='unlocked'))
    assert not writer.apply(dom, samples.data(generation=5))
    assert domain_xml.parse(dom.XMLDesc().encode()).state == 'locked'
    assert writer.apply(dom, samples.data(generation=6, state='unlocked'))


@pytest.fixture
def store(tmp_path):
    from nova_miglock.store.sql import driver
    from nova_miglock.store.sql import migration
    store = driver.SQLLockStore(fixtures.make_conf(), connection=(
        'sqlite:///%s' % (tmp_path / 'store.sqlite')))
    migration.sync(store)
    yield store
    store.dispose()


def test_notified_locks_for_other_hosts_are_ignored(domain, store):
    from nova_miglock.hypervisor import sync
    dom, writer, conn = domain
    agent = sync.HostAgent(fixtures.make_conf(), store, writer=writer,
                           connect=lambda: conn)
    assert not agent.on_lock(samples.data(instance_uuid=str(uuid.uuid4())))
    assert agent.on_lock(samples.data(instance_uuid=dom.UUIDString()))


def test_resync_writes_from_the_store_and_skips_unknown_domains(domain,
                                                                store):
    from nova_miglock.hypervisor import sync
    dom, writer, conn = domain
    agent = sync.HostAgent(fixtures.make_conf(), store, writer=writer,
                           connect=lambda: conn)
    assert agent.resync() == 0  # the store never saw this domain
    _hold, state = store.acquire(
        dom.UUIDString(), 'db', project_id='p', source=lock.SOURCE_GUEST,
        lease_seconds=60, reason='', limits=lock.HoldLimits(
            max_lease=60, max_hold=600, min_unlocked_gap=0, max_holders=4))
    assert agent.resync() == 1
    assert writer.current_generation(dom) == state.generation
    assert agent.resync() == 0
