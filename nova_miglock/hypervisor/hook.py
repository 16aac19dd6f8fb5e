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
"""nova-miglock-libvirt-hook: refuse a locked domain arriving on this host.

Installed as a libvirt ``qemu`` and ``libxl`` hook (``hooks/<driver>.d/``)
behind a small sh dispatcher (``manage/hook.py``) that exits 0 for every
operation this module does not judge. libvirt runs it as ``HOOK DOMAIN
OPERATION SUB-OPERATION EXTRA`` with the domain XML on stdin.

It judges the ways a domain can arrive on a host (``replica.JUDGED``) by
the domain's ``<uuid>`` against the host-local replica of lock state that
nova-miglock-compute keeps (``replica``): never by anything else in the
XML, which the caller of libvirt controls (``virsh migrate --xml``,
``virsh metadata``, ``virsh define``). A refusal exits non-zero with one
bounded line on stderr, which libvirt puts into its error.

It never writes to stdout: for ``migrate`` and ``restore``, libvirt would
take anything there as a replacement domain XML. It does no network I/O
and imports only built-in modules, since libvirt blocks while it runs.

Exit status: 0 allowed, 1 refused (locked, or cannot be judged), 2 refused
(bad input).
"""

import os
import sys
import time

# xml.parsers.expat is this module behind two package imports.
import pyexpat as expat

from nova_miglock.hypervisor import replica as replica_mod

MAX_INPUT = 16 * 1024 * 1024
EXIT_ALLOWED, EXIT_LOCKED, EXIT_REFUSED = 0, 1, 2
DEFAULT_REPLICA = '/var/lib/nova-miglock/replica'
DEFAULT_CLOCK_SKEW = 5
DEFAULT_MAX_AGE = 300
NOVA_NAMESPACE = b'http://openstack.org/xmlns/libvirt/nova/'


class BadDomain(ValueError):
    """The domain XML on stdin cannot be judged."""


def _read(stream, limit):
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b''.join(chunks)


def domain_uuid(xml):
    """The ``<uuid>`` child of the document's root ``<domain>`` (bytes in).

    :raises BadDomain: the XML does not parse, its root is not a domain,
        or it has no single ``<uuid>``.
    """
    depth = [0]
    root = []
    texts = []
    inside = [False]

    def start(name, attributes):
        depth[0] += 1
        inside[0] = depth[0] == 2 and name == 'uuid'
        if depth[0] == 1:
            root.append(name)
        elif inside[0]:
            texts.append([])

    def end(name):
        depth[0] -= 1
        inside[0] = False

    def characters(data):
        if inside[0]:
            texts[-1].append(data)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise BadDomain('the domain XML does not parse: %s' % exc)
    if root != ['domain']:
        raise BadDomain('the XML is not a domain')
    if len(texts) != 1:
        raise BadDomain('the domain has %d <uuid> elements' % len(texts))
    value = ''.join(texts[0]).strip().lower()
    if len(value) != 36 or value.count('-') != 4 or \
            value.replace('-', '').strip('0123456789abcdef'):
        raise BadDomain('bad domain <uuid> %r' % value[:40])
    return value


def _refuse(stderr, status, operation, domain, message):
    line = 'nova-miglock: refusing %s of %s: %s' % (
        operation, domain[:80], message)
    stderr.write(replica_mod.bounded(line) + '\n')
    stderr.flush()
    return status


def main(argv=None, stdin=None, stderr=None, now=None, clock_skew=None,
         replica_path=None, max_age=None):
    argv = sys.argv if argv is None else argv
    stderr = stderr or sys.stderr
    if len(argv) < 3:
        stderr.write('usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA] '
                     '(run by libvirt; domain XML on stdin)\n' % argv[0])
        return EXIT_REFUSED
    domain, operation = argv[1], argv[2]
    sub_operation = argv[3] if len(argv) > 3 else ''
    if (operation, sub_operation) not in replica_mod.JUDGED:
        return EXIT_ALLOWED
    env = os.environ
    if clock_skew is None:
        clock_skew = int(env.get('MIGLOCK_HOOK_CLOCK_SKEW',
                                 DEFAULT_CLOCK_SKEW))
    if max_age is None:
        max_age = int(env.get('MIGLOCK_HOOK_MAX_AGE', DEFAULT_MAX_AGE))
    if replica_path is None:
        replica_path = env.get('MIGLOCK_HOOK_REPLICA', DEFAULT_REPLICA)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    data = _read(stdin, MAX_INPUT)
    if not data.strip():
        return _refuse(stderr, EXIT_REFUSED, operation, domain,
                       'no domain XML on stdin')
    if len(data) > MAX_INPUT:
        return _refuse(stderr, EXIT_REFUSED, operation, domain,
                       'the domain XML is over %d bytes' % MAX_INPUT)
    try:
        uuid = domain_uuid(data)
    except BadDomain as exc:
        return _refuse(stderr, EXIT_REFUSED, operation, domain, str(exc))
    try:
        replica = replica_mod.Replica.read(replica_path)
    except replica_mod.BadReplica as exc:
        replica = exc
    try:
        allowed, why = replica_mod.decide(
            operation, uuid, replica, time.time() if now is None else now,
            clock_skew, max_age, nova_domain=NOVA_NAMESPACE in data)
    except replica_mod.BadReplica as exc:
        # A damaged line: judged like a replica that cannot be read.
        allowed, why = replica_mod.decide(
            operation, uuid, exc, time.time() if now is None else now,
            clock_skew, max_age, nova_domain=True)
    if allowed:
        return EXIT_ALLOWED
    return _refuse(stderr, EXIT_LOCKED, operation, domain, why)
