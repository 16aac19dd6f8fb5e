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
"""HTTP requests as bytes on a socket: framing that no client library sends.

Chunked bodies, negative or wrong ``Content-Length`` and both at once are
written exactly as given. Unless told to, the client keeps its side of the
connection open while it waits, as a real client does, so a server that
reads past the body hangs until ``timeout`` and the test sees it.
"""

import socket
import time

TIMEOUT = 5


class Hang(AssertionError):
    """No complete answer within the timeout."""


class Reply:
    def __init__(self, status, headers, body, seconds):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds


def chunked(body, size=7):
    """``body`` in chunked transfer coding, ``size`` bytes a chunk."""
    parts = [b'%x\r\n%s\r\n' % (len(body[i:i + size]), body[i:i + size])
             for i in range(0, len(body), size)]
    return b''.join(parts) + b'0\r\n\r\n'


def head(method, path, headers):
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: 127.0.0.1']
    lines += ['%s: %s' % item for item in headers.items()]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')


def send(port, data, timeout=TIMEOUT, close_write=False):
    """Send raw ``data``, return the Reply; raise Hang if none comes."""
    started = time.monotonic()
    received = b''
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) \
            as sock:
        try:
            sock.sendall(data)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
            while not _complete(received):
                part = sock.recv(65536)
                if not part:
                    break
                received += part
        except TimeoutError:
            raise Hang('no answer within %s s to %r' % (timeout, data[:200]))
    return _parse(received, time.monotonic() - started)


def _split(received):
    head_bytes, _sep, body = received.partition(b'\r\n\r\n')
    lines = head_bytes.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


def _complete(received):
    if b'\r\n\r\n' not in received:
        return False
    _status, headers, body = _split(received)
    if 'content-length' in headers:
        return len(body) >= int(headers['content-length'])
    return False  # until the server closes


def _parse(received, seconds):
    if not received:
        raise Hang('the connection closed without an answer')
    status_line, headers, body = _split(received)
    return Reply(int(status_line.split()[1]), headers, body, seconds)
