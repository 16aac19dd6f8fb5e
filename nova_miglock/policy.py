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
"""Who may lock, and for how long.

The configuration, the flavor's extra specs and the project's limits are
the instance's SLA, combined by ``nova_miglock.decisions.sla``:
``miglock:guest_lock`` says whether the guest may lock itself,
``miglock:tenant_static`` whether the tenant may set a static lock, and
``miglock:max_lease`` and ``miglock:max_hold`` lower the caps. People
(tenants, operators) are governed by oslo.policy rules
(``nova_miglock.policies``). Every refusal names the rule that refused it.
"""

import threading

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from nova_miglock.decisions import sla
from nova_miglock import lock
from nova_miglock import policies

_ENFORCER = None
_ENFORCER_LOCK = threading.Lock()

GUEST_LOCK_SPEC = 'miglock:guest_lock'
MAX_LEASE_SPEC = 'miglock:max_lease'
MAX_HOLD_SPEC = 'miglock:max_hold'
TENANT_STATIC_SPEC = 'miglock:tenant_static'
ALLOWED = sla.ALLOWED


def _flavor(extra_specs, spec):
    value = (extra_specs or {}).get(spec)
    return sla.Setting(value, 'flavor extra spec %s=%s' % (spec, value))


def _project(project_sla, name):
    value = (project_sla or {}).get(name)
    return sla.Setting(value, 'project quota %s=%s' % (name, value))


def _default(conf, group, name):
    value = getattr(conf[group], name)
    return sla.Setting(value, '[%s]/%s=%s' % (group, name, value))


def check_guest_may_lock(conf, extra_specs, project_sla=None):
    """Raise NotPermitted unless the SLA lets the guest lock itself.

    ``project_sla``: the project's limits (``LockManager.get_quota``), or
    None where only the flavor and the configuration count.
    """
    decided = sla.permission(
        _default(conf, 'miglock', 'guest_locks'),
        _flavor(extra_specs, GUEST_LOCK_SPEC),
        _project(project_sla, 'guest_locks'))
    if not decided.allowed:
        raise lock.NotPermitted(
            'migration locks by the guest are forbidden for this instance '
            '(%s)' % decided.rule, rule=decided.rule)


def check_tenant_may_lock(conf, extra_specs, project_sla=None):
    """Raise NotPermitted unless the SLA lets the tenant set a static lock.

    Only a tenant's server tag, server property or image property; the
    flavor's ``miglock:static`` is the operator's and always counts.
    """
    decided = tenant_static_permission(conf, extra_specs, project_sla)
    if not decided.allowed:
        raise lock.NotPermitted(
            'static migration locks by the tenant are forbidden for this '
            'instance (%s)' % decided.rule, rule=decided.rule)


def tenant_static_permission(conf, extra_specs, project_sla=None):
    """The ``sla.Permission`` of a tenant's static locks."""
    return sla.permission(
        _default(conf, 'miglock_sla', 'tenant_static_locks'),
        _flavor(extra_specs, TENANT_STATIC_SPEC),
        _project(project_sla, 'static_locks'))


def hold_limits(conf, extra_specs=None, project_sla=None):
    """The caps of one acquire: configuration, lowered by flavor, project.

    :returns: ``(HoldLimits, rule)``, the rule naming what set max_lease.
    """
    lease = sla.cap(
        sla.Setting(conf.miglock.max_lease, '[miglock]/max_lease'),
        _flavor(extra_specs, MAX_LEASE_SPEC),
        _project(project_sla, 'max_lease'))
    hold = sla.cap(
        sla.Setting(conf.miglock.max_hold, '[miglock]/max_hold'),
        _flavor(extra_specs, MAX_HOLD_SPEC),
        _project(project_sla, 'max_hold'))
    return lock.HoldLimits(max_lease=lease.seconds,
                           max_hold=hold.seconds,
                           min_unlocked_gap=conf.miglock.min_unlocked_gap,
                           max_holders=conf.miglock.max_holders), lease.rule


def check_lease(limits, rule, lease_seconds):
    """Refuse a lease over the cap, naming the rule that set the cap."""
    if lease_seconds > limits.max_lease:
        raise lock.LeaseTooLong(
            'lease of %d s is over the cap of %d s (%s)'
            % (lease_seconds, limits.max_lease, rule),
            limit=limits.max_lease, rule=rule)


def get_enforcer(conf=None):
    """The enforcer of our rules; also the ``oslo.policy.enforcer`` hook.

    It reads the same policy file as Nova, so operators override our rules
    in Nova's policy.yaml.
    """
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is None:
            _ENFORCER = oslo_policy.Enforcer(conf or cfg.CONF)
            _ENFORCER.register_defaults(policies.list_rules())
        return _ENFORCER


def reset_enforcer():
    global _ENFORCER
    with _ENFORCER_LOCK:
        _ENFORCER = None


def authorize(context, rule, target):
    """Raise NotPermitted unless ``context`` may apply ``rule``."""
    credentials = context.to_policy_values()
    if not get_enforcer().enforce(rule, target, credentials):
        raise lock.NotPermitted('policy %s does not allow this' % rule,
                                rule=rule)
