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

The hook is installed as ``nova-miglock-manage hook install`` installs it
(the sh dispatcher in front of Python) and reads a replica of 10,000
locked instances, as on a compute host of a large cloud. It runs as libvirt
runs it, on a domain XML the size of a Nova guest's, for judged operations
(an incoming migration of a locked and of an unlisted instance, Nova
starting a locked instance in place) and for operations it does not judge
(``started``, ``reconnect``), beside the two baselines measured in the same
run: a bare ``/bin/sh -c :`` and a bare ``python -I -S -c pass`` of the
hook's own interpreter.

The cases are interleaved (one call of each in turn, in a shuffled order
per round) and the run is split into rounds, so load that comes and goes
hits every case alike; the spread is the range of the per-round ratios.

    python bench/hook.py [--rounds 5] [--runs 60] [--locked 10000]
    python bench/hook.py --smoke
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nova_miglock.hypervisor import replica  # noqa: E402
from nova_miglock.manage import hook as installer  # noqa: E402

HOST = 'bench-host'
# A Nova guest's domain XML is a few kilobytes; pad ours to that size.
DEVICES = ''.join(
    '<interface type="bridge"><mac address="fa:16:3e:00:00:%02x"/>'
    '<source bridge="br-int"/><model type="virtio"/></interface>' % n
    for n in range(40))
DOMAIN = ('<domain type="kvm"><name>instance-0001</name><uuid>%s</uuid>'
          '<metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/'
          'libvirt/nova/1.1"/></metadata><memory>65536</memory>'
          '<devices>%s</devices></domain>')


def write_replica(path, locked):
    """``locked`` instances on other hosts, plus one Nova has here."""
    now = time.time()
    uuids = [str(uuid.uuid4()) for _ in range(locked)]
    entries = [replica.Entry(u, 7, 'locked', now + 3600, ('db', 'etl'), '',
                             None, '', 'compute-%d' % (n % 500))
               for n, u in enumerate(uuids)]
    here = replica.Entry(str(uuid.uuid4()), 3, 'locked', now + 3600,
                         ('backup',), 'flavor miglock:static=true', None,
                         '', HOST)
    entries.insert(len(entries) // 2, here)
    with open(path, 'w') as stream:
        stream.write(replica.format_header(now, HOST))
        stream.writelines(replica.format_entry(e) for e in entries)
    # The last line is the slowest to find.
    return uuids[-1], here.uuid


def call(command, stdin):
    started = time.perf_counter()
    subprocess.run(command, input=stdin, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--runs', type=int, default=60,
                        help='calls of each case per round')
    parser.add_argument('--locked', type=int, default=10000)
    parser.add_argument('--smoke', action='store_true',
                        help='a few seconds: 2 rounds of 5 calls')
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.runs = 2, 5
    workdir = tempfile.mkdtemp(prefix='miglock-bench-hook-')
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir):
    path = os.path.join(workdir, 'replica')
    far, here = write_replica(path, args.locked)
    (script,) = installer.install(workdir, 5, path, 300, drivers=['qemu'])
    unlisted = str(uuid.uuid4())

    def xml(u):
        return (DOMAIN % (u, DEVICES)).encode()

    python = sys.executable
    cases = [
        ('sh', 'bare /bin/sh -c :', ['/bin/sh', '-c', ':'], xml(far)),
        ('py', 'bare %s -I -S -c pass' % os.path.basename(python),
         [python, '-I', '-S', '-c', 'pass'], xml(far)),
        ('started', 'hook, started begin (not judged)',
         [script, 'vm', 'started', 'begin', '-'], xml(far)),
        ('reconnect', 'hook, reconnect begin (not judged)',
         [script, 'vm', 'reconnect', 'begin', '-'], xml(far)),
        ('refused', 'hook, migrate begin, locked (refused)',
         [script, 'vm', 'migrate', 'begin', '-'], xml(far)),
        ('allowed', 'hook, migrate begin, not listed',
         [script, 'vm', 'migrate', 'begin', '-'], xml(unlisted)),
        ('inplace', 'hook, prepare begin, locked, here',
         [script, 'vm', 'prepare', 'begin', '-'], xml(here)),
    ]
    # Check the answers once before timing them.
    expected = {'refused': 1, 'allowed': 0, 'inplace': 0, 'started': 0,
                'reconnect': 0}
    for key, _name, command, stdin in cases:
        if key in expected:
            status = subprocess.run(command, input=stdin,
                                    capture_output=True).returncode
            if status != expected[key]:
                sys.exit('%s: exit %d, expected %d' % (key, status,
                                                       expected[key]))
    times = {key: [] for key, *_ in cases}
    per_round = []
    for _round in range(args.rounds):
        this = {key: [] for key, *_ in cases}
        for _ in range(args.runs):
            order = list(cases)
            random.shuffle(order)
            for key, _name, command, stdin in order:
                this[key].append(call(command, stdin))
        p50 = {key: statistics.median(v) for key, v in this.items()}
        per_round.append(p50)
        for key, values in this.items():
            times[key].extend(values)
    size = os.path.getsize(path)
    print('replica: %d locked instances, %d bytes; domain XML %d bytes; '
          '%d rounds x %d calls per case, interleaved; ms'
          % (args.locked + 1, size, len(xml(far)), args.rounds, args.runs))
    print('%-44s %8s %8s %9s %9s %17s' % ('', 'p50', 'p99', 'x sh', 'x py',
                                          'x base, spread'))
    judged = ('refused', 'allowed', 'inplace')
    for key, name, _command, _stdin in cases:
        values = sorted(times[key])
        p50 = statistics.median(values)
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        base = 'py' if key in judged else 'sh'
        ratios = [r[key] / r[base] for r in per_round]
        spread = '%7.2f-%-9.2f' % (min(ratios), max(ratios)) \
            if key not in ('sh', 'py') else '%17s' % 'baseline'
        print('%-44s %8.2f %8.2f %9.2f %9.2f %s' % (
            name, p50 * 1e3, p99 * 1e3,
            p50 / statistics.median(times['sh']),
            p50 / statistics.median(times['py']), spread))
    worst_judged = max(statistics.median(times[k]) for k in judged)
    judged_ratio = max(statistics.median(times[k]) for k in judged) / \
        statistics.median(times['py'])
    skipped_ratio = max(statistics.median(times[k])
                        for k in ('started', 'reconnect')) / \
        statistics.median(times['sh'])
    ok = worst_judged < 0.060 and judged_ratio <= 2 and skipped_ratio <= 1.2
    print('SUMMARY hook: judged p50 %.1f ms (limit 60), %.2fx bare python '
          '(limit 2); not judged %.2fx bare sh (limit 1.2); %d locked in '
          'the replica; load %.2f: %s' % (
              worst_judged * 1e3, judged_ratio, skipped_ratio,
              args.locked + 1, os.getloadavg()[0],
              'PASS' if ok else 'FAIL'))


if __name__ == '__main__':
    main()
