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
"""Group disruption budgets through Nova's API, with the gate in nova-api.

Real nova-api (gate and lock API), conductor, scheduler, two fake computes
and placement. A member's live migration is held in flight by stalling the
fake driver's ``live_migration`` (the only way to keep a move open here),
so that a second member's move meets the spent budget.
"""

import json
import threading

from nova.virt import fake as fake_virt

from nova_miglock.api import schemas
from nova_miglock.api import validation
from nova_miglock import policy
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients

V11 = {'OpenStack-API-Version': 'miglock 1.1'}
COMPUTE = {'OpenStack-API-Version': 'compute 2.53'}


class GroupBudgetTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.group = self.api.post_server_groups({
            'name': 'db', 'policy': 'soft-anti-affinity'})
        self.members = [self.boot_member(self.group['id'])
                        for _ in range(3)]

    def boot_member(self, group_id, tags=None):
        body = self._build_server(networks='none', host='host1')
        if tags:
            body['tags'] = tags
        server = self.admin_api.post_server({
            'server': body, 'os:scheduler_hints': {'group': group_id}})
        return self._wait_for_state_change(server, 'ACTIVE')

    def call(self, method, path, body=None, admin=False, headers=V11):
        api = self.admin_api if admin else self.api
        return clients.session_for(self, admin).request(
            api.base_url + path, method, json=body, headers=headers,
            raise_exc=False)

    def set_budget(self, group, max_moving, admin=False):
        return self.call('PUT', '/os-miglock/groups/%s' % group,
                         {'group': {'max_moving': max_moving}}, admin=admin)

    def live_migrate(self, server):
        return self.call('POST', '/servers/%s/action' % server['id'],
                         {'os-migrateLive': {'host': None,
                                             'block_migration': 'auto'}},
                         admin=True, headers=COMPUTE)

    def test_two_concurrent_moves_of_a_budget_of_one_admit_one(self):
        reply = self.set_budget(self.group['id'], 1)
        self.assertEqual(200, reply.status_code, reply.text)
        shown = validation.validate(schemas.group_response, reply.json(),
                                    what='response')['group']
        self.assertEqual((1, 3, 1, 'server-group'), (
            shown['max_moving'], shown['members'], shown['allowed_moving'],
            shown['kind']))
        in_flight, finish = self.stall(fake_virt.FakeDriver,
                                       'live_migration')
        replies = {}
        barrier = threading.Barrier(2)

        def move(server):
            barrier.wait(10)
            replies[server['id']] = self.live_migrate(server)

        threads = [threading.Thread(target=move, args=(s,))
                   for s in self.members[:2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        statuses = sorted(r.status_code for r in replies.values())
        self.assertEqual([202, 409], statuses,
                         [r.text for r in replies.values()])
        admitted, = [u for u, r in replies.items() if r.status_code == 202]
        refused = next(r for r in replies.values() if r.status_code == 409)
        message = refused.json()['conflictingRequest']['message']
        for fragment in ('server group %s' % self.group['id'],
                         'max_moving=1', 'allows 1 of its 3 members',
                         admitted):
            self.assertIn(fragment, message)
        retry_after = int(refused.headers['Retry-After'])
        self.assertTrue(1 <= retry_after <= 15, retry_after)
        # The refused member never moved, and the store shows one move.
        moving = self.call('GET', '/os-miglock/groups/%s'
                           % self.group['id']).json()['group']['moving']
        self.assertEqual([admitted], [m['instance_uuid'] for m in moving])
        self.assertTrue(in_flight.wait(30))
        finish.set()
        self.wait_for_ticket_end({'id': admitted})
        # With the first move over, the refused member moves.
        other, = [s for s in self.members[:2] if s['id'] != admitted]
        self.assertEqual(202, self.live_migrate(other).status_code)
        self.wait_for_ticket_end(other)

    def test_a_tag_group_budget_is_the_tenants_and_versioned(self):
        tagged = [self.boot_member(self.group['id'], tags=[
            'miglock:group=web']) for _ in range(2)]
        # Not at version 1.0: the resource does not exist there.
        self.assertEqual(404, self.call(
            'PUT', '/os-miglock/groups/tag:web',
            {'group': {'max_moving': '50%'}}, headers=None).status_code)
        reply = self.set_budget('tag:web', '50%')
        self.assertEqual(200, reply.status_code, reply.text)
        self.assertEqual(('50%', 2, 1), tuple(
            reply.json()['group'][k] for k in ('max_moving', 'members',
                                               'allowed_moving')))
        listed = self.call('GET', '/os-miglock/groups').json()['groups']
        self.assertEqual(['tag:web'], [g['group'] for g in listed])
        in_flight, finish = self.stall(fake_virt.FakeDriver,
                                       'live_migration')
        self.assertEqual(202, self.live_migrate(tagged[0]).status_code)
        self.assertTrue(in_flight.wait(30))
        refused = self.live_migrate(tagged[1])
        self.assertEqual(409, refused.status_code, refused.text)
        self.assertIn('group web (servers tagged miglock:group=web)',
                      refused.json()['conflictingRequest']['message'])
        finish.set()
        self.wait_for_ticket_end(tagged[0])
        self.assertEqual(204, self.call(
            'DELETE', '/os-miglock/groups/tag:web').status_code)
        self.assertEqual(404, self.call(
            'GET', '/os-miglock/groups/tag:web').status_code)

    def test_bad_budgets_are_400_and_other_projects_403(self):
        for body in ({'group': {'max_moving': -1}},
                     {'group': {'max_moving': '150%'}},
                     {'group': {'max_moving': 1.5}}, {'group': {}},
                     {'max_moving': 1}):
            reply = self.call('PUT', '/os-miglock/groups/%s'
                              % self.group['id'], body)
            self.assertEqual(400, reply.status_code, (body, reply.text))
            self.assertIn('badRequest', reply.json())
        reply = self.call('PUT', '/os-miglock/groups/not-a-group',
                          {'group': {'max_moving': 1}})
        self.assertEqual(400, reply.status_code, reply.text)
        self.assertEqual(404, self.call(
            'GET', '/os-miglock/groups/%s' % self.group['id']).status_code)
        # Zero locks every member with no lease nor quota: operators only.
        reply = self.set_budget(self.group['id'], '0%')
        self.assertEqual(403, reply.status_code, reply.text)
        self.assertEqual(200, self.set_budget(self.group['id'], 0,
                                              admin=True).status_code)
        # ... and an operator's freeze is the operator's to lift.
        path = '/os-miglock/groups/%s' % self.group['id']
        self.assertEqual(403, self.set_budget(self.group['id'],
                                              1).status_code)
        self.assertEqual(403, self.call('DELETE', path).status_code)
        self.assertEqual(204, self.call('DELETE', path,
                                        admin=True).status_code)
        self.assertEqual(403, self.call(
            'GET', '/os-miglock/groups?project_id=other').status_code)
        self.assertEqual([], self.manager.list_group_budgets())
        self.assertEqual(json.loads('{"groups": []}'), self.call(
            'GET', '/os-miglock/groups').json())
