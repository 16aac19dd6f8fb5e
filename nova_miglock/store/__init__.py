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
"""The lock store: the single source of truth about holds and moves.

Drivers live behind :class:`nova_miglock.store.base.LockStore` and are
loaded by name from the ``nova_miglock.store`` entry point namespace.
"""

import threading

from oslo_config import cfg
from stevedore import driver as stevedore_driver

from nova_miglock import conf as miglock_conf
from nova_miglock import lock

CONF = miglock_conf.CONF
NAMESPACE = 'nova_miglock.store'

_STORE = None
_STORE_LOCK = threading.Lock()


def load_store(conf=CONF, connection=None):
    """Load a new store driver for ``connection`` (default from config)."""
    try:
        manager = stevedore_driver.DriverManager(
            NAMESPACE, conf.miglock_store.driver, invoke_on_load=True,
            invoke_kwds={'conf': conf, 'connection': connection})
    except (cfg.Error, lock.MigLockError):
        raise
    except Exception as exc:  # stevedore raises NoMatches and friends
        raise lock.StoreUnavailable(
            'cannot load lock store driver %r: %s'
            % (conf.miglock_store.driver, exc)) from exc
    return manager.driver


def get_store():
    """Return the process-wide store, created on first use."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = load_store()
        return _STORE


def reset_store():
    """Forget the process-wide store (tests, and after a config reload)."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is not None:
            _STORE.dispose()
        _STORE = None
