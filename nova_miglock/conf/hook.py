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
"""Options for the libvirt hook.

NOTE: the hook must start fast, so it reads no configuration file: ``hook
install`` writes these values into the hook it installs. Run it again after
changing them.
"""

from oslo_config import cfg

from nova_miglock.conf import base
from nova_miglock.hypervisor import domain_xml

GROUP = cfg.OptGroup(
    'miglock_hook',
    title='libvirt hook',
    help='How the libvirt hook judges an incoming migration.')

ALL_OPTS = [
    cfg.IntOpt('clock_skew',
               default=domain_xml.DEFAULT_CLOCK_SKEW,
               min=0,
               help="""
Seconds by which this host's clock may trail the store's clock. A lease is
treated as still running until this long after its recorded expiry, so a
slow clock on the destination never lets a locked domain in.

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
