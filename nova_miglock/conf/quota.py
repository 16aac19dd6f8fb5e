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
"""Default lock quotas per project."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_quota',
    title='Migration lock quotas',
    help="""
Default limits for every project. ``nova-miglock-manage quota set`` overrides
them per project. A project with no limit at all pays no locking cost for
quotas; a project with a limit has its acquires serialized on one row.
""")

ALL_OPTS = [
    cfg.IntOpt('locked_instances',
               default=-1,
               min=-1,
               help="""
Instances of one project that may be locked by holds at the same time.

Possible values:

* -1: no limit.
* 0 or more: the limit. Renewing a hold of an instance that is already
  locked never counts twice.
"""),
    cfg.IntOpt('lock_seconds_per_day',
               default=-1,
               min=-1,
               help="""
Lock-seconds one project may be granted per UTC day, counted per instance
(two holders of one instance do not pay twice). A lease is charged when it is
granted; the unused part is refunded when the hold is released early on the
same day.

Possible values:

* -1: no limit.
* 0 or more: the limit.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
