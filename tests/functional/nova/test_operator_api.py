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
"""nova-miglock-manage's commands over REST, under oslo.policy.

Against the in-process Nova: reap, ledger purge, move requests, a drain's
plan and the history model, each refused to a project member (every rule
defaults to admin) and held to its schema for an admin.
"""

import datetime
import json

from nova_miglock.api import operator_schemas
from nova_miglock.api import validation
from nova_miglock import lock
from nova_miglock import policy
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients


class OperatorApiTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot(host='host1')
        self.url = '/servers/%s/os-miglock' % self.server['id']

    def call(self, api, method, path, body=None):
        return api.api_request(path, method=method,
                               body=None if body is None else json.dumps(
                                   body), check_response_status=False)

    def answer(self, reply, status, schema, version='1.0'):
        self.assertEqual(status, reply.status_code, reply.text)
        self.assertIn('miglock ' + version,
                      reply.headers['OpenStack-API-Version'])
        validation.validate(schema, reply.json(), what='response')
        return reply.json()

    def refused(self, method, path, body=None, rule=None):
        """A project member is refused by the rule named, nothing done."""
        before = self.fingerprint(self.server)
        reply = self.call(self.api, method, path, body)
        self.assertEqual(403, reply.status_code, reply.text)
        self.assertIn(rule, reply.json()['forbidden']['message'])
        self.assertEqual(before, self.fingerprint(self.server))

    def bad(self, method, path, body, words):
        before = self.fingerprint(self.server)
        reply = self.call(self.admin_api, method, path, body)
        self.assertEqual(400, reply.status_code, (body, reply.text))
        self.assertIn(words, reply.json()['badRequest']['message'])
        self.assertEqual(before, self.fingerprint(self.server))

    def test_admins_reap_expired_holds_members_cannot(self):
        self.call(self.api, 'PUT', self.url + '/holds/etl',
                  {'lease_seconds': 60})
        self.store.advance_clock(120)
        self.refused('POST', '/os-miglock/reap', {}, 'miglock:reap')
        self.bad('POST', '/os-miglock/reap', {'limit': 0},
                 'limit: 0 is less than the minimum of 1')
        reaped = self.answer(self.call(self.admin_api, 'POST',
                                       '/os-miglock/reap'), 200,
                             operator_schemas.reap_response)['reaped']
        self.assertEqual([(self.server['id'], 'etl')], [
            (h['instance_uuid'], h['holder']) for h in reaped])
        self.assertEqual('expire', self.store.ledger(
            instance_uuid=self.server['id'])[-1]['event'])
        self.assertEqual([], self.answer(self.call(
            self.admin_api, 'POST', '/os-miglock/reap', {'limit': 10}), 200,
            operator_schemas.reap_response)['reaped'])

    def test_admins_purge_the_past_of_the_ledger_only(self):
        self.call(self.api, 'PUT', self.url + '/holds/etl',
                  {'lease_seconds': 60})
        self.call(self.api, 'DELETE', self.url + '/holds/etl')
        self.store.advance_clock(3600)
        before = lock.isoformat(self.store.now() - datetime.timedelta(
            seconds=60))
        self.refused('POST', '/os-miglock/ledger/purge', {'before': before},
                     'miglock:ledger:purge')
        self.bad('POST', '/os-miglock/ledger/purge', {},
                 "'before' is a required property")
        self.bad('POST', '/os-miglock/ledger/purge', {'before': 'yesterday'},
                 "before: 'yesterday' is not valid")
        self.bad('POST', '/os-miglock/ledger/purge',
                 {'before': '2999-01-01'}, 'must be in the past')
        purged = self.answer(self.call(
            self.admin_api, 'POST', '/os-miglock/ledger/purge',
            {'before': before}), 200,
            operator_schemas.purge_response)['purged']
        self.assertEqual((2, 0), (purged['ledger_events'],
                                  purged['closed_tickets']))
        self.assertEqual([], self.store.ledger(
            instance_uuid=self.server['id']))

    def test_admins_request_moves_tenants_see_them(self):
        path = self.url + '/move-request'
        self.assertIsNone(self.answer(
            self.call(self.api, 'GET', path), 200,
            operator_schemas.move_request_response)['move_request'])
        body = {'move_request': {'seconds': 600, 'reason': 'rack move'}}
        self.refused('PUT', path, body, 'miglock:servers:move_request:open')
        self.bad('PUT', path, {'move_request': {'seconds': 0,
                                                'reason': 'x'}},
                 'move_request/seconds: 0 is less than the minimum')
        self.bad('PUT', path, {'move_request': {'seconds': 60}},
                 "'reason' is a required property")
        opened = self.answer(self.call(self.admin_api, 'PUT', path, body),
                             200, operator_schemas.move_request_response)[
            'move_request']
        self.assertEqual(('rack move', 'user:admin', 600), (
            opened['reason'], opened['requested_by'],
            round(opened['seconds_left'])))
        shown = self.answer(self.call(self.api, 'GET', path), 200,
                            operator_schemas.move_request_response)[
            'move_request']
        self.assertEqual(opened['not_before'], shown['not_before'])
        # What the guest is told: its leases end by the deadline.
        hold = self.call(self.api, 'PUT', self.url + '/holds/etl',
                         {'lease_seconds': 3600}).json()['hold']
        self.assertEqual((opened['not_before'], 'move_request'), (
            hold['expires_at'], hold['lease_capped_by']))
        self.refused('GET', '/os-miglock/move-requests', None,
                     'miglock:move_requests:list')
        listed = self.answer(self.call(
            self.admin_api, 'GET', '/os-miglock/move-requests'), 200,
            operator_schemas.move_requests_response)['move_requests']
        self.assertEqual([self.server['id']],
                         [r['instance_uuid'] for r in listed])
        self.refused('DELETE', path, None,
                     'miglock:servers:move_request:cancel')
        self.assertEqual(204, self.call(self.admin_api, 'DELETE',
                                        path).status_code)
        self.assertIsNone(self.store.get_move_request(self.server['id']))
        self.assertEqual(('request_closed', 'cancelled', 'user:admin'), (
            lambda e: (e['event'], e['reason'], e['actor']))(
                self.store.ledger(instance_uuid=self.server['id'])[-1]))
        self.assertEqual(204, self.call(self.admin_api, 'DELETE',
                                        path).status_code)

    def test_admins_read_the_history_model(self):
        path = self.url + '/model'
        self.refused('GET', path, None, 'miglock:servers:model:show')
        self.bad('GET', path + '?days=0', None, 'days is 1 to 366')
        self.bad('GET', path + '?days=x', None, "days: 'x' is not valid")
        found = self.answer(self.call(self.admin_api, 'GET',
                                      path + '?days=7'), 200,
                            operator_schemas.model_response)['model']
        self.assertEqual((self.server['id'], None), (
            found['instance_uuid'], found['locked_for_seconds']))

    def test_admins_plan_a_drain_that_moves_nothing(self):
        self.call(self.api, 'PUT', self.url + '/holds/etl',
                  {'lease_seconds': 600})
        body = {'drain_plan': {'hosts': ['host1'], 'within': 7200,
                               'strategy': 'probabilistic'}}
        self.refused('POST', '/os-miglock/drain-plans', body,
                     'miglock:drain:plan')
        before = self.fingerprint(self.server)
        plan = self.answer(self.call(self.admin_api, 'POST',
                                     '/os-miglock/drain-plans', body), 200,
                           operator_schemas.drain_plan_response)[
            'drain_plan']
        self.assertEqual((['host1'], 'probabilistic', 'skip'), (
            plan['hosts'], plan['strategy'], plan['on_deadline']))
        self.assertEqual([(self.server['id'], 'host1', True)], [
            (i['instance_uuid'], i['host'], i['locked_at_start'])
            for i in plan['instances']])
        self.assertIsNotNone(plan['predicted'])
        # Nothing moved, nothing disabled, no hold touched.
        self.assertEqual(before, self.fingerprint(self.server))
        self.assertStayed(self.server)
        self.assertEqual(['enabled'], [
            s['status'] for s in self.admin_api.get_services(
                host='host1', binary='nova-compute')])
        reply = self.call(self.admin_api, 'POST', '/os-miglock/drain-plans',
                          {'drain_plan': {'hosts': ['no-such-host']}})
        self.assertEqual(404, reply.status_code, reply.text)
        self.assertIn("no compute service on host 'no-such-host'",
                      reply.json()['itemNotFound']['message'])
        for args, words in (
                ({'hosts': []}, 'drain_plan/hosts: [] should be non-empty'),
                ({'hosts': ['host1'], 'within': 60,
                  'deadline': '2999-01-01T00:00:00Z'},
                 'give within or deadline, not both'),
                ({'hosts': ['host1'], 'deadline': '2001-01-01T00:00:00Z'},
                 'is in the past'),
                ({'hosts': ['host1'], 'strategy': 'fast'},
                 "strategy: 'fast' is not one of"),
                ({'hosts': ['host1'], 'poll': 1}, "'poll' was unexpected")):
            self.bad('POST', '/os-miglock/drain-plans', {'drain_plan': args},
                     words)

    def plan(self, version, status=200, **args):
        """A drain plan of host1 asked at ``version`` by an admin."""
        reply = clients.session_for(self, True).request(
            self.admin_api.base_url + '/os-miglock/drain-plans', 'POST',
            json={'drain_plan': dict(args, hosts=['host1'])},
            headers={'OpenStack-API-Version': 'miglock %s' % version},
            raise_exc=False)
        if status != 200:
            self.assertEqual(status, reply.status_code, reply.text)
            return reply.json()
        return self.answer(reply, 200, operator_schemas.drain_plan_response,
                           version)['drain_plan']

    def test_a_plan_gives_the_drains_default_notice_from_version_1_2(self):
        self.flags(drain_notice=1200, group='miglock')
        self.call(self.api, 'PUT', self.url + '/holds/etl',
                  {'lease_seconds': 600})
        before = self.fingerprint(self.server)
        # Up to 1.1 a plan without a notice has none, and shows none.
        for version in ('1.0', '1.1'):
            plan = self.plan(version, within=7200)
            self.assertNotIn('notice', plan)
            self.assertEqual(['host1'], plan['hosts'])
            self.assertIn('needs version 1.2', self.plan(
                version, 400, within=7200, notice=0)['badRequest'][
                    'message'])
        # From 1.2, what ``drain --dry-run`` gives: [miglock] drain_notice,
        # or half the time to the deadline when that is shorter.
        plan = self.plan('1.2', within=7200)
        self.assertEqual((1200, 1), (plan['notice']['seconds'],
                                     plan['notice']['guests']))
        told = (datetime.datetime.fromisoformat(
            plan['notice']['not_before'][:-1]) -
            datetime.datetime.fromisoformat(plan['planned_at'][:-1]))
        self.assertAlmostEqual(1200, told.total_seconds(), delta=5)
        self.assertEqual(500, self.plan('1.2', within=1000)['notice'][
            'seconds'])
        self.assertEqual(300, self.plan('1.2', within=7200, notice=300)[
            'notice']['seconds'])
        # 0 or null: none.
        self.assertIsNone(self.plan('1.2', within=7200, notice=0)['notice'])
        self.assertIsNone(self.plan('1.2', within=7200,
                                    notice=None)['notice'])
        self.flags(drain_notice=0, group='miglock')
        self.assertIsNone(self.plan('1.2', within=7200)['notice'])
        # A plan tells no guest: no move request, no hold touched.
        self.assertEqual(before, self.fingerprint(self.server))
        self.assertIsNone(self.store.get_move_request(self.server['id']))
