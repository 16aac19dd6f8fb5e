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
"""Reading and parsing our request bodies: framing, bounds, nesting."""

import io
import json

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from nova_miglock.api import bodies
from nova_miglock import lock


class EndlessInput:
    """A socket-like input that never ends: reading past the body hangs."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def read(self, size=-1):
        data = self._data.read(size)
        if not data or size < 0:
            raise AssertionError('read past the body: this would hang')
        return data


def environ(body=b'', **extra):
    env = {'wsgi.input': EndlessInput(body)}
    env.update(extra)
    return env


def refused(env, limit=100):
    with pytest.raises(bodies.BodyError) as caught:
        bodies.read(env, limit)
    return caught.value.status, caught.value.reason


def test_content_length_reads_exactly_that_many_bytes():
    env = environ(b'{"a": 1}garbage', CONTENT_LENGTH='8')
    assert bodies.read(env, 100) == b'{"a": 1}'
    assert env['wsgi.input'].read() == b'{"a": 1}'  # later readers see it
    assert bodies.read(env, 100) == b'{"a": 1}'  # read once


@pytest.mark.parametrize('length', ['-1', 'abc', '1e3', '5 5', '+5', '0x5',
                                    '１２', '9' * 30])
def test_a_length_that_is_not_a_plain_number_is_400(length):
    assert refused(environ(b'x' * 10, CONTENT_LENGTH=length)) == (
        400, 'bad_content_length')


def test_over_the_limit_is_413_before_reading():
    assert refused(environ(CONTENT_LENGTH='101')) == (413, 'body_too_large')


def test_a_short_body_is_400():
    env = {'wsgi.input': io.BytesIO(b'abc'), 'CONTENT_LENGTH': '10'}
    assert refused(env) == (400, 'incomplete_body')


def test_both_framings_at_once_are_400():
    assert refused(environ(CONTENT_LENGTH='3', HTTP_TRANSFER_ENCODING=(
        'chunked'))) == (400, 'bad_framing')


def test_chunked_is_read_only_from_a_terminated_input():
    chunked = {'HTTP_TRANSFER_ENCODING': 'chunked'}
    assert refused(environ(b'{}', **chunked)) == (411, 'length_required')
    env = {'wsgi.input': io.BytesIO(b'{"a": 1}'),
           'wsgi.input_terminated': True, **chunked}
    assert bodies.read(env, 100) == b'{"a": 1}'
    assert env['CONTENT_LENGTH'] == '8'


def test_an_empty_or_huge_chunked_body_is_refused():
    def env(body):
        return {'wsgi.input': io.BytesIO(body), 'wsgi.input_terminated': True,
                'HTTP_TRANSFER_ENCODING': 'chunked'}
    assert refused(env(b'')) == (411, 'length_required')
    assert refused(env(b'x' * 101)) == (413, 'body_too_large')
    assert refused(dict(env(b'{}'), HTTP_TRANSFER_ENCODING='gzip')) == (
        400, 'bad_framing')


def test_no_framing_is_no_body_and_nothing_is_read():
    assert bodies.read(environ(b'never read'), 100) == b''


def test_nesting_is_bounded_before_parsing():
    deep = b'{"reason": ' + b'[' * 9 + b']' * 9 + b'}'
    with pytest.raises(lock.InvalidRequest, match='nests deeper'):
        bodies.json_object(deep, {'reason'})
    brackets_in_text = json.dumps({'reason': '[[[[[[[[[[[[["'}).encode()
    assert bodies.json_object(brackets_in_text, {'reason'})


@pytest.mark.parametrize('raw', [b'NaN', b'{"a": Infinity}', b'{"a": -NaN}',
                                 b'\xff', b'[1]', b'"x"', b'{"b": 1}'])
def test_what_is_not_a_strict_json_object_of_known_keys_is_refused(raw):
    with pytest.raises(lock.InvalidRequest):
        bodies.json_object(raw, {'a'})


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.binary(max_size=300) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(max_size=3), inner, max_size=3), max_leaves=40).map(
            lambda v: json.dumps(v).encode()))
def test_any_bytes_parse_or_are_invalid_never_anything_else(raw):
    try:
        bodies.json_object(raw, {'a', 'b'})
    except lock.InvalidRequest:
        pass
