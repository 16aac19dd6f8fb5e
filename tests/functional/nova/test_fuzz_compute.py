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
"""Property-based fuzzing of the compute API with our filters, hypothesis.

A server locked by its flavor receives requests spelt every way Nova's
router accepts and many it does not: method overrides (``_method`` in the
query or a form body), project prefixes, the legacy v2 endpoint,
``os-volumes_boot``, doubled or trailing slashes, percent-encoding, format
suffixes, microversions, bodies for every move and for the server lock
API; then raw bytes with random framing on a real socket. Invariants: the
server never moves and no ticket opens; no 5xx unless Nova without our
filters gives one to the same request; every answer within the timeout; a
refusal changes nothing in the store (a refused move is recorded, as the
contract says, and nothing else).
"""

import json
import urllib.parse

from hypothesis import example
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from nova.api import wsgi as nova_wsgi
import webob

from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import paste
from nova_miglock.testing.nova import servers
from tests.functional.guest import rawhttp
from tests.functional.guest import test_fuzz as guest_fuzz

# Paths Nova routes to a server action, and some it does not.
ACTION_PATHS = st.sampled_from([
    '/v2.1/servers/%(id)s/action', '/v2.1/%(project)s/servers/%(id)s/action',
    '/v2/%(project)s/servers/%(id)s/action', '/v2/servers/%(id)s/action',
    '/v2.1/os-volumes_boot/%(id)s/action',
    '/v2.1/%(project)s/os-volumes_boot/%(id)s/action',
    '/v2.1/servers/%(id)s/action.json', '/v2.1/servers/%(ID)s/action',
    '/v2.1/servers/%(id)s/%%61ction', '/v2.1/%%73ervers/%(id)s/action'])
ODD_PATHS = st.sampled_from([
    '/v2.1//servers/%(id)s/action', '/v2.1/servers/%(id)s/action/',
    '/v2.1/servers/%(id)s//action', '/v2.1/SERVERS/%(id)s/action',
    '/v2.1/servers/%%FF/action', '/v2.1/servers/%(id)s/action%%FF',
    '/v2.1/servers/%(id)s/action.xml', '/v2.1/servers/%(id)s/action.txt',
    '/v2.1/other-project/servers/%(id)s/action'])
LOCK_PATHS = st.sampled_from([
    '/v2.1/servers/%(id)s/os-miglock', '/v2.1/servers/%(id)s/os-miglock/',
    '/v2.1/servers/%(id)s/os-miglock/holds/etl',
    '/v2.1/servers/%(id)s/os-miglock/holds/%%FF',
    '/v2.1/%(project)s/servers/%(id)s/os-miglock/holds/etl',
    '/v2.1/servers/%(id)s/os-miglock/action',
    '/v2.1/servers/%(id)s/os-miglock/action/'])
PATHS = st.one_of(ACTION_PATHS, ACTION_PATHS, ODD_PATHS, LOCK_PATHS)
# (method on the wire, query). Routes takes ``_method`` from the query of
# any request: the overrides come first and twice, the rest are spellings
# the router refuses or that reach other routes.
OVERRIDES = [('PUT', '?_method=POST'), ('PUT', '?_method=post'),
             ('PUT', '?x=1&_method=POST'), ('PUT', '?_method=%50OST'),
             ('GET', '?_method=POST'), ('DELETE', '?_method=POST'),
             ('PATCH', '?_method=POST'), ('HEAD', '?_method=POST'),
             ('POST', '?_method=POST'), ('POST', '')]
SPELLINGS = st.sampled_from(OVERRIDES + OVERRIDES + [
    ('POST', '?_method=PUT'), ('POST', '?_method=POST&_method=GET'),
    ('PUT', ''), ('GET', ''), ('DELETE', ''), ('POST', '?_method='),
    ('POST', '?_method=%FF')])
VERSIONS = st.sampled_from(['2.1', '2.25', '2.29', '2.30', '2.56', '2.68',
                            '2.91', 'latest', '2.999', 'x'])
HOSTS = st.sampled_from([None, 'host2', 'host1', 'nowhere'])


def _at_least(version, wanted):
    if version == 'latest':
        return True
    try:
        return tuple(map(int, version.split('.'))) >= wanted
    except ValueError:
        return False


@st.composite
def versioned_moves(draw):
    """``(microversion, move body)``, mostly valid at that microversion."""
    version = draw(VERSIONS)
    kind = draw(st.sampled_from(['os-migrateLive', 'migrate', 'resize',
                                 'evacuate', 'unshelve']))
    args = None
    if kind == 'os-migrateLive':
        args = {'host': draw(HOSTS), 'block_migration': draw(
            st.booleans() if not _at_least(version, (2, 25)) else
            st.sampled_from(['auto', True, False]))}
        if not _at_least(version, (2, 25)):
            args['disk_over_commit'] = draw(st.booleans())
        if _at_least(version, (2, 30)) and not _at_least(version, (2, 68)):
            args['force'] = draw(st.booleans())
    elif kind == 'migrate' and _at_least(version, (2, 56)):
        args = draw(st.none() | st.fixed_dictionaries({'host': HOSTS}))
    elif kind == 'resize':
        args = {'flavorRef': 'bigger'}
    elif kind == 'evacuate':
        args = draw(st.fixed_dictionaries({}, optional={
            'host': HOSTS, 'onSharedStorage': st.booleans()}))
    if draw(st.integers(0, 9)) == 0:  # now and then, an unknown field
        args = dict(args or {}, bogus=1)
    return version, json.dumps({kind: args}).encode('utf-8')


LOCK_BODIES = st.one_of(
    guest_fuzz.DEEP_BODIES.map(json.loads),
    st.fixed_dictionaries({'break': st.fixed_dictionaries(
        {}, optional={'reason': guest_fuzz.ANY_TEXT,
                      'holder': st.text(max_size=5)})}),
    st.fixed_dictionaries({'exempt': st.fixed_dictionaries(
        {}, optional={'reason': guest_fuzz.ANY_TEXT,
                      'seconds': guest_fuzz.NUMBERS})}))
OTHER_BODIES = st.one_of(
    LOCK_BODIES.map(lambda b: json.dumps(b).encode('utf-8')),
    st.binary(max_size=200), st.sampled_from([
        b'', b'null', b'[]', b'{}', b'{"migrate": null, "resize": {}}',
        b'{"migrate": null} {"x": 1}', b'\xef\xbb\xbf{"migrate": null}',
        b'{"os-migrate\\u004cive": {"host": null, "block_migration": "auto"}}',
        b'_method=POST', b'[' * 3000 + b']' * 3000,
        '{"migrate": null}'.encode('utf-16')]))
# (microversion, body): moves for most, anything else for the rest.
REQUESTS = st.one_of(versioned_moves(), versioned_moves(), versioned_moves(),
                     st.tuples(VERSIONS, OTHER_BODIES))
CONTENT_TYPES = st.sampled_from([
    'application/json', 'application/json', 'application/json; charset=utf-8',
    'text/plain', 'application/x-www-form-urlencoded', None])


class ComputeFuzzTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.bigger = self._create_flavor(name='bigger', memory_mb=4096)
        locked = self._create_flavor(name='locked', extra_spec={
            'miglock:static': 'true'})
        self.server = self.boot(host='host1', flavor_id=locked)
        self.ours = self.api_fixture.app()
        self.nova_alone = nova_wsgi.Loader(paste.NOVA_PASTE).load_app(
            'osapi_compute')

    def fill(self, path):
        return path % {'id': self.server['id'], 'ID': self.server[
            'id'].upper(), 'project': self.admin_api.project_id}

    def headers(self, admin, version, content_type):
        api = self.admin_api if admin else self.api
        headers = {'X-Auth-User': api.auth_user,
                   'X-Auth-Project-Id': api.project_id,
                   'X-Roles': ','.join(api.roles),
                   'OpenStack-API-Version': 'compute %s' % version,
                   'X-OpenStack-Nova-API-Version': version}
        if content_type:
            headers['Content-Type'] = content_type
        return headers

    def lock_fingerprint(self):
        """What a refusal must leave alone (a refused move is recorded)."""
        state = self.store.get_state(self.server['id'])
        if state.static_exempt:  # an admin's fuzzed exemption: undo it
            self.manager.exempt_static(self.server['id'], seconds=0,
                                       reason='fuzz', actor='test')
            state = self.store.get_state(self.server['id'])
        return (state.holds, state.static_exempt_until, [
            e for e in self.store.ledger(instance_uuid=self.server['id'])
            if e['event'] != 'move_refused'])

    def migrations(self):
        return [m['status'] for m in self.admin_api.get_migrations()
                if m['instance_uuid'] == self.server['id']]

    def check(self, send, replay, what):
        """Send once; check every invariant against the state before.

        Every body sent to a server action is a move or garbage: none may
        be accepted. (A move Nova accepts shows in its migration records
        only later: it is cast to the conductor.)
        """
        before, migrations = self.lock_fingerprint(), self.migrations()
        status = send()
        if '/os-miglock' not in str(what):
            self.assertFalse(200 <= status < 300, what)
        if status >= 500:
            self.assertGreaterEqual(replay(), 500, what)
        if status >= 300:
            self.assertEqual(before, self.lock_fingerprint(), what)
        self.assertIsNone(self.store.get_state(self.server['id']).ticket,
                          what)
        self.assertEqual(migrations, self.migrations(), what)

    @settings(max_examples=120, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(spelling=SPELLINGS, path=PATHS, request=REQUESTS,
           content_type=CONTENT_TYPES,
           admin=st.sampled_from([True, True, True, False]))
    # The holes found by hand stay in the corpus.
    @example(spelling=('PUT', '?_method=POST'),
             path='/v2.1/servers/%(id)s/action',
             request=('2.30', b'{"os-migrateLive": {"host": "host2", '
                      b'"block_migration": "auto", "force": true}}'),
             content_type='application/json', admin=True)
    @example(spelling=('POST', ''),
             path='/v2.1/os-volumes_boot/%(id)s/action',
             request=('2.30', b'{"resize": {"flavorRef": "bigger"}}'),
             content_type='application/json', admin=True)
    @example(spelling=('GET', ''), path='/v2.1/servers/%%FF/action',
             request=('2.1', b''), content_type=None, admin=False)
    def test_no_spelling_moves_a_locked_server_or_5xx(
            self, spelling, path, request, content_type, admin):
        method, query = spelling
        path = self.fill(path) + query
        version, body = request
        body = body.replace(b'"bigger"', json.dumps(self.bigger).encode())

        def send(app):
            req = webob.Request.blank('/', method=method, headers=self.headers(
                admin, version, content_type))
            # As a WSGI server gives them: the path's bytes as Latin-1.
            req.environ['PATH_INFO'] = urllib.parse.unquote_to_bytes(
                path.partition('?')[0]).decode('latin-1')
            req.environ['QUERY_STRING'] = path.partition('?')[2]
            req.body = body
            try:
                return req.get_response(app).status_int
            except Exception:
                return 500  # what a WSGI server answers for it

        self.check(lambda: send(self.ours), lambda: send(self.nova_alone),
                   (method, path, version, body, content_type))

    @settings(max_examples=50, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(method=st.sampled_from(['POST', 'PUT', 'GET']),
           path=st.sampled_from([
               '/v2.1/servers/%(id)s/action',
               '/v2.1/servers/%(id)s/action?_method=POST',
               '/v2.1/servers/%(id)s/os-miglock',
               '/v2.1/servers/%(id)s/os-miglock/holds/etl',
               '/v2.1/servers/%(id)s/os-miglock/action']),
           request=REQUESTS, framing=guest_fuzz.FRAMINGS,
           off_by=st.integers(1, 3000), bad_length=guest_fuzz.BAD_LENGTHS,
           chunk=st.integers(1, 64))
    def test_framing_on_a_socket_never_hangs_moves_or_5xx(
            self, method, path, request, framing, off_by, bad_length, chunk):
        if not hasattr(self, 'sockets'):
            self.sockets = [self.useFixture(servers.MetadataServer(app)).port
                            for app in (self.ours, self.nova_alone)]
        version, body = request
        headers, data, close = guest_fuzz.framed(
            body, framing, bad_length if framing == 'bad-length' else off_by,
            chunk)
        headers.update(self.headers(True, version, 'application/json'))
        raw = rawhttp.head(method, self.fill(path), headers) + data

        def send(port):
            return rawhttp.send(port, raw, close_write=close).status

        self.check(lambda: send(self.sockets[0]),
                   lambda: send(self.sockets[1]), raw[:300])
