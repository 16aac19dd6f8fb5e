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
the result loads in Nova with the filters active is shown by every test in
``tests/functional/nova``, whose api-paste.ini is made by the same code.
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.functional.nova import paste

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
