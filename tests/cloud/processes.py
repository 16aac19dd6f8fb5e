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
"""Processes of the cloud: started detached, stopped by PID, logs kept.

Each process starts in a session of its own (so its children, such as
uWSGI workers and privsep helpers, share its process group) with its
output in ``DIR/logs/NAME.log`` and its PID in ``DIR/pids/NAME.pid``.
Stopping signals that group only, by the recorded PID, first with SIGTERM
and then, after a bounded wait, SIGKILL: nothing else on the machine is
touched. The PID files outlive the Python process that started them, so
``tools/cloud.sh stop`` stops a cloud that an earlier command started.
"""

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request


class StartError(Exception):
    """A process of the cloud did not start; the message says why."""


def _path(run_dir, kind, name):
    directory = os.path.join(run_dir, kind)
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, '%s.%s' % (name, kind.rstrip('s')))


def log_path(run_dir, name):
    return _path(run_dir, 'logs', name)


def start(run_dir, name, argv, env=None):
    """Start ``argv`` detached; return its PID."""
    with open(log_path(run_dir, name), 'ab') as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    with open(_path(run_dir, 'pids', name), 'w') as stream:
        stream.write('%d\n' % process.pid)
    _CHILDREN[process.pid] = process
    return process.pid


# Processes this Python started: reaped here so that they do not linger
# as zombies while the test session goes on.
_CHILDREN = {}


def pid(run_dir, name):
    try:
        with open(_path(run_dir, 'pids', name)) as stream:
            return int(stream.read().strip())
    except (OSError, ValueError):
        return None


def alive(process_id):
    """Whether a process runs (a zombie does not)."""
    child = _CHILDREN.get(process_id)
    if child is not None:
        return child.poll() is None
    try:
        with open('/proc/%d/stat' % process_id) as stream:
            state = stream.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ('Z', 'X')


def running(run_dir, name):
    process_id = pid(run_dir, name)
    return process_id is not None and alive(process_id)


def names(run_dir):
    try:
        return sorted(entry[:-len('.pid')] for entry in
                      os.listdir(os.path.join(run_dir, 'pids'))
                      if entry.endswith('.pid'))
    except FileNotFoundError:
        return []


def _signal_group(process_id, signum):
    try:
        os.killpg(process_id, signum)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(process_id, signum)


def stop(run_dir, name, timeout=20.0):
    """SIGTERM the process group, SIGKILL it after ``timeout`` seconds."""
    stop_all(run_dir, [name], timeout)


def _wait_gone(process_ids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(process_id) for process_id in process_ids):
            return
        time.sleep(0.1)


def stop_all(run_dir, names, timeout=20.0):
    """Stop several processes at once (each as ``stop`` does)."""
    found = {name: pid(run_dir, name) for name in names}
    process_ids = [process_id for process_id in found.values()
                   if process_id is not None]
    for process_id in process_ids:
        if alive(process_id):
            _signal_group(process_id, signal.SIGTERM)
    _wait_gone(process_ids, timeout)
    for process_id in process_ids:
        if alive(process_id):
            _signal_group(process_id, signal.SIGKILL)
    _wait_gone(process_ids, 5)
    for name, process_id in found.items():
        if process_id is None:
            continue
        # Group members that outlived their leader (a uWSGI worker, a
        # privsep helper) still carry the leader's PID as their group.
        _signal_group(process_id, signal.SIGKILL)
        child = _CHILDREN.pop(process_id, None)
        if child is not None:
            child.wait(timeout=5)
        os.unlink(_path(run_dir, 'pids', name))


def tail(run_dir, name, size=3000):
    try:
        with open(log_path(run_dir, name), 'rb') as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - size))
            return stream.read().decode('utf-8', 'replace')
    except OSError:
        return ''


def wait_until(what, predicate, timeout, run_dir=None, name=None,
               interval=0.25):
    """Poll ``predicate`` until it is true; fail with the log's tail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if name is not None and not running(run_dir, name):
            raise StartError('%s exited while waiting for %s; its log '
                             'ends:\n%s' % (name, what, tail(run_dir, name)))
        if time.monotonic() > deadline:
            detail = ('; its log ends:\n%s' % tail(run_dir, name)
                      if name else '')
            raise StartError('timed out after %.0f s waiting for %s%s'
                             % (timeout, what, detail))
        time.sleep(interval)


def http_ready(url):
    """Whether anything answers HTTP at ``url`` (any status)."""
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True


def run(run_dir, name, argv, env=None, timeout=300):
    """Run a one-shot command (a db sync); its output goes to its log."""
    with open(log_path(run_dir, name), 'ab') as log:
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StartError('%s took over %d s' % (' '.join(argv), timeout))
    if result.returncode:
        raise StartError('%s failed (%d); its log ends:\n%s' % (
            ' '.join(argv), result.returncode, tail(run_dir, name)))
