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
"""How the guest channel reads bodies, whatever the framing on the wire.

Raw bytes on a real socket to Nova's metadata app served by wsgiref (which,
like uWSGI by default, passes a chunked body through undecoded and does not
set ``wsgi.input_terminated``), the WSGI environ a de-chunking server
gives, and eventlet.wsgi in a process of its own.
"""

import io
import json
import os
import subprocess
import sys

from nova.api import wsgi as nova_wsgi
import testtools
import webob

from nova_miglock import lock
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import paste
from tests.functional.guest import rawhttp

HOLD = '/openstack/miglock/holds/h'
RENEW = b'{"renew": true, "lease_seconds": 5}'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class GuestFramingTest(base.NovaTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.identity = self.identity_of(self.server)

    def raw(self, method, path, headers, body=b'', **kwargs):
        data = rawhttp.head(method, path, headers) + body
        return rawhttp.send(self.metadata.port, data, **kwargs)

    def assertRefused(self, reply, status, reason):
        self.assertEqual(status, reply.status, reply.body)
        self.assertEqual(reason, json.loads(reply.body)['error']['reason'])

    def test_a_chunked_body_is_read_only_where_the_server_ends_it(self):
        self.check_a_chunked_body_is_never_taken_as_empty()
        self.check_a_chunked_body_is_read_where_the_server_ends_it()

    def test_bad_framing_nesting_and_paths_are_clear_4xx(self):
        self.check_bad_framing_is_400_at_once_before_any_identity_check()
        self.check_deep_nesting_is_400_not_a_crash()
        self.check_the_largest_valid_body_is_read()
        self.check_a_path_that_is_not_utf8_is_404_under_ours()

    def check_a_chunked_body_is_never_taken_as_empty(self):
        before = self.fingerprint(self.server)
        chunked = dict(self.identity, **{'Transfer-Encoding': 'chunked'})
        # The answer comes from the headers: of a 3 MB body, the first
        # chunk is enough to send.
        for body in (RENEW, b'{{{ not json', b'x' * 3000000):
            reply = self.raw('PUT', HOLD, chunked, rawhttp.chunked(
                body, 65536)[:70000])
            self.assertRefused(reply, 411, 'length_required')
        self.assertEqual(before, self.fingerprint(self.server))

    def check_a_chunked_body_is_read_where_the_server_ends_it(self):
        def put(body, terminated=True):
            req = webob.Request.blank(HOLD, method='PUT',
                                      headers=self.identity)
            req.environ.pop('CONTENT_LENGTH', None)
            req.environ.update({'HTTP_TRANSFER_ENCODING': 'chunked',
                                'wsgi.input': io.BytesIO(body),
                                'wsgi.input_terminated': terminated})
            return req.get_response(self.metadata.app)

        before = self.fingerprint(self.server)
        self.assertEqual(411, put(RENEW, terminated=False).status_int)
        reply = put(RENEW)
        self.assertEqual((404, 'not_held'), (
            reply.status_int, reply.json['error']['reason']))
        self.assertEqual(400, put(b'{{{ not json').status_int)
        self.assertEqual(413, put(b' ' * 3000000).status_int)
        self.assertEqual(before, self.fingerprint(self.server))
        reply = put(b'{"lease_seconds": 5}')
        self.assertEqual((200, 5), (reply.status_int,
                                    reply.json['lease_seconds']))

    def check_bad_framing_is_400_at_once_before_any_identity_check(self):
        before = self.fingerprint(self.server)
        for path in ('/openstack/miglock', HOLD, '/openstack/miglock/holds'):
            for length in ('-1', 'abc', '1e3', '5 5', '+5'):
                reply = self.raw('GET', path, {'Content-Length': length})
                self.assertRefused(reply, 400, 'bad_content_length')
                self.assertLess(reply.seconds, rawhttp.TIMEOUT)
        reply = self.raw('PUT', HOLD, dict(self.identity, **{
            'Content-Length': '5', 'Transfer-Encoding': 'chunked'}),
            rawhttp.chunked(RENEW))
        self.assertRefused(reply, 400, 'bad_framing')
        reply = self.raw('PUT', HOLD, dict(self.identity, **{
            'Content-Length': '50'}), RENEW, close_write=True)
        self.assertRefused(reply, 400, 'incomplete_body')
        self.assertEqual(before, self.fingerprint(self.server))

    def check_deep_nesting_is_400_not_a_crash(self):
        body = b'{"reason": ' + b'[' * 1000 + b']' * 1000 + b'}'
        reply = self.raw('PUT', HOLD, dict(self.identity, **{
            'Content-Length': str(len(body))}), body)
        self.assertRefused(reply, 400, lock.InvalidRequest.reason)
        self.assertIn('nests deeper', json.loads(reply.body)['error'][
            'message'])

    def check_the_largest_valid_body_is_read(self):
        # As the agent sends it: json.dumps escapes each astral character
        # into 12 bytes.
        body = json.dumps({'lease_seconds': 60, 'reason': '\U0001F600' * 255,
                           'wait': 0, 'renew': False}).encode('utf-8')
        self.assertGreater(len(body), 3000)
        reply = self.raw('PUT', HOLD, dict(self.identity, **{
            'Content-Length': str(len(body))}), body)
        self.assertEqual(200, reply.status, reply.body)

    def check_a_path_that_is_not_utf8_is_404_under_ours(self):
        for path in ('/openstack/miglock/%FF',
                     '/openstack/miglock/holds/%FF'):
            reply = self.raw('GET', path, self.identity)
            self.assertEqual(404, reply.status, path)
        # Nova's own metadata paths fail in Nova itself, as without us.
        nova_alone = nova_wsgi.Loader(paste.NOVA_PASTE).load_app('metadata')
        for path in ('/openstack/%FF/miglock', '/openstack/miglock%FF'):
            for app in (nova_alone, self.metadata.app):
                self.assertRaises(UnicodeDecodeError, webob.Request.blank(
                    path).get_response, app)


class EventletFramingTest(testtools.TestCase):
    """The same reader behind eventlet.wsgi, Nova's historical server.

    eventlet decodes chunked bodies but does not set
    ``wsgi.input_terminated``, so they are refused with 411.
    """

    def setUp(self):
        super().setUp()
        env = dict(os.environ, PYTHONPATH=ROOT)
        env.pop('OS_NOVA_DISABLE_EVENTLET_PATCHING', None)
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'tests.functional.guest.eventlet_server'],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.process.wait, 10)
        self.addCleanup(self.process.kill)
        self.port = int(self.process.stdout.readline())

    def send(self, headers, body, **kwargs):
        return rawhttp.send(self.port, rawhttp.head('PUT', '/', headers) +
                            body, **kwargs)

    def test_framing_behind_eventlet(self):
        reply = self.send({'Content-Length': str(len(RENEW))}, RENEW)
        self.assertEqual((200, len(RENEW)),
                         (reply.status, json.loads(reply.body)['length']))
        reply = self.send({'Transfer-Encoding': 'chunked'},
                          rawhttp.chunked(RENEW))
        self.assertEqual(411, reply.status)
        # eventlet refuses these itself, before any application runs.
        for headers in ({'Content-Length': '-1'},
                        {'Content-Length': '5',
                         'Transfer-Encoding': 'chunked'}):
            self.assertEqual(400, self.send(headers, RENEW).status)
        reply = self.send({'Content-Length': '50'}, RENEW, close_write=True)
        self.assertEqual(400, reply.status)
