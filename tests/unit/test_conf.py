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
"""Configuration: bad values are reported at start-up, by name."""

from oslo_config import cfg
from oslo_db import options as oslo_db_options
import pytest

from nova_miglock import conf as miglock_conf
from nova_miglock.conf import database
from nova_miglock.testing import fixtures


def test_defaults_pass_the_check():
    miglock_conf.check(fixtures.make_conf())


def test_every_bad_option_is_named_at_once(tmp_path):
    path = tmp_path / 'nova.conf'
    path.write_text('[miglock]\nguest_locks = sometimes\nmax_lease = -3\n'
                    '[miglock_store]\nsqlite_synchronous = OFF\n')
    conf = cfg.ConfigOpts()
    miglock_conf.register_opts(conf)
    conf(['--config-file', str(path)], default_config_files=[])
    with pytest.raises(cfg.ConfigFileValueError) as err:
        miglock_conf.check(conf)
    message = str(err.value)
    for name in ('[miglock] guest_locks', '[miglock] max_lease',
                 '[miglock_store] sqlite_synchronous'):
        assert name in message


def _conf_file(tmp_path, text):
    path = tmp_path / 'nova-miglock.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    miglock_conf.register_opts(conf)
    conf(['--config-file', str(path)], default_config_files=[])
    return conf


def test_the_store_connection_defaults_to_the_embedded_sqlite_file():
    options = database.connection_options(fixtures.make_conf())
    assert options['connection'] == 'sqlite:////var/lib/nova/miglock.sqlite'
    # The store's pool sizes and no start-up wait, not oslo.db's defaults.
    assert (options['max_pool_size'], options['max_overflow'],
            options['pool_timeout'], options['max_retries']) == (5, 10, 10, 0)


def test_the_deprecated_store_options_still_configure_the_database(
        tmp_path, caplog):
    conf = _conf_file(tmp_path, '[miglock_store]\nconnection = mysql+pymysql'
                      '://old/db\nmax_pool_size = 7\n')
    options = database.connection_options(conf)
    assert options['connection'] == 'mysql+pymysql://old/db'
    assert options['max_pool_size'] == 7
    assert '[miglock_store]/connection is deprecated' in caplog.text


def test_the_database_group_wins_over_the_deprecated_store_options(
        tmp_path):
    conf = _conf_file(tmp_path, '[miglock_store]\nconnection = mysql+pymysql'
                      '://old/db\n[miglock_database]\nconnection = postgresql'
                      '://new/db\nmax_pool_size = 5\nconnection_parameters ='
                      ' a=b\n')
    conf.set_override('max_pool_size', 9, group='miglock_store')
    options = database.connection_options(conf)
    assert options['connection'] == 'postgresql://new/db'
    # Set to its default in the file, it is still set.
    assert options['max_pool_size'] == 5
    assert options['connection_parameters'] == 'a=b'


def test_the_database_options_are_oslo_dbs_without_changing_them():
    names = {opt.name for opt in oslo_db_options.database_opts}
    ours = {opt.name: opt for opt in database.ALL_OPTS}
    assert set(ours) <= names
    # Copies: Nova's [database] defaults in the same process stay oslo.db's.
    originals = {opt.name: opt for opt in oslo_db_options.database_opts}
    assert originals['max_overflow'].default == 50
    assert ours['max_overflow'].default == 10
