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
"""nova-miglock-libvirt-hook: refuse an incoming migration of a locked domain.

Installed as a libvirt ``qemu`` and ``libxl`` hook (``hooks/<driver>.d/``).
libvirt runs it as ``HOOK DOMAIN OPERATION SUB-OPERATION EXTRA`` with the
domain XML on stdin. On ``migrate begin`` (on the destination, before the
domain is created) it reads the lock the host agent wrote into the domain's
metadata and exits non-zero, with one line on stderr that libvirt puts into
its error, when the domain is locked. Every other operation exits 0 at once.

It never writes to stdout: for ``migrate``, libvirt would take anything
there as a replacement domain XML. It does no network I/O and imports only
fast standard modules, since libvirt blocks while it runs.

Exit status: 0 allowed, 1 refused (locked), 2 refused (bad input or
malformed metadata: fail closed).
"""

import os
import sys
import time

from nova_miglock.hypervisor import domain_xml

MAX_INPUT = 16 * 1024 * 1024
EXIT_ALLOWED, EXIT_LOCKED, EXIT_REFUSED = 0, 1, 2


def _read(stream, limit):
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b''.join(chunks)


def _refuse(stderr, status, domain, message):
    stderr.write('nova-miglock: refusing migration of %s: %s\n'
                 % (domain, message))
    stderr.flush()
    return status


def main(argv=None, stdin=None, stderr=None, now=None, clock_skew=None):
    argv = sys.argv if argv is None else argv
    stderr = stderr or sys.stderr
    if len(argv) < 3:
        stderr.write('usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA] '
                     '(run by libvirt; domain XML on stdin)\n' % argv[0])
        return EXIT_REFUSED
    domain, operation = argv[1], argv[2]
    sub_operation = argv[3] if len(argv) > 3 else ''
    if (operation, sub_operation) != ('migrate', 'begin'):
        return EXIT_ALLOWED
    if clock_skew is None:
        clock_skew = int(os.environ.get('MIGLOCK_HOOK_CLOCK_SKEW',
                                        domain_xml.DEFAULT_CLOCK_SKEW))
    stdin = stdin if stdin is not None else sys.stdin.buffer
    data = _read(stdin, MAX_INPUT)
    if not data.strip():
        return _refuse(stderr, EXIT_REFUSED, domain,
                       'no domain XML on stdin')
    if len(data) > MAX_INPUT:
        return _refuse(stderr, EXIT_REFUSED, domain,
                       'the domain XML is over %d bytes' % MAX_INPUT)
    try:
        lock = domain_xml.parse(data)
    except domain_xml.MalformedLock as exc:
        return _refuse(stderr, EXIT_REFUSED, domain,
                       'its migration lock metadata cannot be trusted '
                       '(%s)' % exc)
    allowed, why = domain_xml.decide(
        lock, time.time() if now is None else now, clock_skew)
    if allowed:
        return EXIT_ALLOWED
    return _refuse(stderr, EXIT_LOCKED, domain, why)
