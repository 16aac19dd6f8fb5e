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
"""nova-miglock-listener as systemd runs it: the real console script.

A real process on a SQLite store and the RabbitMQ at 127.0.0.1: SIGHUP
reloads mutable options and it keeps running; SIGTERM stops it, exit 0,
within 2 s; a mistake at start is one line and a non-zero exit.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from nova_miglock import lock
from nova_miglock.store.sql import driver
from nova_miglock.testing import fixtures

BIN = os.path.dirname(sys.executable)
RABBIT = os.environ.get('MIGLOCK_TEST_RABBIT_URL',
                        'rabbit://guest:guest@127.0.0.1:5672/')
INSTANCE = str(uuid.uuid4())
CONF = """[DEFAULT]
transport_url = {rabbit}
log_file = {log}
graceful_shutdown_timeout = 10

[miglock_database]
connection = {url}

[miglock_listener]
nova_topics = nova_test_{run}
pool = listener-{run}
reap_interval = {reap}
reconcile_interval = 3600
"""


class Listener:
    """The console script in its own session (SIGHUP goes to its group)."""

    def __init__(self, tmp_path):
        self.url = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
        self.conf = tmp_path / 'nova-miglock.conf'
        self.log = tmp_path / 'listener.log'
        self.run = uuid.uuid4().hex[:8]
        self.write(reap=3600)
        subprocess.run([os.path.join(BIN, 'nova-miglock-manage'),
                        '--config-file', str(self.conf), 'db', 'sync'],
                       check=True, capture_output=True, timeout=60)
        self.process = None

    def write(self, reap):
        self.conf.write_text(CONF.format(rabbit=RABBIT, log=self.log,
                                         url=self.url, run=self.run,
                                         reap=reap))

    def start(self):
        self.process = subprocess.Popen(
            [os.path.join(BIN, 'nova-miglock-listener'), '--config-file',
             str(self.conf)], start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.wait_for_log('Listening on'), self.log_text()

    def log_text(self):
        return self.log.read_text() if self.log.exists() else ''

    def wait_for_log(self, text, timeout=30):
        return _until(lambda: text in self.log_text(), timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def _until(condition, timeout):
    """Poll ``condition`` until true or ``timeout`` seconds (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def listener(tmp_path):
    service = Listener(tmp_path)
    yield service
    service.stop()


def _expired_hold(url):
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    limits = lock.HoldLimits(max_lease=3600, max_hold=7200,
                             min_unlocked_gap=0, max_holders=8)
    store.acquire(INSTANCE, 'backup', project_id='proj',
                  source=lock.SOURCE_GUEST, lease_seconds=1,
                  reason='nightly backup', limits=limits)
    store.dispose()


def _reaped(url):
    store = driver.SQLLockStore(fixtures.make_conf(), connection=url)
    try:
        return [e['event'] for e in store.ledger(instance_uuid=INSTANCE)
                if e['event'] == lock.EVENT_EXPIRE]
    finally:
        store.dispose()


@pytest.mark.rabbitmq
def test_sighup_reloads_the_interval_and_keeps_running(listener):
    listener.start()
    _expired_hold(listener.url)
    listener.write(reap=1)
    os.kill(listener.process.pid, signal.SIGHUP)
    assert listener.wait_for_log('reloaded its configuration'), \
        listener.log_text()
    assert _until(lambda: _reaped(listener.url), 20), listener.log_text()
    assert listener.process.poll() is None


@pytest.mark.rabbitmq
def test_sigterm_stops_within_two_seconds_with_status_0(listener):
    listener.start()
    started = time.monotonic()
    os.kill(listener.process.pid, signal.SIGTERM)
    status = listener.process.wait(10)
    elapsed = time.monotonic() - started
    assert status == 0
    assert elapsed < 2, elapsed
    assert 'Stopping nova-miglock-listener' in listener.log_text()


def test_a_configuration_mistake_is_one_line_and_status_2(tmp_path):
    conf = tmp_path / 'bad.conf'
    conf.write_text('[miglock_listener]\nreap_interval = soon\n')
    result = subprocess.run(
        [os.path.join(BIN, 'nova-miglock-listener'), '--config-file',
         str(conf)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'reap_interval' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_unreachable_store_is_one_line_and_status_1(tmp_path):
    conf = tmp_path / 'nova-miglock.conf'
    conf.write_text('[miglock_database]\nconnection = mysql+pymysql://'
                    'nobody@127.0.0.1:1/none\n[miglock_store]\n'
                    'connect_timeout = 2\n')
    result = subprocess.run(
        [os.path.join(BIN, 'nova-miglock-listener'), '--config-file',
         str(conf)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith('cannot start:'), result.stderr
