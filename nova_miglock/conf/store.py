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
"""Options for the lock store."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_store',
    title='Migration lock store',
    help='Where holds, migration tickets and the ledger are kept.')

ALL_OPTS = [
    cfg.StrOpt('driver',
               default='sql',
               help="""
Lock store driver, loaded from the ``nova_miglock.store`` entry point
namespace.

Possible values:

* ``sql``: SQLite, MySQL/MariaDB or PostgreSQL through SQLAlchemy.
"""),
    cfg.StrOpt('connection',
               secret=True,
               deprecated_for_removal=True,
               deprecated_reason='The store\'s database options are '
                                 'oslo.db\'s, in [miglock_database].',
               help="""
SQLAlchemy URL of the lock store. Used when
``[miglock_database]/connection`` is not set.

Related options:

* ``[miglock_database]/connection``: what replaces this option.
"""),
    cfg.StrOpt('sqlite_synchronous',
               default='FULL',
               choices=[('FULL', 'an acknowledged lock survives power loss'),
                        ('NORMAL', 'an acknowledged lock survives a process '
                                   'crash, not a power loss')],
               help="""
SQLite ``synchronous`` pragma for the embedded store.
"""),
    cfg.FloatOpt('busy_timeout',
                 default=10.0,
                 min=0.0,
                 help="""
Seconds a writer waits for another writer of an SQLite store before giving
up with "store unavailable".
"""),
    cfg.IntOpt('lock_timeout',
               default=5,
               min=1,
               help="""
Seconds a statement on MariaDB/MySQL or PostgreSQL waits for a row or table
lock held by another session before the operation fails with "store
unavailable" (HTTP 503 with Retry-After at the APIs). Sets
``innodb_lock_wait_timeout`` and ``lock_wait_timeout`` on MariaDB/MySQL and
``lock_timeout`` on PostgreSQL for the store's own sessions only.

Related options:

* ``[miglock_store]/busy_timeout``: the same bound for SQLite.
* ``[miglock_store]/statement_timeout``
"""),
    cfg.IntOpt('statement_timeout',
               default=10,
               min=1,
               help="""
Seconds any one statement of the store may run on MariaDB or PostgreSQL
before the server cancels it and the operation fails with "store
unavailable". Sets ``max_statement_time`` on MariaDB (ignored by MySQL) and
``statement_timeout`` on PostgreSQL for the store's own sessions only.
"""),
    cfg.IntOpt('max_pool_size',
               min=1,
               deprecated_for_removal=True,
               deprecated_reason='Use [miglock_database]/max_pool_size.',
               help='Connections kept open to a server database per process.'),
    cfg.IntOpt('max_overflow',
               min=0,
               deprecated_for_removal=True,
               deprecated_reason='Use [miglock_database]/max_overflow.',
               help='Connections opened beyond ``max_pool_size`` under load.'),
    cfg.IntOpt('pool_timeout',
               min=1,
               deprecated_for_removal=True,
               deprecated_reason='Use [miglock_database]/pool_timeout.',
               help='Seconds to wait for a free pooled connection.'),
    cfg.IntOpt('connect_timeout',
               default=5,
               min=1,
               help="""
Seconds to wait for a server database to accept a connection before the
store is reported unavailable.
"""),
    cfg.IntOpt('connection_recycle_time',
               min=1,
               deprecated_for_removal=True,
               deprecated_reason='Use '
                                 '[miglock_database]/connection_recycle_time.',
               help='Seconds after which a pooled connection is replaced.'),
    cfg.IntOpt('deadlock_retries',
               default=10,
               min=0,
               help="""
Times an operation is retried when the database reports a deadlock or a
concurrent first insert of the same instance. Each operation is one
transaction, so a retry never applies a change twice.
"""),
    cfg.BoolOpt('prepare_statements',
                default=True,
                help="""
PostgreSQL through psycopg2 only: prepare the store's hottest statement, a
guest's renewal of its own hold, on the server once per connection, so that
each renewal skips the planning of a statement that does three writes.
Turn it off behind a connection pooler that does not keep a server session's
prepared statements across transactions (PgBouncer in transaction mode).
psycopg 3 (``postgresql+psycopg://``) prepares repeated statements itself.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
