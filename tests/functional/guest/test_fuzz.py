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
"""Property-based fuzzing of the guest channel with hypothesis.

Random methods, paths, identity headers and bodies (non-JSON, huge,
unicode, negative, zero and huge leases) go to Nova's metadata app with our
filter, as WSGI environs and as raw bytes on a real socket with random
framing (Content-Length right, short, long, negative or garbled; chunked
well or badly; both). Nothing may answer 5xx (the store is up, so not even
503), every answer must come within the client's timeout, and a request
that is refused must change nothing in the store.
"""

import json
import urllib.parse

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from nova.api import wsgi as nova_wsgi
import webob

from nova_miglock.testing.nova import base
from tests.functional.guest import rawhttp

PATHS = st.one_of(
    st.sampled_from(['/openstack/miglock', '/openstack/miglock/',
                     '/openstack/miglock/holds', '/openstack/miglock/holds/',
                     '/openstack/miglock/holds/db',
                     '/openstack/miglock/holds/db/extra']),
    st.text(max_size=80).map(
        lambda t: '/openstack/miglock/holds/' + urllib.parse.quote(t)),
    st.text(max_size=40).map(
        lambda t: '/openstack/miglock/' + urllib.parse.quote(t)),
)

NUMBERS = st.one_of(st.integers(-10 ** 30, 10 ** 30),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, -1, 3600, 3601]),
                    st.text(max_size=5), st.none(), st.booleans())

# Any code point, and lone surrogates on purpose: JSON can carry them
# escaped, and they cannot be stored.
ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=400),
    st.text(alphabet=st.characters(categories=['Cs']), min_size=1,
            max_size=3))

JSON_BODIES = st.fixed_dictionaries(
    {}, optional={'lease_seconds': NUMBERS, 'wait': NUMBERS,
                  'reason': st.one_of(ANY_TEXT, NUMBERS),
                  'extra': st.text(max_size=5)},
).map(lambda d: json.dumps(d).encode('utf-8'))

# Mostly valid acquire bodies with one field at a time going wild, so the
# fuzzer reaches the store and not only the validation.
DEEP_BODIES = st.fixed_dictionaries(
    {'lease_seconds': st.one_of(st.integers(1, 3600), NUMBERS),
     'reason': st.one_of(ANY_TEXT, ANY_TEXT, NUMBERS)},
    optional={'wait': st.one_of(st.sampled_from([0, 0.1]), NUMBERS)},
).map(lambda d: json.dumps(d).encode('utf-8'))


def framed(body, kind, number, chunk):
    """``(headers, bytes on the wire, half-close)`` as a client writes them.

    A client that announces more than it sends and waits would hang any
    server; those close their side, as a client that gave up does.
    """
    if kind == 'length':
        return {'Content-Length': str(len(body))}, body, False
    if kind == 'short':
        return {'Content-Length': str(len(body) + number)}, body, True
    if kind == 'long':
        return {'Content-Length': str(max(0, len(body) - number))}, body, \
            False
    if kind == 'bad-length':
        return {'Content-Length': number}, body, False
    if kind == 'chunked':
        return {'Transfer-Encoding': 'chunked'}, rawhttp.chunked(
            body, chunk), False
    if kind == 'bad-chunked':
        return {'Transfer-Encoding': 'chunked'}, body, True
    if kind == 'both':
        return {'Content-Length': str(len(body)),
                'Transfer-Encoding': 'chunked'}, rawhttp.chunked(body), False
    return {}, b'', False


FRAMINGS = st.sampled_from(['length', 'short', 'long', 'bad-length',
                            'chunked', 'bad-chunked', 'both', 'none'])
BAD_LENGTHS = st.sampled_from(['-1', '-0', 'abc', '1e3', '5 5', '+5',
                               '0x10', '99999999999999999999999', ''])

BODIES = st.one_of(st.none(), JSON_BODIES, st.binary(max_size=300),
                   st.binary(min_size=2049, max_size=6000),
                   st.text(max_size=200).map(lambda t: t.encode('utf-8')),
                   st.sampled_from([b'null', b'[]', b'"x"', b'{}', b'1',
                                    b'{"lease_seconds": NaN}']))


class FuzzTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.app = nova_wsgi.Loader().load_app('metadata')
        self.good = self.identity_of(self.server)

    def send_checked(self, req):
        """Send ``req``: never a 5xx, and a refusal changes nothing."""
        before = self.fingerprint(self.server)
        reply = req.get_response(self.app)
        self.assertLess(reply.status_int, 500, reply.body[:300])
        if reply.status_int >= 300:
            self.assertEqual(before, self.fingerprint(self.server),
                             '%s %s -> %s changed the store'
                             % (req.method, req.path_qs, reply.status))
        return reply

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(method=st.sampled_from(['GET', 'PUT', 'DELETE', 'POST', 'PATCH',
                                   'HEAD', 'OPTIONS']),
           path=PATHS, body=BODIES,
           forged=st.one_of(st.none(), st.dictionaries(
               st.sampled_from(['X-Instance-ID', 'X-Tenant-ID',
                                'X-Instance-ID-Signature']),
               st.text(alphabet=st.characters(min_codepoint=32,
                                              max_codepoint=126),
                       max_size=70))),
           content_type=st.sampled_from([None, 'application/json',
                                         'text/plain']))
    def test_no_5xx_and_refusals_change_nothing(self, method, path, body,
                                                forged, content_type):
        headers = dict(self.good, **(forged or {}))
        if content_type:
            headers['Content-Type'] = content_type
        req = webob.Request.blank(path, method=method, headers=headers,
                                  remote_addr='10.0.0.5')
        if body is not None:
            req.body = body
        reply = self.send_checked(req)
        if reply.status_int >= 300:
            if reply.content_type == 'application/json' and reply.body:
                error = json.loads(reply.body)['error']
                self.assertEqual(reply.status_int, error['code'])

    @settings(max_examples=100, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(method=st.sampled_from(['GET', 'PUT', 'DELETE', 'POST']),
           path=st.one_of(PATHS, st.sampled_from([
               '/openstack/miglock/%FF', '/openstack/latest/meta_data.json',
               '/openstack'])),
           body=st.one_of(DEEP_BODIES, JSON_BODIES, st.binary(max_size=300),
                          st.binary(min_size=2049, max_size=4000)),
           framing=FRAMINGS, off_by=st.integers(1, 3000),
           bad_length=BAD_LENGTHS, chunk=st.integers(1, 64),
           identified=st.booleans())
    def test_framing_on_a_socket_never_hangs_or_5xx(
            self, method, path, body, framing, off_by, bad_length, chunk,
            identified):
        headers, data, close = framed(
            body, framing, bad_length if framing == 'bad-length' else off_by,
            chunk)
        headers.update(self.good if identified else {})
        before = self.fingerprint(self.server)
        reply = rawhttp.send(self.metadata.port,
                             rawhttp.head(method, path, headers) + data,
                             close_write=close)
        self.assertLess(reply.status, 500, (method, path, headers,
                                            reply.body[:300]))
        if reply.status >= 300:
            self.assertEqual(before, self.fingerprint(self.server))
        elif method == 'PUT':
            self.store.end_holds(self.server['id'], event='release',
                                 reason='fuzz', actor='test')

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(holder=st.one_of(st.from_regex(r'[a-z0-9][a-z0-9_.:@-]{0,70}',
                                          fullmatch=True),
                            st.text(max_size=70)),
           body=st.one_of(DEEP_BODIES, BODIES))
    def test_acquire_bodies_never_5xx_or_half_write(self, holder, body):
        """Deep fuzzing of the acquire path: valid identity, valid path."""
        path = '/openstack/miglock/holds/' + urllib.parse.quote(holder,
                                                                safe='')
        req = webob.Request.blank(path, method='PUT', headers=self.good)
        if body is not None:
            req.body = body
        reply = self.send_checked(req)
        if reply.status_int < 300:
            self.assertEqual(204, webob.Request.blank(
                path, method='DELETE', headers=self.good).get_response(
                    self.app).status_int)
