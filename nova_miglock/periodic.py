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
"""Periodic work of our services (reaping, reconciling, resyncing).

One background thread per service runs every task at its own spacing,
with futurist's ``PeriodicWorker`` (what oslo.service's threading backend
and Nova use), so stopping is prompt (a condition, not a sleep) and a task
running when the service stops is finished, not cut off. A task's failure
is logged and the task runs again at its next turn.

Usage::

    tasks = periodic.PeriodicTasks([
        periodic.Task('reap', lambda: conf.miglock_listener.reap_interval,
                      manager.reap)])
    tasks.start()
    ...
    tasks.restart()   # after a configuration reload: new spacings
    tasks.stop(timeout=10)
"""

import collections
from concurrent import futures
import threading

from futurist import periodics
from oslo_log import log as logging

from nova_miglock import lock

LOG = logging.getLogger(__name__)

# ``spacing`` is a callable so that a reloaded configuration is read at
# the next (re)start.
Task = collections.namedtuple('Task', ['name', 'spacing', 'function'])


def _guarded(task):
    """The task, logging its failure instead of raising it."""
    def run():
        try:
            task.function()
        except lock.MigLockError as exc:
            LOG.error('Periodic task %(task)s failed: %(error)s',
                      {'task': task.name, 'error': exc.message})
        except Exception:
            LOG.exception('Periodic task %s failed', task.name)
    run.__name__ = task.name
    return periodics.periodic(spacing=task.spacing())(run)


class PeriodicTasks:
    """Runs a service's periodic tasks in one thread until stopped."""

    def __init__(self, tasks, name='periodic'):
        self._tasks = list(tasks)
        self._name = name
        self._worker = None
        self._thread = None

    def start(self):
        # A task runs in an executor thread, not in the worker's loop,
        # which holds its lock while it runs a task inline: stop() would
        # wait for the task instead of only asking it to end.
        self._worker = periodics.PeriodicWorker(
            [(_guarded(task), None, None) for task in self._tasks],
            executor_factory=lambda: futures.ThreadPoolExecutor(
                max_workers=1))
        self._thread = threading.Thread(target=self._worker.start,
                                        name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout=None):
        """Stop; wait up to ``timeout`` s for a running task to finish.

        :returns: whether every task had finished.
        """
        if self._worker is None:
            return True
        self._worker.stop()
        finished = self._worker.wait(timeout)
        if not finished:
            LOG.warning('Periodic task still running after %s s; leaving '
                        'it', timeout)
        self._worker = None
        return finished

    def restart(self, timeout=None):
        """Stop and start again, with the spacings read afresh."""
        self.stop(timeout)
        self.start()
