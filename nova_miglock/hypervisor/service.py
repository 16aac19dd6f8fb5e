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
"""The nova-miglock-compute service: notifications, resync, events."""

import threading

from oslo_log import log as logging

from nova_miglock.hypervisor import sync
from nova_miglock import listener
from nova_miglock import notifications

LOG = logging.getLogger(__name__)


class LockEndpoint:
    """Applies the lock carried by each ``miglock.*`` notification."""

    def __init__(self, agent):
        self._agent = agent

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        data = (payload or {}).get('miglock_object.data') or {}
        lock_data = (data.get('lock') or {}).get('miglock_object.data') \
            or (data if 'generation' in data else None)
        if lock_data:
            try:
                self._agent.on_lock(lock_data)
            except Exception:
                LOG.exception('Could not apply %s', event_type)

    warn = error = info


class _LibvirtEventLoop(threading.Thread):
    """Runs libvirt's default event loop, for keepalive and close events."""

    def __init__(self, libvirt_module):
        super().__init__(name='libvirt-events', daemon=True)
        self._libvirt = libvirt_module

    def run(self):
        while True:
            self._libvirt.virEventRunDefaultImpl()


class HostAgentService:

    def __init__(self, conf, store, transport=None, writer=None):
        import oslo_messaging as messaging
        self._conf = conf
        self._writer = writer or sync.DomainWriter()
        self._writer.libvirt.virEventRegisterDefaultImpl()
        self.agent = sync.HostAgent(conf, store, writer=self._writer)
        # On Nova's exchange, where nova-api's filters publish.
        transport = transport or notifications.notification_transport(conf)
        self._listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic=topic) for topic in
                        conf.miglock_notifications.topics],
            [LockEndpoint(self.agent)], executor='threading',
            pool='nova-miglock-compute-%s' % conf.miglock_compute.host)
        self._resync = listener.Periodic(
            'resync', conf.miglock_compute.resync_interval,
            self.agent.resync)

    def start(self):
        _LibvirtEventLoop(self._writer.libvirt).start()
        written = self.agent.resync()
        LOG.info('Mirrored the locks of %d domain(s) at start', written)
        self._listener.start()
        self._resync.start()

    def stop(self):
        self._resync.stopped.set()
        self._listener.stop()
        self._listener.wait()
