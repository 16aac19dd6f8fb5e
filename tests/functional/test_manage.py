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
"""nova-miglock-manage run as an operator would, against a real store."""

import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.testing import fixtures

INSTANCE = str(uuid.uuid4())


def manage(url, *args):
    command = [os.path.join(os.path.dirname(sys.executable),
                            'nova-miglock-manage'),
               '--config-file', os.devnull, '--store', url] + list(args)
    return subprocess.run(command, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def url(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    assert manage(url, 'db', 'sync').returncode == 0
    return url


def _hold(url, holder='db', lease=300):
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    limits = lock.HoldLimits(max_lease=3600, max_hold=7200,
                             min_unlocked_gap=0, max_holders=8)
    store.acquire(INSTANCE, holder, project_id='proj',
                  source=lock.SOURCE_GUEST, lease_seconds=lease,
                  reason='nightly backup', limits=limits)
    store.dispose()


def test_db_sync_twice_then_version_is_current(url):
    result = manage(url, 'db', 'sync')
    assert result.returncode == 0
    assert 'already at revision' in result.stdout
    result = manage(url, 'db', 'version', '--format', 'json')
    data = json.loads(result.stdout)
    assert data['current'] == data['head'] and result.returncode == 0


def test_lock_list_and_show_tell_who_holds_what(url):
    _hold(url)
    table = manage(url, 'lock', 'list').stdout
    assert INSTANCE in table and 'db' in table and 'locked' in table
    shown = json.loads(manage(url, 'lock', 'show', INSTANCE,
                              '--format', 'json').stdout)
    assert shown['state'] == 'locked'
    assert shown['holds'][0]['reason'] == 'nightly backup'
    assert shown['recent_events'][0]['event'] == 'acquire'


def test_listings_speak_openstackclients_formats(url):
    _hold(url)
    (row,) = yaml.safe_load(manage(url, 'lock', 'list', '--format',
                                   'yaml').stdout)
    assert (row['Instance'], row['Holders'], row['State']) == (
        INSTANCE, 'db', 'locked')
    value = manage(url, 'lock', 'list', '--format', 'value').stdout
    assert value.split()[:3] == [INSTANCE, 'proj', 'locked']
    refused = manage(url, 'lock', 'list', '--format', 'xml')
    assert refused.returncode == 2 and 'invalid choice' in refused.stderr


def test_break_ends_the_holds_and_is_audited(url):
    _hold(url)
    result = manage(url, 'lock', 'break', INSTANCE, '--reason',
                    'rack power work')
    assert result.returncode == 0
    assert 'Broke 1 hold(s)' in result.stdout
    shown = json.loads(manage(url, 'lock', 'show', INSTANCE,
                              '--format', 'json').stdout)
    assert shown['state'] == 'unlocked'
    last = shown['recent_events'][-1]
    assert last['event'] == 'break' and last['reason'] == 'rack power work'
    assert last['actor'].startswith('operator')


def test_an_operator_holds_renews_and_releases(url):
    result = manage(url, 'lock', 'hold', INSTANCE, '--holder', 'maint',
                    '--lease', '600', '--reason', 'disk replacement',
                    '--project', 'proj')
    assert result.returncode == 0, result.stderr
    assert 'is held by maint (operator) until' in result.stdout
    renewed = json.loads(manage(url, 'lock', 'hold', INSTANCE, '--holder',
                                'maint', '--lease', '900', '--format',
                                'json').stdout)
    assert (renewed['source'], renewed['lease_seconds']) == ('operator',
                                                             900.0)
    result = manage(url, 'lock', 'hold', INSTANCE, '--holder', 'maint',
                    '--project', 'another')
    assert result.returncode == 2
    assert 'belongs to project proj' in result.stderr
    result = manage(url, 'lock', 'release', INSTANCE, '--holder', 'maint')
    assert 'Released the hold of maint' in result.stdout
    shown = json.loads(manage(url, 'lock', 'show', INSTANCE,
                              '--format', 'json').stdout)
    assert shown['state'] == 'unlocked'
    assert [(e['event'], e['holder']) for e in shown['recent_events']] == [
        ('acquire', 'maint'), ('renew', 'maint'), ('release', 'maint')]
    assert shown['recent_events'][0]['actor'].startswith('operator')


def test_an_operator_cannot_release_a_guests_hold(url):
    _hold(url)
    result = manage(url, 'lock', 'release', INSTANCE, '--holder', 'db')
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    shown = json.loads(manage(url, 'lock', 'show', INSTANCE,
                              '--format', 'json').stdout)
    assert [h['holder'] for h in shown['holds']] == ['db']


def test_usage_reports_lock_seconds(url):
    _hold(url)
    data = json.loads(manage(url, 'usage', '--format', 'json').stdout)
    (item,) = data['instances']
    assert item['instance_uuid'] == INSTANCE
    assert item['lock_seconds'] >= 0 and 'proj' in data['projects']


def test_ledger_purge_deletes_only_old_events(url):
    _hold(url)
    result = manage(url, 'ledger', 'purge', '--before', '2000-01-01')
    assert result.returncode == 0
    assert 'Deleted 0 ledger event(s)' in result.stdout
    result = manage(url, 'ledger', 'purge', '--before', '2999-01-01')
    assert result.returncode == 2
    assert '--before must be in the past' in result.stderr
    shown = json.loads(manage(url, 'lock', 'show', INSTANCE,
                              '--format', 'json').stdout)
    assert [e['event'] for e in shown['recent_events']] == ['acquire']


def test_quota_set_and_show(url):
    assert manage(url, 'quota', 'set', 'proj', '--locked-instances',
                  '2').returncode == 0
    data = json.loads(manage(url, 'quota', 'show', 'proj', '--format',
                             'json').stdout)
    assert data['locked_instances'] == 2
    assert data['lock_seconds_per_day'] == -1


def test_quota_set_sets_and_resets_the_projects_sla(url):
    assert manage(url, 'quota', 'set', 'proj', '--static-locks',
                  'forbidden', '--max-lease', '600').returncode == 0
    data = json.loads(manage(url, 'quota', 'show', 'proj', '--format',
                             'json').stdout)
    assert (data['static_locks'], data['max_lease'], data['guest_locks'],
            data['max_hold']) == ('forbidden', 600, None, None)
    manage(url, 'quota', 'set', 'proj', '--static-locks', 'default')
    data = json.loads(manage(url, 'quota', 'show', 'proj', '--format',
                             'json').stdout)
    assert (data['static_locks'], data['max_lease']) == (None, 600)


@pytest.mark.parametrize('args, fragment', [
    (['lock', 'show', 'not-a-uuid'], 'instance must be a UUID'),
    (['lock', 'break', INSTANCE, '--reason', ' '], '--reason must say why'),
    (['usage', '--since', 'yesterday'], 'not an ISO 8601 date'),
    (['quota', 'set', 'proj', '--locked-instances', '-5'], 'limit is a '),
    (['quota', 'set', 'proj', '--max-hold', '0'], 'a cap is a whole'),
    (['quota', 'set', 'proj', '--guest-locks', 'maybe'], 'invalid choice'),
    (['lock', 'frobnicate'], 'invalid choice'),
    (['lock', 'hold', INSTANCE, '--holder', 'maint'], 'give --project'),
    (['lock', 'hold', INSTANCE, '--holder', 'bad name', '--project', 'p'],
     'holder must be'),
    (['lock', 'hold', INSTANCE, '--holder', 'maint', '--lease', '0'],
     'must be a positive whole number'),
    (['lock', 'hold', INSTANCE, '--holder', 'maint', '--project', 'p',
      '--reason', 'a\tb'], 'control characters'),
])
def test_bad_arguments_get_one_clear_error_and_change_nothing(url, args,
                                                              fragment):
    before = manage(url, 'lock', 'list', '--all', '--format', 'json').stdout
    result = manage(url, *args)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert 'Traceback' not in result.stderr
    assert manage(url, 'lock', 'list', '--all', '--format',
                  'json').stdout == before


@pytest.mark.parametrize('store_url, fragment', [
    ('mysql+pymysql://root:pw@127.0.0.1:1/x', 'cannot reach the lock store'),
    ('postgresql+psycopg2://postgres@127.0.0.1/miglock_no_such_db',
     'does not exist'),
    ('oracle://x', 'unsupported lock store database'),
])
def test_unusable_store_gets_one_line_and_exit_1(store_url, fragment):
    result = manage(store_url, 'lock', 'list')
    assert result.returncode == 1
    assert fragment in result.stderr
    assert 'Traceback' not in result.stderr
    assert 'pw@' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_file_is_a_usage_error(url):
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable),
                      'nova-miglock-manage'),
         '--config-file', '/nonexistent.conf', 'lock', 'list'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'configuration' in result.stderr
