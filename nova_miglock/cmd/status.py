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
"""nova-miglock-status: ``upgrade check`` of this host's wiring and store."""

import sys

from oslo_config import cfg
from oslo_upgradecheck import upgradecheck as oslo_upgradecheck

from nova_miglock import cmd
from nova_miglock import config
from nova_miglock import upgradecheck


def main():
    cmd.use_native_threads()
    try:
        status = oslo_upgradecheck.main(
            config.CONF, config.PROJECT, upgradecheck.Checks(config.CONF),
            default_config_files=config.default_config_files())
    except cfg.Error as exc:
        sys.stderr.write('nova-miglock-status: configuration: %s\n' % exc)
        status = 255
    sys.exit(status)
