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
"""Real sockets for the in-process Nova: the metadata API and a proxy.

``MetadataServer`` serves Nova's ``metadata`` paste app (with our filter in
its pipeline) on 127.0.0.1 from a thread, so that the standard-library guest
agent can reach it over HTTP.

``NeutronMetadataProxy`` stands in for Neutron's metadata proxy, which
cannot run here: like Neutron's, it forwards any request for one instance
and adds ``X-Instance-ID``, ``X-Tenant-ID``, the HMAC-SHA256
``X-Instance-ID-Signature`` and ``X-Forwarded-For``.
"""

import hashlib
import hmac
import http.client
import http.server
import socketserver
import threading
from wsgiref import simple_server

import fixtures


class _ThreadingWSGIServer(socketserver.ThreadingMixIn,
                           simple_server.WSGIServer):
    daemon_threads = True
    request_queue_size = 256


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class MetadataServer(fixtures.Fixture):
    """Nova's metadata app on a real 127.0.0.1 socket."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def _setUp(self):
        self.server = simple_server.make_server(
            '127.0.0.1', 0, self.app, server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler)
        thread = threading.Thread(target=self.server.serve_forever,
                                  name='metadata-server', daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port


def sign(secret, instance_id):
    return hmac.new(secret.encode(), instance_id.encode(),
                    hashlib.sha256).hexdigest()


class NeutronMetadataProxy(fixtures.Fixture):
    """Neutron's metadata proxy for one instance (see module docstring)."""

    def __init__(self, upstream_port, instance_id, tenant_id, secret,
                 address='10.0.0.5'):
        super().__init__()
        self.upstream_port = upstream_port
        self.headers = {
            'X-Instance-ID': instance_id,
            'X-Tenant-ID': tenant_id,
            'X-Instance-ID-Signature': sign(secret, instance_id),
            'X-Forwarded-For': address,
        }

    def _setUp(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ('host', 'connection')}
                headers.update(proxy.headers)
                upstream = http.client.HTTPConnection(
                    '127.0.0.1', proxy.upstream_port, timeout=120)
                try:
                    upstream.request(self.command, self.path, body, headers)
                    reply = upstream.getresponse()
                    data = reply.read()
                finally:
                    upstream.close()
                self.send_response(reply.status, reply.reason)
                for name, value in reply.getheaders():
                    if name.lower() not in ('content-length', 'connection',
                                            'transfer-encoding', 'server',
                                            'date'):
                        self.send_header(name, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_POST = do_HEAD = _forward
            do_PATCH = do_OPTIONS = _forward

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        thread = threading.Thread(target=self.server.serve_forever,
                                  name='neutron-md-proxy', daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
