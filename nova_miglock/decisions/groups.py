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
"""Group disruption budgets: how many members of a group may move at once.

A group is a Nova server group (keyed by its uuid) or the servers of one
project tagged ``miglock:group=NAME`` (keyed ``tag:NAME``). Its budget,
``max_moving``, is a count or a percentage of its members. A member's move
is admitted only while fewer members than the budget allows have an open
migration ticket; the store asks :func:`decide` inside the transaction that
opens the ticket, with the group's row locked, and the drain planner asks
it of simulated moves.
"""

import dataclasses
import math
import re

from nova_miglock import lock

TAG_PREFIX = 'miglock:group='
KEY_TAG_PREFIX = 'tag:'
# Nova's tags are at most 60 characters, so a name at most 46; the
# characters are the ones a URL path and a command line take unquoted.
NAME_PATTERN = r'[A-Za-z0-9][A-Za-z0-9_.:@=+-]{0,45}'
_NAME_RE = re.compile(NAME_PATTERN)
_UUID_RE = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                      r'[0-9a-f]{12}')
_COUNT_RE = re.compile(r'(0|[1-9][0-9]{0,3})')
_PERCENT_RE = re.compile(r'(0|[1-9][0-9]?|100)%')
# A count budget above this is a typo: no group has that many members.
MAX_COUNT = 9999
KIND_SERVER_GROUP = 'server-group'
KIND_TAG = 'tag'


@dataclasses.dataclass(frozen=True)
class Budget:
    """``max_moving``: ``value`` members, or ``value`` percent of them."""

    value: int
    percent: bool = False

    def allowed(self, members):
        """How many members may move at once in a group of ``members``.

        A percentage rounds down (never more disruption than declared),
        except that a non-zero percentage always allows one move: rounding
        must not freeze a small group its owner meant to let move. Zero
        allows none.
        """
        if not self.percent:
            return self.value
        if self.value == 0:
            return 0
        return max(1, (self.value * max(members or 0, 0)) // 100)

    def to_api(self):
        """As given: a whole number, or a string ending in ``%``."""
        return '%d%%' % self.value if self.percent else self.value

    def __str__(self):
        return str(self.to_api())


def parse_budget(value):
    """A Budget from ``1``, ``"1"`` or ``"50%"``.

    :raises InvalidRequest: anything else (negative, fractional, over
        100%, booleans), naming what was given.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MAX_COUNT:
            return Budget(value)
    elif isinstance(value, str):
        text = value.strip()
        if _COUNT_RE.fullmatch(text):
            return Budget(int(text))
        if _PERCENT_RE.fullmatch(text):
            return Budget(int(text[:-1]), percent=True)
    raise lock.InvalidRequest(
        'max_moving must be a whole number of members from 0 to %d or a '
        'percentage from 0%% to 100%% (e.g. 1 or "25%%"), got %r'
        % (MAX_COUNT, value))


def validate_key(value):
    """A group key: a server group's uuid, or ``tag:NAME``.

    :returns: the key, a uuid in its canonical lower-case form.
    :raises InvalidRequest: anything else.
    """
    if isinstance(value, str):
        if value.startswith(KEY_TAG_PREFIX):
            if _NAME_RE.fullmatch(value[len(KEY_TAG_PREFIX):]):
                return value
        elif _UUID_RE.fullmatch(value.lower()):
            return value.lower()
    raise lock.InvalidRequest(
        'a group is a server group UUID or "tag:NAME" (the servers tagged '
        '%sNAME; NAME is 1 to 46 letters, digits or "_.:@=+-"), got %r'
        % (TAG_PREFIX, value))


def kind_of(key):
    return KIND_TAG if key.startswith(KEY_TAG_PREFIX) else KIND_SERVER_GROUP


def describe_key(key):
    if kind_of(key) == KIND_TAG:
        return 'group %s (servers tagged %s%s)' % (
            key[len(KEY_TAG_PREFIX):], TAG_PREFIX, key[len(KEY_TAG_PREFIX):])
    return 'server group %s' % key


def tag_keys(tags):
    """The group keys a server's tags name (tags not like ours ignored)."""
    keys = set()
    for tag in tags or ():
        if tag.startswith(TAG_PREFIX) and _NAME_RE.fullmatch(
                tag[len(TAG_PREFIX):]):
            keys.add(KEY_TAG_PREFIX + tag[len(TAG_PREFIX):])
    return sorted(keys)


@dataclasses.dataclass(frozen=True, order=True)
class GroupRef:
    """A group an instance belongs to, as Nova shows it now.

    ``size``: its member count when known (percentages need it).
    """

    project_id: str
    key: str
    size: int = None


@dataclasses.dataclass(frozen=True)
class Move:
    """A member's move in progress (an open ticket)."""

    instance_uuid: str
    kind: str
    admitted_at: object
    deadline: object

    def describe(self):
        return '%s (%s since %s)' % (self.instance_uuid, self.kind,
                                     lock.isoformat(self.admitted_at))


@dataclasses.dataclass(frozen=True)
class Admitted:
    admitted = True


@dataclasses.dataclass(frozen=True)
class Refused:
    """The group's budget is spent; ``retry_after`` in whole seconds."""

    group: GroupRef
    budget: Budget
    allowed: int
    members: int
    moving: tuple
    retry_at: object = None
    retry_after: int = None
    admitted = False

    def describe(self, instance_uuid):
        moving = ', '.join(m.describe() for m in self.moving) or 'none'
        return ('Cannot move instance %s: %s allows %d of its %d members to '
                'move at once (max_moving=%s) and %d %s moving: %s. Retry '
                'when one of those moves ends.'
                % (instance_uuid, describe_key(self.group.key), self.allowed,
                   self.members, self.budget, len(self.moving),
                   'is' if len(self.moving) == 1 else 'are', moving))


def decide(group, budget, moving, now, *, poll_cap=None):
    """Admit or refuse one more member's move of ``group``.

    ``moving``: the other members' moves in progress (``Move``), read
    under the group's row lock. The group counts at least the members
    moving plus the one asking, whatever ``group.size`` says (a size
    read from Nova may lag). ``retry_after`` is the time to the earliest
    deadline of those moves (when a slot frees at the latest), capped at
    ``poll_cap`` seconds so that a client polls again when moves end
    sooner, as they usually do.
    """
    moving = tuple(sorted(moving, key=lambda m: (m.deadline,
                                                 m.instance_uuid)))
    members = max(group.size or 0, len(moving) + 1)
    allowed = budget.allowed(members)
    if len(moving) < allowed:
        return Admitted()
    retry_at = moving[0].deadline if moving else None
    retry_after = None
    if retry_at is not None:
        retry_after = max(1, math.ceil((retry_at - now).total_seconds()))
        if poll_cap:
            retry_after = min(retry_after, poll_cap)
    return Refused(group=group, budget=budget, allowed=allowed,
                   members=members, moving=moving, retry_at=retry_at,
                   retry_after=retry_after)


def first_refusal(verdicts):
    """The first refusal among several groups' verdicts, or None."""
    for verdict in verdicts:
        if not verdict.admitted:
            return verdict
    return None
