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
"""Helpers shared by unit and functional tests."""

from oslo_config import cfg

from nova_miglock import conf as miglock_conf


def make_conf(**overrides):
    """A private ConfigOpts with every nova-miglock option, parsed empty.

    ``overrides`` are ``{'group.option': value}``.
    """
    conf = cfg.ConfigOpts()
    miglock_conf.register_opts(conf)
    conf([], project='nova-miglock-tests', default_config_files=[])
    for key, value in overrides.items():
        group, name = key.split('.')
        conf.set_override(name, value, group=group)
    return conf
