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
"""Static locks set by tenants or operators refuse every kind of move.

A server tag, a server property, a flavor extra spec and an image property
each refuse live migration, cold migration and resize; removing the tag or
property, or an operator's audited exemption for flavor and image locks,
lets them through. Booting a server that carries the lock works.
"""

from nova.tests.functional.api import client as api_client

from nova_miglock.testing.nova import base

MOVES = {
    'live migration': {'os-migrateLive': {'host': None,
                                          'block_migration': 'auto'}},
    'cold migration': {'migrate': None},
}


class StaticLockTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.other_flavor = self._create_flavor(name='other')

    def assertEveryMoveRefused(self, server, fragment):
        moves = dict(MOVES, resize={'resize': {
            'flavorRef': self.other_flavor}})
        for name, body in moves.items():
            error = self.assertRaises(
                api_client.OpenStackApiException,
                self.admin_api.post_server_action, server['id'], body)
            self.assertEqual(409, error.response.status_code, name)
            self.assertIn(fragment, error.response.text, name)
            self.assertEqual('ACTIVE', self.admin_api.get_server(
                server['id'])['status'])

    def assertMoves(self, server):
        self._live_migrate(server, api=self.admin_api)
        self.assertNotEqual(server['OS-EXT-SRV-ATTR:host'],
                            self.admin_api.get_server(server['id'])[
                                'OS-EXT-SRV-ATTR:host'])

    def test_server_tag_refuses_every_move_until_removed(self):
        server = self.boot()
        self.api.put_server_tags(server['id'], ['miglock:static'])
        self.assertEveryMoveRefused(server, 'server tag miglock:static')
        self.api.api_delete('/servers/%s/tags' % server['id'])
        self.assertMoves(server)

    def test_booting_with_the_tag_works_and_the_tag_locks(self):
        self.api.microversion = '2.52'
        body = self._build_server(networks='none')
        body['tags'] = ['miglock:static']
        server = self._wait_for_state_change(
            self.api.post_server({'server': body}), 'ACTIVE')
        self.assertEveryMoveRefused(server, 'server tag miglock:static')

    def test_server_property_refuses_every_move_until_false(self):
        server = self.boot()
        self.api.post_server_metadata(server['id'],
                                      {'miglock:static': 'true'})
        self.assertEveryMoveRefused(
            server, 'server property miglock:static=true')
        self.api.post_server_metadata(server['id'],
                                      {'miglock:static': 'false'})
        self.assertMoves(server)

    def test_flavor_lock_refuses_until_an_operator_exempts_it(self):
        flavor = self._create_flavor(name='gpu',
                                     extra_spec={'miglock:static': 'true'})
        server = self.boot(flavor_id=flavor)
        self.assertEveryMoveRefused(
            server, 'flavor extra spec miglock:static=true')
        self.manager.exempt_static(server['id'], seconds=600,
                                   reason='host replacement',
                                   actor='operator:test')
        self.assertMoves(server)
        (event,) = [e for e in self.store.ledger(instance_uuid=server['id'])
                    if e['event'] == 'exempt']
        self.assertEqual(('host replacement', 'operator:test'),
                         (event['reason'], event['actor']))

    def test_image_property_refuses_every_move(self):
        image = self._create_image(metadata={'miglock_static': 'true'})
        server = self.boot(image_uuid=image['id'])
        self.assertEveryMoveRefused(
            server, 'image property miglock_static=true')

    def test_nova_refuses_invalid_miglock_extra_specs(self):
        for key, value in (('miglock:static', 'maybe'),
                           ('miglock:max_lease', '0'),
                           ('miglock:guest_lock', 'sometimes')):
            error = self.assertRaises(
                api_client.OpenStackApiException, self._create_flavor,
                name='bad-%s' % key.split(':')[1], extra_spec={key: value})
            self.assertEqual(400, error.response.status_code, key)
