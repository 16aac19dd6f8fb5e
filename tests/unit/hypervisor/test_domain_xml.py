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
"""The lock element: rendering, parsing, and the hook's decision."""

import pytest

from nova_miglock.hypervisor import domain_xml
from nova_miglock.testing import domain_samples as samples

# The samples live beside the harness so the benchmarks can use them; the
# hook's and the host agent's tests import them from here.
NOW = samples.NOW
UUID = samples.UUID
data = samples.data
domain = samples.domain
in_domain = samples.in_domain


def test_render_and_parse_round_trip():
    lock = domain_xml.parse(in_domain(data()))
    assert (lock.instance, lock.state, lock.generation, lock.holders) == (
        UUID, 'locked', 4, ('db', 'etl'))
    assert lock.lease_expires == NOW + 300
    assert domain_xml.parse_element(domain_xml.render(data())).generation \
        == 4


def test_values_are_escaped():
    lock = data(static_locks=[{'kind': 'property', 'name': 'a"<&>',
                               'value': 'x'}])
    assert domain_xml.parse(in_domain(lock)).static == 'property a"<&>=x'


def test_no_element_means_no_lock():
    assert domain_xml.parse(domain('')) is None
    assert domain_xml.decide(None, NOW) == (True, None)


def test_running_lease_refuses_and_names_holders_and_expiry():
    allowed, why = domain_xml.decide(domain_xml.parse(in_domain(data())),
                                     NOW)
    assert not allowed
    assert why == ('instance %s is locked against migration: held by db, '
                   'etl until 2026-11-26T12:05:00Z' % UUID)


def test_expired_lease_allows_but_only_after_the_clock_skew():
    lock = domain_xml.parse(in_domain(data(
        lease_expires_at='2026-11-26T11:59:57.000000Z')))
    assert not domain_xml.decide(lock, NOW, clock_skew=5)[0]
    assert domain_xml.decide(lock, NOW, clock_skew=2)[0]


def test_static_lock_refuses_unless_exempt():
    static = [{'kind': 'flavor', 'name': 'miglock:static', 'value': 'true'}]
    lock = domain_xml.parse(in_domain(data(holders=[], static_locks=static)))
    assert domain_xml.decide(lock, NOW) == (False, (
        'instance %s is locked against migration: flavor '
        'miglock:static=true' % UUID))
    exempt = domain_xml.parse(in_domain(data(
        holders=[], static_locks=static,
        static_exempt_until='2026-11-26T13:00:00.000000Z')))
    assert domain_xml.decide(exempt, NOW)[0]


def test_an_admitted_move_passes():
    lock = domain_xml.parse(in_domain(data(state='migrating')))
    assert domain_xml.decide(lock, NOW)[0]


@pytest.mark.parametrize('document', [
    b'not xml at all',
    b'<domain><metadata>',
    domain('<m:lock xmlns:m="%s" instance="x" state="odd" generation="1"/>'
           % domain_xml.NAMESPACE),
    domain('<m:lock xmlns:m="%s" instance="x" state="locked"/>'
           % domain_xml.NAMESPACE),
    domain('<m:lock xmlns:m="%s" instance="x" state="locked" generation="1"'
           ' lease-expires="tomorrow" holders="a"/>' % domain_xml.NAMESPACE),
    domain('<m:lock xmlns:m="%(ns)s" instance="x" state="unlocked" '
           'generation="1"/><m:lock xmlns:m="%(ns)s" instance="x" '
           'state="unlocked" generation="2"/>' % {'ns': domain_xml.NAMESPACE}),
])
def test_malformed_metadata_is_refused(document):
    with pytest.raises(domain_xml.MalformedLock):
        domain_xml.parse(document)
