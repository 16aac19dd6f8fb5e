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

The gate judges the call Nova is about to make, not the request text: it
sits on the controller methods that start a move, inside Nova's router
(:mod:`nova_miglock.api.dispatch`), so the method after any ``_method``
override, the path after routing and the body as Nova parsed it are what
it sees. For each such call it admits the move (opening a migration ticket)
or refuses it with 409 in Nova's own fault format, before Nova does
anything; a member of a group whose disruption budget is spent is refused
the same way, naming the group (:mod:`nova_miglock.decisions.groups`). If
Nova then refuses the request, the ticket is closed at once.
There is no bypass for admins: an operator who must move a locked instance
breaks the lock first (``nova-miglock-manage lock break``), which is
audited; a drain at its deadline breaks and admits in one step, then
names the ticket it opened (``X-Miglock-Ticket``).

The ``miglock_gate`` paste filter installs it when paste loads a compute
API pipeline; requests that start no move never meet it.
"""

import dataclasses

from nova.compute import vm_states
from oslo_log import log as logging
import webob.exc

from nova_miglock.api import base
from nova_miglock.api import dispatch
from nova_miglock.api import instances
from nova_miglock.api import static_gate
from nova_miglock import conf as miglock_conf
from nova_miglock import decisions
from nova_miglock import drain
from nova_miglock import lock

LOG = logging.getLogger(__name__)
CONF = miglock_conf.CONF

KINDS = {'os-migrateLive': 'live-migration', 'migrate': 'cold-migration',
         'resize': 'resize', 'evacuate': 'evacuation',
         'unshelve': 'unshelve'}
VERBS = {'os-migrateLive': 'live-migrate', 'migrate': 'migrate',
         'resize': 'resize', 'evacuate': 'evacuate', 'unshelve': 'unshelve'}


class MigrationLockGate(base.LockFilter):
    """Admits or refuses every call of Nova's that would move an instance.

    Built on the app below it in the pipeline, it gates that app's router
    and hands requests straight to it: paste gets the router back.
    """

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.filter_factory entry point: gate the router below."""
        def _filter(application):
            cls(application).install()
            return application
        return _filter

    def install(self):
        """Put the gate on every move method of the routers below.

        And on the methods that set a tag or a property, where the SLA
        says who may set a static lock (:mod:`.static_gate`).
        """
        routers = dispatch.install(self.application,
                                   self._conf.miglock_gate.moves, self.judge)
        static_gate.install(self.application, static_gate.StaticLockGate(
            self._conf, self._manager).judge)
        return routers

    def judge(self, req, action, server_id, call):
        """Let ``call`` (Nova's move method) run only for an admitted move.

        :raises webob.exc.HTTPException: the refusal, which Nova's resource
            turns into its fault format.
        """
        context = req.environ.get('nova.context')
        if context is None or server_id is None:
            return call()  # Nova refuses such a call itself.
        instance = instances.load(context, server_id)
        if instance is None or not self._moves(action, instance):
            return call()  # Nova answers (404, or no move).
        ticket = self._admit(req, context, instance, action)
        if ticket is None:
            return call()  # store down, configured to fail open
        try:
            return call()
        except Exception as exc:
            self._rejected(instance, ticket, context, exc)
            raise

    @staticmethod
    def _moves(action, instance):
        # Unshelving moves only an offloaded instance; otherwise it restarts
        # where it is.
        return action != 'unshelve' or \
            instance.vm_state == vm_states.SHELVED_OFFLOADED

    def _admit(self, req, context, instance, action):
        target = dataclasses.replace(
            instances.target(self._conf, instance),
            groups=instances.groups(context, instance))
        request_id = req.environ.get('openstack.request_id')
        actor = 'user:%s' % context.user_id
        ticket_id = req.headers.get(drain.TICKET_HEADER)
        try:
            if ticket_id:
                return self._manager.claim_move(
                    target, ticket_id=ticket_id, kind=KINDS[action])
            if action == 'evacuate' and self._evacuation_breaks(
                    context, instance):
                return self._manager.admit_evacuation(
                    target, request_id=request_id, actor=actor)
            return self._manager.admit_move(
                target, kind=KINDS[action], request_id=request_id,
                actor=actor)
        except lock.InstanceLocked as exc:
            raise self._refusal(exc.details['state'], action)
        except lock.GroupBudgetSpent as exc:
            LOG.info('Refused %(action)s of %(instance)s: %(message)s',
                     {'action': action, 'instance': instance.uuid,
                      'message': exc.message})
            # Waiting helps unless the budget is zero.
            headers = ({'Retry-After': exc.retry_after}
                       if exc.retry_after else {})
            raise webob.exc.HTTPConflict(explanation=exc.message,
                                         headers=headers)
        except lock.MigrationInProgress as exc:
            raise webob.exc.HTTPConflict(explanation=exc.message)
        except lock.StoreUnavailable as exc:
            return self._store_down(exc, action, instance)

    def _rejected(self, instance, ticket, context, exc):
        """Nova refused an admitted move: the ticket ends now."""
        status = getattr(exc, 'status_int', None) or getattr(
            exc, 'code', None)
        try:
            self._manager.end_move(
                instance.uuid, ticket_id=ticket.ticket_id,
                actor='user:%s' % context.user_id,
                outcome='rejected-%s' % (status or 'error'),
                # Nothing moved: the instance is still on its host.
                host=instance.host)
        except lock.MigLockError as error:
            LOG.error('Could not close ticket %(ticket)s of %(instance)s '
                      'that Nova refused; its deadline will: %(error)s',
                      {'ticket': ticket.ticket_id, 'instance': instance.uuid,
                       'error': error.message})

    def _evacuation_breaks(self, context, instance):
        """Whether this evacuation overrides the instance's locks.

        Only when configured, and only when the instance's host really is
        down: otherwise Nova refuses the evacuation anyway.
        """
        return (self._conf.miglock.evacuate_action == 'break' and
                not instances.compute_host_is_up(context, instance.uuid,
                                                 instance.host))

    @staticmethod
    def _refusal(state, action):
        message = ('Cannot %s instance %s: it is locked against migration '
                   'by %s. Retry when the locks end, or have an operator '
                   'break them (nova-miglock-manage lock break).'
                   % (VERBS[action], state.instance_uuid,
                      '; '.join(state.lock_reasons())))
        headers = {}
        # Waiting helps only when holds alone lock the instance.
        decision = decisions.decide_move(state, action, state.now)
        if not decision.admitted and decision.retry_after is not None:
            headers['Retry-After'] = decision.retry_after
        return webob.exc.HTTPConflict(explanation=message, headers=headers)

    def _store_down(self, exc, action, instance):
        if self._conf.miglock.fail_closed:
            LOG.error('Refused %(action)s of %(instance)s: %(error)s',
                      {'action': action, 'instance': instance.uuid,
                       'error': exc.message})
            raise webob.exc.HTTPServiceUnavailable(
                explanation='Moves are refused while the migration lock '
                'store cannot be reached ([miglock]/fail_closed); retry '
                'later.', headers={
                    'Retry-After':
                        self._conf.miglock_gate.unavailable_retry_after})
        LOG.warning('Letting %(action)s of %(instance)s through unchecked: '
                    '%(error)s', {'action': action, 'instance': instance.uuid,
                                  'error': exc.message})
        return None
