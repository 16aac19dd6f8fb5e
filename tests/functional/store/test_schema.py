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
"""The schema and the store's failure messages on each engine."""

from alembic import autogenerate
from alembic import migration as alembic_migration
import pytest

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import migration
from nova_miglock.store.sql import models


def test_migrations_produce_exactly_the_models(store):
    with store.sql_engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'compare_type': True})
        diff = autogenerate.compare_metadata(context, models.metadata)
    assert diff == []
    assert migration.current(store) == migration.head()


def test_db_sync_is_idempotent(store):
    assert migration.sync(store) == migration.head()


def test_unreachable_store_gives_one_clear_message(conf):
    store = driver.SQLLockStore(
        conf, connection='mysql+pymysql://root@127.0.0.1:1/nothing')
    with pytest.raises(lock.StoreUnavailable) as err:
        store.get_state('11111111-1111-1111-1111-111111111111')
    assert 'cannot reach the lock store at mysql+pymysql://root@127.0.0.1:1' \
        in err.value.message


def test_missing_schema_says_to_run_db_sync(conf, tmp_path):
    store = driver.SQLLockStore(
        conf, connection='sqlite:///%s' % (tmp_path / 'empty.sqlite'))
    with pytest.raises(lock.StoreUnavailable) as err:
        store.get_state('11111111-1111-1111-1111-111111111111')
    assert 'nova-miglock-manage db sync' in err.value.message


def test_password_is_never_shown(conf):
    store = driver.SQLLockStore(
        conf, connection='mysql+pymysql://root:s3cret@127.0.0.1:1/x')
    with pytest.raises(lock.StoreUnavailable) as err:
        store.now()
    assert 's3cret' not in err.value.message
