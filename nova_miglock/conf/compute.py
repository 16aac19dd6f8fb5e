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
"""Options for nova-miglock-compute, the host agent."""

import socket

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_compute',
    title='Host agent',
    help="""
nova-miglock-compute mirrors each local domain's lock into its libvirt
metadata, where the libvirt hook reads it.
""")

ALL_OPTS = [
    cfg.StrOpt('libvirt_uri',
               default='qemu:///system',
               help='libvirt connection URI of this host.'),
    cfg.StrOpt('host',
               default=socket.gethostname(),
               sample_default='<hostname>',
               help="""
Name of this host; it names the agent's notification pool, so every host
gets its own copy of each ``miglock.*`` notification.
"""),
    cfg.IntOpt('resync_interval',
               default=60,
               min=1,
               help="""
Seconds between full resyncs of every local domain from the store. A
notification that was lost is repaired at the next resync.
"""),
    cfg.IntOpt('reconnect_interval',
               default=5,
               min=1,
               deprecated_for_removal=True,
               deprecated_reason=(
                   'Never read: the host agent reconnects to libvirtd when '
                   'it next needs the connection (each resync and each '
                   'arriving domain), and keepalive_interval and '
                   'keepalive_count decide when a connection is lost.'),
               help='Not used; see the deprecation reason.'),
    cfg.IntOpt('keepalive_interval',
               default=5,
               min=1,
               help="""
Seconds between libvirt keepalive messages; a daemon that misses
``keepalive_count`` of them is considered gone and reconnected.
"""),
    cfg.IntOpt('keepalive_count',
               default=3,
               min=1,
               help='Missed keepalive replies before the connection is '
                    'dropped.'),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
