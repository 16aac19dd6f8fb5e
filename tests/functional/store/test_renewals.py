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
"""Renewing one's own hold in place, and falling back when it cannot be.

A renewal of the holder's active hold, the instance's last change, is one
conditional UPDATE of the instance row, then the hold and its ledger row;
on PostgreSQL the three and the state read are one statement, prepared
once per server session.
Whenever the rule's answer could be anything else (another holder's grant
since, a move requested or admitted, a quota, ``max_hold``, an expired or
foreign hold), the UPDATE matches nothing and the full transaction
decides, with the same result as before.
"""

import dataclasses
import uuid

import pytest
import sqlalchemy as sa

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import models
from nova_miglock.testing import fixtures

PROJECT = 'project-r'


@pytest.fixture
def sent(store):
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.split()[0].upper() not in ('BEGIN', 'COMMIT',
                                                'ROLLBACK'):
            statements.append(statement.split()[0].upper())

    sa.event.listen(store.sql_engine, 'before_cursor_execute', count)
    yield statements
    sa.event.remove(store.sql_engine, 'before_cursor_execute', count)


def in_place(store):
    """What a renewal in place sends, PREPARE excepted."""
    if store.renews_in_one_statement:
        return ['EXECUTE']
    return ['UPDATE', 'UPDATE', 'INSERT', 'SELECT']


def sent_without_prepare(sent):
    return [s for s in sent if s != 'PREPARE']


def acquire(store, limits, instance, holder='db', lease=600, **kwargs):
    return store.try_acquire(instance, holder, project_id=PROJECT,
                             source=kwargs.pop('source', lock.SOURCE_GUEST),
                             lease_seconds=lease, reason='r', limits=limits,
                             **kwargs)


def renew(store, limits, instance, holder='db', lease=600, **kwargs):
    return acquire(store, limits, instance, holder, lease, renew_only=True,
                   **kwargs)


def _ledger(store, instance):
    with store.sql_engine.connect() as conn:
        return [r._mapping for r in conn.execute(
            sa.select(models.ledger).where(
                models.ledger.c.instance_uuid == instance)
            .order_by(models.ledger.c.id))]


def test_renewing_ones_own_hold_is_one_conditional_update(store, limits,
                                                          sent):
    instance = str(uuid.uuid4())
    first, _ = acquire(store, limits, instance)
    store.advance_clock(100)
    del sent[:]
    hold, state = renew(store, limits, instance)
    assert sent_without_prepare(sent) == in_place(store)
    now = store.now()
    assert 590 < (hold.expires_at - now).total_seconds() <= 600
    assert hold.acquired_at == first.acquired_at
    assert hold.generation == first.generation + 1 == state.generation
    assert state.locked and [h.holder for h in state.holds] == ['db']
    last = _ledger(store, instance)[-1]
    assert (last['event'], last['holder'], last['expires_at']) == (
        lock.EVENT_RENEW, 'db', hold.expires_at)
    assert last['actor'] == lock.SOURCE_GUEST
    # As the full transaction charges it: the period grew by ~100 s.
    with store.sql_engine.connect() as conn:
        charged = conn.execute(sa.select(models.instances.c.charge_seconds)
                               ).scalar()
    assert 699 < charged < 720


def test_another_holders_grant_since_makes_the_full_transaction_decide(
        store, limits, sent):
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    acquire(store, limits, instance, holder='backup', lease=60)
    del sent[:]
    hold, state = renew(store, limits, instance)
    tried = in_place(store)[0]
    assert sent_without_prepare(sent)[0] == tried
    assert len(sent_without_prepare(sent)) > 4  # tried, then the full one
    assert {h.holder for h in state.holds} == {'db', 'backup'}
    del sent[:]
    renew(store, limits, instance)  # now its grant is the last change
    assert sent_without_prepare(sent) == in_place(store)


def test_a_move_requested_caps_the_renewal_at_its_deadline(store, limits):
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    store.open_move_request(instance, project_id=PROJECT, reason='m',
                            seconds=120, actor='operator:test')
    hold, _ = renew(store, limits, instance)
    assert (hold.expires_at - store.now()).total_seconds() <= 120


def test_a_renewal_during_a_move_is_refused(store, limits):
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    store.break_and_admit(instance, project_id=PROJECT, kind='migrate',
                          request_id='r', reason='test',
                          actor='operator:test')
    with pytest.raises(lock.MigrationInProgress):
        renew(store, limits, instance)


def test_an_expired_or_foreign_hold_is_not_renewed(store, limits):
    instance = str(uuid.uuid4())
    acquire(store, limits, instance, lease=10)
    with pytest.raises(lock.NotHeld):
        renew(store, limits, instance, source=lock.SOURCE_TENANT)
    store.advance_clock(11)
    with pytest.raises(lock.NotHeld):
        renew(store, limits, instance)


def test_max_hold_still_cuts_a_renewal(store, limits, sent):
    limits = dataclasses.replace(limits, max_hold=1000)
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    store.advance_clock(100)
    renew(store, limits, instance)  # ends at 700 s, before max_hold
    store.advance_clock(400)
    del sent[:]
    hold, _ = renew(store, limits, instance)  # 1100 s would be past it
    assert len(sent) > 4
    left = (hold.expires_at - store.now()).total_seconds()
    assert 490 < left <= 500


def test_a_projects_quota_makes_the_full_transaction_decide(store, limits,
                                                            sent):
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    store.set_quota(PROJECT, lock_seconds_per_day=10 ** 6)
    del sent[:]
    renew(store, limits, instance)
    assert len(sent) > 4


def test_a_renewal_in_place_returns_every_holders_hold(store, limits, sent):
    instance = str(uuid.uuid4())
    acquire(store, limits, instance, holder='backup', lease=300)
    acquire(store, limits, instance)  # db's grant is the last change
    del sent[:]
    hold, state = renew(store, limits, instance)
    assert sent_without_prepare(sent) == in_place(store)
    fresh = store.get_state(instance)
    assert (state.holds, state.generation, state.locked_until,
            state.locked_since) == (fresh.holds, fresh.generation,
                                    fresh.locked_until, fresh.locked_since)
    assert [h.holder for h in state.holds] == ['backup', 'db']
    assert hold == state.holds[1]


@pytest.fixture
def postgresql_store(store):
    if store.sql_engine.dialect.name != 'postgresql':
        pytest.skip('the single-statement renewal is PostgreSQL only')
    return store


def test_postgresql_prepares_the_renewal_once_per_server_session(
        postgresql_store, limits, sent):
    store = postgresql_store
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    del sent[:]
    renew(store, limits, instance)
    renew(store, limits, instance)
    assert sent == ['PREPARE', 'EXECUTE', 'EXECUTE']
    # A moved clock is another statement, prepared again.
    store.advance_clock(50)
    del sent[:]
    hold, _ = renew(store, limits, instance)
    assert sent == ['PREPARE', 'EXECUTE']
    assert 590 < (hold.expires_at - store.now()).total_seconds() <= 600
    # A new server session (the old one ended under the pool) prepares
    # it again rather than executing a statement it does not know.
    with store.sql_engine.connect() as conn:
        conn.exec_driver_sql(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            'WHERE datname = current_database() AND pid <> '
            'pg_backend_pid()')
    store.sql_engine.pool.dispose()
    del sent[:]
    hold, state = renew(store, limits, instance)
    assert sent == ['PREPARE', 'EXECUTE']
    assert [h.holder for h in state.holds] == ['db']


def test_a_statement_deallocated_behind_the_stores_back_is_prepared_again(
        postgresql_store, limits, sent):
    store = postgresql_store
    instance = str(uuid.uuid4())
    acquire(store, limits, instance)
    renew(store, limits, instance)
    with store.sql_engine.connect() as conn:  # the pool's one connection
        conn.exec_driver_sql('DEALLOCATE ALL')
        conn.commit()
    del sent[:]
    hold, state = renew(store, limits, instance)
    assert sent == ['EXECUTE', 'PREPARE', 'EXECUTE']
    assert [h.holder for h in state.holds] == ['db'] == [hold.holder]


def test_postgresql_without_prepared_statements_sends_the_statement(
        database, limits):
    if database.engine_name != 'postgresql':
        pytest.skip('PostgreSQL only')
    conf = fixtures.make_conf()
    conf.set_override('prepare_statements', False, 'miglock_store')
    store = driver.SQLLockStore(conf, connection=database.url)
    try:
        statements = []
        sa.event.listen(store.sql_engine, 'before_cursor_execute',
                        lambda c, cur, statement, *a: statements.append(
                            statement.split()[0].upper()))
        instance = str(uuid.uuid4())
        acquire(store, limits, instance)
        del statements[:]
        hold, state = renew(store, limits, instance)
        assert statements == ['WITH']
        assert [h.holder for h in state.holds] == ['db'] == [hold.holder]
    finally:
        store.dispose()
