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
"""Where the integration tests run: a real cloud, through Keystone.

``OS_CLOUD`` names the cloud in clouds.yaml as ``openstack`` reads it
(after ``./stack.sh`` with the devstack plugin: ``OS_CLOUD=devstack-admin``).
Without it, ``conftest.py`` starts the one-machine cloud of
``tests/cloud`` for the session and points ``OS_CLOUD`` at its admin.

Tests that reach behind the API (libvirt daemons, a compute service to
stop, the metadata API as the Neutron proxy calls it) need what the
one-machine cloud records in ``MIGLOCK_CLOUD_DIR``; against another cloud
they are skipped with the reason, unless ``MIGLOCK_METADATA_URL`` and
``MIGLOCK_METADATA_SECRET`` name its metadata API and proxy secret.
"""

import hashlib
import hmac
import json
import os
import time

import novaclient
from novaclient import client as nova_client
import requests
import testtools

API_VERSION = novaclient.API_MAX_VERSION.get_string()


def tenant_cloud():
    """The clouds.yaml entry of a tenant (a member of its project).

    ``MIGLOCK_TENANT_CLOUD``, else the one-machine cloud's alpha member,
    else devstack's ``devstack`` (its demo user).
    """
    return os.environ.get('MIGLOCK_TENANT_CLOUD') or (
        'miglock-alpha-member' if os.environ.get('MIGLOCK_CLOUD_DIR')
        else 'devstack')


def local_cloud():
    """The one-machine cloud's state, or None against another cloud."""
    directory = os.environ.get('MIGLOCK_CLOUD_DIR')
    if not directory:
        return None
    with open(os.path.join(directory, 'state.json')) as stream:
        state = json.load(stream)
    state['run_dir'] = directory
    return state


def session_for(cloud_name):
    import openstack.config
    region = openstack.config.OpenStackConfig().get_one(cloud=cloud_name)
    return region.get_session()


class Base(testtools.TestCase):
    """A test against the cloud named by OS_CLOUD, as its admin."""

    timeout = float(os.environ.get('OS_MIGLOCK_TIMEOUT', '180'))

    def setUp(self):
        super().setUp()
        self.admin_session = session_for(os.environ['OS_CLOUD'])
        self.nova = nova_client.Client(API_VERSION,
                                       session=self.admin_session)
        self.local = local_cloud()

    def tenant(self, cloud_name=None):
        cloud_name = cloud_name or tenant_cloud()
        try:
            session = session_for(cloud_name)
        except Exception as exc:
            self.skipTest('no cloud %s in clouds.yaml: %s'
                          % (cloud_name, exc))
        return nova_client.Client(API_VERSION, session=session)

    def need_local(self, what):
        if self.local is None:
            self.skipTest('%s needs the one-machine cloud (tests/cloud)'
                          % what)
        return self.local

    # -- waiting -----------------------------------------------------------

    def cloud_wait(self, what, predicate, interval=0.5, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail('timed out waiting for %s' % what)
            time.sleep(interval)

    def cloud_status(self, server, wanted):
        server = self.nova.servers.get(server.id)
        if server.status == 'ERROR' and wanted != 'ERROR':
            self.fail('server %s went to ERROR: %s' % (
                server.id, getattr(server, 'fault', '')))
        return server if server.status == wanted and getattr(
            server, 'OS-EXT-STS:task_state', None) is None else None

    # -- servers -----------------------------------------------------------

    def cloud_boot(self, name='miglock-it', client=None):
        client = client or self.tenant()
        image = os.environ.get('OS_MIGLOCK_IMAGE') or self.cloud_image()
        flavor = os.environ.get('OS_MIGLOCK_FLAVOR') or min(
            self.nova.flavors.list(), key=lambda f: (f.ram, f.vcpus)).id
        server = client.servers.create(name, image, flavor, nics='none')
        self.addCleanup(self._cloud_delete, server)
        return self.cloud_wait('%s to be ACTIVE' % name,
                               lambda: self.cloud_status(server, 'ACTIVE'))

    def cloud_image(self):
        if self.local:
            return self.local['image']
        return self.nova.glance.list()[0].id

    def _cloud_delete(self, server):
        try:
            self.nova.servers.delete(server)
        except Exception:
            return
        try:
            self.cloud_wait('%s to be deleted' % server.id,
                            lambda: not self._exists(server), timeout=60)
        except Exception:
            pass

    def _exists(self, server):
        try:
            self.nova.servers.get(server.id)
        except novaclient.exceptions.NotFound:
            return False
        return True

    def cloud_host(self, server):
        return getattr(self.nova.servers.get(server.id),
                       'OS-EXT-SRV-ATTR:host')

    def cloud_hypervisors(self):
        return len(self.nova.hypervisors.list())

    def migrations(self, server):
        return self.nova.migrations.list(instance_uuid=server.id)

    # -- nova-miglock ------------------------------------------------------

    def miglock(self, method, server, path='', body=None, client=None):
        client = client or self.nova
        url = '/servers/%s/os-miglock%s' % (server.id, path)
        return getattr(client.client, method)(url, body=body) \
            if body is not None else getattr(client.client, method)(url)

    def metadata(self, method, server, path='', body=None):
        """Call the metadata API as the Neutron metadata proxy does.

        The proxy names the instance and signs its ID with
        ``[neutron] metadata_proxy_shared_secret`` (HMAC-SHA256).
        """
        if self.local:
            values = self.local['values']
            url = values['urls']['metadata']
            secret = values['metadata_secret']
        else:
            url = os.environ.get('MIGLOCK_METADATA_URL')
            secret = os.environ.get('MIGLOCK_METADATA_SECRET')
            if not (url and secret):
                self.skipTest('set MIGLOCK_METADATA_URL and '
                              'MIGLOCK_METADATA_SECRET to reach the '
                              'metadata API as the proxy does')
        server = self.nova.servers.get(server.id)
        signature = hmac.new(secret.encode(), server.id.encode(),
                             hashlib.sha256).hexdigest()
        headers = {'X-Instance-ID': server.id,
                   'X-Tenant-ID': server.tenant_id,
                   'X-Instance-ID-Signature': signature,
                   'X-Forwarded-For': '10.0.0.5'}
        return requests.request(
            method, url + '/openstack/miglock' + path, headers=headers,
            json=body, timeout=30)
