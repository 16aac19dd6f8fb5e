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
"""An in-place renewal writes exactly what the rule would grant.

The SQL store renews a hold with one conditional UPDATE when
``renews_in_place`` holds; the values it writes are ``renew_in_place``'s.
Here, for every instance the store could hold in that case, those values
are checked against ``decide_acquire``'s grant, and every case the
predicate refuses is one where the grant is something else (or a refusal),
so the full transaction must decide.
"""

import datetime

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from nova_miglock import decisions
from nova_miglock.decisions import holds as holds_rules
from nova_miglock import lock

T0 = datetime.datetime(2026, 11, 26, 23, 50, 0)
UUID = '8b5a3c1e-0b7e-4c55-9d54-1a2b3c4d5e6f'
LIMITS = lock.HoldLimits(max_lease=600, max_hold=1800, min_unlocked_gap=60,
                         max_holders=3)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def hold(holder, expires, source=lock.SOURCE_GUEST):
    return lock.Hold(instance_uuid=UUID, holder=holder, project_id='p',
                     source=source, reason='', acquired_at=at(-100),
                     renewed_at=at(-10), expires_at=at(expires),
                     generation=1)


@st.composite
def renewals(draw):
    """An instance as a grant of "db" left it, some time later."""
    mine = draw(st.integers(-30, 600))
    others = draw(st.lists(st.integers(-60, 700), max_size=2))
    source = draw(st.sampled_from([lock.SOURCE_GUEST, lock.SOURCE_TENANT]))
    holds = {'db': hold('db', mine, source)}
    holds.update({'o%d' % n: hold('o%d' % n, e)
                  for n, e in enumerate(others)})
    # The period's end as the last grant set it: the latest expiry then.
    until = at(max([mine] + others))
    since = at(-draw(st.integers(0, 1800)))
    state = holds_rules.InstanceHolds(
        instance_uuid=UUID, holds=holds,
        migrating=draw(st.booleans()) and draw(st.booleans()),
        locked_until=until, locked_since=since,
        charge_day=draw(st.sampled_from([T0.date(), at(-86400).date()])),
        charge_seconds=float(draw(st.integers(0, 5000))))
    request = decisions.AcquireRequest(
        holder='db', source=draw(st.sampled_from(
            [lock.SOURCE_GUEST, lock.SOURCE_GUEST, lock.SOURCE_TENANT])),
        lease_seconds=draw(st.integers(1, 600)), renew_only=True,
        not_after=draw(st.sampled_from([None, None, at(300)])))
    return state, request


@settings(max_examples=500, deadline=None)
@given(renewals())
def test_an_in_place_renewal_writes_what_decide_acquire_grants(case):
    state, request = case
    in_place = holds_rules.renews_in_place(state, request, LIMITS, T0,
                                           last_grant_is_mine=True)
    try:
        grant = decisions.decide_acquire(state, request, LIMITS, T0)
    except lock.MigLockError:
        assert not in_place  # a refusal is never renewed in place
        return
    if not in_place:
        return
    expires, charged = holds_rules.renew_in_place(state, request, T0)
    assert grant.renewal and grant.expired is None
    assert grant.expires_at == expires
    assert grant.locked_until == expires
    assert grant.locked_since == state.locked_since
    assert grant.charge_day == T0.date()
    assert grant.charge_seconds == charged


def test_a_renewal_is_tried_in_place_only_without_default_quotas():
    request = decisions.AcquireRequest(holder='db', source='guest',
                                       lease_seconds=60, renew_only=True)
    assert holds_rules.may_renew_in_place(request, LIMITS,
                                          quota_limited=False)
    assert not holds_rules.may_renew_in_place(request, LIMITS,
                                              quota_limited=True)
    acquire = decisions.AcquireRequest(holder='db', source='guest',
                                       lease_seconds=60)
    assert not holds_rules.may_renew_in_place(acquire, LIMITS,
                                              quota_limited=False)
    too_long = decisions.AcquireRequest(holder='db', source='guest',
                                        lease_seconds=601, renew_only=True)
    assert not holds_rules.may_renew_in_place(too_long, LIMITS,
                                              quota_limited=False)


def test_another_change_since_ones_grant_means_the_full_transaction():
    state = holds_rules.InstanceHolds(
        instance_uuid=UUID, holds={'db': hold('db', 100)},
        locked_until=at(100), locked_since=at(-10))
    request = decisions.AcquireRequest(holder='db', source='guest',
                                       lease_seconds=300, renew_only=True)
    assert holds_rules.renews_in_place(state, request, LIMITS, T0,
                                       last_grant_is_mine=True)
    assert not holds_rules.renews_in_place(state, request, LIMITS, T0,
                                           last_grant_is_mine=False)
