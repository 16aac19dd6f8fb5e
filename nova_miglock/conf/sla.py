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
"""Options of the SLA: who may set a static lock, and for how long."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_sla',
    title='Migration lock SLA',
    help="""
Defaults of the service level agreed with tenants about static locks (the
server tag, server property and image property a tenant sets). The flavor
(extra spec ``miglock:tenant_static``) and the project
(``nova-miglock-manage quota set --static-locks``) override them, the
stricter winning. Flavor extra spec ``miglock:static`` and operator locks are
the operator's and never governed by these options.
""")

ALL_OPTS = [
    cfg.StrOpt('tenant_static_locks',
               default='allowed',
               choices=[('allowed', 'tenants may set a static lock unless '
                                    'their flavor or project forbids it'),
                        ('forbidden', 'tenants may set a static lock only '
                                      'where their flavor or project allows '
                                      'it')],
               help="""
Whether a tenant's server tag ``[miglock]/static_tag``, server property
``[miglock]/static_property`` or image property
``[miglock]/static_image_property`` locks its instance when neither the
flavor nor the project says. Setting the tag or property where it is not
allowed is refused by the compute API with 403; an image property where it
is not allowed does not count.

Possible values:

* allowed, forbidden

Related options:

* ``[miglock]/guest_locks``, the same for guests
"""),
    cfg.IntOpt('static_max_age',
               default=0,
               min=0,
               help="""
Seconds a tenant's static lock may last before it lapses (stops refusing
moves), counted from when nova-miglock first saw it. Removing and setting it
again starts a new one.

Possible values:

* 0: static locks never lapse.
* Any positive number of seconds.

Related options:

* ``[miglock_sla]/static_max_age_action``
* ``[miglock_sla]/static_warning``
"""),
    cfg.StrOpt('static_max_age_action',
               default='lapse',
               choices=[('lapse', 'the lock stops counting at its maximum '
                                  'age, and a notification says so'),
                        ('notify', 'the lock keeps counting; only a '
                                   'notification tells the operator and the '
                                   'tenant it is past its maximum age')],
               help="""
What happens to a tenant's static lock older than
``[miglock_sla]/static_max_age``.

Possible values:

* lapse, notify

Related options:

* ``[miglock_sla]/static_max_age``
"""),
    cfg.IntOpt('static_warning',
               default=86400,
               min=0,
               help="""
Seconds before a static lock reaches ``[miglock_sla]/static_max_age`` at
which a warning notification is sent, so the tenant can act.

Possible values:

* 0: no warning.
* Any positive number of seconds (one day by default).

Related options:

* ``[miglock_sla]/static_max_age``
"""),
    cfg.IntOpt('static_age_interval',
               default=600,
               min=1,
               help="""
Seconds between two checks of the static locks' ages (warnings and lapses
are given at most this late).

Possible values:

* Any positive number of seconds.

Related options:

* ``[miglock_sla]/static_max_age``
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
