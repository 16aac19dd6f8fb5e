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
"""Flavor extra specs of nova-miglock, validated by Nova itself.

Registered through the ``nova.api.extra_spec_validators`` entry point, so
``openstack flavor set --property miglock:max_lease=oops`` is refused by
Nova's API before it reaches any instance.
"""

from nova.api.validation.extra_specs import base

from nova_miglock import policy
from nova_miglock import static_locks

GUEST_LOCK = policy.GUEST_LOCK_SPEC
MAX_LEASE = policy.MAX_LEASE_SPEC
MAX_HOLD = policy.MAX_HOLD_SPEC
TENANT_STATIC = policy.TENANT_STATIC_SPEC
STATIC = static_locks.FLAVOR_SPEC

EXTRA_SPEC_VALIDATORS = [
    base.ExtraSpecValidator(
        name=GUEST_LOCK,
        description=(
            'Whether instances of this flavor may lock themselves against '
            'migration through the metadata channel. Without it, '
            '[miglock]/guest_locks decides.'),
        value={
            'type': str,
            'description': 'allowed or forbidden',
            'enum': ['allowed', 'forbidden'],
        },
    ),
    base.ExtraSpecValidator(
        name=MAX_LEASE,
        description=(
            'Longest lease, in seconds, an instance of this flavor may ask '
            'for. It can only lower [miglock]/max_lease.'),
        value={
            'type': int,
            'description': 'seconds',
            'min': 1,
        },
    ),
    base.ExtraSpecValidator(
        name=MAX_HOLD,
        description=(
            'Longest time, in seconds, holds may keep an instance of this '
            'flavor locked without a break. It can only lower '
            '[miglock]/max_hold; the project quota max_hold may lower it '
            'further.'),
        value={
            'type': int,
            'description': 'seconds',
            'min': 1,
        },
    ),
    base.ExtraSpecValidator(
        name=TENANT_STATIC,
        description=(
            'Whether tenants may lock instances of this flavor with the '
            'server tag, server property or image property of a static '
            'lock. Without it, the project quota static_locks or '
            '[miglock_sla]/tenant_static_locks decides; with both, the '
            'stricter wins.'),
        value={
            'type': str,
            'description': 'allowed or forbidden',
            'enum': ['allowed', 'forbidden'],
        },
    ),
    base.ExtraSpecValidator(
        name=STATIC,
        description=(
            'Instances of this flavor never move (for example SR-IOV or GPU '
            'flavors): every live or cold migration, resize, evacuation and '
            'unshelve to another host is refused.'),
        value={
            'type': bool,
            'description': 'true to lock every instance of the flavor',
        },
    ),
]


def register():
    return EXTRA_SPEC_VALIDATORS
