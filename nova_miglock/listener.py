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
"""nova-miglock-listener: Nova's notifications drive the lock store.

It consumes Nova's versioned notifications (its own listener pool, so other
consumers keep theirs) and

* closes migration tickets when a move ends, succeeds or fails;
* remembers static locks (tags, properties, flavor) from instance updates,
  for the scheduler filter and the host agents, which cannot see Nova;
* ends the holds of deleted instances;

and periodically reaps expired holds, reconciles overdue tickets with
Nova's migration records and refreshes what the placement weigher reads
(:mod:`nova_miglock.placement_refresh`). With ``[miglock_metrics]/enabled``
it also serves the Prometheus metrics (``nova_miglock.metrics``).
"""

from oslo_log import log as logging
import oslo_messaging as messaging

from nova_miglock import lock
from nova_miglock import manager as lock_manager
from nova_miglock import notifications
from nova_miglock import periodic
from nova_miglock import static_locks

LOG = logging.getLogger(__name__)

# Ends that Nova notifies before it records them in its migration record:
# the ticket closes once the record agrees
# (reconcile.TicketReconciler.confirm_end). Not ends: the destination's
# post-live-migration event (the source still works on the move) and
# instance.evacuate (sent by the API when the evacuation starts).
CONFIRMED_ENDS = {
    'instance.live_migration_post.end': 'completed',
    'instance.live_migration_rollback.end': 'rolled-back',
    'instance.live_migration_rollback_dest.end': 'rolled-back',
    'instance.live_migration_abort.end': 'aborted',
    'instance.rebuild.end': 'evacuated',
}
# Event type -> outcome recorded when it closes the instance's ticket.
TICKET_ENDS = {
    'instance.resize_confirm.end': 'confirmed',
    'instance.resize_revert.end': 'reverted',
    'instance.resize.error': 'failed',
    'instance.resize_prep.error': 'failed',
    'instance.resize_finish.error': 'failed',
    'instance.rebuild.error': 'failed',
    'instance.unshelve.end': 'unshelved',
    'instance.delete.end': 'deleted',
}
STATIC_LOCK_EVENTS = ('instance.update', 'instance.create.end')


def _instance_uuid(event_type, data):
    if event_type.startswith('compute_task.'):
        return data.get('instance_uuid')
    return data.get('uuid')


class NovaEndpoint:
    """Handles Nova's versioned notifications, by event type."""

    def __init__(self, manager, reconciler=None):
        self._manager = manager
        self._conf = manager.conf
        self._reconciler = reconciler

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        return self.handle(event_type, payload)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        return self.handle(event_type, payload)

    warn = info

    def handle(self, event_type, payload):
        data = (payload or {}).get('nova_object.data') or {}
        instance_uuid = _instance_uuid(event_type, data)
        if not instance_uuid:
            return None
        try:
            if event_type in CONFIRMED_ENDS and self._reconciler:
                self._reconciler.confirm_end(
                    instance_uuid, outcome=CONFIRMED_ENDS[event_type],
                    actor='nova:%s' % event_type)
            elif event_type in CONFIRMED_ENDS:
                self._end(instance_uuid, event_type,
                          CONFIRMED_ENDS[event_type])
            elif event_type in TICKET_ENDS:
                self._end(instance_uuid, event_type, TICKET_ENDS[event_type])
            elif event_type.startswith('compute_task.') and \
                    event_type.endswith('.error'):
                self._end(instance_uuid, event_type, 'failed')
            if event_type in STATIC_LOCK_EVENTS:
                self._mirror(instance_uuid, data)
        except lock.StoreUnavailable as exc:
            LOG.error('Could not apply %(event)s for %(instance)s: %(error)s',
                      {'event': event_type, 'instance': instance_uuid,
                       'error': exc.message})
            return messaging.NotificationResult.REQUEUE
        return messaging.NotificationResult.HANDLED

    def _end(self, instance_uuid, event_type, outcome):
        ticket = self._manager.end_move(instance_uuid, outcome=outcome,
                                        actor='nova:%s' % event_type)
        if ticket is not None:
            LOG.info('Move %(kind)s of %(instance)s ended: %(outcome)s',
                     {'kind': ticket.kind, 'instance': instance_uuid,
                      'outcome': outcome})
        if event_type == 'instance.delete.end':
            self._manager.end_holds(
                instance_uuid, event=lock.EVENT_RELEASE,
                reason='instance deleted', actor='nova')

    def _mirror(self, instance_uuid, data):
        target = lock_manager.Target(
            instance_uuid=instance_uuid, project_id=data.get('tenant_id'),
            host=data.get('host'),
            static_locks=static_locks.from_payload(self._conf, {
                'tags': data.get('tags'), 'metadata': data.get('metadata'),
                'flavor': data.get('flavor') or {}}))
        self._manager.mirror_static_locks(target,
                                          static_locks.KINDS_IN_PAYLOAD)


class Listener:
    """The listener service: notification consumer plus periodic tasks."""

    def __init__(self, conf, manager, reconciler, transport=None,
                 placement=None, metrics=None, tasks=()):
        self._conf = conf
        self._manager = manager
        # The Prometheus endpoint (metrics.server.MetricsServer), if enabled.
        self._metrics = metrics
        transport = transport or notifications.notification_transport(conf)
        targets = [messaging.Target(topic=topic)
                   for topic in conf.miglock_listener.nova_topics]
        self._listener = messaging.get_notification_listener(
            transport, targets, [NovaEndpoint(manager, reconciler)],
            executor='threading', pool=conf.miglock_listener.pool,
            allow_requeue=True)
        options = conf.miglock_listener
        self._periodic = periodic.PeriodicTasks([
            periodic.Task('reap', lambda: options.reap_interval,
                          manager.reap),
            periodic.Task('reconcile', lambda: options.reconcile_interval,
                          reconciler.run_once),
        ] + ([] if placement is None else [
            # Disabled (0) it still wakes hourly, to see a reload enable it.
            periodic.Task('placement',
                          lambda: options.placement_interval or 3600,
                          placement.run_once)]) + list(tasks),
            name='listener-periodic')

    def start(self):
        if self._metrics is not None:
            self._metrics.start()
        self._listener.start()
        self._periodic.start()
        LOG.info('Listening on %(topics)s in pool %(pool)s',
                 {'topics': self._conf.miglock_listener.nova_topics,
                  'pool': self._conf.miglock_listener.pool})

    def reload(self):
        """Configuration was reloaded: new intervals apply from now."""
        self._periodic.restart()

    def stop(self):
        """Stop consuming; finish the notification and task in hand."""
        self._listener.stop()
        self._listener.wait()
        self._periodic.stop()
        if self._metrics is not None:
            self._metrics.stop()
