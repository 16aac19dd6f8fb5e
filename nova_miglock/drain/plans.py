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
"""The drain's plan: the history model brought up to now, and the planner.

The executor asks for a plan before it moves anything (``--dry-run``
stops there) and again whenever a refusal shows the world is not what the
last plan assumed. Each plan is made from the store as it is: the lock
states of what is left, the moves in flight, and the guests that approved
their move request (they cannot lock again, so the strategy need not
hurry them).
"""

import dataclasses

from nova_miglock.drain import learn
from nova_miglock.planning import model
from nova_miglock.planning import planner
from nova_miglock.planning import simulate
from nova_miglock.planning import timebins
from nova_miglock.planning import world as world_mod
from nova_miglock import policy


def beliefs(drain):
    """The history model of the store, refitted up to ``drain.now``."""
    fitted, _rows = learn.current(drain.store, drain.now,
                                  drain.options.history_days)
    return model.beliefs(fitted, as_of=timebins.to_datetime(drain.now))


def lease_cap(conf, start, notice):
    """When the move requests opened at ``start`` end the leases, or None.

    ``[miglock] move_request_caps_leases`` off: requests only tell the
    guests, the leases are not cut; ``move_request_grace`` lets them run
    that much past ``not_before``.
    """
    if not notice or not conf.miglock.move_request_caps_leases:
        return None
    return start + notice + conf.miglock.move_request_grace


def params(drain):
    """The planner's parameters for this drain, the store's rules in."""
    limits, _rule = policy.hold_limits(drain.manager.conf)
    options = drain.options
    return planner.Params(
        deadline=options.deadline, strategy=options.strategy,
        limits=drain.limits, rules=world_mod.Rules(
            max_hold=limits.max_hold or world_mod.INF,
            min_unlocked_gap=limits.min_unlocked_gap),
        on_deadline=options.on_deadline,
        not_before=lease_cap(drain.manager.conf, drain.start,
                             options.notice),
        api_delay=options.poll / 2, samples=options.samples)


def approved(drain, uuids):
    """Those of ``uuids`` whose guests approved our move request."""
    found = set()
    for uuid in uuids:
        if drain.items[uuid].requested:
            request = drain.manager.move_request(uuid)
            if request is not None and request.approved_at is not None:
                found.add(uuid)
    return found


def candidates(drain, states, said_go=()):
    """The planner's candidates for ``{uuid: LockState}``."""
    # An instance the store never saw has no project there yet.
    return [planner.Candidate(
        dataclasses.replace(state, project_id=state.project_id or
                            drain.items[u].project_id),
        host=drain.items[u].source, group=drain.groups.get(u),
        approved=u in said_go)
        for u, state in states.items()]


def replan(drain):
    """A new plan from the store as it is now; sets the drain's order."""
    pending = drain.pending()
    states = dict(zip(pending, drain.store.get_states(pending)))
    move = drain.beliefs.move_seconds()
    running = {u: (simulate.Target(u, drain.items[u].source,
                                   drain.groups.get(u)),
                   max(drain.now, drain.items[u].admitted_at + move))
               for u in drain.running}
    said_go = approved(drain, pending)
    if drain.strategy is not None:
        drain.strategy.approved(said_go)
    # What a static lock holds stays unless someone acts: the plan and
    # its prediction are for what the drain can move.
    movable = {u: s for u, s in states.items() if not s.static_locking}
    drain.plan = planner.plan(candidates(drain, movable, said_go),
                              drain.beliefs, drain.now, drain.params,
                              running)
    for entry in drain.plan.entries:
        drain.items[entry.uuid].predicted_end = drain.now + entry.end_p50
    drain.order = [e.uuid for e in drain.plan.entries]
    return drain.plan
