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
"""Options for nova-miglock-listener."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_listener',
    title='Notification listener',
    help='nova-miglock-listener ends migration tickets and reaps leases.')

ALL_OPTS = [
    cfg.ListOpt('nova_topics',
                default=['versioned_notifications'],
                help="""
Topics on which Nova sends its versioned notifications.

Related options:

* Nova's ``[notifications] notification_format`` must be ``versioned`` or
  ``both``.
"""),
    cfg.StrOpt('pool',
               default='nova-miglock-listener',
               help="""
Listener pool name, so the listener gets its own copy of Nova's
notifications instead of stealing them from other consumers.
"""),
    cfg.IntOpt('reconcile_interval',
               default=60,
               min=1,
               mutable=True,
               help="""
Seconds between checks of overdue migration tickets against Nova's migration
records.

Related options:

* ``[miglock] ticket_deadline``
"""),
    cfg.IntOpt('reap_interval',
               default=60,
               min=1,
               mutable=True,
               help="""
Seconds between passes that record expired holds in the ledger and notify
about them. An expired hold never counts as a lock, whether or not a pass
has run yet.
"""),
    cfg.IntOpt('placement_interval',
               default=600,
               min=0,
               mutable=True,
               help="""
Seconds between refreshes of what MigrationLockWeigher reads: the history
model is brought up to date from the ledger, Nova's servers are listed
(their project, flavor, image, creation time and host), and the profile
table and every host's drain cost are saved in the lock store.

Possible values:

* 0: never refresh (the weigher then has nothing to read and weighs every
  host 0, unless another listener refreshes).
* A positive number: the spacing. A host's cost lags by at most this much
  behind the instances that land on it; the history behind a profile
  changes slowly.

Related options:

* ``[miglock_listener]/placement_history_days``.
* ``[miglock_nova]``: the credentials the listing uses (admin, to see
  every project's servers and their hosts).
* ``[miglock_weigher]/source``.
"""),
    cfg.IntOpt('placement_history_days',
               default=30,
               min=1,
               max=366,
               mutable=True,
               help="""
Days of ledger the history model is first fitted on; later refreshes fold
only the rows written since (the model drains plan with, shared).

Possible values:

* 1 to 366.

Related options:

* ``[miglock_listener]/placement_interval``.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
