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
"""Request validation against JSON schemas, before any handler runs.

The shape of Nova's ``@validation.schema``: a handler declares the schema
of its body with a decorator, and a body that does not match is refused
with one clear 400 before the handler (and so policy, the store or a
notification) is reached. Unlike Nova's helper this one does not depend on
Nova's request object, so the same checks run in unit tests without Nova.

Draft 4 on purpose, as Nova: ``1.0`` is not an integer there, and a lease
or an exemption is a whole number of seconds.
"""

import functools

import jsonschema

from nova_miglock import lock

# Long values are cut in messages: an error repeats what it refuses.
_MAX_MESSAGE = 300


def _validator(schema):
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _where(error):
    path = '/'.join(str(part) for part in error.absolute_path)
    return '%s: ' % path if path else ''


def _message(error):
    if error.validator in ('minProperties', 'maxProperties') and \
            'properties' in error.schema:
        names = ', '.join(sorted(error.schema['properties']))
        if error.schema.get('maxProperties') == 1:
            return 'give exactly one of: %s' % names
        return 'give at least one of: %s' % names
    if error.validator == 'pattern' and 'description' in error.schema:
        return '%r is not valid: %s' % (error.instance,
                                        error.schema['description'])
    return error.message


def validate(schema, document, what='request body'):
    """Check ``document`` against ``schema``.

    :raises InvalidRequest: naming the first field that is wrong and why.
    """
    error = jsonschema.exceptions.best_match(
        _validator(schema).iter_errors(document))
    if error is None:
        return document
    message = 'Invalid %s: %s%s' % (what, _where(error), _message(error))
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE - 3] + '...'
    raise lock.InvalidRequest(message)


def schema(request_schema):
    """Check the handler's ``body`` keyword against ``request_schema``.

    The schema is itself checked when the module loads, so a broken schema
    stops the API from starting rather than refusing requests.
    """
    _validator(request_schema)

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            validate(request_schema, kwargs['body'])
            return handler(*args, **kwargs)

        wrapper.request_body_schema = request_schema
        return wrapper
    return decorator
