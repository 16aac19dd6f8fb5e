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
"""What our paste filters share: construction, paste hook, paths."""

from nova_miglock import conf as miglock_conf
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


def path_info(req):
    """The request path as text, or None when it is not UTF-8.

    No resource of ours has such a path; webob would raise on it.
    """
    try:
        return req.path_info
    except UnicodeDecodeError:
        return None
