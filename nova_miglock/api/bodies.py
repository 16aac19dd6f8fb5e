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
"""Request bodies of our APIs: read one way, bounded, parsed strictly.

The guest channel and the server lock API read bodies only through
:func:`read` and parse them only through :func:`json_document` (which
:func:`json_object` and the schemas of ``validation`` build on). Reading
follows the framing the WSGI server gives (PEP 3333):

* ``Content-Length`` must be a plain decimal number; that many bytes are
  read, no more, and a body over the limit is refused before any of it is
  read (a negative or garbled length is 400, never a read until EOF);
* a chunked body is read only when the server says its input ends where
  the body ends (``wsgi.input_terminated``, as gunicorn and gevent set
  it); otherwise it cannot be read safely and the request is refused
  with 411, never taken as empty. An empty chunked body is refused the
  same way: behind Nova's ``sizelimit`` filter an unreadable one looks
  empty;
* both at once is ambiguous framing (a request-smuggling shape): 400;
* neither means no body.

Nothing here imports Nova, so the same rules are tested under other WSGI
servers.
"""

import io
import json
import re

from nova_miglock import lock

# The body once read, for anyone later in the same request.
_CACHE_KEY = 'nova_miglock.body'
_DIGITS = re.compile(r'[0-9]{1,20}')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
MAX_DEPTH = 8
_READ_SIZE = 65536


class BodyError(Exception):
    """The body cannot be read or parsed; ``status`` says how to answer."""

    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def read(environ, limit):
    """The request body as bytes, at most ``limit`` of them.

    :raises BodyError: 400 bad framing or a short body, 411 a chunked body
        the server does not terminate, 413 over ``limit``.
    """
    if _CACHE_KEY in environ:
        return environ[_CACHE_KEY]
    length = environ.get('CONTENT_LENGTH') or None
    coding = environ.get('HTTP_TRANSFER_ENCODING') or None
    if length is not None and coding is not None:
        raise BodyError(400, 'bad_framing', 'a request cannot have both '
                        'Content-Length and Transfer-Encoding')
    if length is not None:
        raw = _read_sized(_stream(environ), length.strip(), limit)
    elif coding is not None:
        raw = _read_chunked(environ, coding, limit)
    else:
        raw = b''
    environ[_CACHE_KEY] = raw
    environ['wsgi.input'] = io.BytesIO(raw)
    environ['CONTENT_LENGTH'] = str(len(raw))
    environ.pop('HTTP_TRANSFER_ENCODING', None)
    return raw


def _read_sized(stream, length, limit):
    if not _DIGITS.fullmatch(length):
        raise BodyError(400, 'bad_content_length',
                        'Content-Length must be a number of bytes')
    size = int(length)
    if size > limit:
        raise _too_large(limit)
    raw = _read_upto(stream, size)
    if len(raw) < size:
        raise BodyError(400, 'incomplete_body',
                        'the body ended after %d of the %d bytes announced'
                        % (len(raw), size))
    return raw


def _read_chunked(environ, coding, limit):
    codings = [c.strip().lower() for c in coding.split(',')]
    if codings != ['chunked']:
        raise BodyError(400, 'bad_framing', 'unsupported Transfer-Encoding '
                        '%r; send Content-Length' % coding)
    if not environ.get('wsgi.input_terminated'):
        raise BodyError(411, 'length_required', 'this server cannot read '
                        'a chunked body; send Content-Length')
    raw = _read_upto(_stream(environ), limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    if not raw:
        # Nova's sizelimit filter hands on an unreadable chunked body as an
        # empty one, marked terminated: empty and unread look the same.
        raise BodyError(411, 'length_required', 'the chunked body could '
                        'not be read (or was empty); send Content-Length')
    return raw


def _stream(environ):
    return environ.get('wsgi.input') or io.BytesIO()


def _read_upto(stream, size):
    """Up to ``size`` bytes: fewer only at the end of the input."""
    parts, left = [], size
    while left > 0:
        part = stream.read(min(left, _READ_SIZE))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b''.join(parts)


def _too_large(limit):
    return BodyError(413, 'body_too_large',
                     'request body is over %d bytes' % limit)


def json_object(raw, allowed):
    """The body (bytes) as a JSON object with only ``allowed`` keys.

    :raises InvalidRequest: as :func:`json_document`, or an unknown key.
    """
    fields = json_document(raw)
    unknown = set(fields) - allowed
    if unknown:
        raise _invalid('unknown field(s) %s; expected %s' % (
            ', '.join(sorted(unknown)), ', '.join(sorted(allowed))))
    return fields


def json_document(raw):
    """The body (bytes) as a JSON object, for a schema to judge.

    An empty body is an empty object. Nesting is bounded before parsing,
    so no body can exhaust the parser's recursion; non-standard constants
    (``NaN``, ``Infinity``) are refused.

    :raises InvalidRequest: not JSON, not an object, too deep.
    """
    if not raw.strip():
        return {}
    if _depth(raw) > MAX_DEPTH:
        raise _invalid('request body nests deeper than %d levels'
                       % MAX_DEPTH)
    try:
        fields = json.loads(raw.decode('utf-8'),
                            parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid('request body is not JSON: %s' % exc)
    if not isinstance(fields, dict):
        raise _invalid('request body must be a JSON object')
    return fields


def _depth(raw):
    """How deep ``[`` and ``{`` nest outside strings (a bound, not JSON)."""
    depth = deepest = 0
    for char in _STRING.sub(b'""', raw):
        if char in b'[{':
            depth += 1
            deepest = max(deepest, depth)
        elif char in b']}':
            depth -= 1
    return deepest


def _refuse_constant(name):
    raise ValueError('%s is not JSON' % name)


def _invalid(message):
    return lock.InvalidRequest(message)
