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
"""Options for the libvirt hook and the lock replica it reads.

NOTE: the hook must start fast, so it reads no configuration file: ``hook
install`` writes these values into the hook it installs. Run it again after
changing them. nova-miglock-compute reads ``replica_path`` and
``max_replica_age`` from its configuration: keep both services' files in
agreement.
"""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_hook',
    title='libvirt hook',
    help="""
How the libvirt hook judges a domain arriving on this host, and where the
host agent keeps the lock replica the hook reads.
""")

ALL_OPTS = [
    cfg.IntOpt('clock_skew',
               default=5,
               min=0,
               help="""
Seconds by which this host's clock may trail the store's clock. A lease is
treated as still running until this long after its recorded expiry, so a
slow clock on the destination never lets a locked domain in.

Written into the hook by ``nova-miglock-manage hook install``.
"""),
    cfg.StrOpt('replica_path',
               default='/var/lib/nova-miglock/replica',
               help="""
The host-local replica of lock state: nova-miglock-compute writes it
(atomically, keeping its owner and mode), the hook reads it on every judged
operation. Its directory must exist and be writable by the agent.

Written into the hook by ``nova-miglock-manage hook install``.
"""),
    cfg.IntOpt('max_replica_age',
               default=300,
               min=10,
               help="""
Seconds after the agent last brought the replica up to date from the store
at which the hook stops trusting it: an incoming migration of a Nova
instance is then refused until the agent writes it again. Other operations
are still judged on what the replica says. Keep it well above
``[miglock_compute]/resync_interval``.

Written into the hook by ``nova-miglock-manage hook install``.
"""),
    cfg.StrOpt('hooks_dir',
               default='/etc/libvirt/hooks',
               help="""
libvirt's hook directory. The hook is installed as
``<hooks_dir>/qemu.d/50-nova-miglock`` and ``<hooks_dir>/libxl.d/...``,
beside any hook the operator already has.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
