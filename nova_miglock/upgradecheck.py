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
"""``nova-miglock-status upgrade check``: is this host wired up and current?

Run on each host after an upgrade, before restarting services, as with
``nova-status upgrade check``. The Nova wiring is judged by the same code
that ``configure-nova`` uses to make it (a file that configure-nova would
change is not wired), so the check and the fix cannot disagree.
"""

import glob
import os

from oslo_upgradecheck import upgradecheck

from nova_miglock.manage import configure
from nova_miglock.manage import hook
from nova_miglock.manage import ini
from nova_miglock import store as lock_store
from nova_miglock.store.sql import migration

Code = upgradecheck.Code
Result = upgradecheck.Result


def config_files(conf):
    """The files ``conf`` was parsed from, in the order they apply."""
    paths = list(conf.config_file or [])
    for directory in conf.config_dir or []:
        paths.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return [p for p in paths if os.path.isfile(p)]


def effective_ini(paths):
    """One INI text with, per option, the values of the last file set."""
    merged = ini.IniFile('')
    for path in paths:
        with open(path) as stream:
            source = ini.IniFile(stream.read())
        for section in source.sections():
            for key, _value in source.options(section):
                merged.remove(section, key)
                for value in source.get(section, key):
                    merged.add(section, key, value)
    return merged.text()


def _missing(changes, fix):
    return Result(Code.FAILURE, 'configure-nova would change: %s. Run: %s' % (
        '; '.join(changes), fix))


class Checks(upgradecheck.UpgradeCommands):
    """The checks; ``conf`` is the parsed configuration."""

    def __init__(self, conf):
        self._conf = conf

    def _nova_conf(self):
        return effective_ini(config_files(self._conf))

    def _check_schema(self):
        try:
            store = lock_store.load_store(self._conf)
        except Exception as exc:  # any driver error: report, never raise
            return Result(Code.FAILURE, 'Cannot load the store: %s' % exc)
        try:
            current, head = migration.current(store), migration.head()
        except Exception as exc:
            return Result(Code.FAILURE, 'Cannot read the store: %s' % exc)
        finally:
            store.dispose()
        if current != head:
            return Result(Code.FAILURE, 'Lock store schema is at %s, this '
                          'code needs %s: run "nova-miglock-manage db sync".'
                          % (current or 'nothing (empty store)', head))
        return Result(Code.SUCCESS, 'Schema at %s.' % head)

    def _api_paste_path(self):
        values = ini.IniFile(self._nova_conf()).get('wsgi',
                                                    'api_paste_config')
        name = values[-1] if values else 'api-paste.ini'
        if os.path.isabs(name):
            return name if os.path.isfile(name) else None
        for path in config_files(self._conf):
            candidate = os.path.join(os.path.dirname(path), name)
            if os.path.isfile(candidate):
                return candidate
        return None

    def _check_pipelines(self):
        path = self._api_paste_path()
        if path is None:
            return Result(Code.WARNING, "No Nova api-paste.ini found beside "
                          "the configuration files: if nova-api runs on "
                          "this host, its filters are not checked.")
        with open(path) as stream:
            _text, changes = configure.configure_paste(stream.read())
        if changes:
            return _missing(changes, 'nova-miglock-manage configure-nova '
                            '--api-paste %s' % path)
        return Result(Code.SUCCESS, '%s has the filters.' % path)

    def _check_nova_conf(self, **only):
        _text, changes = configure.configure_nova_conf(self._nova_conf(),
                                                       **only)
        if changes:
            return _missing(changes, 'nova-miglock-manage configure-nova '
                            '--nova-conf <your nova.conf>')
        return Result(Code.SUCCESS, None)

    def _check_scheduler(self):
        return self._check_nova_conf(notifications=False)

    def _check_notifications(self):
        return self._check_nova_conf(scheduler=False)

    def _check_hook(self):
        hooks_dir = self._conf.miglock_hook.hooks_dir
        if not os.path.isdir(hooks_dir):
            return Result(Code.SUCCESS, 'No libvirt on this host (%s does '
                          'not exist).' % hooks_dir)
        path = os.path.join(hooks_dir, 'qemu.d', hook.NAME)
        fix = 'nova-miglock-manage hook install'
        if not os.path.isfile(path):
            return Result(Code.FAILURE, 'libvirt is installed but %s is '
                          'not: if nova-compute runs here, run "%s".'
                          % (path, fix))
        with open(path) as stream:
            installed = stream.read()
        if installed != hook.script(**hook.options(self._conf)):
            return Result(Code.WARNING, '%s is from another version or '
                          'configuration: run "%s" again.' % (path, fix))
        return Result(Code.SUCCESS, '%s is current.' % path)

    _upgrade_checks = (
        ('Lock store schema', _check_schema),
        ('Nova API pipelines', _check_pipelines),
        ('Scheduler filter', _check_scheduler),
        ('Versioned notifications', _check_notifications),
        ('libvirt hook', _check_hook),
    )
