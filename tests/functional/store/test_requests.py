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
"""Move requests and the lease cap, on a real store of each engine."""

import datetime
import uuid

import pytest

from nova_miglock import lock
from nova_miglock.store.sql import models

PROJECT = 'project-a'


def acquire(store, limits, instance, lease=600, holder='db'):
    hold, _state = store.acquire(instance, holder, project_id=PROJECT,
                                 source=lock.SOURCE_GUEST,
                                 lease_seconds=lease, reason='',
                                 limits=limits)
    return hold


def request(store, instance, seconds=120, reason='host maintenance'):
    return store.open_move_request(instance, project_id=PROJECT,
                                   reason=reason, seconds=seconds,
                                   actor='operator:test')


def test_leases_granted_after_a_request_end_by_its_deadline(store, limits):
    instance = str(uuid.uuid4())
    before = acquire(store, limits, instance)
    req, opened = request(store, instance)
    assert opened and req.reason == 'host maintenance'
    # A lease granted before the request keeps its expiry...
    assert store.get_state(instance).holds[0].expires_at == \
        before.expires_at
    # ...its renewal and any new hold end by not_before.
    renewed = acquire(store, limits, instance)
    other = acquire(store, limits, instance, holder='backup')
    assert renewed.expires_at == req.not_before == other.expires_at
    short = acquire(store, limits, instance, lease=10, holder='short')
    assert short.expires_at < req.not_before
    events = [e['event'] for e in store.ledger(instance_uuid=instance)]
    assert events[:2] == ['acquire', 'move_requested']


def test_no_new_lease_once_the_deadline_passed(store, limits):
    instance = str(uuid.uuid4())
    request(store, instance, seconds=1)
    with store.sql_engine.begin() as conn:
        conn.execute(models.move_requests.update().values(
            not_before=datetime.datetime(2000, 1, 1)))
    with pytest.raises(lock.MoveRequested) as err:
        acquire(store, limits, instance)
    assert err.value.reason == 'move_requested'
    assert 'host maintenance' in err.value.message
    assert isinstance(err.value, lock.MigrationInProgress)
    closed = store.close_move_request(instance, outcome='moved',
                                      actor='operator:test')
    assert closed.instance_uuid == instance
    assert acquire(store, limits, instance).expires_at > store.now()
    assert store.get_move_request(instance) is None
    assert store.ledger(instance_uuid=instance)[-2]['event'] == \
        'request_closed'


def test_a_second_request_keeps_the_earlier_deadline(store):
    instance = str(uuid.uuid4())
    first, _ = request(store, instance, seconds=600)
    later, opened = request(store, instance, seconds=3600, reason='other')
    assert not opened and later.not_before == first.not_before
    sooner, _ = request(store, instance, seconds=60)
    assert sooner.not_before < first.not_before
    assert store.get_move_request(instance).not_before == sooner.not_before
    assert sooner.reason == 'host maintenance'
    assert [e['event'] for e in store.ledger(instance_uuid=instance)] == [
        'move_requested']


def test_closing_without_a_request_changes_nothing(store):
    instance = str(uuid.uuid4())
    assert store.close_move_request(instance, outcome='x', actor='y') is None
    assert store.ledger(instance_uuid=instance) == []


def test_approval_ends_the_guest_s_holds_and_no_new_one_comes(store,
                                                              limits):
    instance = str(uuid.uuid4())
    with pytest.raises(lock.NotHeld):
        store.approve_move_request(instance, actor='guest')
    acquire(store, limits, instance)
    store.acquire(instance, 'tenant-pin', project_id=PROJECT,
                  source=lock.SOURCE_TENANT, lease_seconds=60, reason='',
                  limits=limits)
    request(store, instance)
    approved, ended = store.approve_move_request(instance, actor='guest')
    assert approved.approved_at is not None
    assert [h.holder for h in ended] == ['db']
    # The tenant's hold is the tenant's to end.
    assert [h.holder for h in store.get_state(instance).holds] == [
        'tenant-pin']
    with pytest.raises(lock.MoveRequested):
        acquire(store, limits, instance)
    again, ended = store.approve_move_request(instance, actor='guest')
    assert again.approved_at == approved.approved_at and ended == []
    assert store.close_move_request(
        instance, outcome='moved', actor='operator').approved_at
    assert 'approve' in [e['event'] for e in store.ledger(
        instance_uuid=instance)]


def test_open_requests_are_listed_soonest_first_up_to_the_limit(store):
    later, sooner, closed = (str(uuid.uuid4()) for _ in range(3))
    request(store, later, seconds=600)
    request(store, sooner, seconds=60)
    request(store, closed, seconds=30)
    store.close_move_request(closed, outcome='cancelled', actor='test')
    assert [r.instance_uuid for r in store.list_move_requests()] == [
        sooner, later]
    assert [r.instance_uuid for r in store.list_move_requests(limit=1)] == [
        sooner]


def test_the_sla_grace_lets_leases_run_past_not_before(store, conf, limits):
    conf.set_override('move_request_grace', 60, 'miglock')
    instance = str(uuid.uuid4())
    req, _opened = request(store, instance)
    hold = acquire(store, limits, instance)
    assert hold.expires_at == req.not_before + datetime.timedelta(
        seconds=60)


def test_without_the_cap_a_request_is_a_notice_only(store, conf, limits):
    conf.set_override('move_request_caps_leases', False, 'miglock')
    instance = str(uuid.uuid4())
    req, _opened = request(store, instance)
    assert acquire(store, limits, instance).expires_at > req.not_before
    with store.sql_engine.begin() as conn:
        conn.execute(models.move_requests.update().values(
            not_before=datetime.datetime(2000, 1, 1)))
    # Past not_before a lock is still granted: the SLA keeps them...
    assert acquire(store, limits, instance, holder='late').expires_at > \
        store.now()
    # ...but a guest that approved the move gets none.
    store.approve_move_request(instance, actor='guest')
    with pytest.raises(lock.MoveRequested):
        acquire(store, limits, instance)
