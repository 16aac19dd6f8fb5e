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
"""Running our long-lived services: configuration, signals, exit codes."""

import signal
import sys
import threading
import warnings

from oslo_config import cfg
from oslo_log import log as logging

from nova_miglock import config
from nova_miglock import lock
from nova_miglock import manager as lock_manager

LOG = logging.getLogger(__name__)


def _wait_for_signal():
    stop = threading.Event()
    for name in ('SIGTERM', 'SIGINT', 'SIGHUP'):
        signal.signal(getattr(signal, name), lambda *args: stop.set())
    while not stop.wait(3600):
        pass


def _run(argv, build):
    """Parse config, build the service, run it until a signal."""
    # Library deprecation notices are not the operator's business.
    warnings.simplefilter('ignore')
    try:
        conf = config.parse(args=argv)
        service = build(conf)
    except cfg.Error as exc:
        sys.stderr.write('configuration error: %s\n' % exc)
        return 2
    except lock.MigLockError as exc:
        sys.stderr.write('cannot start: %s\n' % exc.message)
        return 1
    except ImportError as exc:
        sys.stderr.write('cannot start: %s (is libvirt-python '
                         'installed?)\n' % exc)
        return 1
    service.start()
    try:
        _wait_for_signal()
    finally:
        service.stop()
    return 0


def run_listener(argv):
    from nova_miglock import listener
    from nova_miglock import nova_client
    from nova_miglock import reconcile

    def build(conf):
        manager = lock_manager.LockManager(conf)
        manager.store.ping()
        reconciler = reconcile.TicketReconciler(
            manager, lambda: nova_client.from_conf(conf))
        return listener.Listener(conf, manager, reconciler)
    return _run(argv, build)


def run_compute(argv):
    from nova_miglock.hypervisor import service as compute_service
    from nova_miglock import store as lock_store

    def build(conf):
        store = lock_store.get_store()
        store.ping()
        return compute_service.HostAgentService(conf, store)
    return _run(argv, build)
