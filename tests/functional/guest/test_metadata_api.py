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
"""The /openstack/miglock HTTP contract, over real HTTP to Nova's metadata.

Every refusal has the same JSON shape, names its rule, and changes nothing.
"""

import threading
import time

from nova_miglock import lock
from nova_miglock import store as lock_store
from nova_miglock.testing.nova import base
from tests.functional.guest import http

HOLD = '/openstack/miglock/holds/db'


class MetadataApiTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.proxy = self.proxy_for(self.server)

    def call(self, method, path='/openstack/miglock', body=None, **headers):
        return http.request(self.proxy.url, method, path, body, headers)

    def unchanged(self):
        """A fingerprint of everything the store knows about the server."""
        state = self.store.get_state(self.server['id'])
        return (state.generation, state.holds, state.migration_requested_at,
                len(self.store.ledger(instance_uuid=self.server['id'])))

    def assertError(self, reply, status, reason):
        self.assertEqual(status, reply.status, reply.body)
        self.assertEqual({'code', 'reason', 'message'},
                         set(reply.error) & {'code', 'reason', 'message'})
        self.assertEqual((status, reason), (reply.error['code'],
                                            reply.error['reason']))

    def test_novas_own_metadata_still_answers_through_the_filter(self):
        reply = self.call('GET', '/openstack/latest/meta_data.json')
        self.assertEqual(200, reply.status)
        self.assertEqual(self.server['id'], reply.json['uuid'])

    def test_put_returns_the_hold_and_get_shows_the_contract_fields(self):
        reply = self.call('PUT', HOLD, {'lease_seconds': 90,
                                        'reason': 'checkpoint'})
        self.assertEqual(200, reply.status, reply.body)
        hold = reply.json
        for key in ('holder', 'expires_at', 'generation', 'lease_seconds',
                    'instance_state'):
            self.assertIn(key, hold)
        self.assertEqual(90, hold['lease_seconds'])
        state = self.call('GET').json
        for key in ('state', 'holds', 'static_locks', 'migration',
                    'move_request', 'policy'):
            self.assertIn(key, state)
        self.assertEqual('locked', state['state'])
        self.assertEqual('checkpoint', self.call('GET', HOLD).json['reason'])
        self.assertEqual(204, self.call('DELETE', HOLD).status)
        self.assertEqual(204, self.call('DELETE', HOLD).status)
        self.assertError(self.call('GET', HOLD), 404, 'not_found')

    def test_missing_lease_takes_the_default(self):
        reply = self.call('PUT', HOLD)
        self.assertEqual(200, reply.status, reply.body)
        self.assertEqual(300, reply.json['lease_seconds'])

    def test_hold_while_migrating_is_409_with_retry_after(self):
        self.store.open_ticket(self.server['id'],
                               project_id=self.server['tenant_id'],
                               kind='live-migration', request_id='r',
                               static_locks=())
        before = self.unchanged()
        reply = self.call('PUT', HOLD, {'lease_seconds': 60})
        self.assertError(reply, 409, 'migration_in_progress')
        self.assertEqual('15', reply.headers['Retry-After'])
        self.assertEqual(before, self.unchanged())

    def test_hold_can_wait_for_the_migration_to_end(self):
        self.store.open_ticket(self.server['id'],
                               project_id=self.server['tenant_id'],
                               kind='migrate', request_id='r',
                               static_locks=())
        threading.Timer(0.5, self.store.close_ticket,
                        args=(self.server['id'],),
                        kwargs={'outcome': 'done'}).start()
        started = time.monotonic()
        reply = self.call('PUT', HOLD, {'lease_seconds': 60, 'wait': 10})
        self.assertEqual(200, reply.status, reply.body)
        self.assertLess(time.monotonic() - started, 8)

    def test_lease_over_the_flavor_cap_is_422_naming_the_rule(self):
        flavor = self._create_flavor(extra_spec={'miglock:max_lease': '60'})
        self.server = self.boot(flavor_id=flavor)
        self.proxy = self.proxy_for(self.server)
        reply = self.call('PUT', HOLD, {'lease_seconds': 61})
        self.assertError(reply, 422, 'lease_too_long')
        self.assertIn('miglock:max_lease=60', reply.error['message'])
        self.assertEqual('flavor extra spec miglock:max_lease=60',
                         reply.error['rule'])
        self.assertEqual(60, self.call('GET').json['policy']['max_lease'])
        self.assertEqual(200, self.call('PUT', HOLD,
                                        {'lease_seconds': 60}).status)

    def test_quota_is_429_with_retry_after(self):
        self.store.set_quota(self.server['tenant_id'], locked_instances=0)
        before = self.unchanged()
        reply = self.call('PUT', HOLD, {'lease_seconds': 60})
        self.assertError(reply, 429, 'quota_exceeded')
        self.assertEqual('locked_instances', reply.error['limit'])
        self.assertEqual(before, self.unchanged())

    def test_a_refused_move_is_no_move_request_for_the_guest(self):
        # The bare "migration_requested" flag is gone: a guest learns of a
        # wanted move from a move request, with its reason and deadline.
        self.call('PUT', HOLD, {'lease_seconds': 60})
        self.assertRaises(lock.InstanceLocked, self.store.open_ticket,
                          self.server['id'],
                          project_id=self.server['tenant_id'],
                          kind='live-migration', request_id='r',
                          static_locks=())
        state = self.call('GET').json
        self.assertNotIn('migration_requested', state)
        self.assertNotIn('migration_requested_at', state)
        self.assertIsNone(state['move_request'])

    def test_static_tag_shows_in_the_state(self):
        self.api.put_server_tags(self.server['id'], ['miglock:static'])
        state = self.call('GET').json
        self.assertEqual('locked', state['state'])
        self.assertEqual([{'kind': 'tag', 'name': 'miglock:static',
                           'value': ''}], state['static_locks'])

    def test_store_down_is_503_with_retry_after_and_no_detail(self):
        self.flags(connection='mysql+pymysql://root:pw@127.0.0.1:1/x',
                   group='miglock_store')
        lock_store.reset_store()
        reply = self.call('PUT', HOLD, {'lease_seconds': 60})
        self.assertError(reply, 503, 'store_unavailable')
        self.assertEqual('5', reply.headers['Retry-After'])
        self.assertNotIn('127.0.0.1', reply.body)

    def test_bad_requests_get_clear_errors_and_change_nothing(self):
        before = self.unchanged()
        cases = [
            ('PUT', HOLD, '{"lease_seconds": ', 400, 'invalid_request'),
            ('PUT', HOLD, '[1, 2]', 400, 'invalid_request'),
            ('PUT', HOLD, '{"lease": 60}', 400, 'invalid_request'),
            ('PUT', HOLD, '{"lease_seconds": -5}', 400, 'invalid_request'),
            ('PUT', HOLD, '{"lease_seconds": 1.5}', 400, 'invalid_request'),
            ('PUT', HOLD, '{"reason": 7}', 400, 'invalid_request'),
            ('PUT', HOLD, '{"wait": "soon"}', 400, 'invalid_request'),
            ('PUT', HOLD, '{"lease_seconds": 99999999}', 422,
             'lease_too_long'),
            ('PUT', '/openstack/miglock/holds/bad%20name', '{}', 400,
             'invalid_request'),
            ('PUT', HOLD, 'x' * 5000, 413, 'body_too_large'),
            ('POST', HOLD, '{}', 405, 'method_not_allowed'),
            ('DELETE', '/openstack/miglock', None, 405,
             'method_not_allowed'),
            ('GET', '/openstack/miglock/other', None, 404, 'not_found'),
        ]
        for method, path, body, status, reason in cases:
            reply = self.call(method, path, body)
            self.assertError(reply, status, reason)
        self.assertEqual(['DELETE', 'GET', 'PUT'], sorted(
            self.call('POST', HOLD).headers['Allow'].split(', ')))
        self.assertEqual(before, self.unchanged())
