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
"""nova-miglock-compute: keep this host's lock replica and domain mirrors.

Two things, from the same store and notifications:

* the **replica** (``replica``), the file the libvirt hook decides by: the
  lock of every locked, statically locked or moving instance of the cloud
  (a domain can arrive from any host), keyed by UUID, written atomically;
* the **element mirror** (``domain_xml``) in the metadata of every local
  domain the store knows, for operators; rewritten whenever it differs
  from the store, so an edited or removed element does not last.

It learns changes from ``miglock.*`` notifications (its own listener pool
per host) and resyncs both from the store at start and periodically. It
reconnects to libvirtd when the daemon goes away (keepalive), and when the
store is unreachable it keeps the last state it wrote and retries; the
replica then ages, and the hook stops trusting it after
``[miglock_hook]/max_replica_age``.
"""

import os
import queue
import tempfile
import threading
import time

from oslo_log import log as logging

from nova_miglock.hypervisor import domain_xml
from nova_miglock.hypervisor import replica
from nova_miglock import lock
from nova_miglock import notifications

LOG = logging.getLogger(__name__)


def _libvirt():
    import libvirt
    return libvirt


def entry_of(lock_data):
    """The replica Entry of a ``LockPayload`` dict, or None.

    None when the instance neither is nor can become locked without a new
    notification (no holder, no static lock, no open move).
    """
    static = domain_xml.static_text(lock_data.get('static_locks'))
    holders = lock_data.get('holders') or ()
    if not static and not holders and lock_data['state'] != 'migrating':
        return None
    return replica.Entry(
        lock_data['instance_uuid'].lower(), int(lock_data['generation']),
        lock_data['state'],
        domain_xml.epoch(lock_data.get('lease_expires_at')), holders, static,
        domain_xml.epoch(lock_data.get('static_exempt_until')),
        'open' if lock_data['state'] == 'migrating' else '',
        lock_data.get('host'))


def write_atomically(path, text, default_mode=0o600):
    """Replace ``path`` by ``text``: temp file, fsync, rename, fsync dir.

    An existing file keeps its owner, group and mode; a new one gets
    ``default_mode`` (the replica names the hosts of instances), and its
    directory is created if missing.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o755, exist_ok=True)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as stream:
            stream.write(text)
            stream.flush()
            if old is not None:
                os.fchmod(stream.fileno(), old.st_mode & 0o7777)
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    os.fchown(stream.fileno(), old.st_uid, old.st_gid)
            else:
                os.fchmod(stream.fileno(), default_mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ReplicaFile:
    """The agent's copy of the replica and the file it writes it to.

    Notifications may arrive out of order and while a resync reads the
    store: an entry is only ever replaced by one of the same or a newer
    generation, and a resync keeps what notifications brought while it
    was reading.
    """

    def __init__(self, path, host, clock=time.time):
        self.path = path
        self.host = host
        self._clock = clock
        self._lock = threading.Lock()
        self._entries = {}
        self._lines = {}  # uuid -> formatted line: one write formats once
        self._removed = {}  # uuid -> generation of the change that removed
        self._touched = None
        self._dirty = False
        self.synced_at = None  # when the store last gave us everything

    def get(self, uuid):
        with self._lock:
            return self._entries.get(uuid.lower())

    def __len__(self):
        return len(self._entries)

    def apply(self, lock_data):
        """Take one notification's lock; False if we already have newer."""
        uuid = lock_data['instance_uuid'].lower()
        generation = int(lock_data['generation'])
        entry = entry_of(lock_data)
        with self._lock:
            current = self._entries.get(uuid)
            known = current.generation if current is not None else \
                self._removed.get(uuid, -1)
            if generation < known:
                return False
            if entry is None:
                self._entries.pop(uuid, None)
                self._lines.pop(uuid, None)
                self._removed[uuid] = generation
            else:
                self._entries[uuid] = entry
                self._lines[uuid] = replica.format_entry(entry)
                self._removed.pop(uuid, None)
            if self._touched is not None:
                self._touched.add(uuid)
            self._dirty = True
            return True

    def begin_resync(self):
        with self._lock:
            self._touched = set()

    def replace(self, lock_datas, synced_at=None):
        """Everything the store listed, read since ``begin_resync``."""
        fresh = {}
        for lock_data in lock_datas:
            entry = entry_of(lock_data)
            if entry is not None:
                fresh[entry.uuid] = entry
        with self._lock:
            for uuid in self._touched or ():
                mine = self._entries.get(uuid)
                known = mine.generation if mine is not None else \
                    self._removed.get(uuid, -1)
                theirs = fresh.get(uuid)
                if theirs is None or known >= theirs.generation:
                    if mine is None:
                        fresh.pop(uuid, None)
                    else:
                        fresh[uuid] = mine
            lines = {}
            for uuid, entry in fresh.items():
                mine = self._entries.get(uuid)
                lines[uuid] = self._lines[uuid] if mine == entry else \
                    replica.format_entry(entry)
            self._entries = fresh
            self._lines = lines
            self._removed = {}
            self._touched = None
            self._dirty = True
            self.synced_at = self._clock() if synced_at is None \
                else synced_at

    def flush(self):
        """Write the file if anything changed since the last write.

        Several notification threads may call this at once: the first
        writes every change made so far, the others find nothing to do.
        """
        with self._lock:
            if not self._dirty or self.synced_at is None:
                return False
            text = replica.format_header(self.synced_at, self.host) + \
                ''.join(self._lines.values())
            write_atomically(self.path, text)
            self._dirty = False
            return True


class DomainWriter:
    """Reads and writes the lock element of libvirt domains."""

    def __init__(self, libvirt_module=None):
        self.libvirt = libvirt_module or _libvirt()

    def current(self, dom):
        """The element in ``dom``: a Lock, None, or a MalformedLock.

        None when absent; the ``MalformedLock`` it raised when it does not
        parse or is incomplete.
        """
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
            return domain_xml.parse_element(text)
        except domain_xml.MalformedLock as exc:
            return exc

    def current_generation(self, dom):
        """The generation of the element in ``dom``, or None."""
        found = self.current(dom)
        return found.generation if isinstance(found, domain_xml.Lock) \
            else None

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
        """Write unless the element already says exactly this.

        Any difference is repaired, whatever the element's generation:
        the element is only a mirror, and a libvirt user can write one
        with any generation.
        """
        found = self.current(dom)
        wanted = domain_xml.parse_element(domain_xml.render(lock_data))
        if not force and isinstance(found, domain_xml.Lock) and \
                found.key() == wanted.key():
            return False
        self.write(dom, lock_data)
        return True


class HostAgent:
    """Keeps this host's replica and its domains' lock elements current."""

    def __init__(self, conf, store, writer=None, connect=None,
                 replica_file=None, events=False):
        self._conf = conf
        # Domains to repair, queued by libvirt events (see _watch).
        self._events = events
        self.arrivals = queue.Queue()
        self._store = store
        self._writer = writer or DomainWriter()
        self._connect = connect or self._open
        self._conn = None
        self._conn_lock = threading.RLock()
        self.replica = replica_file or ReplicaFile(
            conf.miglock_hook.replica_path, conf.miglock_compute.host)
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
        if self._events:
            self._watch(conn)
        return conn

    def _watch(self, conn):
        """Queue the domains that arrive or whose element is edited.

        A domain defined, started or restored here (by a migration, a save
        file, ``virsh define``) carries whatever element its XML had, and
        ``virsh metadata`` can change ours at any time: the mirror thread
        (``MirrorThread``) repairs them from the store at once rather than
        at the next resync. The callbacks run in libvirt's event loop,
        where a call back into libvirt could deadlock: they only queue.
        """
        lv = self._writer.libvirt
        arrived = (lv.VIR_DOMAIN_EVENT_DEFINED, lv.VIR_DOMAIN_EVENT_STARTED,
                   lv.VIR_DOMAIN_EVENT_RESUMED)

        def lifecycle(conn, dom, event, detail, opaque):
            if event in arrived:
                self.arrivals.put(dom.UUIDString())

        def metadata(conn, dom, kind, namespace, opaque):
            if namespace == domain_xml.NAMESPACE:
                self.arrivals.put(dom.UUIDString())

        try:
            conn.domainEventRegisterAny(
                None, lv.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle, None)
            conn.domainEventRegisterAny(
                None, lv.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, metadata, None)
        except lv.libvirtError as exc:
            LOG.warning('No libvirt domain events (%s): elements are '
                        'repaired at each resync only', exc)

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

    # -- the replica --------------------------------------------------------

    def resync_replica(self):
        """Read every locked instance from the store into the replica.

        :returns: False when the store could not be read (the replica is
            left as it was, and ages). A replica that cannot be written is
            logged; it ages too, and the elements are still mirrored.
        """
        self.replica.begin_resync()
        try:
            states = self._store.list_states(locked_only=True)
        except lock.StoreUnavailable as exc:
            LOG.error('Lock store unavailable, the lock replica is not '
                      'refreshed: %s', exc.message)
            return False
        self.replica.replace(notifications.lock_payload(s) for s in states)
        try:
            self.replica.flush()
        except OSError as exc:
            LOG.error('Cannot write the lock replica %(path)s: %(error)s',
                      {'path': self.replica.path, 'error': exc})
        return True

    # -- mirroring ----------------------------------------------------------

    def resync(self):
        """Bring the replica and every local domain's element up to date.

        Store or libvirt failures are logged and retried at the next
        resync. Returns how many elements were written.
        """
        if not self.resync_replica():
            return 0
        return self.resync_elements()

    def resync_elements(self, uuids=None):
        """Repair the elements of local domains (of ``uuids``, if given)."""
        written = 0
        lv = self._writer.libvirt
        try:
            domains = self._list_domains()
        except lv.libvirtError as exc:
            LOG.warning('Cannot list domains (%s); retrying later', exc)
            return 0
        if uuids is not None:
            wanted = {u.lower() for u in uuids}
            domains = [d for d in domains
                       if d.UUIDString().lower() in wanted]
        if not domains:
            return 0
        try:
            states = self._store.get_states([d.UUIDString()
                                             for d in domains])
        except lock.StoreUnavailable as exc:
            LOG.error('Lock store unavailable, keeping the last lock '
                      'of every domain: %s', exc.message)
            return 0
        for dom, state in zip(domains, states):
            try:
                if state.generation == 0 and \
                        self._writer.current(dom) is None:
                    continue  # never locked, nothing to mirror
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
        """Apply a notification's lock to the replica, then the element.

        The element is written if the domain is here.

        A notification older than what the replica has is ignored.
        """
        if not self.replica.apply(lock_data):
            return False
        try:
            self.replica.flush()
        except OSError as exc:
            LOG.error('Cannot write the lock replica %(path)s: %(error)s',
                      {'path': self.replica.path, 'error': exc})
        lv = self._writer.libvirt
        try:
            dom = self._call('lookupByUUIDString',
                             lock_data['instance_uuid'])
        except lv.libvirtError as exc:
            if exc.get_error_code() != lv.VIR_ERR_NO_DOMAIN:
                LOG.warning('libvirt error for %(uuid)s: %(error)s',
                            {'uuid': lock_data['instance_uuid'],
                             'error': exc})
            return True
        try:
            self._writer.apply(dom, lock_data)
        except lv.libvirtError as exc:
            LOG.warning('Cannot write the lock of %(uuid)s: %(error)s',
                        {'uuid': lock_data['instance_uuid'], 'error': exc})
        return True


class MirrorThread(threading.Thread):
    """Repairs the elements of the domains libvirt events queued.

    Several events for one domain in a burst are one store read.
    """

    def __init__(self, agent, stopped):
        super().__init__(name='nova-miglock-mirror', daemon=True)
        self._agent = agent
        self._stopped = stopped

    def run(self):
        while not self._stopped.is_set():
            try:
                first = self._agent.arrivals.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = {first}
            while True:
                try:
                    batch.add(self._agent.arrivals.get_nowait())
                except queue.Empty:
                    break
            try:
                self._agent.resync_elements(batch)
            except Exception:
                LOG.exception('Could not repair the elements of %s', batch)
