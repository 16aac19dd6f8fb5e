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
"""Options for nova-miglock's compute API filters: the gate, the lock API."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_gate',
    title='Compute API filters',
    help='The compute API gate (moves) and the server lock API '
         '(/servers/{id}/os-miglock).')

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
    cfg.IntOpt('unavailable_retry_after',
               default=30,
               min=1,
               help="""
Seconds suggested in ``Retry-After`` when the lock store cannot be reached:
by the gate when it refuses a move (``[miglock]/fail_closed``) and by the
server lock API.

Possible values:

* Any whole number of seconds from 1.

Related options:

* ``[miglock]/fail_closed``
* ``[miglock_metadata]/unavailable_retry_after`` (the guest channel's)
"""),
    cfg.IntOpt('max_body_size',
               default=4096,
               min=256,
               max=65536,
               help="""
Largest request body, in bytes, the server lock API
(``/servers/{id}/os-miglock``) reads. A larger body is refused with HTTP
413 before any of it is read.

Possible values:

* 256 to 65536.

Related options:

* ``[miglock_metadata]/max_body_size`` (the guest channel's)
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
