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
"""Installing the libvirt hook.

libvirt (6.5 and newer) runs every executable in ``hooks/<driver>.d/`` after
``hooks/<driver>``, so ours goes there and never replaces a hook the
operator already has.

The installed file is a POSIX sh dispatcher, not a Python script: libvirt
runs the hook on every domain operation (start, stop, reconnect after a
libvirtd restart, ...) and refuses the operation when the hook fails, so
the operations we do not judge must exit 0 without needing Python at all.
A Python interpreter that went away (a virtualenv moved or removed on
upgrade) once made libvirt refuse every guest start and kill running
guests at ``reconnect``. Now:

* an operation the hook does not judge exits 0 in the shell;
* a judged one runs the judge (``hypervisor.hook``) with the interpreter
  that ran ``hook install``, without site-packages (``-I -S``, most of an
  interpreter's start-up time);
* when that interpreter or our package is missing, an incoming
  ``migrate`` is refused with a message naming the fix (install the hook
  again); ``restore``, ``prepare`` and ``start`` pass, because refusing
  them would stop every guest on the host from starting, which is worse
  than a lock not being enforced against a libvirt user for the time the
  installation is broken (``doc/source/hypervisor.rst``).
"""

import json
import os
import signal
import sys
import tempfile

import nova_miglock
from nova_miglock.hypervisor import replica

NAME = '50-nova-miglock'
DRIVERS = ('qemu', 'libxl')
FIX = 'install the hook again: nova-miglock-manage hook install'

# The case statement comes first: libvirt runs the hook on every domain
# operation, and the shell reads no further for those it does not judge.
TEMPLATE = """#!/bin/sh
case "$2 $3" in
%(judged)s) ;;
*) exit 0 ;;
esac
# nova-miglock libvirt hook, installed by "nova-miglock-manage hook install".
# Install it again after changing [miglock_hook] options or moving Python.
python='%(python)s'
if [ ! -x "$python" ]; then
    if [ "$2" = migrate ]; then
        printf 'nova-miglock: refusing migrate of %%.80s: the hook cannot run:\
 %%.200s is missing; %(fix)s\\n' "$1" "$python" >&2
        exit 1
    fi
    exit 0
fi
exec "$python" -I -S -c '
import sys
sys.path.insert(0, %(path)s)
try:
    from nova_miglock.hypervisor import hook
except Exception as exc:
    if sys.argv[2] != "migrate":
        sys.exit(0)
    sys.stderr.write("nova-miglock: refusing migrate of %%.80s: the hook "
                     "cannot run: %%.200s; %(fix)s\\n"
                     %% (sys.argv[1], exc))
    sys.exit(1)
try:
    status = hook.main(argv=sys.argv, clock_skew=%(clock_skew)d,
                       replica_path=%(replica)s, max_age=%(max_age)d)
except Exception as exc:
    sys.stderr.write("nova-miglock: refusing %%.20s of %%.80s: internal "
                     "error: %%.200s\\n" %% (sys.argv[2], sys.argv[1], exc))
    status = 2
sys.exit(status)
' "$@"
"""


def _quoted(text, what):
    """``text`` as a Python string literal safe inside sh single quotes."""
    if "'" in text or '\n' in text:
        raise ValueError('%s %r has a quote or a newline' % (what, text))
    return json.dumps(text)


def options(conf):
    """The ``[miglock_hook]`` values ``install`` writes into the hook."""
    return {'clock_skew': conf.miglock_hook.clock_skew,
            'replica_path': conf.miglock_hook.replica_path,
            'max_age': conf.miglock_hook.max_replica_age}


def script(clock_skew, replica_path, max_age, python=None):
    python = python or sys.executable
    if "'" in python or '\n' in python:
        raise ValueError('interpreter path %r has a quote or a newline'
                         % python)
    return TEMPLATE % {
        'judged': '|'.join('"%s %s"' % op for op in replica.JUDGED),
        'python': python,
        'path': _quoted(os.path.dirname(os.path.dirname(os.path.abspath(
            nova_miglock.__file__))), 'package path'),
        'replica': _quoted(replica_path, 'replica path'),
        'clock_skew': clock_skew,
        'max_age': max_age,
        'fix': FIX}


def install(hooks_dir, clock_skew, replica_path, max_age, drivers=DRIVERS,
            python=None):
    """Write the hook for each driver atomically; return the paths."""
    paths = []
    content = script(clock_skew, replica_path, max_age, python)
    for driver in drivers:
        directory = os.path.join(hooks_dir, '%s.d' % driver)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        path = os.path.join(directory, NAME)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix='.' + NAME)
        try:
            with os.fdopen(handle, 'w') as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o755)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        paths.append(path)
    return paths


def uninstall(hooks_dir, drivers=DRIVERS):
    removed = []
    for driver in drivers:
        path = os.path.join(hooks_dir, '%s.d' % driver, NAME)
        if os.path.exists(path):
            os.unlink(path)
            removed.append(path)
    return removed


def reload_libvirtd(pid_file):
    """Make libvirtd see new hooks (SIGHUP); False if it is not running."""
    try:
        with open(pid_file) as stream:
            pid = int(stream.read().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    return True
