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
"""oslo.db's database options, for the lock store's own database.

The lock store is a database of its own, beside Nova's, so its options live
in their own group, ``[miglock_database]``, with the names and meaning every
OpenStack operator knows from ``[database]``. The options are oslo.db's own
(``oslo_db.options.database_opts``), copied so that a changed default here
never changes Nova's ``[database]`` in the same process; only the ones the
store uses are registered (the store has no replica reads, no asyncio
engine, and retries deadlocks per ``[miglock_store]/deadlock_retries``).

Until this group existed the connection and pool options were in
``[miglock_store]``; they still work there, deprecated, when the new option
is left at its default (``connection_options``).
"""

import copy

from oslo_config import cfg
from oslo_db import options as oslo_db_options
from oslo_log import log as logging

from nova_miglock.conf import base

LOG = logging.getLogger(__name__)

GROUP = cfg.OptGroup(
    'miglock_database',
    title='Migration lock store database',
    help="""
The lock store's database connection, with oslo.db's ``[database]``
options.

Every process that takes or checks locks (nova-api, nova-api-metadata,
nova-scheduler, the listener, the host agents) must use the same
``connection``:

* ``sqlite:////var/lib/nova/miglock.sqlite`` (the default when unset):
  embedded, one machine only (WAL mode).
* ``mysql+pymysql://user:password@host/nova_miglock``
* ``postgresql+psycopg2://user:password@host/nova_miglock``

The store's own bounds on waiting (``busy_timeout``, ``lock_timeout``,
``statement_timeout``, ``connect_timeout``) and the SQLite durability
(``sqlite_synchronous``) are in ``[miglock_store]``.

``max_retries`` defaults to 0 here: a process does not wait at start-up for
the store; every operation that cannot reach it fails closed (HTTP 503 with
Retry-After) and the next one tries again.

Related options:

* ``[miglock_store]/connection``, ``max_pool_size``, ``max_overflow``,
  ``pool_timeout``, ``connection_recycle_time``: deprecated names of these
  options, used when the option here is not set.
""")

# What the store uses of oslo.db's options; the rest configure features it
# does not have (replica and asyncio engines, oslo.db's DB API retries) or
# are replaced by a finer option of ours ([miglock_store]/
# sqlite_synchronous: FULL or NORMAL rather than on or off).
USED = ('connection', 'connection_parameters', 'mysql_sql_mode',
        'mysql_wsrep_sync_wait', 'connection_recycle_time', 'max_pool_size',
        'max_overflow', 'pool_timeout', 'max_retries', 'retry_interval',
        'connection_debug', 'connection_trace')

# The store's defaults where they differ from oslo.db's, so that upgrading
# from the [miglock_store] options changes nothing.
DEFAULT_CONNECTION = 'sqlite:////var/lib/nova/miglock.sqlite'
DEFAULTS = {'max_pool_size': 5, 'max_overflow': 10, 'pool_timeout': 10,
            'max_retries': 0}

# [miglock_database] option -> its deprecated name in [miglock_store].
DEPRECATED = ('connection', 'max_pool_size', 'max_overflow', 'pool_timeout',
              'connection_recycle_time')


def _opts():
    opts = [copy.deepcopy(opt) for opt in oslo_db_options.database_opts
            if opt.name in USED]
    cfg.set_defaults(opts, **DEFAULTS)
    return opts


ALL_OPTS = _opts()


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]


def connection_options(conf):
    """``{option: value}`` of the store's connection, deprecated names too.

    A ``[miglock_database]`` option that is set wins; one left at its
    default gives way to its deprecated ``[miglock_store]`` name when that
    is set, with a warning. ``connection`` falls back to the embedded
    SQLite file.
    """
    new, old = conf.miglock_database, conf.miglock_store
    values = {name: new[name] for name in USED}
    for name in DEPRECATED:
        where = conf.get_location(name, GROUP.name)
        if where is not None and where.location not in (
                cfg.Locations.opt_default, cfg.Locations.set_default):
            continue  # set in [miglock_database]
        value = old[name]
        if value is not None:
            LOG.warning('[miglock_store]/%(name)s is deprecated; set '
                        '[miglock_database]/%(name)s instead.',
                        {'name': name})
            values[name] = value
    if values['connection'] is None:
        values['connection'] = DEFAULT_CONNECTION
    return values
