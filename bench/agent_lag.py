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
"""Benchmark: lag from a store change to the host's lock replica.

A real libvirtd (namespaced, as in the functional tests; needs root) runs a
tiny QEMU domain; nova-miglock-compute's service listens on the real
RabbitMQ on 127.0.0.1 and keeps the replica of ``--locked`` locked
instances (10,000 by default, as on a compute host of a large cloud).
Each hold acquire or release goes through the lock manager, whose
notification the agent applies; the lag is measured until the replica
file the hook reads says the new state, and until the domain's XML does.
The baseline is the store operation itself (write and notification sent),
timed in the same run; changes alternate acquire and release and are split
into rounds, whose p99s give the spread.

    python bench/agent_lag.py [--changes 200] [--rounds 4] [--locked 10000]
    python bench/agent_lag.py --smoke
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import fixtures  # noqa: E402
import oslo_messaging as messaging  # noqa: E402

from nova_miglock.hypervisor import domain_xml  # noqa: E402
from nova_miglock.hypervisor import replica  # noqa: E402
from nova_miglock.hypervisor import service  # noqa: E402
from nova_miglock import lock  # noqa: E402
from nova_miglock import manager as lock_manager  # noqa: E402
from nova_miglock import notifications  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.testing import fixtures as miglock_fixtures  # noqa: E402
from nova_miglock.testing import libvirt_lab as lab  # noqa: E402

RABBIT = os.environ.get('MIGLOCK_TEST_RABBIT_URL',
                        'rabbit://guest:guest@127.0.0.1:5672/')
LIMITS = lock.HoldLimits(max_lease=3600, max_hold=86400,
                         min_unlocked_gap=0, max_holders=16)


def pct(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def replicated(path, instance_uuid):
    """The generation of the instance in the replica, -1 when unlisted."""
    try:
        with open(path, 'rb') as stream:
            found = replica.Replica(stream.read()).lookup(instance_uuid)
    except (OSError, replica.BadReplica):
        return None
    return -1 if found is None else found.generation


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit('the agent did not follow within %d s' % timeout)
        time.sleep(0.002)
    return time.monotonic()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--changes', type=int, default=200)
    parser.add_argument('--rounds', type=int, default=4)
    parser.add_argument('--locked', type=int, default=10000)
    parser.add_argument('--smoke', action='store_true',
                        help='a few seconds: 100 locked, 2 x 6 changes')
    args = parser.parse_args()
    if args.smoke:
        args.changes, args.rounds, args.locked = 12, 2, 100
    missing = lab.missing()
    if missing and args.smoke:
        print('skipped: %s' % missing)
        return
    if missing:
        sys.exit('cannot run: %s' % missing)
    workdir = tempfile.mkdtemp(prefix='miglock-bench-lag-',
                               dir='/dev/shm' if os.path.isdir('/dev/shm')
                               else None)
    replica_path = os.path.join(workdir, 'replica')
    with fixtures.Fixture() as scope:
        scope.addCleanup(shutil.rmtree, workdir, True)
        base = scope.useFixture(fixtures.TempDir()).path
        daemon = scope.useFixture(lab.LibvirtDaemon(base, 'host'))
        conn = daemon.connect()
        domain = daemon.define_and_start(conn, 'bench')
        topic = 'miglock_bench_%s' % uuid.uuid4().hex[:8]
        conf = miglock_fixtures.make_conf(**{
            'miglock_compute.libvirt_uri': daemon.uri,
            'miglock_compute.host': topic,
            'miglock_hook.replica_path': replica_path,
            'miglock_notifications.topics': [topic]})
        store = driver.SQLLockStore(conf, connection='sqlite:///%s' % (
            os.path.join(workdir, 'store.sqlite')))
        migration.sync(store)
        started = time.monotonic()
        for n in range(args.locked):
            store.acquire(str(uuid.uuid4()), 'db', project_id='p',
                          source=lock.SOURCE_GUEST, lease_seconds=3600,
                          reason='', limits=LIMITS,
                          host='compute-%d' % (n % 500))
        print('%d locked instances in the store in %.0f s' % (
            args.locked, time.monotonic() - started))
        transport = messaging.get_notification_transport(conf, url=RABBIT)
        agent = service.HostAgentService(conf, store, transport=transport)
        agent.start()
        manager = lock_manager.LockManager(
            conf, store=store,
            notifier=notifications.Notifier(conf, transport=transport))
        target = lock_manager.Target(domain.UUIDString(), 'p')
        rounds = []
        per_round = max(2, args.changes // args.rounds)
        for _round in range(args.rounds):
            store_times, replica_lags, element_lags = [], [], []
            for n in range(per_round):
                started = time.monotonic()
                if n % 2 == 0:
                    generation = manager.acquire(
                        target, 'db', source='guest',
                        lease_seconds=600).state.generation
                    wanted = generation
                else:
                    manager.release(target, 'db', source='guest')
                    generation = store.get_state(
                        target.instance_uuid).generation
                    wanted = -1
                store_times.append(time.monotonic() - started)
                arrived = wait_until(lambda: replicated(
                    replica_path, target.instance_uuid) == wanted)
                replica_lags.append(arrived - started)

                def mirrored():
                    found = domain_xml.parse(domain.XMLDesc().encode())
                    return found is not None and \
                        found.generation >= generation
                element_lags.append(wait_until(mirrored) - started)
            rounds.append((store_times, replica_lags, element_lags))
        size = os.path.getsize(replica_path)
        stop_started = time.monotonic()
        agent.stop()
        stopped = time.monotonic() - stop_started
        transport.cleanup()
    every = [sum((r[i] for r in rounds), []) for i in range(3)]
    print('%d hold changes in %d rounds, replica of %d locked instances '
          '(%d bytes); ms' % (len(every[0]), len(rounds), args.locked + 1,
                              size))
    print('%-44s %8s %8s %10s %19s' % ('', 'p50', 'p99', 'p99/base',
                                       'p99 spread'))
    base_p99 = pct(every[0], .99)
    for i, name in enumerate(('store operation + notification (base)',
                              'store change -> replica (lag)',
                              'store change -> domain metadata')):
        p99s = [pct(r[i], .99) * 1e3 for r in rounds]
        print('%-44s %8.1f %8.1f %10.2f %8.1f-%-10.1f' % (
            name, statistics.median(every[i]) * 1e3,
            pct(every[i], .99) * 1e3, pct(every[i], .99) / base_p99,
            min(p99s), max(p99s)))
    p99 = pct(every[1], .99)
    print('SUMMARY agent_lag: store change -> replica p99 %.0f ms (limit '
          '500; rounds %.0f-%.0f ms), %.1fx the store operation; %d locked; '
          'agent stopped in %.2f s; load %.2f: %s' % (
              p99 * 1e3, min(pct(r[1], .99) for r in rounds) * 1e3,
              max(pct(r[1], .99) for r in rounds) * 1e3, p99 / base_p99,
              args.locked + 1, stopped, os.getloadavg()[0],
              'PASS' if p99 < 0.5 else 'FAIL'))


if __name__ == '__main__':
    main()
