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
"""Options of the lock tax: a rate that grows with a project's history."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_tax',
    title='Migration lock tax',
    help="""
Each project's lock time is charged at a rate that grows with its trailing
usage against its allowance and with the moves its locks refused
(``nova_miglock.tax.rate``). The rate is reported by ``nova-miglock-manage
usage`` and the ``miglock.tax.rated`` notification, and a lease granted to
a project is divided by it.
""")

ALL_OPTS = [
    cfg.BoolOpt('enabled',
                default=False,
                help="""
Whether the tax rate shortens the leases granted to a project. Usage reports
and notifications show the rate either way.

Related options:

* ``[miglock_tax]/max_rate``
"""),
    cfg.IntOpt('window_days',
               default=30,
               min=1,
               max=366,
               help="""
Days of trailing history the rate is computed over.

Possible values:

* 1 to 366
"""),
    cfg.IntOpt('allowance_seconds',
               default=30 * 86400,
               min=1,
               help="""
Lock-seconds a project may use over the window before its rate rises, when
its quota ``lock_seconds_per_day`` sets none (with one, the allowance is that
quota times ``window_days``). The default is one instance locked all the
time.

Possible values:

* Any positive number of seconds.

Related options:

* ``[miglock_quota]/lock_seconds_per_day``
* ``[miglock_tax]/window_days``
"""),
    cfg.FloatOpt('usage_weight',
                 default=1.0,
                 min=0.0,
                 help="""
How much the rate rises per allowance used over the allowance: using twice
the allowance adds ``usage_weight``.

Possible values:

* 0 (usage never raises the rate) or more.
"""),
    cfg.FloatOpt('refusal_weight',
                 default=0.05,
                 min=0.0,
                 help="""
How much the rate rises for each move the project's locks refused within the
window.

Possible values:

* 0 (refusals never raise the rate) or more.
"""),
    cfg.FloatOpt('max_rate',
                 default=4.0,
                 min=1.0,
                 help="""
The highest rate: a lease is never cut below the requested lease divided by
it.

Possible values:

* 1 (no tax) or more.
"""),
    cfg.IntOpt('rate_interval',
               default=3600,
               min=60,
               help="""
Seconds between two ratings of every project: its tax rate is stored (and
cuts its leases from then on) and ``miglock.tax.rated`` notified.

Possible values:

* Any number of seconds from 60.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
