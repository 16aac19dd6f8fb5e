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
"""How old a tenant's static lock may grow, and what is due when.

A tenant's static lock (tag, property, image) has no lease: left alone it
locks forever. ``[miglock_sla]/static_max_age`` bounds it. A warning is due
``static_warning`` before the maximum age, once per lock; at the maximum
age the lock lapses (nova-miglock removes the tag or property) or, with
``static_max_age_action = notify`` or for an image property nobody but
the image's owner can remove, an ``overdue`` notice is due, once.
"""

import dataclasses
import datetime

EXPIRING = 'expiring'
LAPSED = 'lapsed'
OVERDUE = 'overdue'
ACTION_LAPSE = 'lapse'
ACTION_NOTIFY = 'notify'


@dataclasses.dataclass(frozen=True)
class StaticAge:
    """A tenant's static lock as the age rule sees it."""

    instance_uuid: str
    project_id: str
    static_locks: tuple
    static_since: datetime.datetime
    max_age_at: datetime.datetime
    action: str
    # Notices already given for this lock (from the ledger).
    notified: frozenset = frozenset()


def max_age_at(static_since, max_age):
    """When a lock set at ``static_since`` reaches ``max_age`` seconds."""
    return static_since + datetime.timedelta(seconds=max_age)


def due(age, now, warning):
    """The notice due for ``age`` at ``now``, or None.

    :param warning: seconds before ``age.max_age_at`` a warning is due
        (0: none).
    """
    if now >= age.max_age_at:
        event = LAPSED if age.action == ACTION_LAPSE else OVERDUE
        return None if event in age.notified else event
    if warning and EXPIRING not in age.notified and \
            now >= age.max_age_at - datetime.timedelta(seconds=warning):
        return EXPIRING
    return None
