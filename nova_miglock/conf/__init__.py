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
"""Configuration options of nova-miglock.

Importing this package registers every option on ``CONF``; feature modules
read options from here and never register their own.
"""

from oslo_config import cfg

from nova_miglock.conf import compute
from nova_miglock.conf import database
from nova_miglock.conf import gate
from nova_miglock.conf import hook
from nova_miglock.conf import listener
from nova_miglock.conf import metadata
from nova_miglock.conf import metrics
from nova_miglock.conf import miglock
from nova_miglock.conf import notifications
from nova_miglock.conf import nova_client
from nova_miglock.conf import quota
from nova_miglock.conf import sla
from nova_miglock.conf import store
from nova_miglock.conf import tax
from nova_miglock.conf import weigher

CONF = cfg.CONF

_MODULES = (miglock, store, database, quota, metadata, gate, notifications,
            listener, metrics, nova_client, compute, hook, weigher, sla, tax)


def register_opts(conf):
    for module in _MODULES:
        module.register_opts(conf)


def check(conf):
    """Read every option of ours once, so a bad value fails at start-up.

    oslo.config only validates a value when it is first read; without this
    a typo in nova.conf would surface as a failed request much later.

    :raises cfg.ConfigFileValueError: naming every bad option.
    """
    problems = []
    for module in _MODULES:
        for group, opts in module.list_opts():
            for opt in opts:
                try:
                    getattr(conf[group.name], opt.dest)
                except cfg.NoSuchOptError:
                    continue  # an auth plugin's option, loaded on demand
                except (cfg.ConfigFileValueError, ValueError) as exc:
                    problems.append('[%s] %s: %s' % (group.name, opt.dest,
                                                     exc))
    if problems:
        raise cfg.ConfigFileValueError('invalid nova-miglock options: %s'
                                       % '; '.join(problems))


register_opts(CONF)
