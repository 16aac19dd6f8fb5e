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
"""Options for the guest channel served in Nova's metadata API."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_metadata',
    title='Guest channel',
    help='The /openstack/miglock endpoint of the metadata API.')

ALL_OPTS = [
    cfg.IntOpt('max_body_size',
               # The largest valid body, a 255-character reason in
               # escaped astral characters (as the agent sends it), fits.
               default=4096,
               min=256,
               max=65536,
               help="""
Largest request body, in bytes, the endpoint reads. Larger requests are
refused with HTTP 413 before any of the body is read (a chunked body, which
announces no length, is read up to this size).

Possible values:

* 256 to 65536.

Related options:

* ``[miglock_gate]/max_body_size`` (the server lock API's)
"""),
    cfg.IntOpt('unavailable_retry_after',
               default=5,
               min=1,
               help="""
Seconds suggested in ``Retry-After`` when the lock store is unavailable.

Possible values:

* Any whole number of seconds from 1.

Related options:

* ``[miglock_gate]/unavailable_retry_after`` (the compute API's)
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
