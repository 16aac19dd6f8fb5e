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
"""A TCP forward that sends every client to one node and can switch nodes.

The pattern of HAProxy in front of Galera: one active backend, the others
standby; when the active one is marked down, open sessions are cut
(``on-marked-down shutdown-sessions``) and new connections go to the next
node. ``switch()`` does both. Written here (not HAProxy) so the tests need no
extra package and control the moment of the switch exactly.
"""

import selectors
import socket
import threading

BUFFER = 65536


class Forward:
    """Listen on 127.0.0.1 (an ephemeral port); forward to ``target``."""

    def __init__(self, target_port):
        self._target = target_port
        self._lock = threading.Lock()
        self._pairs = set()
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def url(self, database=''):
        return 'mysql+pymysql://root@127.0.0.1:%d/%s' % (self.port, database)

    @property
    def target(self):
        return self._target

    def switch(self, target_port):
        """Send new connections to ``target_port``; cut the open ones."""
        with self._lock:
            self._target = target_port
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            _close(*pair)

    def close(self):
        self._closed = True
        self._listener.close()
        self.switch(None)
        self._acceptor.join(timeout=5)

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                target = self._target
            try:
                server = socket.create_connection(('127.0.0.1', target),
                                                  timeout=5)
            except (OSError, TypeError):
                client.close()  # the client sees the node refuse
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._pairs.add((client, server))
            threading.Thread(target=self._pump, args=(client, server),
                             daemon=True).start()

    def _pump(self, client, server):
        peer = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            for sock in peer:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select():
                        data = key.fileobj.recv(BUFFER)
                        if not data:
                            return
                        peer[key.fileobj].sendall(data)
            except (OSError, ValueError):
                return
            finally:
                with self._lock:
                    self._pairs.discard((client, server))
                _close(client, server)


def _close(*sockets):
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


class HealthCheck(threading.Thread):
    """Switch the forward away from its backend when that one is unhealthy.

    HAProxy's check of a Galera node (``clustercheck``): a node that is not
    Synced, because it is down, joining, or a donor blocked by a state
    transfer, gets no traffic. ``backends`` is ``[(port, is_healthy)]`` in
    order of preference.
    """

    def __init__(self, forward, backends, interval=0.2):
        super().__init__(daemon=True)
        self.forward, self.backends, self.interval = forward, backends, \
            interval
        self.switches = []
        self._done = threading.Event()

    def run(self):
        healthy = dict(self.backends)
        while not self._done.wait(self.interval):
            if healthy[self.forward.target]():
                continue
            for port, check in self.backends:
                if port != self.forward.target and check():
                    self.forward.switch(port)
                    self.switches.append(port)
                    break

    def stop(self):
        self._done.set()
        self.join(timeout=10)
