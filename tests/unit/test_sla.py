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
"""The SLA rule: configuration, flavor and project, the stricter winning."""

import datetime

from oslo_config import cfg
import pytest

from nova_miglock import conf as miglock_conf
from nova_miglock.decisions import sla
from nova_miglock.decisions import static_age
from nova_miglock import lock
from nova_miglock import policy
from nova_miglock import static_locks

A, F = 'allowed', 'forbidden'


def setting(value, rule='x'):
    return sla.Setting(value, rule)


@pytest.mark.parametrize('default, flavor, project, allowed, rule', [
    (A, None, None, True, 'conf'),
    (F, None, None, False, 'conf'),
    # An override replaces the default, in both directions.
    (F, A, None, True, 'flavor'),
    (F, None, A, True, 'project'),
    (A, F, None, False, 'flavor'),
    (A, None, F, False, 'project'),
    # Both set: the stricter wins, and names itself.
    (A, A, F, False, 'project'),
    (F, F, A, False, 'flavor'),
    (F, A, A, True, 'flavor and project'),
])
def test_permission_stricter_of_flavor_and_project_wins(
        default, flavor, project, allowed, rule):
    decided = sla.permission(setting(default, 'conf'),
                             setting(flavor, 'flavor'),
                             setting(project, 'project'))
    assert (decided.allowed, decided.rule) == (allowed, rule)


@pytest.mark.parametrize('flavor, project, seconds, rule', [
    (None, None, 3600, 'conf'),
    ('600', None, 600, 'flavor'),
    (None, 300, 300, 'project'),
    ('600', 300, 300, 'project'),
    ('200', 300, 200, 'flavor'),
    # The configured cap is the ceiling, and bad values never raise it.
    ('7200', 9000, 3600, 'conf'),
    ('oops', 0, 3600, 'conf'),
    (True, -5, 3600, 'conf'),
])
def test_cap_lowest_wins_and_configuration_is_the_ceiling(
        flavor, project, seconds, rule):
    decided = sla.cap(setting(3600, 'conf'), setting(flavor, 'flavor'),
                      setting(project, 'project'))
    assert (decided.seconds, decided.rule) == (seconds, rule)


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    miglock_conf.register_opts(conf)
    conf([], project='nova')
    return conf


def test_hold_limits_take_the_projects_caps(conf):
    limits, rule = policy.hold_limits(
        conf, {'miglock:max_lease': '900'},
        {'max_lease': 300, 'max_hold': 1200})
    assert (limits.max_lease, limits.max_hold) == (300, 1200)
    assert rule == 'project quota max_lease=300'
    with pytest.raises(lock.LeaseTooLong, match='project quota max_lease'):
        policy.check_lease(limits, rule, 301)


def test_project_forbids_guest_locks_a_flavor_allows(conf):
    with pytest.raises(lock.NotPermitted) as caught:
        policy.check_guest_may_lock(conf, {'miglock:guest_lock': A},
                                    {'guest_locks': F})
    assert caught.value.details['rule'] == 'project quota guest_locks=' + F


def test_tenant_locks_do_not_count_where_the_flavor_forbids_them(conf):
    found = static_locks.evaluate(
        conf, tags=['miglock:static'],
        metadata={'miglock:static': 'true'},
        system_metadata={'image_miglock_static': 'true'},
        extra_specs={'miglock:tenant_static': F, 'miglock:static': 'true'})
    assert [s.kind for s in found] == ['flavor']
    found = static_locks.evaluate(
        conf, tags=['miglock:static'],
        system_metadata={'image_miglock_static': 'true'})
    assert [s.kind for s in found] == ['tag', 'image']


def _age(action='lapse', notified=()):
    since = datetime.datetime(2026, 11, 1)
    return static_age.StaticAge(
        instance_uuid='u', project_id='p', static_locks=(),
        static_since=since,
        max_age_at=static_age.max_age_at(since, 86400 * 10),
        action=action, notified=frozenset(notified))


@pytest.mark.parametrize('hours, action, notified, expected', [
    (200, 'lapse', (), None),                 # 8.3 days: nothing yet
    (216, 'lapse', (), 'expiring'),           # 9 days: a day ahead
    (230, 'lapse', ('expiring',), None),      # warned once only
    (240, 'lapse', ('expiring',), 'lapsed'),  # 10 days: lapse
    (240, 'notify', ('expiring',), 'overdue'),
    (300, 'lapse', ('expiring', 'lapsed'), None),
    (300, 'lapse', (), 'lapsed'),             # late: no warning any more
])
def test_static_age_notices_are_due_once_each(hours, action, notified,
                                              expected):
    age = _age(action, notified)
    now = age.static_since + datetime.timedelta(hours=hours)
    assert static_age.due(age, now, warning=86400) == expected
