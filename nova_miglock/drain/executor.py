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
"""The drain: empty compute hosts through Nova's API, honouring locks.

It lists what Nova has on the hosts, reads their lock states from the
store, brings the history model up to now and asks the planner for a
plan and its predicted finish (``--dry-run`` stops there). Then it
disables the hosts' compute services and runs the same strategy the plan
was predicted with, for real: each attempt is a live migration request
that the gate admits (202) or refuses (409 and ``Retry-After``); a refusal
goes back to the strategy and the prediction is made again from the world
as it is then. Every wait is bounded: by the next thing that can change,
by the deadline, and by ``move_timeout`` per move. At the deadline what is
left is broken and moved in one step (``break``), left (``skip``) or
reported as failed (``fail``). A drain that is interrupted is resumed by
running it again: Nova and the store say what is still on the hosts and
which moves are in flight.
"""

import dataclasses
import time

from oslo_log import log as logging

from nova_miglock.drain import group_budgets
from nova_miglock.drain import learn
from nova_miglock.drain import options as options_mod
from nova_miglock.drain import preference
from nova_miglock.drain import report as report_mod
from nova_miglock import lock
from nova_miglock import manager as lock_manager
from nova_miglock.planning import admission
from nova_miglock.planning import model
from nova_miglock.planning import planner
from nova_miglock.planning import simulate
from nova_miglock.planning import timebins
from nova_miglock.planning import world as world_mod
from nova_miglock import policy

LOG = logging.getLogger(__name__)
MIN_SLEEP = 0.05


class Drain:
    """Empty ``hosts`` (see the module docstring); ``run()`` reports."""

    def __init__(self, manager, nova, hosts, options, *, clock=time.time,
                 sleep=time.sleep, progress=None):
        self.manager = manager
        self.store = manager.store
        self.nova = nova
        self.hosts = list(dict.fromkeys(hosts))
        self.options = options.check()
        self.clock, self.sleep = clock, sleep
        self.progress = progress or (lambda text: None)
        self.limits = simulate.Limits(parallel=options.parallel,
                                      per_host=options.per_host)
        self.items, self.order, self.running = {}, [], {}
        self.groups = {}
        self.plan = self.first_plan = None
        self.start = self.now = clock()

    # -- planning -----------------------------------------------------------

    def _beliefs(self):
        fitted, _rows = learn.current(self.store, self.now,
                                      self.options.history_days)
        return model.beliefs(fitted, as_of=timebins.to_datetime(self.now))

    def _params(self):
        limits, _rule = self._hold_limits()
        return planner.Params(
            deadline=self.options.deadline, strategy=self.options.strategy,
            limits=self.limits, rules=world_mod.Rules(
                max_hold=limits.max_hold or world_mod.INF,
                min_unlocked_gap=limits.min_unlocked_gap),
            on_deadline=self.options.on_deadline,
            not_before=(self.start + self.options.notice
                        if self.options.notice else None),
            api_delay=self.options.poll / 2, samples=self.options.samples)

    def _hold_limits(self):
        return policy.hold_limits(self.manager.conf)

    def _candidates(self, states):
        # An instance the store never saw has no project there yet.
        return [planner.Candidate(
            dataclasses.replace(state, project_id=state.project_id or
                                self.items[u].project_id),
            host=self.items[u].source, group=self.groups.get(u))
            for u, state in states.items()]

    def _replan(self):
        pending = self.pending()
        states = dict(zip(pending, self.store.get_states(pending)))
        move = self.beliefs.move_seconds()
        running = {u: (simulate.Target(u, self.items[u].source,
                                       self.groups.get(u)),
                       max(self.now, self.items[u].admitted_at + move))
                   for u in self.running}
        # What a static lock holds stays unless someone acts: the plan and
        # its prediction are for what the drain can move.
        movable = {u: s for u, s in states.items() if not s.static_locking}
        self.plan = planner.plan(self._candidates(movable), self.beliefs,
                                 self.now, self.params, running)
        for entry in self.plan.entries:
            self.items[entry.uuid].predicted_end = self.now + entry.end_p50
        self.order = [e.uuid for e in self.plan.entries]
        return self.plan

    # -- the loop -----------------------------------------------------------

    def prepare(self):
        """What is on the hosts, its locks, and the first plan."""
        for host in self.hosts:
            self.nova.check_host(host)
        for host in self.hosts:
            for server in self.nova.servers_on(host):
                self._add(server)
        self.groups, budgets = group_budgets.read(self.store, self.items)
        self.limits = dataclasses.replace(self.limits, budgets=budgets)
        self.beliefs = self._beliefs()
        self.params = self._params()
        self._replan()
        self.first_plan = self.plan
        self.strategy = planner.make_strategy(
            self.params, self.beliefs, self._candidates(
                {u: self.store.get_state(u) for u in self.pending()}))

    def _add(self, server):
        item = options_mod.Item(server.uuid, server.name, server.project_id,
                                server.host)
        self.items[server.uuid] = item
        state = self.store.get_state(server.uuid)
        if state.ticket is not None or server.task_state is not None:
            # Resumed, or someone else's move: follow it to its end.
            item.outcome = report_mod.RUNNING
            item.admitted_at = self.now
            self.running[server.uuid] = item
            return
        item.action, item.message = preference.action(
            server.tags, server.metadata, server.status)
        if item.action is None:
            item.outcome = report_mod.UNMOVABLE
        elif item.action == preference.NOTIFY:
            item.outcome = report_mod.NOTIFY_ONLY

    def pending(self):
        pending = [u for u, i in self.items.items()
                   if i.outcome == report_mod.PENDING]
        rank = {u: n for n, u in enumerate(self.order)}
        return sorted(pending, key=lambda u: rank.get(u, len(rank)))

    def fits(self, uuid):
        item = self.items[uuid]
        return (item.outcome == report_mod.PENDING and
                len(self.running) < self.limits.parallel and
                sum(i.source == item.source for i in self.running.values())
                < self.limits.per_host and group_budgets.fits(
                    uuid, self.groups, self.limits.budgets, self.running,
                    lambda other: self.store.get_state(other).ticket))

    def run(self):
        self.prepare()
        if self.options.dry_run:
            return self.report()
        for host in self.hosts:
            self.nova.disable(host, 'nova-miglock drain: %s'
                              % self.options.reason)
            self.progress('disabled the compute service of %s' % host)
        try:
            self._tell_guests()
            self._loop()
        finally:
            # A request must not outlive its drain: after its not_before
            # the guest could not lock at all.
            self._close_requests(self.items.values())
        self.now = self.clock()
        return self.report()

    def _loop(self):
        self.strategy.begin(options_mod.View(self))
        while self.pending() or self.running:
            self.now = self.clock()
            self._follow()
            if self.now >= self.options.deadline:
                self._at_deadline()
            elif not self.running and self._only_static_left():
                break
            else:
                self._schedule()
            if not (self.pending() or self.running):
                break
            self.sleep(self._pause())

    def _tell_guests(self):
        """Open a move request for every instance left to move."""
        if not self.options.notice:
            return
        told = 0
        for uuid in self.pending() + [
                u for u, i in self.items.items()
                if i.outcome == report_mod.NOTIFY_ONLY]:
            item = self.items[uuid]
            self.manager.open_move_request(
                lock_manager.Target(uuid, item.project_id, host=item.source),
                seconds=self.options.notice, actor=self.options.actor,
                reason='drain of %s: %s' % (', '.join(self.hosts),
                                            self.options.reason))
            item.requested = True
            told += 1
        self.progress('told %d guest(s): locks end within %ds'
                      % (told, self.options.notice))

    def _close_requests(self, items):
        for item in items:
            if item.requested:
                closed = self.manager.close_move_request(
                    item.uuid, outcome=item.outcome[:64],
                    actor=self.options.actor)
                item.approved = bool(closed and closed.approved_at)
                item.requested = False

    def _only_static_left(self):
        """Whether all that is left is statically locked.

        Waiting cannot end a static lock (a tag, property, flavor or image
        says so until someone changes it), and neither can a break: the
        drain ends now rather than at the deadline, and says why.
        """
        pending = self.pending()
        states = self.store.get_states(pending)
        if not all(s.static_locking for s in states):
            return False
        for uuid, state in zip(pending, states):
            item = self.items[uuid]
            item.outcome = report_mod.LOCKED
            item.message = ('%s; exempt it (nova-miglock-manage lock exempt)'
                            ' or remove the lock, then drain again'
                            % state.describe())
            self.progress('%s: %s' % (item.name or uuid, item.message))
        return True

    def _pause(self):
        wake = self.strategy.wake_at(options_mod.View(self))
        until = min(w for w in (wake, self.options.deadline,
                                self.now + self.options.poll)
                    if w is not None)
        return max(MIN_SLEEP, until - self.now)

    def _schedule(self):
        view = options_mod.View(self)
        for uuid in list(self.strategy.choose(view)):
            if self.fits(uuid):
                self._attempt(uuid)

    def _attempt(self, uuid, ticket_id=None):
        item = self.items[uuid]
        item.attempts += 1
        move = (self.nova.cold_migrate if item.action == preference.COLD
                else self.nova.live_migrate)
        reply = move(uuid, ticket_id)
        if reply.accepted:
            item.outcome, item.admitted_at = report_mod.RUNNING, self.now
            self.running[uuid] = item
            self.progress('moving %s (%s) from %s' % (
                item.name or uuid, uuid, item.source))
            answer = admission.Answer(True)
        elif reply.status in (409, 503) and ticket_id is None:
            item.refused += 1
            answer = self._refused(item, reply)
        else:
            answer = self._error(item, 'Nova answered %d: %s'
                                 % (reply.status, reply.message))
        self.strategy.answered(uuid, answer, self.now)

    def _refused(self, item, reply):
        state = self.store.get_state(item.uuid)
        judged = admission.judge(state)
        retry_at = judged.retry_at
        if reply.retry_after is not None and not state.static_locking:
            retry_at = self.now + reply.retry_after
        self.progress('refused %s: %s%s' % (
            item.name or item.uuid, reply.message,
            '' if retry_at is None else ' (retry in %ds)'
            % max(0, retry_at - self.now)))
        if self.options.strategy in ('fail-retry', 'probabilistic'):
            self._replan()
            self.progress('re-planned: %d left, predicted finish in %ds'
                          % (len(self.pending()), self.plan.p50))
        return admission.Answer(False, retry_at, (reply.message,))

    def _error(self, item, message):
        item.errors += 1
        item.message = message
        LOG.warning('Drain of %(instance)s: %(message)s',
                    {'instance': item.uuid, 'message': message})
        if item.errors >= self.options.errors:
            item.outcome = report_mod.FAILED
        self.progress('%s: %s' % (item.name or item.uuid, message))
        return admission.Answer(False, self.now + self.options.poll)

    def _follow(self):
        """Moves in flight that ended, failed or took too long."""
        for uuid, item in list(self.running.items()):
            server = self.nova.server(uuid)
            if server is None:
                item.outcome, item.message = report_mod.GONE, 'deleted'
            elif server.status == 'VERIFY_RESIZE':
                self._confirm(item)
                continue
            elif server.task_state is None and server.host not in self.hosts:
                item.outcome, item.destination = (
                    report_mod.BROKEN if item.broken else report_mod.MOVED,
                    server.host)
                self.progress('moved %s to %s in %ds; %d left' % (
                    item.name or uuid, server.host,
                    self.now - item.admitted_at, len(self.pending())))
            elif server.task_state is None:
                item.outcome = report_mod.PENDING
                self._error(item, 'the live migration did not happen '
                            '(status %s); see the instance actions'
                            % server.status)
            elif self.now - item.admitted_at > self.options.move_timeout:
                item.outcome = report_mod.FAILED
                item.message = ('still %s after %ds' % (
                    server.task_state, self.options.move_timeout))
            else:
                continue
            item.ended_at = self.now
            del self.running[uuid]
            if item.outcome != report_mod.PENDING:
                self._close_requests([item])

    def _confirm(self, item):
        reply = self.nova.confirm(item.uuid)
        if not reply.accepted and reply.status != 409:
            item.message = 'confirming the cold migration: %d %s' % (
                reply.status, reply.message)

    def _at_deadline(self):
        for uuid in self.pending():
            item = self.items[uuid]
            if self.options.on_deadline != 'break':
                item.outcome = (report_mod.SKIPPED
                                if self.options.on_deadline == 'skip'
                                else report_mod.FAILED)
                item.message = 'still locked at the deadline'
            elif self.fits(uuid):
                self._break(item)

    def _break(self, item):
        target = lock_manager.Target(instance_uuid=item.uuid,
                                     project_id=item.project_id,
                                     host=item.source)
        try:
            ticket = self.manager.break_and_admit(
                target, kind=('cold-migration'
                              if item.action == preference.COLD
                              else 'live-migration'),
                actor=self.options.actor,
                reason='drain of %s: %s' % (', '.join(self.hosts),
                                            self.options.reason))
        except lock.InstanceLocked as exc:
            item.outcome, item.message = report_mod.FAILED, exc.message
            return
        except lock.MigrationInProgress as exc:
            item.outcome = report_mod.RUNNING
            item.admitted_at, item.message = self.now, exc.message
            self.running[item.uuid] = item
            return
        item.broken = 1
        self.progress('deadline: broke the locks of %s and admitted its '
                      'move' % (item.name or item.uuid))
        self._attempt(item.uuid, ticket.ticket_id)
        if item.outcome != report_mod.RUNNING:
            # Nova refused the request: its gate closed the ticket, or it
            # never got there and the ticket must not outlive the drain.
            self.manager.end_move(item.uuid, outcome='drain-failed',
                                  ticket_id=ticket.ticket_id,
                                  actor=self.options.actor, host=item.source)
            item.outcome = report_mod.FAILED

    def report(self):
        left = None
        if not self.options.dry_run:
            left = sum(len(self.nova.servers_on(h)) for h in self.hosts)
        return report_mod.build(self, left)
