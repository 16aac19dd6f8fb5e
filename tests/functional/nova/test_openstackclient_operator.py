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
"""Operators' ``openstack`` commands against the in-process Nova.

Move requests, reap, ledger purge, the history model and a drain's plan,
run as ``tests/functional/nova/test_openstackclient.py`` runs the lock
commands: the plugin's entry points in a cliff application, on a
keystoneauth session with the harness's identity, every request through
Nova's pipeline, our filter, policy and the store.
"""

import datetime

from nova_miglock import lock
from nova_miglock import policy
from nova_miglock.testing.nova import base
from tests.functional.nova import test_openstackclient as osc


class OperatorCommandsTest(osc.Commands, base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot(name='db-1', host='host1')

    def refused(self, command, rule):
        _out, errors = self.openstack(command, expect=1)
        self.assertIn('policy %s does not allow this (HTTP 403)' % rule,
                      errors)

    def test_operators_request_moves_and_tenants_see_them(self):
        self.refused('server migration lock request open db-1 --within 10m '
                     '--reason "rack move"',
                     'miglock:servers:move_request:open')
        opened = self.json('server migration lock request open db-1 '
                           '--within 10m --reason "rack move"', admin=True)
        self.assertEqual((self.server['id'], 'rack move', 'user:admin', 600),
                         (opened['Server ID'], opened['Reason'],
                          opened['Requested By'],
                          round(opened['Seconds Left'])))
        shown = self.json('server migration lock request show db-1')
        self.assertEqual(opened['Not Before'], shown['Not Before'])
        self.refused('server migration lock request list',
                     'miglock:move_requests:list')
        listed, _err = self.openstack(
            'server migration lock request list -f value -c "Server ID"',
            admin=True)
        self.assertEqual(self.server['id'], listed.strip())
        self.refused('server migration lock request cancel db-1',
                     'miglock:servers:move_request:cancel')
        self.openstack('server migration lock request cancel db-1',
                       admin=True)
        self.assertIsNone(self.store.get_move_request(self.server['id']))
        _out, errors = self.openstack(
            'server migration lock request show db-1', expect=1)
        self.assertIn('Server db-1 has no open move request.', errors)
        _out, errors = self.openstack(
            'server migration lock request open db-1 --within 0 --reason x',
            admin=True, expect=2)
        self.assertIn('invalid duration', errors)

    def test_operators_reap_purge_and_read_the_model(self):
        self.openstack('server migration lock hold db-1 --holder etl '
                       '--lease-seconds 60')
        self.store.advance_clock(120)
        self.refused('server migration lock reap', 'miglock:reap')
        reaped = self.json('server migration lock reap --limit 10',
                           admin=True)
        self.assertEqual([(self.server['id'], 'etl')], [
            (h['Server ID'], h['Holder']) for h in reaped])
        before = lock.isoformat(self.store.now() - datetime.timedelta(
            seconds=1))
        self.refused('server migration lock ledger purge --before %s'
                     % before, 'miglock:ledger:purge')
        purged = self.json('server migration lock ledger purge --before %s'
                           % before, admin=True)
        # The hold's acquire and its expiry, recorded at its end.
        self.assertEqual((before, 2), (purged['Before'],
                                       purged['Ledger Events']))
        _out, errors = self.openstack(
            'server migration lock ledger purge --before 2999-01-01',
            admin=True, expect=1)
        self.assertIn('must be in the past (HTTP 400)', errors)
        self.refused('server migration lock model show db-1',
                     'miglock:servers:model:show')
        found = self.json('server migration lock model show db-1 --days 7 '
                          '-c "Server ID" -c Weights', admin=True)
        self.assertEqual(['Server ID', 'Weights'], sorted(found))
        self.assertEqual(self.server['id'], found['Server ID'])
        self.assertIsInstance(found['Weights'], dict)

    def test_a_drain_is_planned_over_the_api_and_nothing_moves(self):
        self.openstack('server migration lock hold db-1 --holder etl '
                       '--lease-seconds 600')
        before = self.fingerprint(self.server)
        self.refused('server migration drain plan host1',
                     'miglock:drain:plan')
        plan = self.json('server migration drain plan host1 --within 2h '
                         '--strategy probabilistic --on-deadline skip',
                         admin=True)
        self.assertEqual((['host1'], 'probabilistic', 'skip', {'pending': 1}),
                         (plan['Hosts'], plan['Strategy'],
                          plan['On Deadline'], plan['Counts']))
        self.assertEqual([(self.server['id'], 'db-1', True)], [
            (s['instance_uuid'], s['name'], s['locked_at_start'])
            for s in plan['Servers']])
        self.assertGreater(plan['Predicted P90 Seconds'],
                           plan['Predicted P50 Seconds'])
        shown, _err = self.openstack('server migration drain plan host1 '
                                     '-f yaml -c Hosts', admin=True)
        self.assertEqual('Hosts:\n- host1\n', shown)
        _out, errors = self.openstack(
            'server migration drain plan no-such-host', admin=True, expect=1)
        self.assertIn("no compute service on host 'no-such-host' "
                      "(HTTP 404)", errors)
        _out, errors = self.openstack(
            'server migration drain plan host1 --strategy fast', admin=True,
            expect=1)
        self.assertIn("strategy: 'fast' is not one of", errors)
        _out, errors = self.openstack(
            'server migration drain plan host1 --within 1h --deadline '
            '2999-01-01T00:00:00Z', admin=True, expect=2)
        self.assertIn('not allowed with argument', errors)
        # A plan: nothing moved, disabled or touched.
        self.assertEqual(before, self.fingerprint(self.server))
        self.assertStayed(self.server)
        self.assertEqual(['enabled'], [
            s['status'] for s in self.admin_api.get_services(
                host='host1', binary='nova-compute')])

    def test_a_plan_gives_the_drains_notice_unless_told_otherwise(self):
        """``drain plan`` asks at 1.2: the drain's default notice."""
        self.flags(drain_notice=1200, group='miglock')
        plan = self.json('server migration drain plan host1 --within 2h',
                         admin=True)
        self.assertEqual((1200, 1), (plan['Notice']['seconds'],
                                     plan['Notice']['guests']))
        self.assertEqual(600, self.json(
            'server migration drain plan host1 --within 2h --notice 10m',
            admin=True)['Notice']['seconds'])
        for told in ('--no-notice', '--notice 0'):
            self.assertIsNone(self.json(
                'server migration drain plan host1 %s' % told,
                admin=True)['Notice'])
        _out, errors = self.openstack(
            'server migration drain plan host1 --notice 10m --no-notice',
            admin=True, expect=2)
        self.assertIn('not allowed with argument', errors)
        self.assertIsNone(self.store.get_move_request(self.server['id']))
