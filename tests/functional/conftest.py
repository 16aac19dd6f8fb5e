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
"""Fixtures shared by the functional tests: configuration and real stores.

Importing the Nova harness first chooses Nova's threading mode before any
oslo library can import eventlet.
"""

import nova_miglock.testing.nova  # noqa: F401,H306  (Nova threads first)

import time

import pytest
import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import migration
from nova_miglock.store.sql import models
from nova_miglock.testing import databases
from nova_miglock.testing import fixtures as miglock_fixtures


@pytest.fixture
def conf():
    return miglock_fixtures.make_conf()


@pytest.fixture(scope='session', params=databases.selected_engines())
def database(request, tmp_path_factory):
    """One migrated database per engine for the whole session."""
    db = databases.Database(request.param,
                            str(tmp_path_factory.mktemp('db')))
    store = driver.SQLLockStore(miglock_fixtures.make_conf(),
                                connection=db.url)
    migration.sync(store)
    store.dispose()
    yield db
    db.drop()


@pytest.fixture
def store(database, conf):
    """A store on a real, empty database of each engine."""
    store = driver.SQLLockStore(conf, connection=database.url)
    with store.sql_engine.begin() as conn:
        for table in reversed(models.metadata.sorted_tables):
            conn.execute(sa.delete(table))
    yield store
    store.dispose()


@pytest.fixture
def limits(conf):
    return lock.HoldLimits(max_lease=conf.miglock.max_lease,
                           max_hold=conf.miglock.max_hold,
                           min_unlocked_gap=conf.miglock.min_unlocked_gap,
                           max_holders=conf.miglock.max_holders)


class Stopwatch:
    """Real seconds since the test began.

    The store's clock seam moves the clock forward but does not stop it:
    the real time a test takes is charged too. A test that sums store
    time bounds it by what it moved plus what this measured, so a loaded
    machine cannot fail it and a wrong sum still does.
    """

    def __init__(self):
        self._start = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self._start


@pytest.fixture
def stopwatch():
    return Stopwatch()
