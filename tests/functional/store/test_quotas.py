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
"""Project quotas and lock-second accounting on a real store."""

import uuid

import pytest

from nova_miglock import accounting
from nova_miglock import lock


def acquire(store, limits, instance, project='p', holder='db', lease=60):
    return store.acquire(instance, holder, project_id=project,
                         source=lock.SOURCE_GUEST, lease_seconds=lease,
                         reason='', limits=limits)


def test_locked_instances_quota_names_the_limit(store, limits):
    store.set_quota('p', locked_instances=1)
    first = str(uuid.uuid4())
    acquire(store, limits, first, lease=30)
    with pytest.raises(lock.QuotaExceeded) as err:
        acquire(store, limits, str(uuid.uuid4()))
    assert err.value.details['limit'] == 'locked_instances'
    assert 'locked_instances' in err.value.message
    assert 0 < err.value.retry_after <= 30
    # Renewing and adding a holder to the locked instance is still fine.
    acquire(store, limits, first, lease=30)
    acquire(store, limits, first, holder='other', lease=30)
    # Other projects are not affected.
    acquire(store, limits, str(uuid.uuid4()), project='q')


def test_lock_seconds_per_day_quota_with_retry_at_midnight(store, limits):
    store.set_quota('p', lock_seconds_per_day=100)
    instance = str(uuid.uuid4())
    acquire(store, limits, instance, lease=60)
    with pytest.raises(lock.QuotaExceeded) as err:
        acquire(store, limits, str(uuid.uuid4()), lease=60)
    assert err.value.details['limit'] == 'lock_seconds_per_day'
    assert err.value.retry_after <= 86400
    # An early release refunds the unused part of the lease.
    store.release(instance, 'db', source=lock.SOURCE_GUEST)
    acquire(store, limits, str(uuid.uuid4()), lease=60)


def test_default_quota_comes_from_config_and_can_be_restored(
        conf, store, limits):
    conf.set_override('locked_instances', 0, group='miglock_quota')
    assert store.get_quota('p')['locked_instances'] == 0
    with pytest.raises(lock.QuotaExceeded):
        acquire(store, limits, str(uuid.uuid4()))
    store.set_quota('p', locked_instances=-1)
    acquire(store, limits, str(uuid.uuid4()))
    store.set_quota('p', locked_instances=None)
    assert store.get_quota('p')['locked_instances'] == 0


@pytest.mark.parametrize('value', [-2, 1.5, 'x', True])
def test_bad_quota_values_are_refused(store, value):
    with pytest.raises(lock.InvalidRequest):
        store.set_quota('p', locked_instances=value)
    assert store.get_quota('p')['locked_instances'] == -1


def test_usage_counts_lock_seconds_per_instance_and_project(store, limits):
    instance = str(uuid.uuid4())
    since = store.now()
    acquire(store, limits, instance, holder='a')
    acquire(store, limits, instance, holder='b')
    store.advance_clock(30)
    store.release(instance, 'a', source=lock.SOURCE_GUEST)
    store.release(instance, 'b', source=lock.SOURCE_GUEST)
    usages = accounting.report(store, since=since, until=store.now(),
                               lookback_seconds=3600)
    (usage,) = usages
    assert usage.instance_uuid == instance
    assert 30 <= usage.lock_seconds < 32
    assert accounting.per_project(usages) == {'p': usage.lock_seconds}
