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
"""Lock elements in domain XML, as the hook and the host agent see them.

Shared by the hypervisor tests and ``bench/hook.py``.
"""

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


def domain(element):
    return ('<domain type="qemu"><name>x</name><metadata>'
            '<nova:instance xmlns:nova="http://openstack.org/xmlns/'
            'libvirt/nova/1.1"/>%s</metadata></domain>' % element).encode()


def in_domain(lock):
    element = domain_xml.render(lock).replace(
        '<lock ', '<miglock:lock xmlns:miglock="%s" ' % domain_xml.NAMESPACE)
    return domain(element)
