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
"""A Neutron stand-in: just what Nova asks of Neutron for ``networks: none``.

NOT Neutron. The one-machine cloud boots every server with
``networks: none``, for which Nova allocates no port; Nova still asks
Neutron, in the compute manager's periodic info-cache heal, on every move
(port bindings, ``setup_networks_on_host``, ``migrate_instance_*``) and on
delete, for the instance's ports and Neutron's extensions. This server
answers each list with an empty list and the API root with the v2.0
version document, and refuses everything else (404 for a single resource,
405 for any write), logging each request so a new question Nova asks
shows in its log.

What that leaves out, compared with a cloud running Neutron: ports, port
bindings and their live-migration updates, security groups, the metadata
proxy (the tests sign metadata requests as the proxy would, with the shared
secret), DHCP and guest networking, and token validation (the stand-in
trusts whoever calls it; it listens on 127.0.0.1 only).

Usage: ``python -m tests.cloud.neutron PORT``.
"""

import http.server
import json
import re
import sys

COLLECTION = re.compile(r'^/v2\.0/([a-z_-]+)(?:\.json)?$')
ITEM = re.compile(r'^/v2\.0/([a-z_-]+)/[^/]+$')


def answer(method, path, base):
    """``(status, body)`` for a request: pure, so it is easy to read."""
    path = path.split('?', 1)[0].rstrip('/') or '/'
    if method != 'GET':
        return 405, {'NeutronError': {
            'type': 'HTTPMethodNotAllowed',
            'message': 'the Neutron stand-in of the test cloud answers '
                       'reads only', 'detail': ''}}
    if path == '/':
        return 200, {'versions': [{
            'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': base + '/v2.0/'}]}]}
    if path == '/v2.0':
        return 200, {'resources': []}
    match = COLLECTION.match(path)
    if match:
        return 200, {match.group(1).replace('-', '_'): []}
    resource = ITEM.match(path)
    return 404, {'NeutronError': {
        'type': 'NotFound', 'detail': '',
        'message': '%s not found (the test cloud has no Neutron)'
                   % (resource.group(1) if resource else path)}}


class Handler(http.server.BaseHTTPRequestHandler):

    protocol_version = 'HTTP/1.1'

    def _reply(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        base = 'http://%s:%d' % self.server.server_address[:2]
        status, body = answer(self.command, self.path, base)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _reply

    def log_message(self, fmt, *args):
        sys.stdout.write('%s %s\n' % (self.log_date_time_string(),
                                      fmt % args))
        sys.stdout.flush()


def main(argv=None):
    argv = sys.argv if argv is None else argv
    server = http.server.ThreadingHTTPServer(('127.0.0.1', int(argv[1])),
                                             Handler)
    server.serve_forever()


if __name__ == '__main__':
    main()
