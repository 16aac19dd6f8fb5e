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
"""The operator endpoints' contract: request schemas, views, policy rules."""

import datetime

import pytest

from nova_miglock.api import operator_schemas as schemas
from nova_miglock.api import operator_views as views
from nova_miglock.api import validation
from nova_miglock.api import versions
from nova_miglock import lock
from nova_miglock import policies
from nova_miglock.store.sql import requests

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'
V1 = versions.MIN_VERSION


def _valid(schema, document):
    return validation.validate(schema, document, what='response')


@pytest.mark.parametrize('schema, body', [
    (schemas.reap, {}), (schemas.reap, {'limit': 1000}),
    (schemas.purge, {'before': '2026-11-01'}),
    (schemas.purge, {'before': '2026-11-01T00:00:00Z'}),
    (schemas.move_request_open, {'move_request': {'seconds': 60,
                                                  'reason': 'rack move'}}),
    (schemas.drain_plan, {'drain_plan': {'hosts': ['host1']}}),
    (schemas.drain_plan, {'drain_plan': {
        'hosts': ['host1', 'host2'], 'within': 7200, 'strategy': 'naive',
        'parallel': 4, 'per_host': 2, 'on_deadline': 'break',
        'notice': 1800, 'reason': 'kernel update'}}),
])
def test_bodies_the_operator_endpoints_take(schema, body):
    assert validation.validate(schema, body) is body


@pytest.mark.parametrize('schema, body, names', [
    (schemas.reap, {'limit': 1001}, 'limit: 1001 is greater'),
    (schemas.reap, {'limit': '5'}, "limit: '5' is not of type"),
    (schemas.purge, {}, "'before' is a required property"),
    (schemas.purge, {'before': 'last week'}, "'last week' is not valid"),
    (schemas.move_request_open, {'move_request': {'seconds': 60,
                                                  'reason': ' '}},
     'move_request/reason: '),
    (schemas.move_request_open, {'move_request': {
        'seconds': lock.MAX_EXEMPTION_SECONDS + 1, 'reason': 'x'}},
     'is greater than the maximum'),
    (schemas.drain_plan, {'drain_plan': {'hosts': ['h'] * 2}},
     'has non-unique elements'),
    (schemas.drain_plan, {'drain_plan': {
        'hosts': ['h%d' % i for i in range(schemas.MAX_PLAN_HOSTS + 1)]}},
     'drain_plan/hosts: '),
    (schemas.drain_plan, {'drain_plan': {'hosts': ['bad host']}},
     "'bad host' is not valid: a compute host name"),
    (schemas.drain_plan, {'drain_plan': {'hosts': ['h'], 'within': 0}},
     'within: 0 is less than the minimum of 1'),
    (schemas.drain_plan, {'drain_plan': {'hosts': ['h'],
                                         'move_timeout': 60}},
     "'move_timeout' was unexpected"),
])
def test_bad_operator_bodies_name_the_field(schema, body, names):
    error = pytest.raises(lock.InvalidRequest, validation.validate, schema,
                          body).value
    assert names in error.message


def _hold():
    return lock.Hold(instance_uuid=UUID, holder='etl', project_id='p',
                     source=lock.SOURCE_TENANT, reason='',
                     acquired_at=NOW, renewed_at=NOW,
                     expires_at=NOW + datetime.timedelta(seconds=60),
                     generation=2)


def test_every_view_matches_its_response_schema():
    _valid(schemas.reap_response, views.reaped([(_hold(), None)], V1))
    _valid(schemas.purge_response, views.purged(
        {'ledger': 3, 'tickets': 1}, NOW, V1))
    request = requests.MoveRequest(UUID, 'p', 'rack move', 'user:admin',
                                   NOW, NOW + datetime.timedelta(hours=1))
    shown = _valid(schemas.move_request_response, views.move_request(
        request, NOW + datetime.timedelta(hours=2), V1))['move_request']
    assert (shown['seconds_left'], shown['instance_uuid']) == (0.0, UUID)
    _valid(schemas.move_request_response, views.move_request(None, NOW, V1))
    _valid(schemas.move_requests_response, views.move_requests(
        [request], NOW, V1))


def test_a_plan_is_shown_in_the_apis_time_format():
    report = {
        'hosts': ['host1'], 'strategy': 'probabilistic', 'dry_run': True,
        'started_at': '2026-11-26T12:00:00Z',
        'deadline': '2026-11-26T14:00:00.250000Z', 'on_deadline': 'skip',
        'predicted': {'p50_seconds': 48.0, 'p90_seconds': 196.6,
                      'needs_break': []},
        'actual_seconds': None, 'counts': {'pending': 1},
        'approved_early': 0, 'left_on_hosts': None, 'drained': None,
        'instances': [{
            'instance': UUID, 'name': 'db-1', 'project_id': 'p',
            'from': 'host1', 'to': None, 'outcome': 'pending',
            'attempts': 0, 'refused': 0, 'broken': False,
            'approved_early': False, 'action': 'live-migrate',
            'waited_seconds': None, 'ended_seconds': None,
            'predicted_start_seconds': 1.0, 'predicted_end_seconds': 48.0,
            'locked_at_start': False, 'message': ''}]}
    plan = _valid(schemas.drain_plan_response,
                  views.drain_plan(report, V1))['drain_plan']
    assert (plan['planned_at'], plan['deadline']) == (
        '2026-11-26T12:00:00.000000Z', '2026-11-26T14:00:00.250000Z')
    assert plan['instances'][0]['host'] == 'host1'
    assert 'notice' not in plan
    report['notice'] = {'seconds': 1800, 'guests': 1,
                        'not_before': '2026-11-26T12:30:00Z'}
    plan = _valid(schemas.drain_plan_response, views.drain_plan(
        report, versions.DRAIN_NOTICE))['drain_plan']
    # From 1.2 the plan says what the guests would be told, as the JSON
    # report of ``drain --dry-run`` does, in the API's time format.
    assert plan['notice'] == {'seconds': 1800, 'guests': 1,
                              'not_before': '2026-11-26T12:30:00.000000Z'}
    report['notice'] = None
    assert views.drain_plan(report, versions.DRAIN_NOTICE)['drain_plan'][
        'notice'] is None


def test_operator_rules_default_to_admins_but_a_projects_own_request():
    rules = {r.name: r.check_str for r in policies.list_rules()}
    operator = [r.name for r in policies.OPERATOR_RULES]
    assert len(set(operator)) == len(operator) == 8
    assert {n for n in operator if rules[n] != policies.ADMIN} == {
        policies.MOVE_REQUEST_SHOW}
    assert rules[policies.MOVE_REQUEST_SHOW] == policies.READER
