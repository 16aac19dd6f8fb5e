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

# Nova copies image properties into system metadata under this prefix.
IMAGE_PREFIX = 'image_'

KIND_TAG = 'tag'
KIND_PROPERTY = 'property'
KIND_FLAVOR = 'flavor'
KIND_IMAGE = 'image'
KINDS_IN_PAYLOAD = (KIND_TAG, KIND_PROPERTY, KIND_FLAVOR)

FLAVOR_SPEC = 'miglock:static'


def _true(value):
    return strutils.bool_from_string(value, default=False)


def evaluate(conf, *, tags=(), metadata=None, extra_specs=None,
             system_metadata=None):
    """The static locks of an instance, from plain Nova attributes."""
    found = []
    if conf.miglock.static_tag in (tags or ()):
        found.append(lock.StaticLock(KIND_TAG, conf.miglock.static_tag))
    value = (metadata or {}).get(conf.miglock.static_property)
    if value is not None and _true(value):
        found.append(lock.StaticLock(KIND_PROPERTY,
                                     conf.miglock.static_property, value))
    value = (extra_specs or {}).get(FLAVOR_SPEC)
    if value is not None and _true(value):
        found.append(lock.StaticLock(KIND_FLAVOR, FLAVOR_SPEC, value))
    key = IMAGE_PREFIX + conf.miglock.static_image_property
    value = (system_metadata or {}).get(key)
    if value is not None and _true(value):
        found.append(lock.StaticLock(KIND_IMAGE,
                                     conf.miglock.static_image_property,
                                     value))
    return tuple(found)


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
