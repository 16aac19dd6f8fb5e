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
"""nova-miglock-status upgrade check on a host, before and after wiring.

Real files (Nova 34's api-paste.ini, a nova.conf), a real SQLite store and
a hooks directory in a temporary directory; the console script is run as
an operator runs it.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

BIN = os.path.dirname(sys.executable)
NOVA_PASTE = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')


def _run(name, *args):
    return subprocess.run([os.path.join(BIN, name)] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def host(tmp_path):
    shutil.copy(NOVA_PASTE, tmp_path / 'api-paste.ini')
    (tmp_path / 'nova.conf').write_text(
        '[DEFAULT]\ndebug = true\n\n[wsgi]\napi_paste_config = '
        'api-paste.ini\n')
    (tmp_path / 'hooks').mkdir()
    (tmp_path / 'nova-miglock.conf').write_text(
        '[miglock_database]\nconnection = sqlite:///%s\n[miglock_hook]\n'
        'hooks_dir = %s\n' % (tmp_path / 'store.sqlite',
                              tmp_path / 'hooks'))
    return tmp_path


def check(host):
    result = _run('nova-miglock-status', '--config-file',
                  str(host / 'nova.conf'), '--config-file',
                  str(host / 'nova-miglock.conf'), 'upgrade', 'check',
                  '--json')
    return result.returncode, {c['check']: c['result'] for c in
                               json.loads(result.stdout)['checks']}


def manage(host, *args):
    result = _run('nova-miglock-manage', '--config-file',
                  str(host / 'nova-miglock.conf'), *args)
    assert result.returncode == 0, result.stderr
    return result


def test_an_unwired_host_fails_every_check(host):
    status, results = check(host)
    assert status == 2
    assert results == {'Lock store schema': 2, 'Nova API pipelines': 2,
                       'Scheduler filter': 2, 'Versioned notifications': 2,
                       'libvirt hook': 2}


def test_a_wired_host_passes_and_a_stale_hook_warns(host):
    manage(host, 'db', 'sync')
    manage(host, 'configure-nova', '--api-paste',
           str(host / 'api-paste.ini'), '--nova-conf', str(host / 'nova.conf'))
    manage(host, 'hook', 'install', '--no-reload')
    status, results = check(host)
    assert status == 0, results
    assert set(results.values()) == {0}
    hook = host / 'hooks' / 'qemu.d' / '50-nova-miglock'
    hook.write_text(hook.read_text().replace('clock_skew=', 'clock_skew=9'))
    status, results = check(host)
    assert (status, results['libvirt hook']) == (1, 1)


def test_a_nova_conf_in_a_later_file_counts(host):
    """Settings split over several files are judged as Nova reads them."""
    manage(host, 'configure-nova', '--nova-conf', str(host / 'nova.conf'))
    (host / 'override.conf').write_text(
        '[notifications]\nnotification_format = unversioned\n')
    result = _run('nova-miglock-status', '--config-file',
                  str(host / 'nova.conf'), '--config-file',
                  str(host / 'override.conf'), '--config-file',
                  str(host / 'nova-miglock.conf'), 'upgrade', 'check',
                  '--json')
    results = {c['check']: c['result'] for c in
               json.loads(result.stdout)['checks']}
    assert results['Scheduler filter'] == 0
    assert results['Versioned notifications'] == 2


def test_a_missing_config_file_is_one_line(host):
    result = _run('nova-miglock-status', '--config-file',
                  str(host / 'absent.conf'), 'upgrade', 'check')
    assert result.returncode == 255
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
