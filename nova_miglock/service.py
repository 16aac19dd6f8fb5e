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
"""Running our long-lived services: configuration, signals, exit codes.

nova-miglock-listener and nova-miglock-compute run under cotyledon, the
process manager that oslo.service's threading backend (Nova 34's, with
native threads) is built on: a small master process supervises one worker
process and restarts it if it dies. As OpenStack services do,

* SIGHUP reloads the configuration files (mutable options, e.g.
  ``[DEFAULT]/debug`` and the listener's intervals) and keeps running;
* SIGTERM stops: the worker stops consuming, finishes the notification and
  the periodic task in hand, and exits; ``[DEFAULT]/graceful_shutdown_timeout``
  bounds how long that may take;
* SIGINT exits at once.

We use cotyledon directly rather than through oslo.service's launcher
because that launcher answers SIGHUP by restarting the worker (it does not
override cotyledon's default ``reload``), and the master process only
reloads its own copy of the configuration; here the worker reloads its
configuration itself and carries on. ``doc/source/services.rst`` says more.

Before any process is started the configuration is parsed and the store
reached, so a mistake is one line on stderr and a non-zero exit, not a
worker restarting in a loop.
"""

import sys

import cotyledon
from cotyledon import oslo_config_glue
from oslo_config import cfg
from oslo_log import log as logging

from nova_miglock import config
from nova_miglock import lock
from nova_miglock import store as lock_store

LOG = logging.getLogger(__name__)
EXIT_FAILED = 1
EXIT_CONFIG = 2


class Worker(cotyledon.Service):
    """One of our services, in cotyledon's worker process."""

    def __init__(self, worker_id, name, build, conf):
        super().__init__(worker_id)
        self.name = name
        self._conf = conf
        self._service = build(conf)

    def run(self):
        self._service.start()

    def terminate(self):
        LOG.info('Stopping %s', self.name)
        self._service.stop()

    def reload(self):
        # cotyledon reloads the master's configuration, not ours.
        self._conf.mutate_config_files()
        reload = getattr(self._service, 'reload', None)
        if reload is not None:
            reload()
        LOG.info('%s reloaded its configuration', self.name)


def _check_store(conf):
    store = lock_store.load_store(conf)
    try:
        store.ping()
    finally:
        store.dispose()


def prepare(argv, checks=()):
    """Parse configuration and run start-up checks; (conf, exit status)."""
    try:
        oslo_config_glue.register_opts(config.CONF)
    except cfg.DuplicateOptError:  # registered by an earlier call
        pass
    try:
        conf = config.parse(args=argv)
        for check in checks:
            check(conf)
    except cfg.Error as exc:
        sys.stderr.write('configuration error: %s\n' % exc)
        return None, EXIT_CONFIG
    except lock.MigLockError as exc:
        sys.stderr.write('cannot start: %s\n' % exc.message)
        return None, EXIT_FAILED
    except ImportError as exc:
        sys.stderr.write('cannot start: %s (is libvirt-python '
                         'installed?)\n' % exc)
        return None, EXIT_FAILED
    return conf, 0


def serve(name, argv, build, checks=()):
    """Run ``build(conf)``'s service until SIGTERM; the exit status."""
    conf, status = prepare(argv, checks)
    if conf is None:
        return status
    manager = cotyledon.ServiceManager()
    oslo_config_glue.link(manager, conf, reload_method='mutate')
    manager.add(Worker, workers=1, args=(name, build, conf))
    manager.run()
    return 0


def _build_listener(conf):
    # Imported in the worker only: the master stays small and exits fast.
    from nova_miglock import listener
    from nova_miglock import manager as lock_manager
    from nova_miglock import nova_client
    from nova_miglock import placement_refresh
    from nova_miglock import reconcile
    from nova_miglock import sla_tasks

    manager = lock_manager.LockManager(conf)
    reconciler = reconcile.TicketReconciler(
        manager, lambda: nova_client.from_conf(conf))
    refresh = placement_refresh.PlacementRefresh(
        conf, manager.store, lambda: nova_client.from_conf(conf))
    metrics = None
    if conf.miglock_metrics.enabled:
        from nova_miglock.metrics import server as metrics_server
        metrics = metrics_server.MetricsServer(conf, manager.store)
    sla = sla_tasks.periodic_tasks(
        conf, manager, lambda: nova_client.from_conf(
            conf, version=sla_tasks.TAGS_MICROVERSION))
    return listener.Listener(conf, manager, reconciler, placement=refresh,
                             metrics=metrics, tasks=sla)


def _build_compute(conf):
    from nova_miglock.hypervisor import service as compute_service

    return compute_service.HostAgentService(conf, lock_store.get_store())


def _check_metrics(conf):
    # A port taken or not ours is one line at start, not a worker that
    # cotyledon restarts in a loop.
    from nova_miglock.metrics import server as metrics_server

    metrics_server.check(conf)


def _check_libvirt(conf):
    import libvirt  # noqa: F401


def run_listener(argv):
    return serve('nova-miglock-listener', argv, _build_listener,
                 checks=[_check_store, _check_metrics])


def run_compute(argv):
    return serve('nova-miglock-compute', argv, _build_compute,
                 checks=[_check_libvirt, _check_store])
