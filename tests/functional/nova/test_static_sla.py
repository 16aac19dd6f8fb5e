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
"""Who may set a static lock: the SLA, judged by Nova's own API.

A tenant's tag or property locks its server only where the configuration,
the flavor (``miglock:tenant_static``) and the project (quota
``static_locks``) allow it, the stricter winning. Where they do not, every
request that would set one is refused with 403 in Nova's fault format and
Nova changes nothing; removing a lock and setting other tags or properties
is never refused.
"""

import os

from nova.tests.functional.api import client as api_client

from nova_miglock import manager as lock_manager
from nova_miglock import policy
from nova_miglock.testing.nova import base

TAG = 'miglock:static'


class StaticLockSLATest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.forbidding = self._create_flavor(
            name='no-static', extra_spec={'miglock:tenant_static':
                                          'forbidden'})

    def assertForbidden(self, call, *args):
        error = self.assertRaises(api_client.OpenStackApiException, call,
                                  *args)
        self.assertEqual(403, error.response.status_code, error.response.text)
        fault = error.response.json()['forbidden']
        self.assertEqual(403, fault['code'])
        return fault['message']

    def assertUnlocked(self, server):
        found = self.admin_api.get_server(server['id'])
        self.assertNotIn(TAG, found.get('tags', []))
        self.assertNotIn(TAG, found['metadata'])
        self.assertEqual((), self.manager.state(
            self.target_of(server)).static_locks)

    @staticmethod
    def target_of(server):
        return lock_manager.Target(instance_uuid=server['id'],
                                   project_id=server['tenant_id'])

    def test_allowed_tenant_tag_is_set_and_locks(self):
        server = self.boot()
        self.api.put_server_tags(server['id'], [TAG])
        self.assertIn(TAG, self.api.get_server_tags(server['id']))
        error = self.assertRaises(
            api_client.OpenStackApiException,
            self.admin_api.post_server_action, server['id'],
            {'migrate': None})
        self.assertEqual(409, error.response.status_code)

    def test_flavor_forbidding_tenant_static_refuses_every_setter(self):
        server = self.boot(flavor_id=self.forbidding)
        sid = server['id']
        message = self.assertForbidden(self.api.put_server_tags, sid, [TAG])
        self.assertIn('flavor extra spec miglock:tenant_static=forbidden',
                      message)
        self.assertIn('server tag miglock:static', message)
        self.assertForbidden(self.api.api_put,
                             '/servers/%s/tags/%s' % (sid, TAG), {})
        self.assertForbidden(self.api.post_server_metadata, sid,
                             {TAG: 'true'})
        self.assertForbidden(self.api.api_put, '/servers/%s/metadata' % sid,
                             {'metadata': {TAG: 'yes'}})
        self.assertForbidden(self.api.api_put,
                             '/servers/%s/metadata/%s' % (sid, TAG),
                             {'meta': {TAG: '1'}})
        self.assertUnlocked(server)
        # Other tags and properties, and a false property, go through.
        self.api.put_server_tags(sid, ['web'])
        self.api.post_server_metadata(sid, {TAG: 'false', 'role': 'db'})
        self.assertEqual(['web'], self.api.get_server_tags(sid))

    def test_server_create_with_a_forbidden_tag_is_refused(self):
        body = self._build_server(networks='none',
                                  flavor_id=self.forbidding)
        body['tags'] = [TAG]
        message = self.assertForbidden(self.api.post_server,
                                       {'server': body})
        self.assertIn('miglock:tenant_static=forbidden', message)
        self.assertEqual([], self.api.get_servers())

    def test_project_quota_forbids_and_admin_policy_still_obeys_it(self):
        self.manager.set_quota(self.api.project_id, static_locks='forbidden')
        server = self.boot()
        message = self.assertForbidden(self.api.put_server_tags,
                                       server['id'], [TAG])
        self.assertIn('project quota static_locks=forbidden', message)
        self.assertUnlocked(server)
        self.manager.set_quota(self.api.project_id, static_locks=None)
        self.api.put_server_tags(server['id'], [TAG])
        self.assertEqual([TAG], self.api.get_server_tags(server['id']))

    def test_project_allowing_does_not_lift_a_forbidding_flavor(self):
        self.manager.set_quota(self.api.project_id, static_locks='allowed')
        server = self.boot(flavor_id=self.forbidding)
        self.assertForbidden(self.api.put_server_tags, server['id'], [TAG])

    def test_policy_file_can_keep_static_locks_to_admins(self):
        path = os.path.join(self.workdir, 'policy.yaml')
        with open(path, 'w') as stream:
            stream.write('"miglock:servers:static": "role:admin"\n')
        self.flags(policy_file=path, group='oslo_policy')
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        server = self.boot()
        message = self.assertForbidden(self.api.post_server_metadata,
                                       server['id'], {TAG: 'true'})
        self.assertIn('miglock:servers:static', message)
        self.assertUnlocked(server)

    def test_a_new_static_lock_over_the_locked_instances_quota_is_403(self):
        self.manager.set_quota(self.api.project_id, locked_instances=1)
        first, second = self.boot(), self.boot()
        self.api.put_server_tags(first['id'], [TAG])
        self.wait_for_static(first)
        message = self.assertForbidden(self.api.post_server_metadata,
                                       second['id'], {TAG: 'true'})
        self.assertIn('quota locked_instances=1', message)
        self.assertUnlocked(second)
        # The locked server itself may carry both kinds.
        self.api.post_server_metadata(first['id'], {TAG: 'true'})

    def wait_for_static(self, server):
        """The listener mirrors the tag into the store (synchronously)."""
        state = self.store.get_state(server['id'])
        self.assertIn('tag', [s.kind for s in state.static_locks])
