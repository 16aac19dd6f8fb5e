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
"""A store that another session keeps busy fails closed, within a bound.

Another session holds what the store needs (SQLite's writer lock, a row
lock, a table lock) for longer than the configured wait. The store's
operation must then fail with "store unavailable" (which the APIs turn
into 503 with Retry-After) within the bound, change nothing, and work
again as soon as the other session lets go.
"""

import contextlib
import sqlite3
import time
import uuid

import pytest
import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.testing import fixtures as miglock_fixtures

PROJECT = 'project-a'
BOUND = 1          # lock_timeout, busy_timeout (seconds)
SLACK = 4          # what a loaded 2-core machine may add


@pytest.fixture
def busy_store(database):
    conf = miglock_fixtures.make_conf(**{
        'miglock_store.lock_timeout': BOUND,
        'miglock_store.statement_timeout': BOUND + 1,
        'miglock_store.busy_timeout': float(BOUND)})
    store = driver.SQLLockStore(conf, connection=database.url)
    yield store
    store.dispose()


def acquire(store, limits, instance, holder='db'):
    return store.acquire(instance, holder, project_id=PROJECT,
                         source=lock.SOURCE_TENANT, lease_seconds=60,
                         reason='', limits=limits)


@contextlib.contextmanager
def blocker(database, statements):
    """Another session that keeps its locks until the block ends."""
    if database.engine_name == 'sqlite':
        conn = sqlite3.connect(sa.make_url(database.url).database,
                               isolation_level=None)
        try:
            for statement in statements:
                conn.execute(statement)
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    engine = sa.create_engine(database.url)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
            try:
                yield
            finally:
                conn.rollback()
                if database.engine_name == 'mysql':
                    conn.exec_driver_sql('UNLOCK TABLES')
    finally:
        engine.dispose()


def table_lock(database):
    return {'sqlite': ['BEGIN EXCLUSIVE'],
            'mysql': ['LOCK TABLES miglock_instances WRITE'],
            'postgresql': ['BEGIN', 'LOCK TABLE miglock_instances IN '
                           'ACCESS EXCLUSIVE MODE']}[database.engine_name]


def row_lock(database, instance):
    select = ("SELECT * FROM miglock_instances WHERE instance_uuid = '%s' "
              "FOR UPDATE" % instance)
    return {'sqlite': ['BEGIN IMMEDIATE'],
            'mysql': ['BEGIN', select],
            'postgresql': ['BEGIN', select]}[database.engine_name]


def assert_fails_closed_in_bound(func):
    started = time.monotonic()
    with pytest.raises(lock.StoreUnavailable, match='busy'):
        func()
    assert time.monotonic() - started < BOUND + SLACK


def test_a_locked_table_fails_closed_within_the_bound(
        busy_store, database, limits):
    instance = str(uuid.uuid4())
    with blocker(database, table_lock(database)):
        assert_fails_closed_in_bound(
            lambda: acquire(busy_store, limits, instance))
    acquire(busy_store, limits, instance)
    assert [h.holder for h in busy_store.get_state(instance).holds] == ['db']


def test_a_locked_instance_row_fails_closed_within_the_bound(
        busy_store, database, limits):
    instance = str(uuid.uuid4())
    acquire(busy_store, limits, instance)
    with blocker(database, row_lock(database, instance)):
        assert_fails_closed_in_bound(
            lambda: acquire(busy_store, limits, instance, holder='other'))
        assert_fails_closed_in_bound(
            lambda: busy_store.open_ticket(
                instance, project_id=PROJECT, kind='live-migration',
                request_id='req-1', static_locks=(), actor='admin'))
    state = busy_store.get_state(instance)
    assert [h.holder for h in state.holds] == ['db']
    assert state.ticket is None
