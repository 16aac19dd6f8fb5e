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
"""``miglock.*`` versioned notifications, for billing and the host agents.

Every payload is a versioned object of ``nova_miglock.payloads``, like
Nova's: ``miglock_object.name``, ``.namespace``, ``.version`` and
``.data``, each payload class with its own version. Each about an
instance's lock carries its lock state after the change, so a host agent
can mirror it into the domain without asking the store; those about a
project's tax or a static lock's age carry none, and agents ignore them.

========================  ===================================================
event type                when
========================  ===================================================
miglock.hold.acquire      a hold was granted
miglock.hold.renew        a hold was renewed
miglock.hold.release      a hold was released by its holder
miglock.hold.expire       an expired hold was reaped
miglock.hold.break        an operator broke a hold
miglock.hold.evacuated    evacuation ended a hold (priority WARN)
miglock.move.refused      a move was refused because the instance is locked
miglock.move.admitted     a move was admitted (migration ticket opened)
miglock.move.ended        a move ended (ticket closed)
miglock.move.extended     an open move's deadline was pushed back
miglock.lock.static       the static locks of an instance changed
miglock.request.opened    a guest was told a move is coming (move request)
miglock.request.approved  the guest approved the move early ("go now")
miglock.request.closed    the request closed (``outcome``: what became of
                          the move)
miglock.static.expiring   a tenant's static lock nears its maximum age (WARN)
miglock.static.lapsed     a tenant's static lock reached its maximum age and
                          stopped counting (WARN)
miglock.static.overdue    a tenant's static lock is past its maximum age and
                          still counts ([miglock_sla]/static_max_age_action
                          = notify; WARN)
miglock.tax.rated         a project's lock time over a period, at its tax
                          rate, for a rating service such as CloudKitty
========================  ===================================================
"""

import socket
import threading

from oslo_log import log as logging

from nova_miglock import lock

LOG = logging.getLogger(__name__)

PUBLISHER = 'nova-miglock'
REQUEST_STEPS = ('opened', 'approved', 'closed')

_NOTIFIER = None
_NOTIFIER_LOCK = threading.Lock()


def _payloads():
    # Imported on first use: oslo.versionedobjects loads oslo.messaging,
    # slow to import, and the gate and the scheduler filter import us.
    from nova_miglock import payloads
    return payloads


def lock_payload(state):
    """The fields of LockPayload for ``state``: what host agents mirror."""
    payloads = _payloads()
    return payloads.LockPayload.from_state(state).to_primitive()[
        payloads.SERIAL_NAMESPACE + '.data']


def hold_payload(hold, state, actor):
    return _payloads().HoldPayload.from_hold(hold, state, actor).to_primitive()


def static_payload(state):
    return _payloads().LockPayload.from_state(state).to_primitive()


def tax_payload(project_tax, since, until, window_days):
    return _payloads().TaxPayload.from_tax(
        project_tax, since, until, window_days).to_primitive()


def static_age_payload(age):
    return _payloads().StaticAgePayload.from_age(age).to_primitive()


def move_payload(state, kind, ticket, actor, reason):
    return _payloads().MovePayload.from_move(
        state, kind, ticket, actor, reason).to_primitive()


def request_payload(request, actor, outcome):
    return _payloads().MoveRequestPayload.from_request(
        request, actor, outcome).to_primitive()


# Nova's services default oslo.messaging's control_exchange to "nova"
# (nova/rpc.py), and their notifications go to that exchange; ours default
# the same, or the listener waits on an exchange nobody sends to. A
# control_exchange set in the configuration still wins.
NOVA_EXCHANGE = 'nova'


def notification_transport(conf):
    """The notification transport, on Nova's exchange unless configured."""
    import oslo_messaging as messaging
    messaging.set_transport_defaults(control_exchange=NOVA_EXCHANGE)
    return messaging.get_notification_transport(conf)


class Notifier:
    """Sends miglock.* notifications.

    A failure to send never fails a lock operation: host agents resync from
    the store periodically.
    """

    def __init__(self, conf, transport=None):
        self._conf = conf
        self._notifier = None
        if not conf.miglock_notifications.enabled:
            return
        # Imported here: oslo.messaging is slow to import and only needed
        # once a notification is sent.
        import oslo_messaging as messaging
        try:
            transport = transport or notification_transport(conf)
            self._notifier = messaging.Notifier(
                transport, driver=conf.miglock_notifications.driver,
                topics=conf.miglock_notifications.topics,
                publisher_id='%s:%s' % (PUBLISHER, socket.gethostname()))
        except Exception:
            LOG.exception('miglock notifications are disabled: the '
                          'notification transport could not be set up')

    def _emit(self, event_type, build, *args, warn=False):
        """Send ``build(*args)``; built only when notifications are on."""
        if self._notifier is None:
            return
        try:
            send = self._notifier.warn if warn else self._notifier.info
            send({}, event_type, build(*args))
        except Exception:
            LOG.exception('Could not send notification %s', event_type)

    def hold_changed(self, event, hold, state, actor=None):
        self._emit('miglock.hold.%s' % event, hold_payload, hold, state,
                   actor, warn=event == lock.EVENT_EVACUATED)

    def move_changed(self, event, state, kind, ticket=None, actor=None,
                     reason=None):
        name = {lock.EVENT_MOVE_REFUSED: 'refused',
                lock.EVENT_MOVE_ADMITTED: 'admitted',
                lock.EVENT_MOVE_ENDED: 'ended',
                lock.EVENT_MOVE_EXTENDED: 'extended'}[event]
        self._emit('miglock.move.%s' % name, move_payload, state, kind,
                   ticket, actor, reason)

    def request_changed(self, step, request, actor=None, outcome=None):
        """``step``: ``opened``, ``approved`` or ``closed``."""
        if step not in REQUEST_STEPS:
            raise ValueError('unknown move request step %r' % step)
        self._emit('miglock.request.%s' % step, request_payload, request,
                   actor, outcome)

    def static_changed(self, state):
        self._emit('miglock.lock.static', static_payload, state)

    def static_aged(self, event, age):
        """``event``: expiring, lapsed or overdue."""
        self._emit('miglock.static.%s' % event, static_age_payload, age,
                   warn=True)

    def tax_rated(self, project_tax, since, until, window_days):
        self._emit('miglock.tax.rated', tax_payload, project_tax, since,
                   until, window_days)


def get_notifier(conf):
    """The process-wide notifier."""
    global _NOTIFIER
    with _NOTIFIER_LOCK:
        if _NOTIFIER is None:
            _NOTIFIER = Notifier(conf)
        return _NOTIFIER


def reset_notifier():
    global _NOTIFIER
    with _NOTIFIER_LOCK:
        _NOTIFIER = None
