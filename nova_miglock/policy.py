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

Flavor extra specs are the instance's SLA: ``miglock:guest_lock`` says
whether the guest may lock itself and ``miglock:max_lease`` lowers the lease
cap. People (tenants, operators) are governed by oslo.policy rules
(``nova_miglock.policies``). Every refusal names the rule that refused it.
"""

import threading

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from nova_miglock import lock
from nova_miglock import policies

_ENFORCER = None
_ENFORCER_LOCK = threading.Lock()

GUEST_LOCK_SPEC = 'miglock:guest_lock'
MAX_LEASE_SPEC = 'miglock:max_lease'
ALLOWED = 'allowed'


def check_guest_may_lock(conf, extra_specs):
    """Raise NotPermitted unless the flavor (or the default) allows it."""
    value = (extra_specs or {}).get(GUEST_LOCK_SPEC)
    if value is not None:
        if value.strip().lower() != ALLOWED:
            raise lock.NotPermitted(
                'migration locks by the guest are forbidden for this '
                "instance's flavor (extra spec %s=%s)"
                % (GUEST_LOCK_SPEC, value),
                rule='flavor %s' % GUEST_LOCK_SPEC)
        return
    if conf.miglock.guest_locks != ALLOWED:
        raise lock.NotPermitted(
            'migration locks by the guest are forbidden unless the flavor '
            'allows them (extra spec %s=allowed; [miglock]/guest_locks=%s)'
            % (GUEST_LOCK_SPEC, conf.miglock.guest_locks),
            rule='[miglock]/guest_locks')


def hold_limits(conf, extra_specs=None):
    """The caps of one acquire: configuration, lowered by the flavor."""
    max_lease, rule = conf.miglock.max_lease, '[miglock]/max_lease'
    value = (extra_specs or {}).get(MAX_LEASE_SPEC)
    if value is not None:
        try:
            flavor_cap = int(value)
        except ValueError:
            flavor_cap = None
        if flavor_cap is not None and 0 < flavor_cap < max_lease:
            max_lease = flavor_cap
            rule = 'flavor extra spec %s=%d' % (MAX_LEASE_SPEC, flavor_cap)
    return lock.HoldLimits(max_lease=max_lease,
                           max_hold=conf.miglock.max_hold,
                           min_unlocked_gap=conf.miglock.min_unlocked_gap,
                           max_holders=conf.miglock.max_holders), rule


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
