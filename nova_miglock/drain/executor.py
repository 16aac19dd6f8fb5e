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

from nova_miglock.drain import deadline
from nova_miglock.drain import group_budgets
from nova_miglock.drain import notice
from nova_miglock.drain import options as options_mod
from nova_miglock.drain import plans
from nova_miglock.drain import preference
from nova_miglock.drain import report as report_mod
from nova_miglock.planning import admission
from nova_miglock.planning import planner
from nova_miglock.planning import simulate

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
        self.plan = self.first_plan = self.strategy = None
        self.not_before = None      # the move requests', once opened
        self.start = self.now = clock()

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
        self.beliefs = plans.beliefs(self)
        self.params = plans.params(self)
        plans.replan(self)
        self.first_plan = self.plan
        pending = self.pending()
        # A move followed from the start (an open ticket, a task) may turn
        # out not to have happened and come back to be moved: the strategy
        # must know it too.
        known = pending + list(self.running)
        self.strategy = planner.make_strategy(
            self.params, self.beliefs, plans.candidates(
                self, dict(zip(known, self.store.get_states(known))),
                plans.approved(self, pending)))

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
            if self.options.notice:
                self.progress('would tell %d guest(s): locks end within %ds'
                              % (len(notice.to_tell(self)),
                                 self.options.notice))
            return self.report()
        for host in self.hosts:
            self.nova.disable(host, 'nova-miglock drain: %s'
                              % self.options.reason)
            self.progress('disabled the compute service of %s' % host)
        try:
            notice.tell_guests(self)
            self._loop()
        finally:
            # A request must not outlive its drain: after its not_before
            # the guest could not lock at all.
            notice.close_requests(self, self.items.values())
        self.now = self.clock()
        return self.report()

    def _loop(self):
        self.strategy.begin(options_mod.View(self))
        while self.pending() or self.running:
            self.now = self.clock()
            self._follow()
            if self.now >= self.options.deadline:
                deadline.at_deadline(self)
            elif not self.running and deadline.only_static_left(self):
                break
            else:
                self._schedule()
            if not (self.pending() or self.running):
                break
            self.sleep(self._pause())

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
                self.attempt(uuid)

    def attempt(self, uuid, ticket_id=None):
        """Ask Nova to move ``uuid`` (through the gate, or on a ticket)."""
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
            plans.replan(self)
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
                notice.close_requests(self, [item])

    def _confirm(self, item):
        reply = self.nova.confirm(item.uuid)
        if not reply.accepted and reply.status != 409:
            item.message = 'confirming the cold migration: %d %s' % (
                reply.status, reply.message)

    def report(self):
        left = None
        if not self.options.dry_run:
            left = sum(len(self.nova.servers_on(h)) for h in self.hosts)
        return report_mod.build(self, left, notice.describe(self))
