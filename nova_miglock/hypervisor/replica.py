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
"""The host-local replica of lock state that the libvirt hook decides by.

Every compute host keeps one file, written by nova-miglock-compute (from
``miglock.*`` notifications and periodic resyncs from the store) and read
by the hook on every judged libvirt operation. It lists every instance of
the cloud that is locked, statically locked or being moved, keyed by
instance UUID, which is also the libvirt domain's ``<uuid>``: the one part
of a domain that stays the same across migrate, save/restore and define,
and that a caller cannot change without making it another domain.

The format is plain text, one instance a line, so the hook finds one UUID
with a byte search instead of parsing 10,000 entries (``json`` alone
would import ``re``, several milliseconds on every libvirt operation)::

    nova-miglock-replica 1 <written, epoch seconds> <this host>
    <uuid>\\t<generation>\\t<state>\\t<lease expires>\\t<holders>\\t<static>
        \\t<exempt until>\\t<ticket kind>\\t<Nova's host for it>

Empty fields mean "none". The header carries the time the agent last
wrote the file after talking to the store, so the hook can tell a replica
that stopped being kept current.

This module is the pure core: formatting, parsing and the decision. It
imports only built-in modules, since the hook imports it on every call.
The agent's atomic writer lives in ``sync``.
"""

import time

MAGIC = 'nova-miglock-replica'
VERSION = '1'
FIELDS = 9
# Refusal messages end up in libvirt's error and in Nova's logs: keep them
# to a few lines, whatever the holders and static locks are.
MAX_MESSAGE = 400

# The libvirt operations the hook judges; every other exits 0 before
# Python starts (see manage/hook.py).
JUDGED = (('migrate', 'begin'), ('restore', 'begin'),
          ('prepare', 'begin'), ('start', 'begin'))


class BadReplica(ValueError):
    """The replica file is missing, unreadable or not in this format."""


class Entry:
    """One instance's line of the replica."""

    __slots__ = ('uuid', 'generation', 'state', 'lease_expires', 'holders',
                 'static', 'exempt_until', 'ticket', 'host')

    def __init__(self, uuid, generation, state, lease_expires=None,
                 holders=(), static='', exempt_until=None, ticket='',
                 host=None):
        self.uuid = uuid
        self.generation = generation
        self.state = state
        self.lease_expires = lease_expires
        self.holders = tuple(holders)
        self.static = static
        self.exempt_until = exempt_until
        self.ticket = ticket
        self.host = host

    def __eq__(self, other):
        return isinstance(other, Entry) and all(
            getattr(self, name) == getattr(other, name)
            for name in self.__slots__)

    def __repr__(self):
        return 'Entry(%s)' % ', '.join(
            '%s=%r' % (name, getattr(self, name)) for name in self.__slots__)


def _clean(text):
    """A field without the characters that delimit fields and lines."""
    return ' '.join(str(text).split()) if text else ''


def _number(value):
    return '' if value is None else repr(float(value))


def format_entry(entry):
    return '\t'.join((
        entry.uuid.lower(), str(int(entry.generation)), entry.state,
        _number(entry.lease_expires),
        ','.join(_clean(h).replace(',', ' ') for h in entry.holders),
        _clean(entry.static), _number(entry.exempt_until),
        _clean(entry.ticket), _clean(entry.host))) + '\n'


def format_header(written, host):
    return '%s %s %r %s\n' % (MAGIC, VERSION, float(written),
                              _clean(host).replace(' ', '_') or '-')


def _float(text):
    return float(text) if text else None


def parse_entry(line):
    """The Entry of one line (str, without its newline)."""
    fields = line.split('\t')
    if len(fields) != FIELDS:
        raise BadReplica('an entry has %d fields, not %d'
                         % (len(fields), FIELDS))
    try:
        return Entry(fields[0], int(fields[1]), fields[2],
                     _float(fields[3]),
                     [h for h in fields[4].split(',') if h], fields[5],
                     _float(fields[6]), fields[7], fields[8] or None)
    except ValueError as exc:
        raise BadReplica('a bad entry: %s' % exc)


def parse_header(line):
    """``(written, host)`` of the replica's first line."""
    parts = line.split(' ')
    if len(parts) != 4 or parts[0] != MAGIC or parts[1] != VERSION:
        raise BadReplica('not a nova-miglock replica (version %s)'
                         % VERSION)
    try:
        written = float(parts[2])
    except ValueError:
        raise BadReplica('bad time in the header')
    return written, (None if parts[3] == '-' else parts[3])


def parse(data):
    """``(written, host, {uuid: Entry})`` of a whole replica (bytes)."""
    lines = data.decode('utf-8', 'replace').split('\n')
    written, host = parse_header(lines[0])
    entries = {}
    for line in lines[1:]:
        if line:
            entry = parse_entry(line)
            entries[entry.uuid] = entry
    return written, host, entries


class Replica:
    """A replica file as the hook reads it: the header and one lookup."""

    def __init__(self, data):
        self._data = data
        end = data.find(b'\n')
        if end < 0:
            raise BadReplica('the replica has no header line')
        self.written, self.host = parse_header(
            data[:end].decode('utf-8', 'replace'))

    @classmethod
    def read(cls, path):
        try:
            with open(path, 'rb') as stream:
                return cls(stream.read())
        except OSError as exc:
            raise BadReplica('cannot read %s: %s' % (
                path, exc.strerror or exc))

    def lookup(self, uuid):
        """The Entry of ``uuid``, or None when it is not listed."""
        key = b'\n' + uuid.lower().encode('ascii', 'replace') + b'\t'
        start = self._data.find(key)
        if start < 0:
            return None
        end = self._data.find(b'\n', start + 1)
        line = self._data[start + 1:end if end >= 0 else len(self._data)]
        return parse_entry(line.decode('utf-8', 'replace'))


def bounded(message, limit=MAX_MESSAGE):
    """``message`` cut to ``limit`` characters, saying how much was cut."""
    if len(message) <= limit:
        return message
    cut = len(message) - (limit - 40)
    return '%s ... (%d more characters)' % (message[:limit - 40], cut)


def _when(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))


def reasons(entry, now, clock_skew):
    """Why ``entry`` locks its instance at ``now``; empty when it does not.

    A lease counts as running until ``clock_skew`` seconds after its
    recorded expiry, and an exemption as ended that much before, so a clock
    that trails the store's never lets a locked domain in.
    """
    found = []
    exempt = entry.exempt_until is not None and \
        entry.exempt_until - clock_skew > now
    if entry.static and not exempt:
        found.append(entry.static)
    if entry.holders and entry.lease_expires is not None and \
            entry.lease_expires + clock_skew > now:
        holders = ', '.join(entry.holders[:5])
        if len(entry.holders) > 5:
            holders += ' and %d more' % (len(entry.holders) - 5)
        found.append('held by %s until %s' % (holders,
                                              _when(entry.lease_expires)))
    return found


def decide(operation, uuid, replica, now, clock_skew, max_age,
           nova_domain=False):
    """``(allowed, why)`` for a judged libvirt operation on domain ``uuid``.

    * ``migrate``: an incoming migration is refused while the instance is
      locked and no move of it was admitted (no open ticket).
    * ``restore``, ``prepare``, ``start``: the domain is arriving on this
      host some other way (a save file, a copied definition) when Nova
      has the instance on another host; refused while it is locked and no
      move was admitted. When Nova has it here, or where Nova has it is
      not known, this is Nova (or an operator) working in place: allowed.

    ``replica`` is a ``Replica`` or, when it could not be read, the
    ``BadReplica`` raised. A replica older than ``max_age`` seconds, or
    one that cannot be read, fails closed for migrations of Nova instances
    (``nova_domain``, or listed in the replica) only; every other
    operation is then judged on what the replica still says, if anything.
    """
    entry = None
    problem = None
    if isinstance(replica, BadReplica):
        problem = str(replica)
    else:
        entry = replica.lookup(uuid)
        age = now - replica.written
        if age > max_age:
            problem = 'the lock replica is %d s old (limit %d s)' % (
                age, max_age)
    if problem and operation == 'migrate' and (nova_domain or entry):
        return False, bounded(
            'cannot judge instance %s: %s; is nova-miglock-compute running '
            'on this host?' % (uuid, problem))
    if entry is None or entry.ticket:
        return True, None
    found = reasons(entry, now, clock_skew)
    if not found:
        return True, None
    if operation != 'migrate':
        if entry.host is None or entry.host == replica.host:
            return True, None
        return False, bounded(
            'instance %s is locked against migration and Nova has it on '
            'another host (%s): %s' % (uuid, entry.host, '; '.join(found)))
    return False, bounded('instance %s is locked against migration: %s'
                          % (uuid, '; '.join(found)))
