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
"""The cloud of the integration tests: OS_CLOUD, or one started here.

Without ``OS_CLOUD``, the one-machine cloud (``tests/cloud``) starts once
for the session and stops at the end. Its directory stays in
``MIGLOCK_CLOUD_RUNS`` (default ``.cloud/runs`` in the source tree) with
each service's ``logs/`` and configuration, without the instances and
images. Where it cannot start (not root,
libvirt or a service missing) every test is skipped with the reason; with
``MIGLOCK_CLOUD_REQUIRED=1`` (CI) a failure to start is an error instead.
"""

import os
import shutil
import tempfile
import time

import pytest

from tests.cloud import cloud
from tests.cloud import processes


# The first test also waits for the cloud to start (pytest-timeout counts
# a test's fixtures): minutes on a loaded 2-core machine.
TIMEOUT = int(os.environ.get('MIGLOCK_CLOUD_TEST_TIMEOUT', '900'))


def pytest_collection_modifyitems(items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(pytest.mark.timeout(TIMEOUT))


@pytest.fixture(scope='session', autouse=True)
def integration_cloud():
    if os.environ.get('OS_CLOUD'):
        yield None
        return
    required = os.environ.get('MIGLOCK_CLOUD_REQUIRED') == '1'
    reason = cloud.missing()
    if reason:
        if required:
            pytest.fail('the integration cloud cannot start: %s' % reason)
        pytest.skip('the integration cloud cannot start: %s' % reason)
    runs = os.environ.get('MIGLOCK_CLOUD_RUNS') or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), '.cloud', 'runs')
    os.makedirs(runs, exist_ok=True)
    the_cloud = cloud.Cloud(tempfile.mkdtemp(
        prefix=time.strftime('%Y%m%d-%H%M%S-'), dir=runs))
    try:
        state = the_cloud.start()
    except processes.StartError as exc:
        message = 'the integration cloud did not start (logs in %s/logs): ' \
            '%s' % (the_cloud.run_dir, exc)
        if required:
            pytest.fail(message)
        pytest.skip(message)
    print('\nthe integration cloud started in %.1f s in %s'
          % (state['start_seconds'], the_cloud.run_dir))
    saved = {key: os.environ.get(key) for key in (
        'OS_CLOUD', 'OS_CLIENT_CONFIG_FILE', 'MIGLOCK_CLOUD_DIR')}
    os.environ.update(OS_CLOUD='miglock-admin',
                      OS_CLIENT_CONFIG_FILE=the_cloud.path('clouds.yaml'),
                      MIGLOCK_CLOUD_DIR=the_cloud.run_dir)
    try:
        yield the_cloud
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        the_cloud.stop()
        for bulky in ('state', 'libvirt'):
            shutil.rmtree(the_cloud.path(bulky), ignore_errors=True)
