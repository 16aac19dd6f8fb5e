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
"""The group budgets a drain plans and schedules within.

The gate refuses a member's move over its group's budget whatever the
drain does; reading the budgets up front lets the plan predict the waits
they cause and the drain not ask Nova for moves it knows are refused.
"""


def _key(ref):
    return '%s/%s' % (ref.project_id, ref.key)


def read(store, items):
    """``({uuid: group keys}, {group key: moves the drain may run})``.

    The memberships are the ones the store recorded (at each move through
    the gate, and when a tenant set the budget). Members moving that the
    drain does not follow (another host's, another drain's) use part of
    the budget for as long as they last.
    """
    try:
        found = store.group_budgets_of(list(items))
    except NotImplementedError:
        return {}, {}
    groups, budgets = {}, {}
    for uuid, pairs in found.items():
        groups[uuid] = tuple(sorted(_key(ref) for ref, _budget in pairs))
        for ref, budget in pairs:
            key = _key(ref)
            if key in budgets:
                continue
            shown = store.get_group_budget(ref.project_id, ref.key) or {}
            outside = [m for m in shown.get('moving', ())
                       if m.instance_uuid not in items]
            size = max(ref.size or 0, len(outside) + 1)
            budgets[key] = max(0, budget.allowed(size) - len(outside))
    return groups, budgets


def fits(uuid, groups, budgets, running, moving=lambda other: False):
    """Whether one more move of ``uuid`` keeps every budget of its groups.

    A member is busy while the drain follows its move (``running``) and
    until the store has closed its ticket (``moving(uuid)``): Nova shows a
    live migration done a moment before its end reaches the store, and a
    move asked in between would be refused by the gate.
    """
    keys = [key for key in groups.get(uuid, ()) if key in budgets]
    if not keys:
        return True
    busy = [groups[other] for other in groups
            if other != uuid and set(keys) & set(groups[other]) and
            (other in running or moving(other))]
    return all(sum(key in other for other in busy) < budgets[key]
               for key in keys)
