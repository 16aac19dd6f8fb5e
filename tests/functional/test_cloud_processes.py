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
"""The test cloud's processes are stopped by their recorded PID only."""

import os
import subprocess
import sys
import time

from tests.cloud import processes


def test_stop_ends_the_process_and_its_group(tmp_path):
    run_dir = str(tmp_path)
    # A parent that leaves a child behind in its process group.
    pid = processes.start(run_dir, 'parent', [
        sys.executable, '-c',
        'import subprocess, time; '
        'subprocess.Popen(["sleep", "300"]); print("up", flush=True); '
        'time.sleep(300)'])
    processes.wait_until('the parent to start its child', lambda: 'up' in
                         processes.tail(run_dir, 'parent'), 30)
    children = subprocess.run(['pgrep', '-g', str(pid)],
                              capture_output=True, text=True).stdout.split()
    assert len(children) == 2
    assert processes.running(run_dir, 'parent')
    processes.stop(run_dir, 'parent', timeout=5)
    assert not processes.running(run_dir, 'parent')
    assert processes.names(run_dir) == []
    # The group's last SIGKILL is sent as stop returns; the kernel ends
    # the child a moment later.
    processes.wait_until('the child to end', lambda: not any(
        processes.alive(int(child)) for child in children), 10)


def test_stop_kills_what_ignores_sigterm(tmp_path):
    run_dir = str(tmp_path)
    processes.start(run_dir, 'stubborn', [
        sys.executable, '-c',
        'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);'
        ' print("up", flush=True); time.sleep(300)'])
    processes.wait_until('it to start', lambda: 'up' in processes.tail(
        run_dir, 'stubborn'), 30)
    started = time.monotonic()
    processes.stop(run_dir, 'stubborn', timeout=0.5)
    assert time.monotonic() - started < 10
    assert not processes.running(run_dir, 'stubborn')


def test_a_failed_one_shot_command_says_why(tmp_path):
    run_dir = str(tmp_path)
    try:
        processes.run(run_dir, 'sync', [sys.executable, '-c',
                                        'print("no database"); exit(3)'])
    except processes.StartError as exc:
        assert 'failed (3)' in str(exc)
        assert 'no database' in str(exc)
    else:
        raise AssertionError('a failing command passed')
    assert os.path.exists(processes.log_path(run_dir, 'sync'))
