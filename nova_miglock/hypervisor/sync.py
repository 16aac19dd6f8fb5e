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
"""nova-miglock-compute: mirror each local domain's lock into libvirt.

The agent writes the lock element (``domain_xml``) into the metadata of
every domain of this host whose instance the store knows, live and
persistent, so the libvirt hook on a destination can judge an incoming
migration alone. It learns changes from ``miglock.*`` notifications (its
own listener pool per host) and resyncs every domain from the store at
start and periodically. It reconnects to libvirtd when the daemon goes away
(keepalive), and when the store is unreachable it keeps the last state it
wrote and retries.
"""

import threading

from oslo_log import log as logging

from nova_miglock.hypervisor import domain_xml
from nova_miglock import lock
from nova_miglock import notifications

LOG = logging.getLogger(__name__)


def _libvirt():
    import libvirt
    return libvirt


class DomainWriter:
    """Reads and writes the lock element of libvirt domains."""

    def __init__(self, libvirt_module=None):
        self.libvirt = libvirt_module or _libvirt()

    def current_generation(self, dom):
        """The generation of the element in ``dom``, or None."""
        lv = self.libvirt
        try:
            text = dom.metadata(lv.VIR_DOMAIN_METADATA_ELEMENT,
                                domain_xml.NAMESPACE,
                                lv.VIR_DOMAIN_AFFECT_CURRENT)
        except lv.libvirtError as exc:
            if exc.get_error_code() == lv.VIR_ERR_NO_DOMAIN_METADATA:
                return None
            raise
        try:
            return domain_xml.parse_element(text).generation
        except domain_xml.MalformedLock:
            return None  # rewritten from the store

    def write(self, dom, lock_data):
        """Write ``lock_data`` into ``dom``, live and persistent as it is."""
        lv = self.libvirt
        flags = 0
        if dom.isActive():
            flags |= lv.VIR_DOMAIN_AFFECT_LIVE
        if dom.isPersistent():
            flags |= lv.VIR_DOMAIN_AFFECT_CONFIG
        dom.setMetadata(lv.VIR_DOMAIN_METADATA_ELEMENT,
                        domain_xml.render(lock_data), domain_xml.PREFIX,
                        domain_xml.NAMESPACE, flags)

    def apply(self, dom, lock_data, force=False):
        """Write unless the domain already has this generation or newer."""
        current = self.current_generation(dom)
        if not force and current is not None and \
                current >= lock_data['generation']:
            return False
        self.write(dom, lock_data)
        return True


class HostAgent:
    """Keeps the lock elements of this host's domains current."""

    def __init__(self, conf, store, writer=None, connect=None):
        self._conf = conf
        self._store = store
        self._writer = writer or DomainWriter()
        self._connect = connect or self._open
        self._conn = None
        self._conn_lock = threading.RLock()
        self.stopped = threading.Event()

    # -- libvirt connection -------------------------------------------------

    def _open(self):
        lv = self._writer.libvirt
        conn = lv.open(self._conf.miglock_compute.libvirt_uri)
        try:
            conn.setKeepAlive(self._conf.miglock_compute.keepalive_interval,
                              self._conf.miglock_compute.keepalive_count)
        except lv.libvirtError:
            LOG.debug('libvirt keepalive not available on this connection')
        conn.registerCloseCallback(self._closed, None)
        return conn

    def _closed(self, conn, reason, opaque):
        LOG.warning('Connection to libvirtd closed (reason %s); will '
                    'reconnect', reason)
        with self._conn_lock:
            self._conn = None

    def connection(self):
        """The libvirt connection, opened again if it was lost."""
        with self._conn_lock:
            if self._conn is not None:
                try:
                    if self._conn.isAlive():
                        return self._conn
                except self._writer.libvirt.libvirtError:
                    pass
                self._conn = None
            self._conn = self._connect()
            LOG.info('Connected to libvirt at %s',
                     self._conf.miglock_compute.libvirt_uri)
            return self._conn

    # -- mirroring ----------------------------------------------------------

    def resync(self):
        """Mirror every local domain from the store.

        Store or libvirt failures are logged and retried at the next
        resync. Returns how many domains were written.
        """
        written = 0
        lv = self._writer.libvirt
        try:
            domains = self._list_domains()
        except lv.libvirtError as exc:
            LOG.warning('Cannot list domains (%s); retrying later', exc)
            return 0
        for dom in domains:
            try:
                state = self._store.get_state(dom.UUIDString())
            except lock.StoreUnavailable as exc:
                LOG.error('Lock store unavailable, keeping the last lock '
                          'of every domain: %s', exc.message)
                return written
            if state.generation == 0 and \
                    self._writer.current_generation(dom) is None:
                continue  # never locked, nothing to mirror
            try:
                if self._writer.apply(
                        dom, notifications.lock_payload(state)):
                    written += 1
            except lv.libvirtError as exc:
                LOG.warning('Cannot write the lock of %(domain)s: %(error)s',
                            {'domain': dom.UUIDString(), 'error': exc})
        return written

    def _call(self, method, *args):
        """Call a connection method; reopen a dead connection once.

        libvirtd may have restarted since the last call without the close
        event having arrived yet.
        """
        lv = self._writer.libvirt
        for attempt in (1, 2):
            try:
                return getattr(self.connection(), method)(*args)
            except lv.libvirtError as exc:
                if exc.get_error_code() == lv.VIR_ERR_NO_DOMAIN or \
                        attempt == 2:
                    raise
                with self._conn_lock:
                    self._conn = None

    def _list_domains(self):
        return self._call('listAllDomains')

    def on_lock(self, lock_data):
        """Apply a lock from a notification, if its domain is here."""
        lv = self._writer.libvirt
        try:
            dom = self._call('lookupByUUIDString',
                             lock_data['instance_uuid'])
        except lv.libvirtError as exc:
            if exc.get_error_code() != lv.VIR_ERR_NO_DOMAIN:
                LOG.warning('libvirt error for %(uuid)s: %(error)s',
                            {'uuid': lock_data['instance_uuid'],
                             'error': exc})
            return False
        return self._writer.apply(dom, lock_data)
