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
"""What our three paste filters share: construction, paste hook, bodies."""

import json

from nova_miglock import conf as miglock_conf
from nova_miglock import lock
from nova_miglock import manager as lock_manager

CONF = miglock_conf.CONF


class LockFilter:
    """A WSGI filter in front of a Nova app, working through a LockManager.

    One manager (and so one store and one notifier) is made per filter when
    paste loads the pipeline; tests pass their own.
    """

    def __init__(self, application, conf=CONF, manager=None):
        # A bad option stops Nova's API from loading, with its name, rather
        # than failing requests later.
        miglock_conf.check(conf)
        self.application = application
        self._conf = conf
        self._manager = manager or lock_manager.LockManager(conf)

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.filter_factory entry point."""
        def _filter(application):
            return cls(application)
        return _filter


def json_object(raw, allowed):
    """The request body (bytes) as a JSON object with only ``allowed`` keys.

    An empty body is an empty object.

    :raises InvalidRequest: not JSON, not an object, or an unknown key.
    """
    if not raw.strip():
        return {}
    try:
        fields = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise lock.InvalidRequest('request body is not JSON: %s' % exc)
    if not isinstance(fields, dict):
        raise lock.InvalidRequest('request body must be a JSON object')
    unknown = set(fields) - allowed
    if unknown:
        raise lock.InvalidRequest('unknown field(s) %s; expected %s' % (
            ', '.join(sorted(unknown)), ', '.join(sorted(allowed))))
    return fields
