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
from nova_miglock import notifications
from nova_miglock import payloads
from nova_miglock import periodic

LOG = logging.getLogger(__name__)


class LockEndpoint:
    """Applies the lock carried by each ``miglock.*`` notification."""

    def __init__(self, agent):
        self._agent = agent

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        try:
            lock_data = payloads.lock_of(payload)
        except payloads.PayloadError as exc:
            # Not a lock, or a version this agent does not know: the next
            # resync reads the store instead.
            LOG.debug('Ignoring %(event)s: %(why)s',
                      {'event': event_type, 'why': exc})
            return
        try:
            self._agent.on_lock(lock_data)
        except Exception:
            LOG.exception('Could not apply %s', event_type)

    warn = error = info


class _LibvirtEventLoop(threading.Thread):
    """Runs libvirt's default event loop: keepalive, close, domain events.

    The loop cannot be interrupted; it is a daemon thread that ends with
    the process.
    """

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
        self.agent = sync.HostAgent(conf, store, writer=self._writer,
                                    events=True)
        self._stopped = threading.Event()
        # On Nova's exchange, where nova-api's filters publish.
        transport = transport or notifications.notification_transport(conf)
        self._listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic=topic) for topic in
                        conf.miglock_notifications.topics],
            [LockEndpoint(self.agent)], executor='threading',
            pool='nova-miglock-compute-%s' % conf.miglock_compute.host)
        self._tasks = periodic.PeriodicTasks([periodic.Task(
            'resync', lambda: conf.miglock_compute.resync_interval,
            self.agent.resync)], name='nova-miglock-compute-periodic')

    def start(self):
        _LibvirtEventLoop(self._writer.libvirt).start()
        sync.MirrorThread(self.agent, self._stopped).start()
        # Listen first, so that no change made while the resync reads the
        # store is missed (the replica keeps the newer of the two).
        self._listener.start()
        written = self.agent.resync()
        LOG.info('Lock replica of %(count)d instance(s) written; mirrored '
                 'the locks of %(written)d domain(s) at start',
                 {'count': len(self.agent.replica), 'written': written})
        self._tasks.start()

    def reload(self):
        self._tasks.restart(timeout=1)

    def stop(self):
        """Stop within about a second.

        SIGTERM must not hang a host's shutdown. A resync still running is
        left to finish in its daemon thread; the replica it would write is
        as good as the last one.
        """
        self._stopped.set()
        self._tasks.stop(timeout=0.5)
        self._listener.stop()
        self._listener.wait()
