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
"""JSON answers with one stable error shape.

Every error body is ``{"error": {"code", "reason", "message"}}`` (plus
``retry_after`` when waiting helps), whatever refused the request.
"""

import json

import webob

from nova_miglock import lock

STATUS_BY_ERROR = (
    (lock.InvalidRequest, 400),
    (lock.NotPermitted, 403),
    (lock.NotHeld, 404),
    (lock.MigrationInProgress, 409),
    (lock.InstanceLocked, 409),
    (lock.GroupBudgetSpent, 409),
    (lock.LeaseTooLong, 422),
    (lock.HoldLimitReached, 429),
    (lock.TooManyHolders, 429),
    (lock.QuotaExceeded, 429),
    (lock.StoreUnavailable, 503),
)

UNAVAILABLE_MESSAGE = ('the migration lock service is temporarily '
                       'unavailable; retry later')


def json_response(status, body=None, headers=None):
    response = webob.Response(status=status, headerlist=[])
    if body is not None:
        response.content_type = 'application/json'
        response.charset = 'utf-8'
        response.body = json.dumps(body, sort_keys=True).encode('utf-8')
    for name, value in (headers or {}).items():
        response.headers[name] = str(value)
    return response


def error(status, reason, message, retry_after=None, headers=None, **extra):
    body = {'code': status, 'reason': reason, 'message': message}
    body.update(extra)
    headers = dict(headers or {})
    if retry_after is not None:
        body['retry_after'] = int(retry_after)
        headers['Retry-After'] = int(retry_after)
    return json_response(status, {'error': body}, headers)


def status_of(exc):
    for error_class, status in STATUS_BY_ERROR:
        if isinstance(exc, error_class):
            return status
    return 500


def from_error(exc, unavailable_retry_after):
    """The answer for a MigLockError raised while serving a guest.

    Store failures are not described to guests: their details name the
    cloud's database servers. They are logged instead.
    """
    status = status_of(exc)
    if status == 503:
        return error(503, exc.reason, UNAVAILABLE_MESSAGE,
                     retry_after=exc.retry_after or unavailable_retry_after)
    extra = {}
    if 'rule' in exc.details:
        extra['rule'] = exc.details['rule']
    if 'limit' in exc.details:
        extra['limit'] = exc.details['limit']
    return error(status, exc.reason, exc.message,
                 retry_after=exc.retry_after, **extra)
