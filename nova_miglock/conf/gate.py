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
"""Options for the compute API gate."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_gate',
    title='Compute API gate',
    help='Which server actions the compute API gate checks.')

MOVE_ACTIONS = ['os-migrateLive', 'migrate', 'resize', 'evacuate',
                'unshelve']

ALL_OPTS = [
    cfg.ListOpt('moves',
                default=MOVE_ACTIONS,
                item_type=cfg.types.String(choices=MOVE_ACTIONS),
                help="""
Server actions that move an instance and so need a migration ticket.

Possible values:

* Any subset of: os-migrateLive, migrate, resize, evacuate, unshelve.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
