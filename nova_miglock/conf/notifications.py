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
"""Options for the miglock.* notifications."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_notifications',
    title='Migration lock notifications',
    help="""
``miglock.*`` versioned notifications are sent with oslo.messaging through
the transport of ``[oslo_messaging_notifications]`` (the same as Nova's).
""")

ALL_OPTS = [
    cfg.BoolOpt('enabled',
                default=True,
                help="""
Send ``miglock.*`` notifications. The host agents learn lock changes from
them; without them they only see changes at their periodic resync.
"""),
    cfg.ListOpt('topics',
                default=['miglock_notifications'],
                help="""
Topics the notifications are sent to. The host agents listen on these.
"""),
    cfg.StrOpt('driver',
               default='messagingv2',
               help="""
oslo.messaging notification driver for ``miglock.*`` notifications.

Possible values:

* ``messagingv2``: through the transport of
  ``[oslo_messaging_notifications]/transport_url`` (or
  ``[DEFAULT]/transport_url``).
* ``log``: to the log only; ``noop``: nowhere.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
