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
"""``nova-miglock-manage group``: budgets set, shown, listed and removed."""

import json
import uuid

import yaml

from nova_miglock.decisions import groups as group_rules
from nova_miglock.store.sql import driver
from nova_miglock.testing import fixtures
from tests.functional.test_manage import manage
from tests.functional.test_manage import url  # noqa: F401

GROUP = str(uuid.uuid4())


def test_an_operator_sets_shows_lists_and_deletes_a_budget(url):  # noqa
    result = manage(url, 'group', 'set', GROUP, '--project', 'proj',
                    '--max-moving', '1', '--format', 'json')
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown['group'], shown['kind'], shown['max_moving'],
            shown['allowed_moving']) == (GROUP, 'server-group', 1, 1)
    assert shown['updated_by'].startswith('operator')
    manage(url, 'group', 'set', 'tag:db', '--project', 'proj',
           '--max-moving', '50%', '--members', '6')
    listed = yaml.safe_load(manage(url, 'group', 'list', '--format',
                                   'yaml').stdout)
    assert [(g['Group'], g['Max moving'], g['Members'])
            for g in listed] == [(GROUP, '1', ''), ('tag:db', '50%', 6)]
    table = manage(url, 'group', 'show', 'tag:db', '--project',
                   'proj').stdout
    assert [line.split('|')[2].strip() for line in table.splitlines()
            if 'allowed_moving' in line] == ['3']
    assert manage(url, 'group', 'delete', 'tag:db', '--project',
                  'proj').returncode == 0
    result = manage(url, 'group', 'show', 'tag:db', '--project', 'proj')
    assert result.returncode == 1
    assert 'group db (servers tagged miglock:group=db) of project proj ' \
        'has no disruption budget' in result.stderr.lower()


def test_show_names_the_members_moving(url):  # noqa: F811
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    member = str(uuid.uuid4())
    store.set_group_budget('proj', GROUP, group_rules.Budget(1), actor='t')
    store.open_ticket(member, project_id='proj', kind='live-migration',
                      request_id='r', static_locks=(),
                      groups=[group_rules.GroupRef('proj', GROUP, 3)])
    store.dispose()
    shown = json.loads(manage(url, 'group', 'show', GROUP, '--project',
                              'proj', '--format', 'json').stdout)
    assert [m['instance_uuid'] for m in shown['moving']] == [member]
    assert shown['members'] == 3


def test_bad_input_is_a_usage_error_and_changes_nothing(url):  # noqa: F811
    for args in (['set', GROUP, '--project', 'p', '--max-moving', '-1'],
                 ['set', GROUP, '--project', 'p', '--max-moving', '150%'],
                 ['set', GROUP, '--project', 'p', '--max-moving', 'lots'],
                 ['set', 'db', '--project', 'p', '--max-moving', '1'],
                 ['set', GROUP, '--project', 'p', '--max-moving', '1',
                  '--members', 'x']):
        result = manage(url, 'group', *args)
        assert result.returncode == 2, (args, result.stderr)
        assert 'Traceback' not in result.stderr
        assert 'error: ' in result.stderr.splitlines()[-1], result.stderr
    assert json.loads(manage(url, 'group', 'list', '--format',
                             'json').stdout) == []
