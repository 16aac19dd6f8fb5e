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
"""``openstack server migration group ...`` against the in-process Nova.

Run as ``tests/functional/nova/test_openstackclient.py`` runs the lock
commands: the plugin's entry points in a cliff application, on a
keystoneauth session with the harness's identity, every request through
Nova's pipeline, our filter (at API version 1.1), policy and the store.
The group is a tag group: the project's servers tagged
``miglock:group=db``, whose members the API reads from Nova.
"""

from nova_miglock import policy
from nova_miglock.testing.nova import base
from tests.functional.nova import test_openstackclient as osc

PROJECT = '6f70656e737461636b20342065766572'


class GroupCommandsTest(osc.Commands, base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.members = [self.boot(name='db-%d' % i) for i in (1, 2)]
        for server in self.members:
            self.api.api_put('/servers/%s/tags/miglock:group=db'
                             % server['id'], {},
                             check_response_status=[201])
        # Not a member: tagged for another group.
        other = self.boot(name='web-1')
        self.api.api_put('/servers/%s/tags/miglock:group=web' % other['id'],
                         {}, check_response_status=[201])

    def budget(self):
        return self.store.get_group_budget(PROJECT, 'tag:db')

    def test_a_member_sets_shows_lists_and_deletes_a_tag_group_budget(self):
        found = self.json('server migration group set tag:db '
                          '--max-moving 50%')
        self.assertEqual(
            ('tag:db', 'tag', PROJECT, '50%', 2, 1, [], 'user:fake'),
            (found['Group'], found['Kind'], found['Project ID'],
             found['Max Moving'], found['Members'], found['Allowed Moving'],
             found['Moving'], found['Updated By']))
        self.assertEqual('50%', self.budget()['max_moving'].to_api())
        shown = self.json('server migration group show tag:db')
        self.assertEqual(found, shown)
        value, _err = self.openstack('server migration group show tag:db '
                                     '-f value -c "Max Moving" -c Members')
        self.assertEqual('50%\n2\n', value)
        yaml, _err = self.openstack('server migration group show tag:db '
                                    '-f yaml -c Moving')
        self.assertEqual('Moving: []\n', yaml)
        found = self.json('server migration group set tag:db '
                          '--max-moving 1')
        self.assertEqual((1, 1), (found['Max Moving'],
                                  found['Allowed Moving']))
        listed = self.json('server migration group list')
        self.assertEqual([('tag:db', 1, 2, [])], [
            (g['Group'], g['Max Moving'], g['Members'], g['Moving'])
            for g in listed])
        table, _err = self.openstack('server migration group list')
        self.assertIn('| tag:db ', table)
        self.openstack('server migration group delete tag:db')
        self.assertIsNone(self.budget())
        self.assertEqual([], self.json('server migration group list'))
        _out, errors = self.openstack('server migration group show tag:db',
                                      expect=1)
        self.assertIn('Group db (servers tagged miglock:group=db) has no '
                      'disruption budget. (HTTP 404)', errors)
        self.assertNotIn('Traceback', errors)
        # Removing no budget is not an error.
        self.openstack('server migration group delete tag:db')

    def test_a_bad_budget_is_a_clear_error_and_changes_nothing(self):
        self.openstack('server migration group set tag:db --max-moving 1')
        before = self.budget()
        for bad in ('many', '-1', '150%', '1.5'):
            _out, errors = self.openstack(
                'server migration group set tag:db --max-moving %s' % bad,
                expect=2)
            self.assertIn("invalid max-moving (a count 0-9999 or a "
                          "percentage 0%%-100%%) value: '%s'" % bad, errors)
            self.assertNotIn('Traceback', errors)
        # Neither a tag group nor a server group's name.
        _out, errors = self.openstack(
            'server migration group set db --max-moving 1', expect=1)
        self.assertIn("No server group with a name or ID of 'db' exists",
                      errors)
        # The API's own refusals: not a group, 0 for a member.
        _out, errors = self.openstack(
            'server migration group set "tag:no good" --max-moving 1',
            expect=1)
        self.assertIn('a group is a server group UUID or "tag:NAME"',
                      errors)
        self.assertIn('(HTTP 400)', errors)
        _out, errors = self.openstack(
            'server migration group set tag:db --max-moving 0', expect=1)
        self.assertIn('only an operator may set it', errors)
        self.assertNotIn('Traceback', errors)
        self.assertEqual(before, self.budget())

    def test_a_server_group_is_named_by_name_or_id(self):
        group = self.api.post_server_groups({
            'name': 'db-anti', 'policy': 'soft-anti-affinity'})
        found = self.json('server migration group set db-anti '
                          '--max-moving 1')
        self.assertEqual((group['id'], 'server-group', 0), (
            found['Group'], found['Kind'], found['Members']))
        shown = self.json('server migration group show %s' % group['id'])
        self.assertEqual(found, shown)
        self.openstack('server migration group delete db-anti')
        self.assertIsNone(self.store.get_group_budget(PROJECT, group['id']))

    def test_an_admin_names_the_project_and_lists_every_project(self):
        _out, errors = self.openstack(
            'server migration group set tag:db --project other-project '
            '--max-moving 1', expect=1)
        self.assertIn('(HTTP 403)', errors)
        found = self.json('server migration group set tag:db --project %s '
                          '--max-moving 0' % PROJECT, admin=True)
        self.assertEqual((PROJECT, 0, 0, 'user:admin'), (
            found['Project ID'], found['Max Moving'],
            found['Allowed Moving'], found['Updated By']))
        self.assertEqual(0, self.budget()['max_moving'].to_api())
        # The operator's freeze is the operator's to lift.
        _out, errors = self.openstack('server migration group delete tag:db',
                                      expect=1)
        self.assertIn('only an operator may change or remove it', errors)
        self.assertEqual(0, self.budget()['max_moving'].to_api())
        listed = self.json('server migration group list --all-projects',
                           admin=True)
        self.assertEqual([(PROJECT, 'tag:db')], [
            (g['Project ID'], g['Group']) for g in listed])
        self.openstack('server migration group delete tag:db --project %s'
                       % PROJECT, admin=True)
        self.assertIsNone(self.budget())
