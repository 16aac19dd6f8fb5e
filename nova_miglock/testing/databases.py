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
"""Real databases for tests: a throw-away database per engine.

MariaDB and PostgreSQL are the servers of the test machine (127.0.0.1, root
with no password, and trust auth); point ``MIGLOCK_TEST_MYSQL_URL`` or
``MIGLOCK_TEST_POSTGRESQL_URL`` at other servers. ``MIGLOCK_TEST_ENGINES``
(comma separated) selects engines; all three run by default, and the
Galera cluster tests too (``galera``) where the cluster can run.
"""

import os
import uuid

import sqlalchemy as sa

ENGINES = ('sqlite', 'mysql', 'postgresql')
SERVER_URLS = {
    'mysql': os.environ.get('MIGLOCK_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1'),
    'postgresql': os.environ.get('MIGLOCK_TEST_POSTGRESQL_URL',
                                 'postgresql+psycopg2://postgres@127.0.0.1'),
}


def selected_engines():
    wanted = os.environ.get('MIGLOCK_TEST_ENGINES')
    if not wanted:
        return ENGINES
    # ``galera`` selects the cluster tests (tests/functional/galera), which
    # start their own servers; it is not a server of this machine.
    return tuple(e.strip() for e in wanted.split(',')
                 if e.strip() and e.strip() != 'galera')


class Database:
    """A database created for a test run, dropped by ``drop()``."""

    def __init__(self, engine_name, directory):
        self.engine_name = engine_name
        self.name = 'miglock_t_%s' % uuid.uuid4().hex[:12]
        if engine_name == 'sqlite':
            self.url = 'sqlite:///%s' % os.path.join(directory,
                                                     self.name + '.sqlite')
        else:
            self._admin(['CREATE DATABASE %s' % self.name])
            self.url = '%s/%s' % (SERVER_URLS[engine_name], self.name)

    def _admin(self, statements):
        server = SERVER_URLS[self.engine_name]
        admin_url = server + ('/postgres' if self.engine_name ==
                              'postgresql' else '')
        engine = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def drop(self):
        if self.engine_name == 'postgresql':
            self._admin(['DROP DATABASE IF EXISTS %s WITH (FORCE)'
                         % self.name])
        elif self.engine_name == 'mysql':
            self._admin(['DROP DATABASE IF EXISTS %s' % self.name])
