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
"""The gate judges the call Nova dispatches, however the request is spelt.

Method overrides (``?_method=POST``), project id prefixes, the legacy v2
endpoint and other routes to the same controllers all end in one of Nova's
move methods; every one of them meets the gate.
"""

import json

from nova.api import wsgi as base_wsgi
import routes

from nova_miglock.api import dispatch
from nova_miglock import manager as lock_manager
from nova_miglock.testing.nova import base

LIVE = {'os-migrateLive': {'host': 'host2', 'block_migration': 'auto',
                           'force': True}}


class GateDispatchTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot(host='host1')
        self.bigger = self._create_flavor(name='bigger', memory_mb=4096)

    def lock(self):
        target = lock_manager.Target(instance_uuid=self.server['id'],
                                     project_id=self.server['tenant_id'])
        self.manager.acquire(target, 'db', source='guest', lease_seconds=300)

    def send(self, method, path, body, microversion='2.30', headers=None):
        """A request as an admin's client would send it, path as given."""
        api = self.admin_api
        all_headers = {'Content-Type': 'application/json',
                       'X-Auth-User': 'admin', 'X-User-Id': 'admin',
                       'X-Auth-Project-Id': api.project_id,
                       'X-Roles': 'reader,member,admin',
                       'OpenStack-API-Version': 'compute ' + microversion,
                       'X-OpenStack-Nova-API-Version': microversion}
        all_headers.update(headers or {})
        root = api.base_url.rsplit('/v2.1', 1)[0]
        return api.request(
            root + path % {'id': self.server['id'],
                           'project': api.project_id},
            method=method, body=json.dumps(body), headers=all_headers)

    def test_every_spelling_of_a_move_is_refused_while_locked(self):
        self.check_every_route_to_a_move_method_goes_through_the_gate()
        self.lock()
        resize = {'resize': {'flavorRef': self.bigger}}
        spellings = [
            ('PUT', '/v2.1/servers/%(id)s/action?_method=POST', LIVE),
            ('PUT', '/v2.1/servers/%(id)s/action?_method=post', LIVE),
            ('GET', '/v2.1/servers/%(id)s/action?_method=POST', LIVE),
            ('DELETE', '/v2.1/servers/%(id)s/action?_method=POST', LIVE),
            ('PUT', '/v2.1/servers/%(id)s/action?x=1&_method=POST', resize),
            ('POST', '/v2.1/%(project)s/servers/%(id)s/action', LIVE),
            ('PUT', '/v2.1/%(project)s/servers/%(id)s/action?_method=POST',
             LIVE),
            ('POST', '/v2/%(project)s/servers/%(id)s/action', {
                'os-migrateLive': {'host': 'host2', 'block_migration': False,
                                   'disk_over_commit': False}}),
            ('POST', '/v2.1/os-volumes_boot/%(id)s/action', resize),
            ('POST', '/v2.1/servers/%(id)s/action', {'migrate': None}),
            ('POST', '/v2.1/servers/%(id)s/action', {
                'evacuate': {'host': 'host2', 'force': True}}),
        ]
        for method, path, body in spellings:
            reply = self.send(method, path, body)
            self.assertEqual(409, reply.status_code,
                             (method, path, reply.text))
            self.assertIn('locked against migration', reply.json()[
                'conflictingRequest']['message'])
        self.assertStayed(self.server)
        events = [e['event'] for e in self.store.ledger(
            instance_uuid=self.server['id'])]
        self.assertEqual(['acquire'] + ['move_refused'] * len(spellings),
                         events)

    def test_an_overridden_method_is_admitted_like_a_post(self):
        reply = self.send('PUT', '/v2.1/servers/%(id)s/action?_method=POST',
                          LIVE)
        self.assertEqual(202, reply.status_code, reply.text)
        self._wait_for_migration_status(self.server, ['completed'])
        self.wait_for_ticket_end(self.server)
        ledger = self.store.ledger(instance_uuid=self.server['id'])
        self.assertEqual([('move_admitted', 'live-migration'),
                          ('move_ended', 'completed')],
                         [(e['event'], e['reason']) for e in ledger])

    def check_every_route_to_a_move_method_goes_through_the_gate(self):
        routers = []
        for _where, app in self.api_fixture.app().applications:
            routers += dispatch.find_routers(app)
        self.assertEqual(2, len(routers))  # the v2.1 and the legacy v2
        moves = set(dispatch.MOVE_METHODS.values())
        gated = 0
        for router in routers:
            for resource, _actions in dispatch.resources(router):
                for name, method in resource.wsgi_actions.items():
                    self.assertNotIn(getattr(method, '__func__', None),
                                     moves)
                    self.assertEqual(name in dispatch.MOVE_METHODS,
                                     isinstance(method, dispatch.GatedMove))
                    gated += isinstance(method, dispatch.GatedMove)
        self.assertGreater(gated, 10)
        # Where it cannot gate, Nova's API does not load at all.
        error = self.assertRaises(dispatch.NotInstalled, dispatch.install,
                                  object(), ['migrate'], None)
        self.assertIn('openstack_compute_api_v21', str(error))
        error = self.assertRaises(
            dispatch.NotInstalled, dispatch.install,
            base_wsgi.Router(routes.Mapper()), ['migrate'], None)
        self.assertIn('handler of migrate', str(error))
