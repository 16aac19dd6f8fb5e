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
"""Where the integration tests run: a real cloud, or the in-process Nova.

With ``OS_CLOUD`` set (clouds.yaml, as ``openstack`` uses it; after
``./stack.sh`` with the devstack plugin, ``OS_CLOUD=devstack-admin``), the
tests talk to that cloud through python-novaclient. Without it, they run
against the in-process Nova of the functional tests, through the same
python-novaclient calls, so they are exercised on every change.
"""

import os
import time

import novaclient
from novaclient import client as nova_client
import testtools

CLOUD = os.environ.get('OS_CLOUD')
API_VERSION = novaclient.API_MAX_VERSION.get_string()


def _id(resource):
    return resource['id'] if isinstance(resource, dict) else resource.id


class Helpers:
    """Cloud operations over python-novaclient, as a tenant would use them.

    Needs ``self.nova`` (admin) in the test.
    """

    timeout = float(os.environ.get('OS_MIGLOCK_TIMEOUT', '300'))

    def cloud_wait(self, what, predicate, interval=0.5):
        deadline = time.monotonic() + self.timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail('timed out waiting for %s' % what)
            time.sleep(interval)

    def cloud_boot(self, name='miglock-it'):
        image = os.environ.get('OS_MIGLOCK_IMAGE') or self.cloud_image()
        flavor = os.environ.get('OS_MIGLOCK_FLAVOR') or min(
            self.nova.flavors.list(), key=lambda f: (f.ram, f.vcpus)).id
        server = self.nova.servers.create(name, image, flavor, nics='none')
        self.addCleanup(self._cloud_delete, server)
        return self.cloud_wait('%s to be ACTIVE' % name,
                               lambda: self.cloud_status(server, 'ACTIVE'))

    def cloud_image(self):
        return _id(self.nova.glance.list()[0])

    def cloud_status(self, server, wanted):
        server = self.nova.servers.get(server.id)
        if server.status == 'ERROR':
            self.fail('server %s went to ERROR' % server.id)
        return server if server.status == wanted and getattr(
            server, 'OS-EXT-STS:task_state', None) is None else None

    def _cloud_delete(self, server):
        try:
            self.nova.servers.delete(server)
        except Exception:
            pass

    def cloud_host(self, server):
        return getattr(self.nova.servers.get(server.id),
                       'OS-EXT-SRV-ATTR:host')

    def cloud_hypervisors(self):
        return len(self.nova.hypervisors.list())

    def miglock(self, method, server, path='', body=None):
        url = '/servers/%s/os-miglock%s' % (server.id, path)
        return getattr(self.nova.client, method)(url, body=body) \
            if body is not None else getattr(self.nova.client, method)(url)


class RealCloudTest(Helpers, testtools.TestCase):
    """A test against the cloud named by OS_CLOUD."""

    def setUp(self):
        super().setUp()
        import openstack.config
        region = openstack.config.OpenStackConfig().get_one(cloud=CLOUD)
        self.nova = nova_client.Client(API_VERSION,
                                       session=region.get_session())


def in_process_base():
    from nova_miglock.testing.nova import base
    from nova_miglock.testing.nova import clients

    class InProcessCloudTest(Helpers, base.NovaTestCase):
        """A test against the in-process Nova with nova-miglock in it."""

        timeout = 30

        def setUp(self):
            super().setUp()
            self.nova = clients.novaclient_for(self, version=API_VERSION)

        def cloud_image(self):
            # Glance's own API is not served in-process; Nova's image
            # proxy (microversion 2.35 and older) is.
            self.admin_api.microversion = '2.35'
            try:
                return self.admin_api.get_images()[0]['id']
            finally:
                self.admin_api.microversion = self.microversion

    return InProcessCloudTest


Base = RealCloudTest if CLOUD else in_process_base()
