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
"""The lock element the agent mirrors into domains: render and parse."""

import pytest

from nova_miglock.hypervisor import domain_xml

NOW = domain_xml.epoch('2026-11-26T12:00:00.000000Z')
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'


def data(**changes):
    lock = {'instance_uuid': UUID, 'state': 'locked', 'generation': 4,
            'at': '2026-11-26T11:59:00.000000Z',
            'lease_expires_at': '2026-11-26T12:05:00.000000Z',
            'holders': ['db', 'etl'], 'static_locks': [],
            'static_exempt_until': None}
    lock.update(changes)
    return lock


def domain(element, uuid=UUID, nova=True):
    return ('<domain type="qemu"><name>x</name><uuid>%s</uuid><metadata>%s'
            '%s</metadata></domain>' % (
                uuid, '<nova:instance xmlns:nova="http://openstack.org/'
                'xmlns/libvirt/nova/1.1"/>' if nova else '',
                element)).encode()


def in_domain(lock):
    element = domain_xml.render(lock).replace(
        '<lock ', '<miglock:lock xmlns:miglock="%s" ' % domain_xml.NAMESPACE)
    return domain(element)


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
    # Incomplete: locked by nothing, or held with no end.
    domain('<m:lock xmlns:m="%s" instance="x" state="locked" generation="1"'
           '/>' % domain_xml.NAMESPACE),
    domain('<m:lock xmlns:m="%s" instance="x" state="locked" generation="1"'
           ' holders="a"/>' % domain_xml.NAMESPACE),
    domain('<m:lock xmlns:m="%s" instance="x" state="unlocked" '
           'generation="1" holders="a" lease-expires=""/>'
           % domain_xml.NAMESPACE),
])
def test_malformed_or_incomplete_elements_are_malformed(document):
    with pytest.raises(domain_xml.MalformedLock):
        domain_xml.parse(document)
