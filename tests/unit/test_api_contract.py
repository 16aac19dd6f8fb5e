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
"""The server lock API's contract: schemas, validation, views, versions."""

import datetime

import pytest

from nova_miglock.api import schemas
from nova_miglock.api import validation
from nova_miglock.api import versions
from nova_miglock.api import views
from nova_miglock import lock
from nova_miglock import manager

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'


def _hold(holder='etl', seconds=60):
    return lock.Hold(instance_uuid=UUID, holder=holder, project_id='p',
                     source=lock.SOURCE_TENANT, reason='month end',
                     acquired_at=NOW, renewed_at=NOW,
                     expires_at=NOW + datetime.timedelta(seconds=seconds),
                     generation=3)


def _state(**kwargs):
    fields = dict(instance_uuid=UUID, now=NOW, project_id='p',
                  holds=(_hold(),), generation=3, locked_since=NOW,
                  static_locks=(lock.StaticLock('tag', 'miglock:static'),),
                  ticket=lock.Ticket('t-1', UUID, 'live-migration', 'req-1',
                                     NOW, NOW), host='host1')
    fields.update(kwargs)
    return lock.LockState(**fields)


@pytest.mark.parametrize('body', [
    {}, {'lease_seconds': 60}, {'lease_seconds': None, 'reason': None,
                                'wait': None},
    {'lease_seconds': 10 ** 12, 'reason': 'é' * 255, 'wait': 2.5}])
def test_hold_bodies_that_the_api_takes(body):
    assert validation.validate(schemas.hold, body) is body


@pytest.mark.parametrize('body, names', [
    ({'lease': 1}, "'lease' was unexpected"),
    ({'lease_seconds': 1.0}, 'lease_seconds: 1.0 is not of type'),
    ({'lease_seconds': True}, 'lease_seconds: True is not of type'),
    ({'lease_seconds': 0}, 'lease_seconds: 0 is less than the minimum'),
    ({'lease_seconds': '60'}, "lease_seconds: '60' is not of type"),
    ({'wait': -1}, 'wait: -1 is less than the minimum'),
    ({'reason': 'x' * 256}, 'reason: '),
    ({'reason': 'tab\there'}, 'without control characters'),
])
def test_bad_hold_bodies_are_refused_naming_the_field(body, names):
    error = pytest.raises(lock.InvalidRequest, validation.validate,
                          schemas.hold, body).value
    assert error.message.startswith('Invalid request body: ')
    assert names in error.message


@pytest.mark.parametrize('body', [
    {'break': {'reason': 'hypervisor upgrade'}},
    {'break': {'reason': 'x', 'holder': 'etl'}},
    {'break': {'reason': 'x', 'holder': None}},
    {'exempt': {'reason': 'rack move'}},
    {'exempt': {'reason': 'rack move', 'seconds': 0}},
    {'exempt': {'reason': 'rack move',
                'seconds': lock.MAX_EXEMPTION_SECONDS}},
    {'end_move': {}}, {'end_move': {'outcome': 'closed-by-operator'}}])
def test_actions_the_api_takes(body):
    validation.validate(schemas.action, body)


@pytest.mark.parametrize('body, names', [
    ({}, 'give exactly one of: break, end_move, exempt'),
    ({'break': {'reason': 'x'}, 'exempt': {'reason': 'x'}},
     'give exactly one of: break, end_move, exempt'),
    ({'frobnicate': {}}, "'frobnicate' was unexpected"),
    ({'break': None}, 'break: None is not of type'),
    ({'break': {}}, "break: 'reason' is a required property"),
    ({'break': {'reason': '   '}}, 'break/reason: '),
    ({'break': {'reason': 'x', 'holder': 'bad name'}},
     "break/holder: 'bad name' is not valid: 1 to 64 letters"),
    ({'exempt': {'reason': 'x', 'seconds': 1.5}}, 'exempt/seconds: 1.5'),
    ({'exempt': {'reason': 'x', 'seconds': lock.MAX_EXEMPTION_SECONDS + 1}},
     'exempt/seconds: '),
    ({'end_move': {'outcome': 'x' * 33}}, 'end_move/outcome: '),
    ({'end_move': {'outcome': 'a b'}}, 'letters, digits'),
])
def test_bad_actions_are_refused_naming_the_field(body, names):
    error = pytest.raises(lock.InvalidRequest, validation.validate,
                          schemas.action, body).value
    assert names in error.message


def test_a_long_value_is_cut_in_the_message():
    error = pytest.raises(lock.InvalidRequest, validation.validate,
                          schemas.hold, {'reason': 'x' * 10000}).value
    assert len(error.message) <= 300


def test_the_decorator_refuses_before_the_handler_runs():
    called = []

    @validation.schema(schemas.hold)
    def handler(*, body):
        called.append(body)

    pytest.raises(lock.InvalidRequest, handler, body={'lease': 1})
    assert called == []
    handler(body={'lease_seconds': 5})
    assert called == [{'lease_seconds': 5}]
    assert handler.request_body_schema is schemas.hold


def test_a_broken_schema_fails_when_declared_not_when_used():
    with pytest.raises(Exception):
        validation.schema({'type': 'no-such-type'})


def _response(schema, body):
    validation.validate(schema, body, what='response')
    return body


def test_show_view_matches_its_schema_and_hides_the_host():
    body = _response(schemas.show_response, views.show(
        _state(), versions.MAX_VERSION))
    state = body['miglock']
    assert 'host' not in state
    assert (state['state'], state['locked'], state['holds'][0]['expires_in'],
            state['migration']['ticket_id']) == ('migrating', True, 60.0,
                                                 't-1')


def test_the_views_keep_the_format_of_version_1_0():
    """The views are the wire format; 1.0 is what to_dict() always sent."""
    state = _state()
    assert views.show(state, versions.MIN_VERSION) == {
        'miglock': state.to_dict()}
    granted = manager.Grant(hold=_hold(), state=state, requested_seconds=90)
    assert views.grant(granted, versions.MIN_VERSION) == {
        'hold': granted.to_dict()}
    assert views.broken([_hold()], versions.MIN_VERSION) == {
        'broken': [_hold().to_dict()]}


def test_grant_break_list_and_versions_views_match_their_schemas():
    granted = manager.Grant(hold=_hold(), state=_state(),
                            requested_seconds=90)
    body = _response(schemas.hold_response, views.grant(
        granted, versions.MAX_VERSION))
    assert (body['hold']['lease_seconds'],
            body['hold']['lease_capped_by']) == (60.0, 'max_hold')
    _response(schemas.break_response, views.broken(
        [_hold()], versions.MAX_VERSION))
    listed = _response(schemas.list_response, views.index(
        [_state(), _state(holds=(), ticket=None, static_locks=())],
        versions.MAX_VERSION))
    assert [(s['project_id'], s['state']) for s in listed['locks']] == [
        ('p', 'migrating'), ('p', 'unlocked')]
    _response(schemas.versions_response, views.versions(
        'http://nova/v2.1/os-miglock', versions.MIN_VERSION,
        versions.MAX_VERSION))


def test_a_response_schema_catches_a_field_the_view_did_not_declare():
    body = views.show(_state(), versions.MAX_VERSION)
    body['miglock']['host'] = 'host1'
    pytest.raises(lock.InvalidRequest, validation.validate,
                  schemas.show_response, body)


@pytest.mark.parametrize('header, expected', [
    (None, '1.0'), ('', '1.0'), ('miglock 1.0', '1.0'),
    ('compute 2.95', '1.0'), ('compute 2.95, miglock latest', '1.2'),
    ('miglock 1.1', '1.1'), ('miglock 1.2', '1.2'),
    ('MIGLOCK 1.0', '1.0'),
    # microversion-parse reads a service named without a version as no
    # version at all, as for Nova's own header.
    ('miglock', '1.0')])
def test_the_requested_version(header, expected):
    environ = {} if header is None else {
        'HTTP_OPENSTACK_API_VERSION': header}
    assert str(versions.requested(environ)) == expected


@pytest.mark.parametrize('header, error', [
    ('miglock 2.0', versions.VersionNotSupported),
    ('miglock 1.3', versions.VersionNotSupported),
    ('miglock 0.9', lock.InvalidRequest),
    ('miglock 1.x', lock.InvalidRequest),
    ('miglock 01.0', lock.InvalidRequest)])
def test_versions_this_server_does_not_serve_are_refused(header, error):
    pytest.raises(error, versions.requested,
                  {'HTTP_OPENSTACK_API_VERSION': header})


def test_the_served_version_is_added_beside_novas():
    import webob
    response = webob.Response()
    response.headers['OpenStack-API-Version'] = 'compute 2.95'
    response.headers['Vary'] = 'OpenStack-API-Version'
    versions.stamp(response, versions.MAX_VERSION)
    assert response.headers.getall('OpenStack-API-Version') == [
        'compute 2.95', 'miglock 1.2']
    assert response.headers['Vary'] == 'OpenStack-API-Version'
