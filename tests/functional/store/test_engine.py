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
"""The store's engine: oslo.db's, with the store's session settings.

The engine comes from a transaction context of the store's own, configured
from ``[miglock_database]``; what the store's correctness rests on must
still hold on every engine: READ COMMITTED, UTC, bounded waits, WAL and a
write lock taken at BEGIN on SQLite. And the process's global ``[database]``
(Nova's, in a Nova service) must never leak into the store.
"""

from oslo_config import cfg
from oslo_db import options as oslo_db_options
import pytest
import sqlalchemy as sa

from nova_miglock.store.sql import driver
from nova_miglock.store.sql import engine
from nova_miglock.testing import fixtures as miglock_fixtures


def _settings(store):
    with store.sql_engine.connect() as conn:
        name = conn.dialect.name
        if name == 'postgresql':
            return {key: conn.exec_driver_sql('SHOW %s' % key).scalar()
                    for key in ('transaction_isolation', 'lock_timeout',
                                'statement_timeout', 'client_encoding')}
        if name == 'mysql':
            row = conn.exec_driver_sql(
                'SELECT @@tx_isolation, @@time_zone, '
                '@@innodb_lock_wait_timeout, @@sql_mode, '
                '@@character_set_client').one()
            return {'transaction_isolation': row[0], 'time_zone': row[1],
                    'lock_timeout': row[2], 'sql_mode': row[3],
                    'charset': row[4]}
        return {'journal_mode': conn.exec_driver_sql(
            'PRAGMA journal_mode').scalar(), 'synchronous': conn.
            exec_driver_sql('PRAGMA synchronous').scalar()}


def test_sessions_keep_the_stores_isolation_timeouts_and_durability(
        database):
    conf = miglock_fixtures.make_conf(**{
        'miglock_store.lock_timeout': 3,
        'miglock_store.statement_timeout': 4,
        'miglock_store.sqlite_synchronous': 'NORMAL'})
    store = driver.SQLLockStore(conf, connection=database.url)
    try:
        found = _settings(store)
    finally:
        store.dispose()
    if database.engine_name == 'postgresql':
        assert found == {'transaction_isolation': 'read committed',
                         'lock_timeout': '3s', 'statement_timeout': '4s',
                         'client_encoding': 'UTF8'}
    elif database.engine_name == 'mysql':
        assert found['transaction_isolation'] == 'READ-COMMITTED'
        assert found['time_zone'] == '+00:00'
        assert found['lock_timeout'] == 3
        assert 'TRADITIONAL' in found['sql_mode']
        assert found['charset'] == 'utf8mb4'
    else:
        assert found == {'journal_mode': 'wal', 'synchronous': 1}


def test_a_sqlite_writer_takes_the_write_lock_at_begin(database, store):
    if database.engine_name != 'sqlite':
        pytest.skip('SQLite only: server databases lock rows')
    sent = []
    sa.event.listen(store.sql_engine, 'before_cursor_execute',
                    lambda conn, cursor, statement, *a: sent.append(
                        statement))
    with store._write() as conn:
        conn.exec_driver_sql('SELECT 1')
    with store._read() as conn:
        conn.exec_driver_sql('SELECT 2')
    write, read = sent[:sent.index('SELECT 1')], sent[sent.index('SELECT 1'):]
    assert write[-1] == 'BEGIN IMMEDIATE'
    assert 'BEGIN IMMEDIATE' not in read


def test_the_processs_database_group_does_not_reach_the_store(database):
    """In a Nova service the global [database] is Nova's database."""
    global_conf = cfg.CONF
    global_conf.register_opts(oslo_db_options.database_opts, 'database')
    global_conf.set_override('slave_connection', 'mysql+pymysql://nova@'
                             'nowhere.invalid/nova', group='database')
    global_conf.set_override('connection_parameters', 'nonsense=1',
                             group='database')
    try:
        store = driver.SQLLockStore(miglock_fixtures.make_conf(),
                                    connection=database.url)
        try:
            store.ping()
            assert store.sql_engine.url.query.get('nonsense') is None
        finally:
            store.dispose()
    finally:
        global_conf.clear_override('slave_connection', group='database')
        global_conf.clear_override('connection_parameters',
                                   group='database')


def test_the_clock_seam_moves_the_stores_clock(store):
    before = store.now()
    store.advance_clock(3600)
    moved = store.now()
    assert 3590 < (moved - before).total_seconds() < 3700
    assert engine.mask_url(store.url).count('***') <= 1


def test_a_sqlite_store_keeps_its_connections_between_transactions(
        database, store):
    """oslo.db alone would reopen the file, and checkpoint it, each time."""
    if database.engine_name != 'sqlite':
        pytest.skip('SQLite only: oslo.db pools server connections')
    opened = []
    sa.event.listen(store.sql_engine, 'connect',
                    lambda dbapi_conn, record: opened.append(dbapi_conn))
    store.now()
    for _ in range(5):
        store.now()
        with store._write() as conn:
            conn.exec_driver_sql('SELECT 1')
    assert len(opened) <= 1
