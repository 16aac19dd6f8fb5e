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
"""nova-miglock-manage configure-nova on Nova's real api-paste.ini.

It must be idempotent and keep the operator's settings and comments. That
the result loads in Nova with the filters active is shown by every test on
the Nova harness (``nova_miglock/testing/nova``), whose api-paste.ini is
made by the same code.
"""

import os
import shutil
import subprocess
import sys

import pytest

from nova_miglock.testing.nova import paste

MANAGE = os.path.join(os.path.dirname(sys.executable), 'nova-miglock-manage')

NOVA_CONF = """[DEFAULT]
# Managed by the operator; keep this comment.
debug = true
transport_url = rabbit://nova:secret@rabbit/

[filter_scheduler]
# Our own filters come first.
available_filters = nova.scheduler.filters.all_filters
available_filters = acme.filters.RackFilter
enabled_filters = ComputeFilter,
    RackFilter

[notifications]
notify_on_state_change = vm_and_task_state
"""


def configure(*args):
    return subprocess.run([MANAGE, '--config-file', os.devnull,
                           'configure-nova'] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def files(tmp_path):
    api_paste = tmp_path / 'api-paste.ini'
    shutil.copy(paste.NOVA_PASTE, api_paste)
    nova_conf = tmp_path / 'nova.conf'
    nova_conf.write_text(NOVA_CONF)
    return str(api_paste), str(nova_conf)


def test_second_run_changes_nothing(files):
    api_paste, nova_conf = files
    first = configure('--api-paste', api_paste, '--nova-conf', nova_conf,
                      '--set-store', 'mysql+pymysql://m:p@db/miglock')
    assert first.returncode == 0, first.stderr
    assert 'added miglock_api miglock_gate' in first.stdout
    results = [open(path).read() for path in files]
    second = configure('--api-paste', api_paste, '--nova-conf', nova_conf,
                       '--set-store', 'mysql+pymysql://m:p@db/miglock')
    assert second.returncode == 0
    assert second.stdout.count('already configured') == 2
    assert [open(path).read() for path in files] == results


def test_the_operators_settings_and_comments_are_kept(files):
    api_paste, nova_conf = files
    configure('--api-paste', api_paste, '--nova-conf', nova_conf)
    text = open(nova_conf).read()
    for kept in ('# Managed by the operator; keep this comment.',
                 'transport_url = rabbit://nova:secret@rabbit/',
                 '# Our own filters come first.',
                 'available_filters = acme.filters.RackFilter',
                 'notify_on_state_change = vm_and_task_state'):
        assert kept in text
    assert 'enabled_filters = ComputeFilter,RackFilter,MigrationLockFilter' \
        in text
    assert 'notification_format = both' in text
    original = open(paste.NOVA_PASTE).read().splitlines()
    edited = open(api_paste).read().splitlines()
    changed = [line for line in original if line not in edited]
    assert all('pipeline' in line or line.startswith('keystone')
               for line in changed), changed


def test_a_pipeline_without_an_anchor_is_refused_and_untouched(tmp_path):
    api_paste = tmp_path / 'api-paste.ini'
    api_paste.write_text('[pipeline:meta]\npipeline = cors myapp\n')
    result = configure('--api-paste', str(api_paste))
    assert result.returncode == 2
    assert 'has no metaapp' in result.stderr
    assert api_paste.read_text() == '[pipeline:meta]\npipeline = cors myapp\n'


def test_missing_file_is_one_clear_line(tmp_path):
    result = configure('--api-paste', str(tmp_path / 'nope.ini'))
    assert result.returncode == 2
    assert 'No such file' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- what an operator relies on beyond the edit itself ----------------------

DEVSTACK_STORE = ('mysql+pymysql://root:secret@127.0.0.1/nova_miglock?'
                  'charset=utf8&plugin=dbcounter')


def configure_only(*args):
    """configure-nova as devstack calls it: no --config-file at all."""
    return subprocess.run([MANAGE, 'configure-nova'] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0, reason='chown needs root')
def test_owner_group_and_mode_are_kept(files):
    api_paste, nova_conf = files
    os.chown(nova_conf, 65534, 65534)
    os.chmod(nova_conf, 0o640)
    result = configure('--nova-conf', nova_conf, '--set-store',
                       DEVSTACK_STORE)
    assert result.returncode == 0, result.stderr
    meta = os.stat(nova_conf)
    assert (meta.st_uid, meta.st_gid, meta.st_mode & 0o7777) == \
        (65534, 65534, 0o640)
    assert 'MigrationLockFilter' in open(nova_conf).read()
    assert [n for n in os.listdir(os.path.dirname(nova_conf))
            if n.endswith('.miglock')] == []


def test_a_symlinked_nova_conf_stays_a_symlink(files, tmp_path):
    _api_paste, nova_conf = files
    link = tmp_path / 'nova-link.conf'
    link.symlink_to(nova_conf)
    assert configure_only('--nova-conf', str(link)).returncode == 0
    assert link.is_symlink()
    assert 'MigrationLockFilter' in open(nova_conf).read()


def test_needs_no_config_file_and_loads_no_store(files, tmp_path):
    """devstack's MySQL URL names a SQLAlchemy plugin only devstack has."""
    api_paste, nova_conf = files
    with open(nova_conf, 'a') as stream:
        stream.write('\n[miglock_database]\nconnection = %s\n'
                     % DEVSTACK_STORE)
    result = subprocess.run(
        [MANAGE, '--config-file', str(tmp_path / 'not-yet.conf'),
         'configure-nova', '--api-paste', api_paste, '--nova-conf',
         nova_conf], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'MigrationLockFilter' in open(nova_conf).read()


def test_dry_run_and_diff_write_nothing_and_hide_secrets(files):
    api_paste, nova_conf = files
    before = [open(path).read() for path in files]
    result = configure_only('--api-paste', api_paste, '--nova-conf',
                            nova_conf, '--set-store', DEVSTACK_STORE,
                            '--dry-run', '--diff')
    assert result.returncode == 0, result.stderr
    assert [open(path).read() for path in files] == before
    assert '+enabled_filters = ComputeFilter,RackFilter,MigrationLock' \
        'Filter' in result.stdout
    assert 'would change: [filter_scheduler]' in result.stdout
    assert 'secret' not in result.stdout
    assert 'connection = ****' in result.stdout


def test_remove_restores_both_files_to_the_letter(files):
    api_paste, nova_conf = files
    before = [open(path).read() for path in files]
    configure_only('--api-paste', api_paste, '--nova-conf', nova_conf,
                   '--set-store', DEVSTACK_STORE)
    assert [open(path).read() for path in files] != before
    result = configure_only('--api-paste', api_paste, '--nova-conf',
                            nova_conf, '--remove')
    assert result.returncode == 0, result.stderr
    assert [open(path).read() for path in files] == before
    again = configure_only('--api-paste', api_paste, '--nova-conf',
                           nova_conf, '--remove')
    assert again.stdout.count('nothing of nova-miglock found') == 2


def test_remove_keeps_what_the_operator_changed_since(files):
    api_paste, nova_conf = files
    configure_only('--nova-conf', nova_conf)
    text = open(nova_conf).read().replace(
        'RackFilter,MigrationLockFilter',
        'RackFilter,MigrationLockFilter,NUMATopologyFilter')
    text = text.replace('[DEFAULT]\n', '[DEFAULT]\nuse_journal = true\n')
    with open(nova_conf, 'w') as stream:
        stream.write(text)
    assert configure_only('--nova-conf', nova_conf,
                          '--remove').returncode == 0
    result = open(nova_conf).read()
    assert 'enabled_filters = ComputeFilter,RackFilter,NUMATopology' \
        'Filter' in result
    assert 'use_journal = true' in result
    assert 'miglock' not in result.lower()


def test_json_and_yaml_formats_are_machine_readable(files):
    import json

    import yaml
    api_paste, _nova_conf = files
    result = configure_only('--api-paste', api_paste, '--format', 'json')
    report = json.loads(result.stdout)
    assert report[0]['file'] == api_paste and report[0]['written']
    assert '[filter:miglock_gate] added' in report[0]['changes']
    result = configure_only('--api-paste', api_paste, '--format', 'yaml')
    assert yaml.safe_load(result.stdout) == [
        {'file': api_paste, 'changes': [], 'written': False}]


@pytest.mark.parametrize('tool,expected', [
    ('kolla-ansible', 'available_filters = nova_miglock.scheduler.filters.'
     'migration_lock.MigrationLockFilter'),
    ('openstack-ansible', 'nova_nova_conf_overrides:'),
])
def test_snippet_for_deployment_tools_writes_nothing(files, tool, expected):
    api_paste, nova_conf = files
    before = [open(path).read() for path in files]
    result = configure_only('--api-paste', api_paste, '--nova-conf',
                            nova_conf, '--snippet', tool)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert 'miglock_api miglock_gate' in result.stdout
    assert [open(path).read() for path in files] == before
