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
"""The listener's Prometheus endpoint, scraped over HTTP as Prometheus does.

Holds and refusals are made through LockManager on a real store; the
series are read from the text Prometheus receives. A store that is down
or hangs gives ``miglock_store_up 0`` within the scrape timeout.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

from prometheus_client import parser
import pytest

from nova_miglock import lock
from nova_miglock import manager as lock_manager
from nova_miglock.metrics import server as metrics_server
from nova_miglock import notifications
from nova_miglock.store.sql import driver
from nova_miglock.store.sql import migration
from nova_miglock.testing import fixtures

BIN = os.path.dirname(sys.executable)
TAG = lock.StaticLock('tag', 'miglock:static')
FLAVOR = lock.StaticLock('flavor', 'miglock:static', 'true')


def scrape(server):
    """``{(name, frozenset(labels)): value}`` as Prometheus would read it."""
    url = 'http://127.0.0.1:%d/metrics' % server.port
    with urllib.request.urlopen(url, timeout=30) as response:
        text = response.read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in parser.text_string_to_metric_families(text)
            for sample in family.samples}


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def metrics_conf(**overrides):
    return fixtures.make_conf(**dict({
        'miglock_metrics.enabled': True, 'miglock_metrics.port': 0,
        'miglock_notifications.enabled': False}, **overrides))


@pytest.fixture
def serve():
    servers = []

    def start(conf, store):
        server = metrics_server.MetricsServer(conf, store)
        server.start()
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


def target(project='project-a', static_locks=()):
    return lock_manager.Target(instance_uuid=str(uuid.uuid4()),
                               project_id=project, static_locks=static_locks)


def refuse(manager, server, kind):
    with pytest.raises(lock.InstanceLocked):
        manager.admit_move(server, kind=kind, actor='admin')


def test_holds_and_refusals_made_through_the_manager_are_scraped(
        tmp_path, serve):
    conf = metrics_conf()
    store = driver.SQLLockStore(
        conf, connection='sqlite:///%s' % (tmp_path / 'store.sqlite'))
    migration.sync(store)
    manager = lock_manager.LockManager(
        conf, store=store, notifier=notifications.Notifier(conf))
    guest, tenant, tagged, flavored = (
        target(), target(), target(static_locks=(TAG,)),
        target(project='project-b', static_locks=(FLAVOR,)))
    manager.acquire(guest, 'db', source=lock.SOURCE_GUEST, lease_seconds=600)
    manager.acquire(tenant, 'ops', source=lock.SOURCE_TENANT,
                    lease_seconds=120)
    manager.acquire(tenant, 'backup', source=lock.SOURCE_OPERATOR,
                    lease_seconds=120)
    refuse(manager, guest, 'live-migration')
    refuse(manager, guest, 'live-migration')
    refuse(manager, tenant, 'resize')
    refuse(manager, tagged, 'live-migration')
    refuse(manager, flavored, 'cold-migration')
    manager.admit_move(target(), kind='live-migration')
    # What the listener's rating stores (manager.rate_projects).
    store.set_tax_rates({'project-a': 1.5})

    samples = scrape(serve(conf, store))

    assert value(samples, 'miglock_store_up') == 1
    assert value(samples, 'miglock_locked_instances') == 4
    by_source = {s: value(samples, 'miglock_locked_instances_by_source',
                          source=s)
                 for s in ('guest', 'tenant', 'operator', 'tag', 'flavor',
                           'property', 'image')}
    assert by_source == {'guest': 1, 'tenant': 1, 'operator': 1, 'tag': 1,
                         'flavor': 1, 'property': 0, 'image': 0}
    assert value(samples, 'miglock_holds', source='tenant') == 1
    assert value(samples, 'miglock_open_moves', kind='live-migration') == 1
    # The operator's hold is the one a refusal of the tenant's server names.
    assert value(samples, 'miglock_refused_moves', kind='live-migration',
                 reason='guest') == 2
    assert value(samples, 'miglock_refused_moves', kind='resize',
                 reason='operator') == 1
    assert value(samples, 'miglock_refused_moves', kind='live-migration',
                 reason='tag') == 1
    assert value(samples, 'miglock_refused_moves', kind='cold-migration',
                 reason='flavor') == 1
    assert value(samples, 'miglock_project_charged_seconds',
                 project_id='project-a') == pytest.approx(720, abs=1)
    assert value(samples, 'miglock_project_tax_rate',
                 project_id='project-a') == 1.5
    assert ('miglock_project_tax_rate',
            frozenset({'project_id': 'project-b'}.items())) not in samples
    assert value(samples, 'miglock_lease_remaining_seconds_bucket',
                 source='guest', le='300.0') == 0
    assert value(samples, 'miglock_lease_remaining_seconds_bucket',
                 source='guest', le='900.0') == 1
    assert value(samples, 'miglock_store_query_seconds', query='holds') > 0


def test_a_scrape_sees_time_pass_on_the_store_clock(store, conf, serve,
                                                    stopwatch):
    """On every engine: ages, expiry and the refusal window, in SQL."""
    conf.set_override('refusal_window', 600, group='miglock_metrics')
    conf.set_override('port', 0, group='miglock_metrics')
    conf.set_override('enabled', False, group='miglock_notifications')
    manager = lock_manager.LockManager(
        conf, store=store, notifier=notifications.Notifier(conf))
    short, long = target(), target()
    manager.acquire(short, 'a', source=lock.SOURCE_TENANT, lease_seconds=60)
    manager.acquire(long, 'b', source=lock.SOURCE_TENANT, lease_seconds=3000)
    refuse(manager, long, 'live-migration')
    server = serve(conf, store)

    store.advance_clock(1000)
    samples = scrape(server)

    assert value(samples, 'miglock_holds', source='tenant') == 1
    assert value(samples, 'miglock_hold_age_seconds_bucket',
                 source='tenant', le='900.0') == 0
    assert value(samples, 'miglock_hold_age_seconds_bucket',
                 source='tenant', le='3600.0') == 1
    # The clock moved 1000 s, and real time went on too.
    waited = stopwatch.elapsed()
    assert 1000 <= value(samples, 'miglock_hold_age_seconds_gsum',
                         source='tenant') <= 1000 + waited
    assert 2000 - waited <= value(
        samples, 'miglock_lease_remaining_seconds_gsum',
        source='tenant') <= 2000
    assert ('miglock_refused_moves', frozenset(
        {'kind': 'live-migration', 'reason': 'tenant'}.items())) \
        not in samples


class _Silent:
    """A database server that accepts connections and never answers.

    Written here: no real server can be made to hang on demand.
    """

    def __init__(self):
        self._socket = socket.create_server(('127.0.0.1', 0))
        self.port = self._socket.getsockname()[1]

    def close(self):
        self._socket.close()


@pytest.mark.parametrize('hang', [False, True], ids=['refused', 'hung'])
def test_a_scrape_when_the_store_is_down_answers_up_0_in_time(hang, serve):
    silent = _Silent()
    port = silent.port if hang else 1
    conf = metrics_conf(**{'miglock_metrics.scrape_timeout': 1.0,
                           'miglock_store.connect_timeout': 30})
    store = driver.SQLLockStore(
        conf, connection='mysql+pymysql://nobody@127.0.0.1:%d/none' % port)
    server = serve(conf, store)
    try:
        for _attempt in range(2):  # the second while the first still hangs
            started = time.monotonic()
            samples = scrape(server)
            assert time.monotonic() - started < 5
            assert value(samples, 'miglock_store_up') == 0
            assert ('miglock_locked_instances', frozenset()) not in samples
        assert value(samples, 'miglock_store_read_failures_total') == 2
    finally:
        silent.close()
        store.dispose()


def _listener(conf_text, tmp_path):
    path = tmp_path / 'nova-miglock.conf'
    path.write_text(conf_text)
    return subprocess.run(
        [os.path.join(BIN, 'nova-miglock-listener'), '--config-file',
         str(path)], capture_output=True, text=True, timeout=60)


def test_a_metrics_port_out_of_range_is_one_line_and_status_2(tmp_path):
    result = _listener('[miglock_metrics]\nenabled = true\nport = 70000\n',
                       tmp_path)
    assert result.returncode == 2, result.stderr
    assert '[miglock_metrics] port' in result.stderr
    assert 'less than or equal to 65535' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_metrics_port_in_use_is_one_line_and_status_1(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    migration.sync(store)
    store.dispose()
    with socket.create_server(('127.0.0.1', 0)) as taken:
        result = _listener(
            '[miglock_database]\nconnection = %s\n[miglock_metrics]\n'
            'enabled = true\nport = %d\n' % (url, taken.getsockname()[1]),
            tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith('cannot start: cannot serve metrics'), \
        result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.rabbitmq
def test_the_listener_console_script_serves_metrics(tmp_path):
    """As systemd runs it: the port the kernel chose is in the log."""
    url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    migration.sync(store)
    limits = lock.HoldLimits(max_lease=3600, max_hold=7200,
                             min_unlocked_gap=0, max_holders=8)
    store.acquire(str(uuid.uuid4()), 'db', project_id='p',
                  source=lock.SOURCE_GUEST, lease_seconds=600, reason='',
                  limits=limits)
    store.dispose()
    log = tmp_path / 'listener.log'
    conf = tmp_path / 'nova-miglock.conf'
    run = uuid.uuid4().hex[:8]
    conf.write_text(
        '[DEFAULT]\ntransport_url = %s\nlog_file = %s\n'
        '[miglock_database]\nconnection = %s\n'
        '[miglock_listener]\nnova_topics = nova_test_%s\npool = l-%s\n'
        '[miglock_metrics]\nenabled = true\nport = 0\n'
        % (os.environ.get('MIGLOCK_TEST_RABBIT_URL',
                          'rabbit://guest:guest@127.0.0.1:5672/'),
           log, url, run, run))
    process = subprocess.Popen(
        [os.path.join(BIN, 'nova-miglock-listener'), '--config-file',
         str(conf)], start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        found, deadline = None, time.monotonic() + 30
        while found is None and time.monotonic() < deadline:
            text = log.read_text() if log.exists() else ''
            found = re.search(r'Serving metrics on http://[^:]+:(\d+)/', text)
            time.sleep(0.1)
        assert found, log.read_text() if log.exists() else 'no log'
        server = type('Server', (), {'port': int(found.group(1))})
        samples = scrape(server)
        assert value(samples, 'miglock_store_up') == 1
        assert value(samples, 'miglock_holds', source='guest') == 1
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
