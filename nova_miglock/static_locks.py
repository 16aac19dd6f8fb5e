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
"""Static locks: what a tenant or operator configured in Nova.

A server tag, a server property, a flavor extra spec or an image property
locks an instance until it is removed. They are read from Nova's own
objects (or notification payloads) and handed to the store as facts.
"""

from oslo_utils import strutils

from nova_miglock import lock
from nova_miglock import policy

# Nova copies image properties into system metadata under this prefix.
IMAGE_PREFIX = 'image_'

KIND_TAG = 'tag'
KIND_PROPERTY = 'property'
KIND_FLAVOR = 'flavor'
KIND_IMAGE = 'image'
KINDS_IN_PAYLOAD = (KIND_TAG, KIND_PROPERTY, KIND_FLAVOR)
# In the order they are reported.
KINDS = (KIND_TAG, KIND_PROPERTY, KIND_FLAVOR, KIND_IMAGE)
# A tenant's: charged, bounded in age, and governed by the SLA. The flavor's
# is the operator's.
TENANT_KINDS = (KIND_TAG, KIND_PROPERTY, KIND_IMAGE)
# Those nova-miglock can take off an instance when they lapse: an image
# property belongs to the image, maybe shared.
REMOVABLE_KINDS = (KIND_TAG, KIND_PROPERTY)

FLAVOR_SPEC = 'miglock:static'


def _true(value):
    return strutils.bool_from_string(value, default=False)


def evaluate(conf, *, tags=(), metadata=None, extra_specs=None,
             system_metadata=None):
    """The static locks of an instance, from plain Nova attributes.

    A tenant's locks (tag, property, image) count only where the flavor's
    ``miglock:tenant_static`` or ``[miglock_sla]/tenant_static_locks``
    allows them: the compute API refuses to set a tag or property where
    they do not, but an image property, a flavor changed by a resize or a
    lock set before the SLA changed reach us without asking.
    """
    found = list(_tenant_locks(conf, tags, metadata, system_metadata)
                 if tenant_may_lock(conf, extra_specs) else ())
    value = (extra_specs or {}).get(FLAVOR_SPEC)
    if value is not None and _true(value):
        found.append(lock.StaticLock(KIND_FLAVOR, FLAVOR_SPEC, value))
    return tuple(sorted(found, key=lambda s: KINDS.index(s.kind)))


def tenant_may_lock(conf, extra_specs):
    """The configuration and flavor part of the tenant's static lock SLA.

    The project's part needs the store; the gate judges it when the lock
    is set.
    """
    return policy.tenant_static_permission(conf, extra_specs).allowed


def _tenant_locks(conf, tags, metadata, system_metadata):
    found = []
    if conf.miglock.static_tag in (tags or ()):
        found.append(lock.StaticLock(KIND_TAG, conf.miglock.static_tag))
    value = (metadata or {}).get(conf.miglock.static_property)
    if value is not None and _true(value):
        found.append(lock.StaticLock(KIND_PROPERTY,
                                     conf.miglock.static_property, value))
    key = IMAGE_PREFIX + conf.miglock.static_image_property
    value = (system_metadata or {}).get(key)
    if value is not None and _true(value):
        found.append(lock.StaticLock(KIND_IMAGE,
                                     conf.miglock.static_image_property,
                                     value))
    return found


def from_instance(conf, instance, tags=None):
    """Static locks of a Nova ``Instance`` object.

    ``tags`` overrides the instance's tags, for instances loaded without
    them (the metadata service does not load tags).
    """
    if tags is None:
        tags = [t.tag for t in (instance.tags or [])]
    return evaluate(
        conf,
        tags=tags,
        metadata=instance.metadata or {},
        extra_specs=(instance.flavor.extra_specs or {}
                     if instance.flavor else {}),
        system_metadata=instance.system_metadata or {})


def from_payload(conf, payload):
    """Static locks in a versioned ``instance.update`` payload.

    The payload carries tags, metadata and the flavor, not image properties,
    so only ``KINDS_IN_PAYLOAD`` are judged from it.
    """
    flavor = payload.get('flavor', {}).get('nova_object.data', {})
    return evaluate(conf, tags=payload.get('tags') or (),
                    metadata=payload.get('metadata') or {},
                    extra_specs=flavor.get('extra_specs') or {})
