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
"""End to end over the real RabbitMQ on 127.0.0.1:5672 (guest/guest).

Nova's versioned notifications and our ``miglock.*`` notifications travel
through oslo.messaging's rabbit driver: a live migration admitted by the
gate finishes in Nova, nova-miglock-listener's service (the real one) hears
it and closes the ticket, and a consumer on the miglock topic hears both
the admission and the end.
"""

import os
import threading
import uuid

from nova import rpc
import oslo_messaging as messaging
import pytest

from nova_miglock import listener
from nova_miglock import manager as lock_manager
from nova_miglock import notifications
from nova_miglock import reconcile
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients

RABBIT = os.environ.get('MIGLOCK_TEST_RABBIT_URL',
                        'rabbit://guest:guest@127.0.0.1:5672/')


class Collector:
    """Records every notification on a topic."""

    def __init__(self):
        self.events = []
        self.arrived = threading.Condition()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        with self.arrived:
            self.events.append((event_type, payload))
            self.arrived.notify_all()

    warn = error = info

    def wait_for(self, event_type, timeout=30):
        with self.arrived:
            return self.arrived.wait_for(
                lambda: event_type in [e for e, _ in self.events], timeout)


@pytest.mark.rabbitmq
class RabbitMQTest(base.NovaTestCase):

    LISTENER = False  # the real service below does the listening

    def setUp(self):
        super().setUp()
        run = uuid.uuid4().hex[:8]
        nova_topic, our_topic = 'nova_versioned_%s' % run, 'miglock_%s' % run
        self.transport = messaging.get_notification_transport(
            base.CONF, url=RABBIT)
        self.addCleanup(self.transport.cleanup)
        # Nova's services send their versioned notifications to RabbitMQ.
        self.stub_out('nova.rpc.NOTIFIER', messaging.Notifier(
            self.transport, driver='messagingv2', topics=[nova_topic],
            serializer=rpc.RequestContextSerializer(
                rpc.JsonPayloadSerializer())))
        # So do ours.
        self.flags(driver='messagingv2', topics=[our_topic],
                   group='miglock_notifications')
        self.flags(transport_url=RABBIT,
                   group='oslo_messaging_notifications')
        notifications.reset_notifier()
        self.flags(nova_topics=[nova_topic], pool='listener-%s' % run,
                   group='miglock_listener')
        manager = lock_manager.LockManager(base.CONF, store=self.store)
        service = listener.Listener(
            base.CONF, manager, reconcile.TicketReconciler(
                manager, lambda: clients.novaclient_for(self),
                schedule=self.schedule), transport=self.transport)
        service.start()
        self.addCleanup(service.stop)
        self.collector = Collector()
        consumer = messaging.get_notification_listener(
            self.transport, [messaging.Target(topic=our_topic)],
            [self.collector], executor='threading', pool='collector-' + run)
        consumer.start()
        self.addCleanup(consumer.wait)
        self.addCleanup(consumer.stop)

    def test_migration_end_travels_over_rabbitmq_and_closes_the_ticket(self):
        server = self.boot(host='host1')
        self.admin_api.post_server_action(
            server['id'],
            {'os-migrateLive': {'host': None, 'block_migration': 'auto'}})
        self.assertTrue(self.collector.wait_for('miglock.move.admitted'))
        self.assertTrue(self.collector.wait_for('miglock.move.ended'))
        state = self.store.get_state(server['id'])
        self.assertIsNone(state.ticket)
        ended = [p for e, p in self.collector.events
                 if e == 'miglock.move.ended'][0]['miglock_object.data']
        self.assertEqual((server['id'], 'live-migration', 'completed'),
                         (ended['instance_uuid'], ended['kind'],
                          ended['outcome']))
        self.assertEqual('host2', self.admin_api.get_server(server['id'])[
            'OS-EXT-SRV-ATTR:host'])
