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
"""Tenants' static locks are charged, counted and aged; the tax bites.

Through the LockManager on a real store of each engine, time moved by the
store's clock seam.
"""

import datetime
import uuid

import pytest

from nova_miglock import accounting
from nova_miglock import lock
from nova_miglock import manager as lock_manager

TAG = lock.StaticLock('tag', 'miglock:static')
FLAVOR = lock.StaticLock('flavor', 'miglock:static', 'true')


class Capture:
    """Stands in for the oslo.messaging notifier (tested elsewhere)."""

    def __init__(self):
        self.sent = []

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self.sent.append((name,) + args)
        return record


@pytest.fixture
def notifier():
    return Capture()


@pytest.fixture
def manager(conf, store, notifier):
    return lock_manager.LockManager(conf, store=store, notifier=notifier)


def target(instance, project='p', static=()):
    return lock_manager.Target(instance_uuid=instance, project_id=project,
                               static_locks=tuple(static))


def set_static(manager, instance, static, project='p'):
    manager.mirror_static_locks(target(instance, project, static),
                                kinds=('tag', 'property', 'flavor'))


def test_a_tenant_static_lock_is_charged_like_a_hold(manager, store,
                                                     stopwatch):
    tagged, flavored = str(uuid.uuid4()), str(uuid.uuid4())
    start = store.now()
    set_static(manager, tagged, [TAG])
    set_static(manager, flavored, [FLAVOR])
    store.advance_clock(100)
    # A hold during the static lock is not charged twice.
    manager.acquire(target(tagged), 'db', source='tenant', lease_seconds=50)
    store.advance_clock(100)
    set_static(manager, tagged, [])
    store.advance_clock(100)
    usages = manager.usage(since=start, until=store.now())
    # The operator's flavor lock is not the tenant's to pay.
    assert [(u.instance_uuid, u.holds) for u in usages] == [(tagged, 2)]
    assert 200 <= usages[0].lock_seconds <= 200 + stopwatch.elapsed()


def test_static_locks_count_in_the_locked_instances_quota(manager, store):
    manager.set_quota('p', locked_instances=1)
    tagged = str(uuid.uuid4())
    set_static(manager, tagged, [TAG])
    with pytest.raises(lock.QuotaExceeded) as caught:
        manager.acquire(target(str(uuid.uuid4())), 'db', source='tenant',
                        lease_seconds=60)
    assert caught.value.details['limit'] == 'locked_instances'
    # The statically locked instance itself may still be held.
    manager.acquire(target(tagged), 'db', source='tenant', lease_seconds=60)
    set_static(manager, tagged, [])
    manager.release(target(tagged), 'db', source='tenant')
    manager.acquire(target(str(uuid.uuid4())), 'db', source='tenant',
                    lease_seconds=60)


def test_an_old_static_lock_is_warned_then_lapsed_once(conf, manager, store,
                                                       notifier, stopwatch):
    conf.set_override('static_max_age', 1000, group='miglock_sla')
    conf.set_override('static_warning', 100, group='miglock_sla')
    tagged = str(uuid.uuid4())
    set_static(manager, tagged, [TAG])
    removed = []
    assert manager.age_static_locks(remove=removed.append) == []
    store.advance_clock(950)
    assert [n for n, _a in manager.age_static_locks(
        remove=removed.append)] == ['expiring']
    assert manager.age_static_locks(remove=removed.append) == []
    store.advance_clock(100)
    given = manager.age_static_locks(remove=removed.append)
    assert [n for n, _a in given] == ['lapsed'] and len(removed) == 1
    assert removed[0].static_locks == (TAG,)
    assert manager.age_static_locks(remove=removed.append) == []
    assert [s[1] for s in notifier.sent if s[0] == 'static_aged'] == [
        'expiring', 'lapsed']
    # The lapse ends the charge, even before Nova reports the tag gone.
    start = store.now() - datetime.timedelta(seconds=1050)
    store.advance_clock(500)
    (usage,) = manager.usage(since=start, until=store.now())
    # From 1050 s before the lapse was seen, less the real time since.
    assert 1050 - stopwatch.elapsed() <= usage.lock_seconds <= 1050


def test_notify_only_keeps_the_lock_and_says_overdue(conf, manager, store):
    conf.set_override('static_max_age', 1000, group='miglock_sla')
    conf.set_override('static_max_age_action', 'notify', group='miglock_sla')
    set_static(manager, str(uuid.uuid4()), [TAG])
    store.advance_clock(1001)
    removed = []
    given = manager.age_static_locks(remove=removed.append)
    # Past the maximum age the warning is moot: only overdue is said.
    assert [n for n, _a in given] == ['overdue'] and removed == []


def test_the_tax_rate_cuts_leases_once_rated(conf, manager, store):
    conf.set_override('enabled', True, group='miglock_tax')
    conf.set_override('allowance_seconds', 100, group='miglock_tax')
    busy, calm = str(uuid.uuid4()), str(uuid.uuid4())
    start = store.now()
    manager.acquire(target(busy), 'db', source='tenant', lease_seconds=300)
    manager.acquire(target(calm, 'q'), 'db', source='tenant',
                    lease_seconds=50)
    store.advance_clock(400)
    taxes = {t.project_id: t for t in manager.rate_projects(since=start)}
    # p used 300 s of 100: two allowances over, rate 3; q is within.
    assert (taxes['p'].rate, taxes['q'].rate) == (3.0, 1.0)
    assert taxes['p'].charged_seconds == pytest.approx(900, abs=2)
    assert manager.get_quota('p')['tax_rate'] == 3.0
    assert manager.get_quota('q')['tax_rate'] is None
    grant = manager.acquire(target(busy), 'db', source='tenant',
                            lease_seconds=300)
    assert (grant.granted_seconds, grant.to_dict()['lease_capped_by']) == (
        100, 'tax')
    grant = manager.acquire(target(calm, 'q'), 'db', source='tenant',
                            lease_seconds=300)
    assert grant.granted_seconds == 300


def test_refused_moves_raise_the_rate(manager, store):
    tagged = str(uuid.uuid4())
    for _ in range(4):
        with pytest.raises(lock.InstanceLocked):
            manager.admit_move(target(tagged, static=[TAG]),
                               kind='live-migration')
    (found,) = manager.project_taxes()
    assert (found.project_id, found.refused_moves, found.rate) == (
        'p', 4, 1.2)


def test_lives_folded_by_the_database_give_the_rows_usage(manager, store):
    """The GROUP BY report equals the row-by-row one on one history."""
    instances = [str(uuid.uuid4()) for _ in range(3)]
    start = store.now()
    for i, instance in enumerate(instances):
        manager.acquire(target(instance), 'db', source='tenant',
                        lease_seconds=100 + 50 * i)
        manager.acquire(target(instance), 'etl', source='tenant',
                        lease_seconds=80)
    store.advance_clock(30)
    manager.acquire(target(instances[0]), 'db', source='tenant',
                    lease_seconds=300)
    manager.release(target(instances[1]), 'etl', source='tenant')
    set_static(manager, instances[2], [TAG])
    store.advance_clock(200)
    manager.reap()
    set_static(manager, instances[2], [])
    store.advance_clock(50)
    until = store.now()
    by_rows = accounting.usage(store.hold_events(since=start, until=until),
                               since=start, until=until, now=until)
    by_group = manager.usage(since=start, until=until)
    assert by_group == by_rows
    assert len(by_rows) == 3
