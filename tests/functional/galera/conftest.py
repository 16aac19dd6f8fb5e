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
"""A three-node Galera cluster for the session, and a store on it.

Skipped with the reason where the MariaDB server, ``galera-4`` or ``rsync``
is missing, or when ``MIGLOCK_TEST_ENGINES`` is set without ``galera``.
"""

import os

import pytest

from nova_miglock.store.sql import driver
from nova_miglock.store.sql import migration
from nova_miglock.testing import fixtures as miglock_fixtures
from nova_miglock.testing import galera as galera_cluster


@pytest.fixture(scope='session')
def galera():
    wanted = os.environ.get('MIGLOCK_TEST_ENGINES')
    if wanted and 'galera' not in wanted.split(','):
        pytest.skip('MIGLOCK_TEST_ENGINES=%s does not select galera' % wanted)
    reason = galera_cluster.missing()
    if reason:
        pytest.skip('cannot run a Galera cluster here: %s' % reason)
    with galera_cluster.Cluster() as cluster:
        yield cluster


@pytest.fixture
def cluster(galera):
    """The session's cluster with all three nodes up and synced."""
    galera.heal()
    return galera


@pytest.fixture
def galera_db(cluster):
    """A migrated, empty database on the cluster; its name."""
    name = cluster.create_database()
    store = driver.SQLLockStore(miglock_fixtures.make_conf(),
                                connection=cluster.nodes[0].url(name))
    migration.sync(store)
    store.dispose()
    yield name
    cluster.drop_database(name)


@pytest.fixture
def node_stores(cluster, galera_db, conf):
    """One store per node on the same database."""
    stores = [driver.SQLLockStore(conf, connection=node.url(galera_db))
              for node in cluster.nodes]
    yield stores
    for store in stores:
        store.dispose()
