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

import pytest

from oslo_config import cfg

from nova_miglock import conf as miglock_conf
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
