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
"""The compute API gate: no move of a locked instance gets past nova-api.

A paste filter for the ``openstack_compute_api_v21`` pipelines, placed after
``keystonecontext``. For every server action that moves an instance it
admits the move (opening a migration ticket) or refuses it with 409 in
Nova's own fault format, before Nova does anything. If Nova then does not
accept the request, the ticket is closed at once. There is no bypass for
admins: an operator who must move a locked instance breaks the lock first
(``nova-miglock-manage lock break``), which is audited.
"""

import json
import re

from nova.compute import vm_states
from oslo_log import log as logging
import webob
import webob.dec
import webob.exc

from nova_miglock.api import base
from nova_miglock.api import faults
from nova_miglock.api import instances
from nova_miglock import conf as miglock_conf
from nova_miglock import leases
from nova_miglock import lock

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF

ACTION_PATH = re.compile(r'^(?:/[^/]+)?/servers/(?P<server>[^/]+)/action/?$')
KINDS = {'os-migrateLive': 'live-migration', 'migrate': 'cold-migration',
         'resize': 'resize', 'evacuate': 'evacuation',
         'unshelve': 'unshelve'}
VERBS = {'os-migrateLive': 'live-migrate', 'migrate': 'migrate',
         'resize': 'resize', 'evacuate': 'evacuate', 'unshelve': 'unshelve'}


def move_action(req, moves):
    """``(server_id, action)`` if ``req`` asks for a gated move, else None."""
    if req.method != 'POST':
        return None
    match = ACTION_PATH.match(req.path_info)
    if match is None:
        return None
    try:
        body = json.loads(req.body or b'null')
    except ValueError:
        return None  # Nova answers malformed bodies itself.
    if not isinstance(body, dict) or len(body) != 1:
        return None
    (action,) = body
    if action not in moves:
        return None
    return match.group('server'), action


class MigrationLockGate(base.LockFilter):
    """Paste filter admitting or refusing every move of an instance."""

    @webob.dec.wsgify
    def __call__(self, req):
        found = move_action(req, self._conf.miglock_gate.moves)
        context = req.environ.get('nova.context')
        if found is None or context is None:
            return self.application
        server_id, action = found
        instance = instances.load(context, server_id)
        if instance is None or not self._moves(action, instance):
            return self.application  # Nova answers (404, or no move).
        return self._gate(req, context, instance, action)

    @staticmethod
    def _moves(action, instance):
        # Unshelving moves only an offloaded instance; otherwise it restarts
        # where it is.
        return action != 'unshelve' or \
            instance.vm_state == vm_states.SHELVED_OFFLOADED

    def _gate(self, req, context, instance, action):
        target = instances.target(self._conf, instance)
        request_id = req.environ.get('openstack.request_id')
        actor = 'user:%s' % context.user_id
        try:
            if action == 'evacuate' and self._evacuation_breaks(
                    context, instance):
                ticket = self._manager.admit_evacuation(
                    target, request_id=request_id, actor=actor)
            else:
                ticket = self._manager.admit_move(
                    target, kind=KINDS[action], request_id=request_id,
                    actor=actor)
        except lock.InstanceLocked as exc:
            return self._refuse(req, exc.details['state'], action)
        except lock.MigrationInProgress as exc:
            return faults.nova_fault(req, webob.exc.HTTPConflict(
                explanation=exc.message))
        except lock.StoreUnavailable as exc:
            return self._store_down(req, exc, action, instance)
        response = req.get_response(self.application)
        if response.status_int >= 300:
            # Nothing moved: the instance is still on its host.
            self._manager.end_move(
                instance.uuid, ticket_id=ticket.ticket_id, actor=actor,
                outcome='rejected-%d' % response.status_int,
                host=instance.host)
        return response

    def _evacuation_breaks(self, context, instance):
        """Whether this evacuation overrides the instance's locks.

        Only when configured, and only when the instance's host really is
        down: otherwise Nova refuses the evacuation anyway.
        """
        return (self._conf.miglock.evacuate_action == 'break' and
                not instances.compute_host_is_up(context, instance.uuid,
                                                 instance.host))

    def _refuse(self, req, state, action):
        message = ('Cannot %s instance %s: it is locked against migration '
                   'by %s. Retry when the locks end, or have an operator '
                   'break them (nova-miglock-manage lock break).'
                   % (VERBS[action], state.instance_uuid,
                      '; '.join(state.lock_reasons())))
        headers = {}
        if state.holds and not state.static_locks:
            headers['Retry-After'] = leases.retry_after(
                state.now, state.lease_expires_at)
        return faults.nova_fault(req, webob.exc.HTTPConflict(
            explanation=message, headers=headers))

    def _store_down(self, req, exc, action, instance):
        if self._conf.miglock.fail_closed:
            LOG.error('Refused %(action)s of %(instance)s: %(error)s',
                      {'action': action, 'instance': instance.uuid,
                       'error': exc.message})
            return faults.nova_fault(req, webob.exc.HTTPServiceUnavailable(
                explanation='Moves are refused while the migration lock '
                'store cannot be reached ([miglock]/fail_closed); retry '
                'later.', headers={'Retry-After': 30}))
        LOG.warning('Letting %(action)s of %(instance)s through unchecked: '
                    '%(error)s', {'action': action, 'instance': instance.uuid,
                                  'error': exc.message})
        return req.get_response(self.application)
