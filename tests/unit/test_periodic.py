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
"""The periodic task helper: repeats, survives failures, stops gracefully.

Spacings are tiny and every wait is on an event with a bound, so nothing
here depends on how fast the machine is.
"""

import threading

from nova_miglock import lock
from nova_miglock import periodic

BOUND = 10


def test_a_task_repeats_and_a_failure_does_not_end_it():
    calls = []
    third = threading.Event()

    def task():
        calls.append(1)
        if len(calls) >= 3:
            third.set()
        raise lock.MigLockError('store down')
    tasks = periodic.PeriodicTasks([periodic.Task('t', lambda: 0.01, task)])
    tasks.start()
    try:
        assert third.wait(BOUND)
    finally:
        assert tasks.stop(BOUND)


def test_stop_waits_for_the_task_in_hand_to_finish():
    running, release, finished = (threading.Event(), threading.Event(),
                                  threading.Event())

    def task():
        running.set()
        release.wait(BOUND)
        finished.set()
    tasks = periodic.PeriodicTasks([periodic.Task('t', lambda: 0.01, task)])
    tasks.start()
    assert running.wait(BOUND)
    stopper = threading.Thread(target=tasks.stop, args=(BOUND,))
    stopper.start()
    stopper.join(0.2)
    assert stopper.is_alive()  # still finishing the task
    release.set()
    stopper.join(BOUND)
    assert not stopper.is_alive() and finished.is_set()


def test_stop_is_bounded_when_a_task_hangs():
    running, release = threading.Event(), threading.Event()

    def task():
        running.set()
        release.wait(BOUND)
    tasks = periodic.PeriodicTasks([periodic.Task('t', lambda: 0.01, task)])
    tasks.start()
    assert running.wait(BOUND)
    assert tasks.stop(timeout=0.1) is False
    release.set()


def test_restart_reads_the_spacing_again():
    spacing = [3600]
    ran = threading.Event()
    tasks = periodic.PeriodicTasks([periodic.Task(
        't', lambda: spacing[0], ran.set)])
    tasks.start()
    assert not ran.wait(0.2)
    spacing[0] = 0.01
    tasks.restart(BOUND)
    try:
        assert ran.wait(BOUND)
    finally:
        tasks.stop(BOUND)
