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
operator already has. The installed file is a small wrapper that exits at
once for every operation but ``migrate begin`` (importing nothing), and for
that one starts Python without scanning site-packages (``-I -S``), which is
most of an interpreter's start-up time. (A shebang passes one argument,
hence ``-IS``.)
"""

import os
import signal
import sys
import tempfile

import nova_miglock

NAME = '50-nova-miglock'
DRIVERS = ('qemu', 'libxl')

TEMPLATE = '''#!%(python)s -IS
# nova-miglock libvirt hook, installed by "nova-miglock-manage hook install".
# Install again after changing [miglock_hook] options.
import sys
if sys.argv[2:4] != ['migrate', 'begin']:
    sys.exit(0)
sys.path.insert(0, %(path)r)
try:
    from nova_miglock.hypervisor import hook
    status = hook.main(clock_skew=%(clock_skew)d)
except Exception as exc:
    sys.stderr.write('nova-miglock: refusing: internal error: %%s\\n' %% exc)
    status = 2
sys.exit(status)
'''


def script(clock_skew, python=None):
    return TEMPLATE % {
        'python': python or sys.executable,
        'path': os.path.dirname(os.path.dirname(os.path.abspath(
            nova_miglock.__file__))),
        'clock_skew': clock_skew}


def install(hooks_dir, clock_skew, drivers=DRIVERS, python=None):
    """Write the hook for each driver atomically; return the paths."""
    paths = []
    content = script(clock_skew, python)
    for driver in drivers:
        directory = os.path.join(hooks_dir, '%s.d' % driver)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        path = os.path.join(directory, NAME)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix='.' + NAME)
        with os.fdopen(handle, 'w') as stream:
            stream.write(content)
        os.chmod(temporary, 0o755)
        os.replace(temporary, path)
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
