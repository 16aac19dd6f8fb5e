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
"""Benchmark: wall time of the installed libvirt hook per call.

The hook is installed as ``nova-miglock-manage hook install`` installs it;
it runs as libvirt runs it, on a domain XML the size of a Nova guest's, for
a locked and an unlocked domain and for a non-migration operation, beside a
bare ``-c pass`` of the very interpreter (and flags) of the hook's shebang,
in the same run.

    python bench/hook.py [--runs 300]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_miglock.manage import hook as installer  # noqa: E402
from nova_miglock.testing import domain_samples as samples  # noqa: E402

# A Nova guest's domain XML is a few kilobytes; pad ours to that size.
DEVICES = ''.join(
    '<interface type="bridge"><mac address="fa:16:3e:00:00:%02x"/>'
    '<source bridge="br-int"/><model type="virtio"/></interface>' % n
    for n in range(40))


def timed(command, stdin, runs):
    samples_ = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, input=stdin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        samples_.append(time.perf_counter() - started)
    samples_.sort()
    return (statistics.median(samples_) * 1e3,
            samples_[min(len(samples_) - 1, int(0.99 * len(samples_)))]
            * 1e3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=300)
    parser.add_argument('--smoke', action='store_true',
                        help='5 runs: a check that it runs')
    args = parser.parse_args()
    if args.smoke:
        args.runs = 5
    hooks_dir = tempfile.mkdtemp()
    (script,) = installer.install(hooks_dir, clock_skew=5,
                                  drivers=['qemu'])
    with open(script) as stream:
        shebang = stream.readline()[2:].split()
    locked = samples.in_domain(samples.data(
        lease_expires_at='2099-01-01T00:00:00.000000Z')).replace(
            b'</metadata>', ('</metadata><devices>%s</devices>'
                             % DEVICES).encode())
    unlocked = locked.replace(b'state="locked"', b'state="unlocked"')
    cases = [
        ('bare interpreter %s -c pass' % ' '.join(shebang),
         shebang + ['-c', 'pass'], b''),
        ('hook, migrate begin, locked (refuses)',
         [script, 'vm', 'migrate', 'begin', '-'], locked),
        ('hook, migrate begin, unlocked',
         [script, 'vm', 'migrate', 'begin', '-'], unlocked),
        ('hook, start begin (any other operation)',
         [script, 'vm', 'start', 'begin', '-'], unlocked),
    ]
    print('domain XML: %d bytes; %d runs each; ms' % (len(locked),
                                                      args.runs))
    print('%-48s %8s %8s %10s' % ('', 'p50', 'p99', 'p50/bare'))
    bare = None
    for name, command, stdin in cases:
        p50, p99 = timed(command, stdin, args.runs)
        bare = bare or p50
        print('%-48s %8.2f %8.2f %10.2f' % (name, p50, p99, p50 / bare))


if __name__ == '__main__':
    main()
