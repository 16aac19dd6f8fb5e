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
"""``nova-miglock-manage model show`` on a real store, run as an operator."""

import json
import uuid

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.testing import fixtures
from tests.functional.test_manage import manage

INSTANCE = str(uuid.uuid4())


def _history(url, periods=6):
    """Holds of the project that ended, then one still running."""
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    limits = lock.HoldLimits(max_lease=3600, max_hold=7200,
                             min_unlocked_gap=0, max_holders=8)
    for n in range(periods):
        other = str(uuid.uuid4())
        store.acquire(other, 'job', project_id='proj',
                      source=lock.SOURCE_GUEST, lease_seconds=60,
                      reason='', limits=limits)
        store.release(other, 'job', source=lock.SOURCE_GUEST)
    store.acquire(INSTANCE, 'job', project_id='proj',
                  source=lock.SOURCE_GUEST, lease_seconds=600,
                  reason='batch', limits=limits)
    store.dispose()


def test_model_show_says_what_it_learnt_and_from_what(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    assert manage(url, 'db', 'sync').returncode == 0
    _history(url)
    result = manage(url, 'model', 'show', INSTANCE, '--format', 'json')
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data['instance_uuid'] == INSTANCE
    assert data['project_id'] == 'proj'
    levels = {h['level']: h for h in data['history']}
    assert levels['project']['locked_periods_ended'] == 6
    assert levels['project']['instances'] == 7
    # Locked now: how long, and how much longer it should last.
    assert data['locked_for_seconds'] is not None
    assert data['remaining_seconds']['p50'] is not None
    assert data['ledger_rows'] == 6 * 2 + 1
    table = manage(url, 'model', 'show', INSTANCE)
    assert table.returncode == 0
    assert 'locked period P50' in table.stdout and 'project' in table.stdout


def test_model_show_of_an_unknown_instance_uses_the_prior(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    assert manage(url, 'db', 'sync').returncode == 0
    result = manage(url, 'model', 'show', str(uuid.uuid4()), '--format',
                    'json')
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data['weights'] == {'prior': 1.0}
    assert data['locked_for_seconds'] is None


def test_model_show_refuses_bad_input(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    assert manage(url, 'db', 'sync').returncode == 0
    for args in (('not-a-uuid',), (INSTANCE, '--days', '0'),
                 (INSTANCE, '--days', '9999')):
        result = manage(url, 'model', 'show', *args)
        assert result.returncode == 2, (args, result.stderr)
        assert 'error:' in result.stderr.splitlines()[-1]
        assert 'Traceback' not in result.stderr
