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
"""Which locks count at a given time.

An expired hold never counts, whether or not a reaper has removed it. A
static lock (tag, property, flavor, image) counts unless an operator's
exemption runs at that time; the exemption lifts every kind, the flavor's
included, wherever the question is asked. Duck-typed on purpose: the
domain model (``lock.LockState``) asks here too, so this module imports
nothing of ours.
"""


def exempt(static_exempt_until, now):
    """An operator's exemption from static locks runs at ``now``."""
    return (static_exempt_until is not None and now is not None and
            static_exempt_until > now)


def static_locking(static_locks, static_exempt_until, now):
    """The static locks that count at ``now`` (none while exempt)."""
    if exempt(static_exempt_until, now):
        return ()
    return tuple(static_locks)


def active_holds(holds, now):
    """The holds that count at ``now``: those not yet expired."""
    return tuple(h for h in holds if h.expires_at > now)


def reasons(static_locks, holds):
    """One phrase per lock, static ones first, for refusals."""
    return ([s.describe() for s in static_locks] +
            ['hold by ' + h.describe() for h in holds])
