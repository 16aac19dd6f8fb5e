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
"""The migration lock as the operator sees it in a libvirt domain.

The host agent writes one element into the domain XML's ``<metadata>``,
in this project's namespace, so ``virsh dumpxml`` shows why a domain will
not move::

    <miglock:lock xmlns:miglock="http://openstack.org/xmlns/nova-miglock/1.0"
        instance="UUID" state="locked" generation="7"
        updated="2026-11-26T10:00:00.000000Z"
        lease-expires="2026-11-26T10:05:00.000000Z" holders="db,etl"
        static="server tag miglock:static" exempt-until=""/>

It is a mirror, not what decides: anyone with libvirt access can edit or
remove it (``virsh metadata``, ``virsh migrate --xml``), so the hook
decides by the domain's UUID against the host's lock replica
(``replica``), and the agent rewrites any element that differs from the
store.
"""

import datetime
from xml.parsers import expat

NAMESPACE = 'http://openstack.org/xmlns/nova-miglock/1.0'
PREFIX = 'miglock'
ELEMENT = 'lock'
STATES = ('unlocked', 'locked', 'migrating')
_EPOCH = datetime.datetime(1970, 1, 1)


class MalformedLock(ValueError):
    """The lock element exists but cannot be trusted."""


class Lock:
    """The lock element's content."""

    __slots__ = ('instance', 'state', 'generation', 'lease_expires',
                 'holders', 'static', 'exempt_until')

    def __init__(self, instance, state, generation, lease_expires=None,
                 holders=(), static='', exempt_until=None):
        self.instance = instance
        self.state = state
        self.generation = generation
        self.lease_expires = lease_expires
        self.holders = tuple(holders)
        self.static = static
        self.exempt_until = exempt_until

    def key(self):
        """Everything the element says, to tell if it must be rewritten.

        ``updated`` is left out: it changes on every read.
        """
        return tuple(getattr(self, name) for name in self.__slots__)


def epoch(text):
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (UTC).

    Parsed by hand: ``strptime`` would import half the standard library.
    """
    if not text:
        return None
    try:
        if not text.endswith('Z') or text[10] != 'T':
            raise ValueError
        when = datetime.datetime(
            int(text[0:4]), int(text[5:7]), int(text[8:10]),
            int(text[11:13]), int(text[14:16]), int(text[17:19]),
            int((text[20:-1] + '000000')[:6]) if len(text) > 20 else 0)
    except (ValueError, IndexError):
        raise MalformedLock('bad time %r' % text)
    return (when - _EPOCH).total_seconds()


def _escape(value):
    return (str(value).replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;').replace('"', '&quot;'))


def static_text(static_locks):
    """One line for the static locks of a ``LockPayload`` (dicts)."""
    return '; '.join(
        '%s %s%s' % (s['kind'], s['name'],
                     '=%s' % s['value'] if s.get('value') else '')
        for s in static_locks or ())


def render(lock):
    """The element for ``lock``, a notification's ``LockPayload`` data.

    That is a dict with instance_uuid, state, generation, at,
    lease_expires_at, holders, static_locks and static_exempt_until.
    """
    static = static_text(lock.get('static_locks'))
    attrs = (('instance', lock['instance_uuid']),
             ('state', lock['state']),
             ('generation', lock['generation']),
             ('updated', lock.get('at') or ''),
             ('lease-expires', lock.get('lease_expires_at') or ''),
             ('holders', ','.join(lock.get('holders') or ())),
             ('static', static),
             ('exempt-until', lock.get('static_exempt_until') or ''))
    return '<%s %s/>' % (ELEMENT, ' '.join(
        '%s="%s"' % (name, _escape(value)) for name, value in attrs))


def _lock_from(attributes):
    try:
        state = attributes['state']
        generation = int(attributes['generation'])
        instance = attributes['instance']
    except (KeyError, ValueError) as exc:
        raise MalformedLock('missing or bad attribute %s' % exc)
    if state not in STATES:
        raise MalformedLock('unknown state %r' % state)
    holders = [h for h in attributes.get('holders', '').split(',') if h]
    lease_expires = epoch(attributes.get('lease-expires'))
    static = attributes.get('static', '')
    if holders and lease_expires is None:
        raise MalformedLock('holders without lease-expires')
    if state == 'locked' and not holders and not static:
        raise MalformedLock('locked with no holder and no static lock')
    return Lock(instance, state, generation, lease_expires, holders, static,
                epoch(attributes.get('exempt-until')))


def parse(xml):
    """The Lock in a domain XML document (bytes), or None if it has none.

    :raises MalformedLock: the document does not parse, or the element
        is repeated or incomplete.
    """
    found = []

    def start(name, attributes):
        if name == NAMESPACE + ' ' + ELEMENT:
            found.append(attributes)

    parser = expat.ParserCreate(namespace_separator=' ')
    parser.StartElementHandler = start
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise MalformedLock('the domain XML does not parse: %s' % exc)
    if len(found) > 1:
        raise MalformedLock('%d lock elements' % len(found))
    return _lock_from(found[0]) if found else None


def parse_element(text):
    """The Lock in the bare element libvirt's ``metadata()`` returns."""
    found = []

    def start(name, attributes):
        found.append((name, attributes))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(text.encode('utf-8'), True)
    except expat.ExpatError as exc:
        raise MalformedLock('the lock element does not parse: %s' % exc)
    if not found or found[0][0] != ELEMENT:
        raise MalformedLock('not a lock element')
    return _lock_from(found[0][1])
