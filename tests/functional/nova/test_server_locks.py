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
"""The tenant and operator lock API, governed by oslo.policy."""

import json
import os

from nova.tests.functional.api import client as api_client

from nova_miglock import policy
from nova_miglock.testing.nova import base


class ServerLocksApiTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot()
        self.url = '/servers/%s/os-miglock' % self.server['id']

    def call(self, api, method, path='', body=None):
        return api.api_request(self.url + path, method=method,
                               body=None if body is None else json.dumps(
                                   body), check_response_status=False)

    def test_tenant_holds_and_the_gate_refuses_the_move(self):
        reply = self.call(self.api, 'PUT', '/holds/etl', {
            'lease_seconds': 120, 'reason': 'month end'})
        self.assertEqual(200, reply.status_code, reply.text)
        self.assertEqual('tenant', reply.json()['hold']['source'])
        shown = self.call(self.api, 'GET').json()['miglock']
        self.assertEqual(('locked', ['etl']), (
            shown['state'], [h['holder'] for h in shown['holds']]))
        error = self.assertRaises(
            api_client.OpenStackApiException,
            self.admin_api.post_server_action, self.server['id'],
            {'migrate': None})
        self.assertIn('hold by etl (tenant) "month end"',
                      error.response.json()['conflictingRequest']['message'])
        self.assertEqual(204, self.call(self.api, 'DELETE',
                                        '/holds/etl').status_code)
        self.assertEqual('unlocked', self.call(self.api, 'GET').json()[
            'miglock']['state'])

    def test_only_admins_break_and_break_is_audited(self):
        self.call(self.api, 'PUT', '/holds/etl', {'lease_seconds': 120})
        reply = self.call(self.api, 'POST', '/action', {
            'break': {'reason': 'mine now'}})
        self.assertEqual(403, reply.status_code)
        self.assertIn('miglock:servers:break',
                      reply.json()['forbidden']['message'])
        reply = self.call(self.admin_api, 'POST', '/action', {
            'break': {'reason': 'hypervisor upgrade'}})
        self.assertEqual(200, reply.status_code, reply.text)
        self.assertEqual(['etl'], [h['holder'] for h in
                                   reply.json()['broken']])
        last = self.store.ledger(instance_uuid=self.server['id'])[-1]
        self.assertEqual(('break', 'hypervisor upgrade', 'user:admin'),
                         (last['event'], last['reason'], last['actor']))

    def test_a_tenant_cannot_release_an_operator_hold(self):
        self.call(self.admin_api, 'PUT', '/holds/maintenance',
                  {'lease_seconds': 120})
        reply = self.call(self.api, 'DELETE', '/holds/maintenance')
        self.assertEqual(403, reply.status_code)
        self.assertEqual(['maintenance'], [
            h.holder for h in self.store.get_state(self.server['id']).holds])

    def test_other_projects_see_nothing(self):
        self.api.project_id = 'another-project'
        reply = self.call(self.api, 'GET')
        self.assertEqual(404, reply.status_code)

    def test_the_policy_file_overrides_the_defaults(self):
        path = os.path.join(self.workdir, 'policy.yaml')
        with open(path, 'w') as stream:
            stream.write('"miglock:servers:hold": "role:admin"\n')
        self.flags(policy_file=path, group='oslo_policy')
        policy.reset_enforcer()
        reply = self.call(self.api, 'PUT', '/holds/etl',
                          {'lease_seconds': 60})
        self.assertEqual(403, reply.status_code)
        self.assertEqual('policy miglock:servers:hold does not allow this',
                         reply.json()['forbidden']['message'])
        self.assertEqual((), self.store.get_state(self.server['id']).holds)

    def test_bad_bodies_are_400_in_novas_fault_format(self):
        for path, body in (('/holds/etl', {'lease': 1}),
                           ('/holds/bad name', {}),
                           ('/action', {'break': {}, 'exempt': {}}),
                           ('/action', {'frobnicate': {}})):
            method = 'PUT' if 'holds' in path else 'POST'
            reply = self.call(self.admin_api, method, path, body)
            self.assertEqual(400, reply.status_code, (path, reply.text))
            self.assertIn('badRequest', reply.json())
