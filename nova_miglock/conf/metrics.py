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
"""Options for the Prometheus endpoint of nova-miglock-listener."""

from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_metrics',
    title='Prometheus metrics',
    help="""
nova-miglock-listener can serve Prometheus metrics read from the lock store
at scrape time: locked instances by source, holds, refused moves, charged
lock-seconds per project, and the store's own health and latency.
""")

ALL_OPTS = [
    cfg.BoolOpt('enabled',
                default=False,
                help="""
Serve Prometheus metrics over HTTP from nova-miglock-listener.

Related options:

* ``[miglock_metrics]/host``, ``[miglock_metrics]/port``
"""),
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help="""
Address the metrics endpoint listens on.

The endpoint has no authentication: it names projects and how much lock time
they are charged. Keep it on a management network, or on the loopback
address behind a proxy that authenticates Prometheus.

Possible values:

* An IPv4 or IPv6 address, or a host name; ``0.0.0.0`` or ``::`` for every
  interface.

Related options:

* ``[miglock_metrics]/port``
"""),
    cfg.PortOpt('port',
                default=9712,
                help="""
TCP port of the metrics endpoint (``http://host:port/metrics``).

Possible values:

* 1-65535; 0 lets the kernel choose a free port, which the listener logs
  (useful in tests only).

Related options:

* ``[miglock_metrics]/host``
"""),
    cfg.FloatOpt('scrape_timeout',
                 default=5.0,
                 min=0.1,
                 mutable=True,
                 help="""
Seconds a scrape waits for the lock store before it answers with
``miglock_store_up 0`` and no store-derived series.

A store that does not answer never makes a scrape hang: the read goes on in
the background and the next scrape starts a new one only once it has ended.

Possible values:

* A number of seconds, at least 0.1; keep it below Prometheus'
  ``scrape_timeout`` (10 s by default).

Related options:

* ``[miglock_store]/connect_timeout``, ``[miglock_store]/statement_timeout``
"""),
    cfg.IntOpt('refusal_window',
               default=900,
               min=60,
               max=7 * 24 * 3600,
               mutable=True,
               help="""
Seconds of the ledger counted by ``miglock_move_refusals``: moves refused in
the last this many seconds, by move kind and the lock that refused.

Each scrape reads this window of the ledger through its time index, so its
cost grows with every event written in the window (renewals included), not
with the ledger: keep it short where many guests renew often.

Possible values:

* 60 to 604800 seconds.

Related options:

* ``nova-miglock-manage ledger purge`` removes rows; keep the window shorter
  than what is kept.
"""),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)


def list_opts():
    return [(GROUP, ALL_OPTS)]
