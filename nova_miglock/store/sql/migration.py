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
"""Schema migrations of the SQL lock store (alembic)."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from nova_miglock.store.sql import engine as store_engine

_SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'migrations')


def _config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location', _SCRIPTS)
    config.attributes['connection'] = connection
    return config


def head():
    """The newest schema revision this code knows."""
    script = alembic_script.ScriptDirectory.from_config(_config(None))
    return script.get_current_head()


def current(store):
    """The schema revision of the store's database (None if empty)."""
    with store_engine.translate_errors(store.url):
        with store.sql_engine.connect() as conn:
            return alembic_migration.MigrationContext.configure(
                conn).get_current_revision()


def sync(store, revision='head'):
    """Upgrade the store's schema to ``revision``; a no-op when current."""
    with store_engine.translate_errors(store.url):
        with store.sql_engine.begin() as conn:
            alembic_command.upgrade(_config(conn), revision)
    return current(store)
