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

import datetime
import json
import os
import re

from nova.tests.functional.api import client as api_client

from nova_miglock.api import schemas
from nova_miglock.api import validation
from nova_miglock import lock
from nova_miglock import manager
from nova_miglock import policy
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients

SAMPLE_TIME = datetime.datetime(2026, 11, 26, 12, 0, 0)


class ServerLocksApiTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot()
        self.url = '/servers/%s/os-miglock' % self.server['id']

    def call(self, api, method, path='', body=None, url=None, headers=None):
        if headers:
            # The harness's client sets OpenStack-API-Version itself.
            return clients.session_for(self, api is self.admin_api).request(
                api.base_url + (url or self.url) + path, method, json=body,
                headers=headers, raise_exc=False)
        return api.api_request((url or self.url) + path, method=method,
                               body=None if body is None else json.dumps(
                                   body), check_response_status=False)

    def answer(self, reply, status, schema, version='1.0'):
        """The JSON of ``reply``, held to its status, schema and version."""
        self.assertEqual(status, reply.status_code, reply.text)
        self.assertIn('miglock ' + version,
                      reply.headers['OpenStack-API-Version'])
        self.assertIn('OpenStack-API-Version', reply.headers['Vary'])
        validation.validate(schema, reply.json(), what='response')
        return reply.json()

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

    def test_bad_bodies_change_nothing_and_name_the_field(self):
        self.call(self.api, 'PUT', '/holds/etl', {'lease_seconds': 120})
        before = self.fingerprint(self.server)
        for api, method, path, body, words in (
                (self.api, 'PUT', '/holds/etl', {'lease_seconds': '60'},
                 "lease_seconds: '60' is not of type"),
                (self.api, 'PUT', '/holds/etl', {'lease_seconds': 1.5},
                 'lease_seconds: 1.5 is not of type'),
                (self.api, 'PUT', '/holds/new', {'reason': 'a\nb'},
                 'without control characters'),
                (self.admin_api, 'POST', '/action', {'break': {}},
                 "break: 'reason' is a required property"),
                (self.admin_api, 'POST', '/action',
                 {'exempt': {'reason': 'x', 'seconds': -5}},
                 'exempt/seconds: -5 is less than the minimum of 0'),
                (self.admin_api, 'POST', '/action', {},
                 'give exactly one of: break, end_move, exempt')):
            reply = self.call(api, method, path, body)
            self.assertEqual(400, reply.status_code, (body, reply.text))
            self.assertIn(words, reply.json()['badRequest']['message'])
            self.assertIn('miglock 1.0',
                          reply.headers['OpenStack-API-Version'])
        self.assertEqual(before, self.fingerprint(self.server))
        self.assertEqual([], self.our_notifications('miglock.hold.break'))

    def test_every_answer_matches_its_schema(self):
        self.answer(self.call(self.api, 'GET'), 200, schemas.show_response)
        hold = self.answer(self.call(self.api, 'PUT', '/holds/etl', {
            'lease_seconds': 120, 'reason': 'month end'}), 200,
            schemas.hold_response)['hold']
        self.assertEqual(('etl', 'tenant', 120.0), (
            hold['holder'], hold['source'], hold['lease_seconds']))
        shown = self.answer(self.call(self.api, 'GET'), 200,
                            schemas.show_response)['miglock']
        self.assertEqual('locked', shown['state'])
        self.answer(self.call(self.admin_api, 'POST', '/action', {
            'exempt': {'reason': 'rack move', 'seconds': 60}}), 200,
            schemas.exempt_response)
        broken = self.answer(self.call(self.admin_api, 'POST', '/action', {
            'break': {'reason': 'hypervisor upgrade', 'holder': 'etl'}}),
            200, schemas.break_response)['broken']
        self.assertEqual(['etl'], [h['holder'] for h in broken])
        reply = self.call(self.api, 'DELETE', '/holds/etl')
        self.assertEqual(204, reply.status_code)
        self.assertIn('miglock 1.0', reply.headers['OpenStack-API-Version'])

    def test_the_version_is_negotiated_and_discoverable(self):
        root = '/os-miglock'
        found = self.answer(self.call(self.api, 'GET', url=root), 200,
                            schemas.versions_response)['versions']
        self.assertEqual([('v1.0', '1.0', '1.2', 'CURRENT')], [
            (v['id'], v['min_version'], v['version'], v['status'])
            for v in found])
        self.answer(self.call(self.api, 'GET', headers={
            'OpenStack-API-Version': 'miglock latest'}), 200,
            schemas.show_response, version='1.2')
        reply = self.call(self.api, 'PUT', '/holds/etl', {}, headers={
            'OpenStack-API-Version': 'miglock 1.3'})
        self.assertEqual(406, reply.status_code, reply.text)
        self.assertIn('1.0 to 1.2', str(reply.json()))
        self.assertEqual((), self.store.get_state(self.server['id']).holds)
        reply = self.call(self.api, 'GET', headers={
            'OpenStack-API-Version': 'miglock one'})
        self.assertEqual(400, reply.status_code, reply.text)

    def test_tenants_list_their_project_and_admins_any(self):
        root = '/os-miglock/locks'
        self.call(self.api, 'PUT', '/holds/etl', {'lease_seconds': 120})
        other = self.boot()
        listed = self.answer(self.call(self.api, 'GET', url=root), 200,
                             schemas.list_response)['locks']
        self.assertEqual([(self.server['id'], ['etl'])], [
            (s['instance_uuid'], [h['holder'] for h in s['holds']])
            for s in listed])
        self.assertNotIn(other['id'], [s['instance_uuid'] for s in listed])
        for query in ('?all_projects=true', '?project_id=another-project'):
            reply = self.call(self.api, 'GET', url=root + query)
            self.assertEqual(403, reply.status_code, reply.text)
            self.assertIn('miglock:locks:list',
                          reply.json()['forbidden']['message'])
        self.api.project_id = 'another-project'
        self.assertEqual([], self.answer(
            self.call(self.api, 'GET', url=root), 200,
            schemas.list_response)['locks'])
        everyone = self.answer(self.call(
            self.admin_api, 'GET', url=root + '?all_projects=1'), 200,
            schemas.list_response)['locks']
        self.assertEqual([self.server['id']],
                         [s['instance_uuid'] for s in everyone])
        reply = self.call(self.admin_api, 'GET', url=root + '?limit=-1')
        self.assertEqual(400, reply.status_code, reply.text)
        self.assertIn('limit', reply.json()['badRequest']['message'])

    def test_usage_is_reported_per_project_under_its_policy(self):
        self.call(self.api, 'PUT', '/holds/etl', {'lease_seconds': 120})
        self.call(self.api, 'DELETE', '/holds/etl')
        root = '/os-miglock/usage'
        usage = self.answer(self.call(self.api, 'GET', url=root), 200,
                            schemas.usage_response)['usage']
        self.assertEqual([(self.server['id'], 1)], [
            (u['instance_uuid'], u['holds']) for u in usage['instances']])
        self.assertEqual([self.api.project_id], list(usage['projects']))
        for query in ('?all_projects=true', '?project_id=another-project'):
            reply = self.call(self.api, 'GET', url=root + query)
            self.assertEqual(403, reply.status_code, reply.text)
            self.assertIn('miglock:usage:show', reply.text)
        everyone = self.answer(self.call(
            self.admin_api, 'GET', url=root + '?all_projects=true'), 200,
            schemas.usage_response)['usage']
        self.assertEqual(1, len(everyone['instances']))
        for query, words in (
                ('?since=yesterday', "'yesterday' is not valid: a UTC date"),
                ('?since=2026-02-30', 'day is out of range'),
                ('?since=2026-01-02&until=2026-01-01', 'until must be after'),
                ('?since=2020-01-01&until=2026-01-01', 'at most 366 days'),
                ('?frobnicate=1', "'frobnicate' was unexpected")):
            reply = self.call(self.admin_api, 'GET', url=root + query)
            self.assertEqual(400, reply.status_code, (query, reply.text))
            self.assertIn(words, reply.json()['badRequest']['message'])

    def test_quotas_are_shown_to_the_project_and_set_by_admins(self):
        mine = '/os-miglock/quotas/%s' % self.api.project_id
        shown = self.answer(self.call(self.api, 'GET', url=mine), 200,
                            schemas.quota_response)['quota']
        self.assertEqual((-1, -1), (shown['locked_instances'],
                                    shown['lock_seconds_per_day']))
        reply = self.call(self.api, 'GET', url='/os-miglock/quotas/other')
        self.assertEqual(403, reply.status_code, reply.text)
        reply = self.call(self.api, 'PUT', url=mine, body={
            'quota': {'locked_instances': 100}})
        self.assertEqual(403, reply.status_code, reply.text)
        self.assertIn('miglock:quotas:update', reply.text)
        for body, words in (
                ({'quota': {'locked_instances': -2}},
                 'quota/locked_instances: -2 is less than the minimum'),
                ({'quota': {'locked_instances': 2 ** 31}},
                 'quota/locked_instances: 2147483648 is greater'),
                ({'quota': {}}, 'quota: give at least one of: '
                 'guest_locks, lock_seconds_per_day, locked_instances'),
                ({'quota': {'instances': 1}}, "'instances' was unexpected")):
            reply = self.call(self.admin_api, 'PUT', url=mine, body=body)
            self.assertEqual(400, reply.status_code, (body, reply.text))
            self.assertIn(words, reply.json()['badRequest']['message'])
        self.assertEqual(-1, self.store.get_quota(
            self.api.project_id)['locked_instances'])
        self.answer(self.call(self.admin_api, 'PUT', url=mine, body={
            'quota': {'locked_instances': 1}}), 200, schemas.quota_response)
        self.assertEqual(1, self.answer(self.call(self.api, 'GET', url=mine),
                                        200, schemas.quota_response)[
            'quota']['locked_instances'])
        self.call(self.api, 'PUT', '/holds/etl', {'lease_seconds': 60})
        other = self.boot()
        reply = self.call(self.api, 'PUT', '/holds/etl', {
            'lease_seconds': 60}, url='/servers/%s/os-miglock' % other['id'])
        self.assertEqual(429, reply.status_code, reply.text)
        self.answer(self.call(self.admin_api, 'PUT', url=mine, body={
            'quota': {'locked_instances': None}}), 200,
            schemas.quota_response)
        self.assertEqual(-1, self.store.get_quota(
            self.api.project_id)['locked_instances'])

    def test_the_projects_sla_is_set_at_version_1_1_only(self):
        mine = '/os-miglock/quotas/%s' % self.api.project_id
        sla = {'quota': {'static_locks': 'forbidden', 'max_lease': 600}}
        reply = self.call(self.admin_api, 'PUT', url=mine, body=sla)
        self.assertEqual(400, reply.status_code, reply.text)
        self.assertIn('need version 1.1', reply.text)
        self.assertIsNone(self.store.get_quota(
            self.api.project_id)['static_locks'])
        v11 = {'OpenStack-API-Version': 'miglock 1.1'}
        reply = self.call(self.admin_api, 'PUT', url=mine, body=sla,
                          headers=v11)
        self.assertEqual(200, reply.status_code, reply.text)
        self.assertIn('miglock 1.1', reply.headers['OpenStack-API-Version'])
        shown = reply.json()['quota']
        self.assertEqual(('forbidden', 600, None, None),
                         (shown['static_locks'], shown['max_lease'],
                          shown['guest_locks'], shown['max_hold']))
        # The project's cap now refuses a longer lease, naming itself.
        reply = self.call(self.api, 'PUT', '/holds/etl',
                          {'lease_seconds': 900})
        self.assertEqual(422, reply.status_code, reply.text)
        self.assertIn('project quota max_lease=600', reply.text)
        # Version 1.0 still shows only the quotas.
        shown = self.answer(self.call(self.api, 'GET', url=mine), 200,
                            schemas.quota_response)['quota']
        self.assertNotIn('static_locks', shown)

    def test_operators_list_and_end_moves_nova_never_ended(self):
        # A move admitted whose end Nova never reports (the listener is
        # what would end it): the ticket an operator ends by hand.
        ticket = self.manager.admit_move(manager.Target(
            self.server['id'], self.server['tenant_id']),
            kind='live-migration')
        root = '/os-miglock/tickets'
        reply = self.call(self.api, 'GET', url=root)
        self.assertEqual(403, reply.status_code, reply.text)
        listed = self.answer(self.call(self.admin_api, 'GET', url=root), 200,
                             schemas.tickets_response)['tickets']
        self.assertEqual([(self.server['id'], ticket.ticket_id)], [
            (t['instance_uuid'], t['ticket_id']) for t in listed])
        self.assertEqual([], self.answer(self.call(
            self.admin_api, 'GET', url=root + '?overdue=true'), 200,
            schemas.tickets_response)['tickets'])
        reply = self.call(self.api, 'POST', '/action', {'end_move': {}})
        self.assertEqual(403, reply.status_code, reply.text)
        ended = self.answer(self.call(self.admin_api, 'POST', '/action', {
            'end_move': {'outcome': 'stuck-move'}}), 200,
            schemas.end_move_response)['ended']
        self.assertEqual((ticket.ticket_id, 'stuck-move'), (
            ended['ticket_id'], ended['outcome']))
        self.assertIsNone(self.store.get_state(self.server['id']).ticket)
        self.assertEqual(['miglock.move.ended'], [
            n[0] for n in self.our_notifications('miglock.move.ended')])
        self.assertIsNone(self.answer(self.call(
            self.admin_api, 'POST', '/action', {'end_move': {}}), 200,
            schemas.end_move_response)['ended'])


class ApiReferenceSamplesTest(base.NovaTestCase):
    """The API reference's samples are answers of the real API.

    Each request below is made against the in-process Nova; the request
    and its answer, with ids, times and the host normalised, must equal
    ``api-ref/source/samples/<name>.json``. ``MIGLOCK_WRITE_SAMPLES=1``
    writes them instead.
    """

    SAMPLES = os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
        'api-ref', 'source', 'samples')
    SERVER = '9168b536-cd40-4630-b43f-b259807c6e87'
    HOST = 'http://openstack.example.com'
    TICKET = '5c3e2d1f-7a9b-4c8d-9e0f-1a2b3c4d5e6f'
    UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                      r'[0-9a-f]{12}$')
    ORIGIN = re.compile(r'^https?://[^/]+')
    TIME = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})Z$')

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot(host='host1', name='db-1')
        self.written = []

    def _times(self, value, found):
        if isinstance(value, dict):
            for item in value.values():
                self._times(item, found)
        elif isinstance(value, list):
            for item in value:
                self._times(item, found)
        elif isinstance(value, str) and self.TIME.match(value):
            found.append(datetime.datetime.fromisoformat(value[:-1]))

    def _normal(self, value, base):
        if isinstance(value, dict):
            return {k: self._number(k, v) if isinstance(v, (int, float))
                    and not isinstance(v, bool) else self._normal(v, base)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._normal(v, base) for v in value]
        if isinstance(value, str):
            if self.TIME.match(value):
                offset = round((datetime.datetime.fromisoformat(value[:-1])
                                - base).total_seconds())
                return lock.isoformat(SAMPLE_TIME + datetime.timedelta(
                    seconds=offset))
            for ticket in re.findall(self.UUID, value):
                if ticket != self.server['id']:
                    value = value.replace(ticket, self.TICKET)
            return self.ORIGIN.sub(self.HOST, value.replace(
                self.server['id'], self.SERVER))
        return value

    def _number(self, key, value):
        """Durations measured on a real clock, made stable."""
        if not isinstance(value, float):
            return value
        if key in ('expires_in', 'lease_seconds', 'seconds_left'):
            return round(value) * 1.0
        if key == 'lock_seconds' or key == self.server['tenant_id']:
            return round(value / 60.0) * 60.0
        return value

    def sample(self, name, document):
        found = []
        self._times(document, found)
        text = json.dumps(self._normal(document, min(found, default=None)),
                          indent=4, sort_keys=True) + '\n'
        path = os.path.join(self.SAMPLES, name + '.json')
        if os.environ.get('MIGLOCK_WRITE_SAMPLES') == '1':
            os.makedirs(self.SAMPLES, exist_ok=True)
            with open(path, 'w') as stream:
                stream.write(text)
        self.written.append(name)
        with open(path) as stream:
            self.assertEqual(stream.read(), text, (
                '%s is out of date: run MIGLOCK_WRITE_SAMPLES=1 pytest %s'
                % (path, __file__)))

    def exchange(self, name, api, method, path, body=None, status=200,
                 version=None):
        if body is not None:
            self.sample(name + '-req', body)
        if version:
            # The harness's client sets the header itself: a session.
            reply = clients.session_for(self, api is self.admin_api).request(
                api.base_url + path, method, json=body, raise_exc=False,
                headers={'OpenStack-API-Version': 'miglock %s' % version})
        else:
            reply = api.api_request(path, method=method, body=None if body
                                    is None else json.dumps(body),
                                    check_response_status=False)
        self.assertEqual(status, reply.status_code, reply.text)
        if reply.content:
            self.sample(name + '-resp', reply.json())
        return reply

    def _operator_samples(self, url):
        """nova-miglock-manage's commands over REST (operator_api)."""
        self.exchange('move-request-put', self.admin_api, 'PUT',
                      url + '/move-request', {'move_request': {
                          'seconds': 3600, 'reason': 'host1 maintenance'}})
        self.exchange('move-request-show', self.api, 'GET',
                      url + '/move-request')
        self.exchange('move-requests-list', self.admin_api, 'GET',
                      '/os-miglock/move-requests')
        self.exchange('move-request-delete', self.admin_api, 'DELETE',
                      url + '/move-request', status=204)
        self.api.api_request(url + '/holds/backup', method='PUT',
                             body=json.dumps({'lease_seconds': 60}))
        self.store.advance_clock(120)
        self.exchange('reap', self.admin_api, 'POST', '/os-miglock/reap',
                      {'limit': 100})
        before = self.store.now() - datetime.timedelta(seconds=1)
        self.exchange('ledger-purge', self.admin_api, 'POST',
                      '/os-miglock/ledger/purge', {
                          'before': lock.isoformat(before)})

    def test_every_sample_is_an_answer_of_the_api(self):
        url = '/servers/%s/os-miglock' % self.server['id']
        self.exchange('versions-show', self.api, 'GET', '/os-miglock')
        # Planning first, on a ledger without history: what the model
        # believes then does not depend on the hour the test runs.
        self.exchange('model-show', self.admin_api, 'GET', url + '/model')
        self.exchange('drain-plan-create', self.admin_api, 'POST',
                      '/os-miglock/drain-plans', {'drain_plan': {
                          'hosts': ['host1'], 'within': 7200,
                          'strategy': 'probabilistic',
                          'on_deadline': 'skip'}}, version='1.2')
        self.exchange('hold-put', self.api, 'PUT', url + '/holds/etl', {
            'lease_seconds': 3600, 'reason': 'month-end batch'})
        self.exchange('miglock-show', self.api, 'GET', url)
        self.exchange('locks-list', self.api, 'GET', '/os-miglock/locks')
        self.exchange('hold-put-bad', self.api, 'PUT', url + '/holds/etl',
                      {'lease_seconds': '1h'}, status=400)
        self.exchange('action-break', self.admin_api, 'POST',
                      url + '/action', {'break': {
                          'reason': 'hypervisor upgrade', 'holder': 'etl'}})
        self.exchange('action-exempt', self.admin_api, 'POST',
                      url + '/action', {'exempt': {
                          'reason': 'rack move', 'seconds': 3600}})
        self.exchange('hold-delete', self.api, 'DELETE',
                      url + '/holds/etl', status=204)
        self.manager.admit_move(manager.Target(
            self.server['id'], self.server['tenant_id']),
            kind='live-migration', request_id='req-sample')
        self.exchange('tickets-list', self.admin_api, 'GET',
                      '/os-miglock/tickets')
        self.exchange('action-end-move', self.admin_api, 'POST',
                      url + '/action', {'end_move': {
                          'outcome': 'closed-by-operator'}})
        since = lock.isoformat(self.store.now() - datetime.timedelta(
            seconds=3600))
        self.exchange('usage-show', self.api, 'GET',
                      '/os-miglock/usage?since=%s' % since)
        quota = '/os-miglock/quotas/%s' % self.api.project_id
        self.exchange('quota-update', self.admin_api, 'PUT', quota, {
            'quota': {'locked_instances': 10, 'lock_seconds_per_day': -1}})
        self.exchange('quota-show', self.api, 'GET', quota)
        self._operator_samples(url)
        self.api.api_put('/servers/%s/tags/miglock:group=db'
                         % self.server['id'], {}, check_response_status=[201])
        groups = '/os-miglock/groups'
        self.exchange('group-update', self.api, 'PUT', groups + '/tag:db',
                      {'group': {'max_moving': '50%'}}, version='1.1')
        self.manager.admit_move(manager.Target(
            self.server['id'], self.server['tenant_id']),
            kind='live-migration', request_id='req-sample')
        self.exchange('group-show', self.api, 'GET', groups + '/tag:db',
                      version='1.1')
        self.exchange('groups-list', self.api, 'GET', groups, version='1.1')
        names = sorted(n[:-5] for n in os.listdir(self.SAMPLES)
                       if n.endswith('.json'))
        self.assertEqual(sorted(self.written), names,
                         'a sample no test makes')
