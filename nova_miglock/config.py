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
"""Loading configuration and logging for our own console scripts.

Inside Nova's processes (API filters, scheduler filter) Nova has already
parsed nova.conf; our options are simply registered on the same CONF.
"""

from oslo_config import cfg
from oslo_log import log as logging

from nova_miglock import conf as miglock_conf

CONF = miglock_conf.CONF
PROJECT = 'nova'
PROG = 'nova-miglock'

# Libraries whose INFO messages are noise for an operator.
QUIET_LOGGERS = ['alembic=WARN', 'stevedore=WARN']

_LOGGING_REGISTERED = False


def default_config_files():
    """nova.conf and nova-miglock.conf from the usual places, if present."""
    return cfg.find_config_files(project=PROJECT, prog=PROG)


def parse(config_files=None, config_dirs=None, args=None):
    """Parse configuration files into CONF and set up logging.

    :raises cfg.Error: a file is missing or does not parse.
    """
    global _LOGGING_REGISTERED
    if not _LOGGING_REGISTERED:
        logging.register_options(CONF)
        logging.set_defaults(default_log_levels=(
            logging.get_default_log_levels() + QUIET_LOGGERS))
        _LOGGING_REGISTERED = True
    cli = list(args or [])
    for path in config_files or []:
        cli += ['--config-file', path]
    for path in config_dirs or []:
        cli += ['--config-dir', path]
    CONF(cli, project=PROJECT, prog=PROG,
         default_config_files=None if config_files else
         default_config_files())
    miglock_conf.check(CONF)
    logging.setup(CONF, PROG)
    return CONF
