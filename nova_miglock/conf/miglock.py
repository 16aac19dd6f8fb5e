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
"""Options for the lock rules themselves: leases, holds and static locks."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock',
    title='Migration lock rules',
    help='How long locks may last, who may take them, and which Nova '
         'attributes lock an instance statically.')

lease_opts = [
    cfg.IntOpt('default_lease',
               default=300,
               min=1,
               help="""
Lease in seconds given to a hold whose request names no lease.

Related options:

* ``[miglock] max_lease``: the default lease must not exceed it.
"""),
    cfg.IntOpt('max_lease',
               default=3600,
               min=1,
               help="""
Longest lease, in seconds, that one acquire or renew may ask for.

A request for a longer lease is refused (HTTP 422 on the guest channel), it
is not silently shortened. A flavor can lower this cap for its instances with
the ``miglock:max_lease`` extra spec, never raise it.

Possible values:

* A positive number of seconds.

Related options:

* ``[miglock] max_hold``: caps the locked time across renewals.
"""),
    cfg.IntOpt('max_hold',
               default=4 * 3600,
               min=1,
               help="""
Longest continuous time, in seconds, an instance may stay locked, renewals
and overlapping holders included.

When an instance reaches it, leases are shortened so that the lock ends at
the limit, and new holds are refused until the instance has been unlocked for
``[miglock] min_unlocked_gap`` seconds. This keeps a crashed or selfish
application from pinning an instance forever.

Related options:

* ``[miglock] min_unlocked_gap``
"""),
    cfg.IntOpt('min_unlocked_gap',
               default=300,
               min=0,
               help="""
Seconds an instance must stay unlocked before a new continuous locked period
starts.

A release followed by a new hold within this gap continues the previous
period, so releasing and re-acquiring cannot defeat ``max_hold``. It is also
the window an operator is guaranteed after ``max_hold`` ran out.

Related options:

* ``[miglock] max_hold``
"""),
    cfg.IntOpt('max_holders',
               default=16,
               min=1,
               help="""
Largest number of distinct holders one instance may have at once.

A request for a further holder is refused with the reason
``too_many_holders``; renewing an existing holder is always allowed.
"""),
    cfg.IntOpt('max_acquire_wait',
               default=30,
               min=0,
               help="""
Longest time, in seconds, the server waits for a migration to end when a
hold request asks to wait. Longer requested waits are cut to this value so a
guest cannot tie up an API worker.

Possible values:

* 0 disables waiting: every request is a trylock.
"""),
    cfg.IntOpt('migrating_retry_after',
               default=15,
               min=1,
               help="""
Seconds suggested in ``Retry-After`` when a hold is refused because a
migration of the instance is in progress.
"""),
    cfg.IntOpt('ticket_deadline',
               default=2 * 3600,
               min=60,
               help="""
Seconds after which an admitted move that no notification has ended is
checked against Nova's migration records.

A ticket past its deadline still blocks new holds until the listener has
confirmed with Nova that the move is over; the deadline only triggers that
check. Set it above the longest live migration you expect.

Related options:

* ``[miglock_listener] reconcile_interval``
"""),
]

policy_opts = [
    cfg.StrOpt('guest_locks',
               default='allowed',
               choices=[('allowed', 'guests may lock unless their flavor '
                                    'forbids it'),
                        ('forbidden', 'guests may lock only if their flavor '
                                      'allows it')],
               help="""
Whether an instance may lock itself through the metadata channel when its
flavor has no ``miglock:guest_lock`` extra spec.
"""),
    cfg.StrOpt('evacuate_action',
               default='break',
               choices=[('break', 'evacuation proceeds; holds are ended with '
                                  'reason "evacuated" and a warning '
                                  'notification is sent'),
                        ('refuse', 'evacuation of a locked instance is '
                                   'refused like any other move')],
               help="""
What an evacuation does to a locked instance. Evacuation moves an instance
off a host that is already down, so by default a lock cannot keep it there.
"""),
    cfg.BoolOpt('fail_closed',
                default=True,
                help="""
Refuse moves when the lock store cannot be reached.

When false, moves are let through with a warning while the store is down,
which trades the lock guarantee for availability of maintenance.
"""),
]

static_opts = [
    cfg.StrOpt('static_tag',
               default='miglock:static',
               help="""
Server tag that locks an instance until the tag is removed.
"""),
    cfg.StrOpt('static_property',
               default='miglock:static',
               help="""
Server metadata key that locks an instance while its value is true
(``true``, ``yes``, ``on`` or ``1``).
"""),
    cfg.StrOpt('static_image_property',
               default='miglock_static',
               help="""
Image property that locks every instance booted from the image while its
value is true.
"""),
]

request_opts = [
    cfg.BoolOpt('move_request_caps_leases',
                default=True,
                help="""
Whether a move request caps the leases granted after it.

With the cap, a lease granted or renewed after a move request was opened
ends no later than the request's ``not_before`` (plus
``[miglock] move_request_grace``), and no new lock is granted after that,
so a guest cannot postpone a requested move forever. Without it, a move
request only tells the guest: its leases are those of any hold, and the
drain waits for them or breaks them at its deadline. A guest that approved
the move gets no new lock either way.

Possible values:

* True: the move request bounds the locks (the default).
* False: the move request is a notice only, for clouds whose SLA promises
  tenants their locks whatever the operator plans.

Related options:

* ``[miglock] move_request_grace``
"""),
    cfg.IntOpt('move_request_grace',
               default=0,
               min=0,
               max=7 * 24 * 3600,
               help="""
Seconds a lease granted after a move request may run past its
``not_before``.

The guest is still told ``not_before``; the grace is what the SLA allows
a job that is finishing on top of it. New locks are refused from
``not_before`` plus the grace on.

Possible values:

* 0 (the default): leases end at ``not_before``.
* A number of seconds up to a week.

Related options:

* ``[miglock] move_request_caps_leases``: with False, no cap applies and
  this option is not used.
"""),
]

drain_opts = [
    cfg.IntOpt('drain_notice',
               default=1800,
               min=0,
               max=30 * 86400,
               help="""
The longest notice ``nova-miglock-manage drain`` gives the guests when the
operator does not say (``--notice``), in seconds.

A drain opens a move request for every instance it is to move: the guest
sees it (``miglock status``, ``miglock wait --move-request``), may finish
its job and approve early, and leases granted after the request end by its
``not_before`` (see ``[miglock] move_request_caps_leases``). The notice
given is this value or half the time to the drain's deadline, whichever is
shorter, so the drain keeps the other half to move what the guests held
until ``not_before``. ``--notice D`` gives exactly D, ``--no-notice`` none.

Possible values:

* 1800 (the default): 30 minutes. Longer than public clouds warn before
  their maintenance (Compute Engine 60 seconds before a live migration,
  Azure Scheduled Events at least 15 minutes before a reboot or
  redeploy), since a guest here is asked to finish its job, not only to
  checkpoint.
* 0: a drain tells the guests only when asked (``--notice``), as before
  this option existed.
* A number of seconds up to 30 days.

Related options:

* ``[miglock] move_request_caps_leases``
* ``[miglock] move_request_grace``
"""),
]

ALL_OPTS = (lease_opts + policy_opts + static_opts + request_opts +
            drain_opts)


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
