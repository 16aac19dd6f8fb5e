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
"""Only the instance itself can read or change its lock.

Identity is proven like Nova's metadata service does: a Neutron proxy
signs the instance id with HMAC-SHA256 and the shared secret. Anything
forged, missing or mismatched is 403 and changes nothing.
"""

from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import servers
from tests.functional.guest import http

HOLD = '/openstack/miglock/holds/db'


class IdentityTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.a = self.boot()
        self.b = self.boot()
        self.proxy_a = self.proxy_for(self.a)
        self.proxy_b = self.proxy_for(self.b)
        reply = http.request(self.proxy_a.url, 'PUT', HOLD,
                             {'lease_seconds': 300, 'reason': 'mine'})
        self.assertEqual(200, reply.status, reply.body)

    def direct(self, method, path, headers, body=None):
        """A request that bypasses the proxy, with forged headers."""
        return http.request(self.metadata.url, method, path, body, headers)

    def fingerprint(self):
        return [(s.generation, s.holds) for s in (
            self.store.get_state(self.a['id']),
            self.store.get_state(self.b['id']))]

    def headers_for(self, instance_id, tenant_id, signed_id=None):
        return {'X-Instance-ID': instance_id, 'X-Tenant-ID': tenant_id,
                'X-Instance-ID-Signature': servers.sign(
                    base.SECRET, signed_id or instance_id)}

    def assertForbidden(self, reply):
        self.assertEqual(403, reply.status, reply.body)
        self.assertEqual('identity', reply.error['reason'])

    def test_instance_b_sees_and_touches_only_its_own_lock(self):
        state_b = http.request(self.proxy_b.url, 'GET',
                               '/openstack/miglock').json
        self.assertEqual([], state_b['holds'])
        self.assertEqual(204, http.request(self.proxy_b.url, 'DELETE',
                                           HOLD).status)
        self.assertEqual(['db'], [h.holder for h in self.store.get_state(
            self.a['id']).holds])

    def test_forged_missing_and_mismatched_identities_are_403(self):
        before = self.fingerprint()
        tenant = self.a['tenant_id']
        forged = [
            # A signature made with the wrong key.
            dict(self.headers_for(self.a['id'], tenant),
                 **{'X-Instance-ID-Signature': servers.sign(
                     'guessed', self.a['id'])}),
            # B's valid signature replayed for A.
            self.headers_for(self.a['id'], tenant, signed_id=self.b['id']),
            # A's own signature with another tenant.
            self.headers_for(self.a['id'], 'other-tenant'),
            # Headers missing.
            {'X-Instance-ID': self.a['id'], 'X-Tenant-ID': tenant},
            {'X-Tenant-ID': tenant},
            {},
            # Not a UUID, correctly signed.
            self.headers_for('../../etc', tenant),
            # Truncated signature.
            dict(self.headers_for(self.a['id'], tenant),
                 **{'X-Instance-ID-Signature': servers.sign(
                     base.SECRET, self.a['id'])[:-1]}),
        ]
        for headers in forged:
            for method, body in (('GET', None), ('DELETE', None),
                                 ('PUT', {'lease_seconds': 60})):
                self.assertForbidden(self.direct(method, HOLD, headers, body))
        self.assertEqual(before, self.fingerprint())

    def test_a_valid_signature_for_b_reaches_only_b(self):
        reply = self.direct('GET', '/openstack/miglock', self.headers_for(
            self.b['id'], self.b['tenant_id']))
        self.assertEqual(200, reply.status)
        self.assertEqual(self.b['id'], reply.json['instance_uuid'])
        self.assertEqual([], reply.json['holds'])

    def test_no_shared_secret_refuses_every_proxied_request(self):
        self.flags(metadata_proxy_shared_secret='', group='neutron')
        self.assertForbidden(http.request(self.proxy_a.url, 'GET',
                                          '/openstack/miglock'))

    def test_without_the_proxy_an_unknown_address_is_403(self):
        self.flags(service_metadata_proxy=False, group='neutron')
        before = self.fingerprint()
        reply = self.direct('DELETE', HOLD, {'X-Instance-ID': self.a['id']})
        self.assertForbidden(reply)
        self.assertIn('no instance has the address', reply.error['message'])
        self.assertEqual(before, self.fingerprint())
