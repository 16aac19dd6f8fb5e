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
"""Clear refusals at every entry point: bad input, a store that is down.

Requests go to the compute API app (with our filters) as WSGI environs, so
that framing no HTTP client library sends can be given exactly.
"""

import io
import json
import sqlite3

import webob

from nova_miglock import store as lock_store
from nova_miglock.testing.nova import base
from tests.functional.guest import http


class ApiRefusalTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.app = self.api_fixture.app()
        self.lock_url = '/v2.1/servers/%s/os-miglock' % self.server['id']

    def request(self, method, path, body=None, admin=True, **environ):
        api = self.admin_api if admin else self.api
        req = webob.Request.blank(path, method=method, headers={
            'X-Auth-User': api.auth_user, 'X-Auth-Project-Id': api.project_id,
            'X-Roles': ','.join(api.roles),
            'Content-Type': 'application/json'})
        if body is not None:
            req.body = body if isinstance(body, bytes) else \
                json.dumps(body).encode('utf-8')
        req.environ.update(environ)
        return req.get_response(self.app)

    def lock_fingerprint(self):
        state = self.store.get_state(self.server['id'])
        return (state.generation, state.holds, state.static_exempt_until,
                len(self.store.ledger()))

    def assertFault(self, reply, status):
        self.assertEqual(status, reply.status_int, reply.body)
        (fault,) = reply.json.values()
        self.assertEqual(status, fault['code'])
        return fault['message']

    def test_bad_input_is_a_clear_4xx_and_changes_nothing(self):
        self.check_paths_that_are_not_utf8_get_novas_404()
        self.check_bodies_too_deep_or_too_big_are_400_and_413()
        self.check_framing_is_checked_before_anything_else()
        self.check_exemptions_out_of_range_are_400()

    def check_paths_that_are_not_utf8_get_novas_404(self):
        server = '/servers/' + self.server['id']
        for path in ('/v2.1/servers/%FF', '/v2.1' + server + '/%FF',
                     self.lock_url + '/holds/%FF', self.lock_url + '%FF',
                     '/v2.1/%FF' + server + '/os-miglock'):
            self.assertEqual(404, self.request('GET', path).status_int, path)

    def check_bodies_too_deep_or_too_big_are_400_and_413(self):
        before = self.lock_fingerprint()
        deep = b'{"reason": ' + b'[' * 100 + b']' * 100 + b'}'
        message = self.assertFault(self.request(
            'PUT', self.lock_url + '/holds/etl', deep), 400)
        self.assertIn('nests deeper', message)
        huge = b'[' * 5000 + b']' * 5000
        self.assertFault(self.request('PUT', self.lock_url + '/holds/etl',
                                      huge), 413)
        self.assertFault(self.request('POST', self.lock_url + '/action',
                                      huge), 413)
        self.assertEqual(before, self.lock_fingerprint())

    def check_exemptions_out_of_range_are_400(self):
        before = self.lock_fingerprint()
        for seconds in (10 ** 12, 2 ** 63, 10 ** 30, -1, 1.5, 'x'):
            message = self.assertFault(self.request(
                'POST', self.lock_url + '/action',
                {'exempt': {'reason': 'x', 'seconds': seconds}}), 400)
            self.assertIn('exempt/seconds: ', message)
        self.assertEqual(before, self.lock_fingerprint())
        # A wait is capped at [miglock]/max_acquire_wait, however long.
        reply = self.request('PUT', self.lock_url + '/holds/etl',
                             {'lease_seconds': 60, 'wait': 10 ** 400})
        self.assertEqual(200, reply.status_int, reply.body)

    def check_framing_is_checked_before_anything_else(self):
        before = self.lock_fingerprint()
        # (Nova's sizelimit filter drops a length that is not a number.)
        for length in ('-1', '+5'):
            self.assertFault(self.request(
                'GET', self.lock_url, CONTENT_LENGTH=length), 400)
        self.assertFault(self.request(
            'PUT', self.lock_url + '/holds/etl', CONTENT_LENGTH='5',
            HTTP_TRANSFER_ENCODING='chunked'), 400)

        def chunked(terminated):
            return self.request(
                'PUT', self.lock_url + '/holds/etl', CONTENT_LENGTH='',
                HTTP_TRANSFER_ENCODING='chunked',
                **{'wsgi.input': io.BytesIO(b'{"lease_seconds": 5}'),
                   'wsgi.input_terminated': terminated})

        # A server that passes chunked bodies undecoded: Nova's sizelimit
        # filter makes the body empty; it is refused, not taken as {}.
        self.assertFault(chunked(False), 411)
        self.assertEqual(before, self.lock_fingerprint())
        # A server that decodes them: the body is the hold's.
        reply = chunked(True)
        self.assertEqual(200, reply.status_int, reply.body)
        self.assertEqual(5, reply.json['hold']['lease_seconds'])

    def test_a_store_that_is_down_is_503_with_retry_after_everywhere(self):
        proxy = self.proxy_for(self.server)
        self.flags(connection='mysql+pymysql://root:pw@127.0.0.1:1/x',
                   group='miglock_store')
        lock_store.reset_store()
        self.flags(unavailable_retry_after=17, group='miglock_gate')
        for method, path, body in (
                ('GET', '', None),
                ('PUT', '/holds/etl', {'lease_seconds': 60}),
                ('DELETE', '/holds/etl', None),
                ('POST', '/action', {'break': {'reason': 'x'}}),
                ('POST', '/action', {'exempt': {'reason': 'x'}})):
            reply = self.request(method, self.lock_url + path, body)
            message = self.assertFault(reply, 503)
            self.assertEqual('17', reply.headers['Retry-After'])
            self.assertNotIn('pw', message)
        reply = self.request('POST', '/v2.1/servers/%s/action'
                             % self.server['id'], {'migrate': None})
        self.assertFault(reply, 503)
        self.assertEqual('17', reply.headers['Retry-After'])
        guest = http.request(proxy.url, 'PUT', '/openstack/miglock/holds/db',
                             {'lease_seconds': 60})
        self.assertEqual((503, 'store_unavailable', '5'), (
            guest.status, guest.error['reason'],
            guest.headers['Retry-After']))

    def test_a_busy_store_is_503_with_retry_after_and_changes_nothing(self):
        # Another process holds SQLite's writer lock past busy_timeout.
        proxy = self.proxy_for(self.server)
        self.flags(busy_timeout=0.2, group='miglock_store')
        self.flags(unavailable_retry_after=17, group='miglock_gate')
        lock_store.reset_store()
        self.store = lock_store.get_store()
        before = self.lock_fingerprint()
        other = sqlite3.connect(self.store_path(), isolation_level=None)
        self.addCleanup(other.close)
        other.execute('BEGIN EXCLUSIVE')
        reply = self.request('PUT', self.lock_url + '/holds/etl',
                             {'lease_seconds': 60})
        self.assertFault(reply, 503)
        self.assertEqual('17', reply.headers['Retry-After'])
        reply = self.request('POST', '/v2.1/servers/%s/action'
                             % self.server['id'], {'migrate': None})
        self.assertFault(reply, 503)
        self.assertEqual('17', reply.headers['Retry-After'])
        guest = http.request(proxy.url, 'PUT', '/openstack/miglock/holds/db',
                             {'lease_seconds': 60})
        self.assertEqual((503, 'store_unavailable', '5'), (
            guest.status, guest.error['reason'],
            guest.headers['Retry-After']))
        other.execute('ROLLBACK')
        self.assertEqual(before, self.lock_fingerprint())
        reply = self.request('PUT', self.lock_url + '/holds/etl',
                             {'lease_seconds': 60})
        self.assertEqual(200, reply.status_int, reply.body)
