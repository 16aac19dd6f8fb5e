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
"""The HTTP endpoint Prometheus scrapes, inside nova-miglock-listener.

Its own registry, not prometheus-client's global one: only our series,
and tests can run several servers in one process.
"""

import socket
import socketserver
import threading
from wsgiref import simple_server

from oslo_log import log as logging
import prometheus_client

from nova_miglock import lock
from nova_miglock.metrics import collector as store_collector

LOG = logging.getLogger(__name__)


class _QuietHandler(simple_server.WSGIRequestHandler):
    """Scrapes logged at debug level, not on stderr."""

    def log_message(self, format, *args):
        LOG.debug('metrics: ' + format, *args)


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


def _server_class(host):
    if ':' not in host:
        return _Server
    return type('_Server6', (_Server,), {'address_family': socket.AF_INET6})


def _bind(conf, app):
    options = conf.miglock_metrics
    try:
        return simple_server.make_server(
            options.host, options.port, app,
            server_class=_server_class(options.host),
            handler_class=_QuietHandler)
    except OSError as exc:
        raise lock.MigLockError(
            'cannot serve metrics on [miglock_metrics] host %s port %s: %s'
            % (options.host, options.port, exc.strerror or exc)) from exc


def check(conf):
    """Raise MigLockError now if the metrics port cannot be bound."""
    if conf.miglock_metrics.enabled:
        _bind(conf, lambda environ, start_response: []).server_close()


class MetricsServer:
    """Serves ``/metrics`` from a daemon thread until stopped."""

    def __init__(self, conf, store):
        self._conf = conf
        self.registry = prometheus_client.CollectorRegistry()
        self._collector = store_collector.StoreCollector(store, conf)
        self.registry.register(self._collector)
        self._httpd = None
        self._thread = None

    @property
    def port(self):
        """The bound port (the kernel's choice when configured as 0)."""
        return self._httpd.server_port if self._httpd else None

    def start(self):
        self._httpd = _bind(self._conf,
                            prometheus_client.make_wsgi_app(self.registry))
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name='miglock-metrics-http',
                                        daemon=True)
        self._thread.start()
        LOG.info('Serving metrics on http://%(host)s:%(port)d/metrics',
                 {'host': self._conf.miglock_metrics.host,
                  'port': self.port})

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = None
        self._collector.close()
