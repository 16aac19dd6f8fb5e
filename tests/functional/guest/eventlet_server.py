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
"""Our body reader behind eventlet.wsgi, Nova's historical API server.

Run as a program (eventlet cannot be imported in the test process, where
Nova runs on native threads): prints its port, then answers every request
with what ``bodies.read`` made of it, as JSON.
"""

import json
import sys
import warnings

warnings.simplefilter('ignore')

import eventlet  # noqa: E402
from eventlet import wsgi  # noqa: E402

from nova_miglock.api import bodies  # noqa: E402

LIMIT = 2048


def app(environ, start_response):
    try:
        raw = bodies.read(environ, LIMIT)
        status, answer = '200 OK', {'length': len(raw),
                                    'body': raw.decode('latin-1')}
    except bodies.BodyError as exc:
        status, answer = '%d Refused' % exc.status, {'reason': exc.reason}
    data = json.dumps(answer).encode('utf-8')
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(data)))])
    return [data]


def main():
    sock = eventlet.listen(('127.0.0.1', 0))
    print(sock.getsockname()[1], flush=True)
    with open('/dev/null', 'w') as quiet:
        wsgi.server(sock, app, log=quiet, socket_timeout=10)


if __name__ == '__main__':
    sys.exit(main())
