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
"""Benchmark: lag from a store change to the domain's libvirt metadata.

A real libvirtd (namespaced, as in the functional tests; needs root) runs a
tiny QEMU domain; nova-miglock-compute's service listens on the real
RabbitMQ on 127.0.0.1. Each hold acquire or release goes through the lock
manager, whose notification the agent applies; the lag is measured until
the new generation is in the domain's XML. Printed beside the time of the
store operation itself, same run.

    python bench/agent_lag.py [--changes 100]
"""

import argparse
import os
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
from nova_miglock.hypervisor import service  # noqa: E402
from nova_miglock import manager as lock_manager  # noqa: E402
from nova_miglock import notifications  # noqa: E402
from nova_miglock.store.sql import driver  # noqa: E402
from nova_miglock.store.sql import migration  # noqa: E402
from nova_miglock.testing import fixtures as miglock_fixtures  # noqa: E402
from nova_miglock.testing import libvirt_lab as lab  # noqa: E402

RABBIT = os.environ.get('MIGLOCK_TEST_RABBIT_URL',
                        'rabbit://guest:guest@127.0.0.1:5672/')


def pct(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--changes', type=int, default=100)
    parser.add_argument('--smoke', action='store_true',
                        help='3 changes: a check that it runs (skipped, '
                        'not failed, without libvirt)')
    args = parser.parse_args()
    if args.smoke:
        args.changes = 3
    missing = lab.missing()
    if missing and args.smoke:
        print('skipped: %s' % missing)
        return
    if missing:
        sys.exit('cannot run: %s' % missing)
    with fixtures.Fixture() as scope:
        base = scope.useFixture(fixtures.TempDir()).path
        daemon = scope.useFixture(lab.LibvirtDaemon(base, 'host'))
        conn = daemon.connect()
        domain = daemon.define_and_start(conn, 'bench')
        topic = 'miglock_bench_%s' % uuid.uuid4().hex[:8]
        conf = miglock_fixtures.make_conf(**{
            'miglock_compute.libvirt_uri': daemon.uri,
            'miglock_compute.host': topic,
            'miglock_notifications.topics': [topic]})
        store = driver.SQLLockStore(conf, connection='sqlite:///%s' % (
            os.path.join(tempfile.mkdtemp(), 'store.sqlite')))
        migration.sync(store)
        transport = messaging.get_notification_transport(conf, url=RABBIT)
        agent = service.HostAgentService(conf, store, transport=transport)
        agent.start()
        manager = lock_manager.LockManager(
            conf, store=store,
            notifier=notifications.Notifier(conf, transport=transport))
        target = lock_manager.Target(domain.UUIDString(), 'p')
        store_times, lags = [], []
        for n in range(args.changes):
            started = time.monotonic()
            if n % 2 == 0:
                generation = manager.acquire(
                    target, 'db', source='guest',
                    lease_seconds=600).state.generation
            else:
                manager.release(target, 'db', source='guest')
                generation = store.get_state(target.instance_uuid).generation
            store_times.append(time.monotonic() - started)
            while True:
                found = domain_xml.parse(domain.XMLDesc().encode())
                if found is not None and found.generation >= generation:
                    break
                time.sleep(0.002)
            lags.append(time.monotonic() - started)
        agent.stop()
        transport.cleanup()
    print('%d hold changes; ms' % args.changes)
    print('%-46s %8s %8s' % ('', 'p50', 'p99'))
    print('%-46s %8.1f %8.1f' % ('store operation + notification sent',
                                 statistics.median(store_times) * 1e3,
                                 pct(store_times, .99) * 1e3))
    print('%-46s %8.1f %8.1f' % ('store change -> domain metadata (lag)',
                                 statistics.median(lags) * 1e3,
                                 pct(lags, .99) * 1e3))


if __name__ == '__main__':
    main()
