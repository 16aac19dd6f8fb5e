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
"""Checkers that a store never let a hold and a move overlap.

Two independent proofs: one from what the clients were told
(``check_intervals``), one from the store's own ledger and tables
(``check_store``). For group budgets likewise: ``check_group_budgets``
from the clients' tickets, ``check_store_groups`` from the store's tables:
at no instant more members of a group moving than its budget allows.
"""

import collections
import datetime
import json

import sqlalchemy as sa

from nova_miglock.decisions import groups as group_rules
from nova_miglock import lock
from nova_miglock.store.sql import models

FOREVER = datetime.datetime.max


def _time(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ')


def read_observations(paths):
    observations, counts = [], collections.Counter()
    for path in paths:
        with open(path) as stream:
            for line in stream:
                item = json.loads(line)
                if item['kind'] == 'counts':
                    counts.update(item['counts'])
                else:
                    observations.append(item)
    return observations, counts


def hold_intervals(observations):
    """``{instance: [(start, end)]}`` of every granted hold's life.

    A release that found nothing to release (``release_noop``: a retry
    after a lost reply finds its own work done) or whose outcome is
    unknown (``release_unknown``) may have ended the holder's hold from
    the moment it was tried: such operations may or may not have taken
    effect, so the hold's life is taken to end there, and only a hold
    the store still answered for afterwards counts as held.
    """
    lives, unsure = {}, []
    for item in observations:
        kind = item['kind']
        if kind in ('release_noop', 'release_unknown'):
            unsure.append(((item['instance'], item['holder']),
                           _time(item['at'])))
            continue
        if kind not in ('hold', 'release'):
            continue
        key = (item['instance'], item['holder'], item['acquired_at'])
        if kind == 'hold':
            start, end = lives.get(key, (_time(item['acquired_at']), None))
            expires = _time(item['expires_at'])
            lives[key] = (start, max(end or expires, expires))
        elif key in lives:
            start, end = lives[key]
            lives[key] = (start, min(end, _time(item['at'])))
    for (instance, holder), at in unsure:
        for key, (start, end) in lives.items():
            if key[:2] == (instance, holder) and start < at < end:
                lives[key] = (start, at)
    result = collections.defaultdict(list)
    for (instance, _holder, _acq), span in lives.items():
        result[instance].append(span)
    return result


def ticket_intervals(observations):
    """``{instance: [(admitted, closed)]}``; open tickets never close.

    A close that found no open ticket (``close_noop``) or whose outcome is
    unknown (``close_unknown``) may have closed the instance's ticket from
    the moment it was tried, as for releases.
    """
    tickets, unsure = {}, []
    for item in observations:
        if item['kind'] == 'ticket':
            tickets.setdefault(item['ticket'], (
                item['instance'], _time(item['admitted_at']), FOREVER))
        elif item['kind'] == 'close':
            tickets[item['ticket']] = (item['instance'],
                                       _time(item['admitted_at']),
                                       _time(item['closed_at']))
        elif item['kind'] in ('close_noop', 'close_unknown'):
            unsure.append((item['instance'], _time(item['at'])))
    for instance, at in unsure:
        for ticket, (owner, start, end) in tickets.items():
            if owner == instance and start < at < end:
                tickets[ticket] = (owner, start, at)
    result = collections.defaultdict(list)
    for instance, start, end in tickets.values():
        result[instance].append((start, end))
    return result


def check_intervals(observations):
    """Return every (instance, hold span, ticket span) that overlap."""
    holds, tickets = hold_intervals(observations), ticket_intervals(
        observations)
    overlaps = []
    for instance, spans in holds.items():
        for h_start, h_end in spans:
            for t_start, t_end in tickets.get(instance, []):
                if h_start < t_end and t_start < h_end:
                    overlaps.append((instance, (h_start, h_end),
                                     (t_start, t_end)))
    return overlaps


def check_store(store):
    """Return a list of inconsistencies found in the store's tables."""
    problems = []
    with store.sql_engine.connect() as conn:
        rows = {r.instance_uuid: r for r in conn.execute(
            sa.select(models.instances))}
        holds = [r for r in conn.execute(sa.select(models.holds))]
        tickets = {r.ticket_id: r for r in conn.execute(
            sa.select(models.tickets))}
        ledger = [r._mapping for r in conn.execute(
            sa.select(models.ledger).order_by(models.ledger.c.id))]
    problems += _check_rows(rows, holds, tickets, ledger)
    problems += _replay(ledger)
    return problems


def _check_rows(rows, holds, tickets, ledger):
    problems = []
    granted = {(e['instance_uuid'], e['holder'], e['acquired_at'],
                e['expires_at']) for e in ledger
               if e['event'] in (lock.EVENT_ACQUIRE, lock.EVENT_RENEW)}
    latest = collections.defaultdict(lambda: None)
    for hold in holds:
        if hold.instance_uuid not in rows:
            problems.append('hold %s/%s has no instance row'
                            % (hold.instance_uuid, hold.holder))
        key = (hold.instance_uuid, hold.holder, hold.acquired_at,
               hold.expires_at)
        if key not in granted:
            problems.append('hold %s/%s has no ledger event'
                            % (hold.instance_uuid, hold.holder))
        previous = latest[hold.instance_uuid]
        latest[hold.instance_uuid] = max(previous or hold.expires_at,
                                         hold.expires_at)
    for uuid, row in rows.items():
        if latest[uuid] is not None and row.locked_until is not None and \
                row.locked_until < latest[uuid]:
            problems.append('instance %s locked_until %s is before its '
                            'latest hold %s' % (uuid, row.locked_until,
                                                latest[uuid]))
        if row.ticket_id:
            ticket = tickets.get(row.ticket_id)
            if ticket is None or ticket.closed_at is not None:
                problems.append('instance %s points to ticket %s which is '
                                'not open' % (uuid, row.ticket_id))
    for ticket in tickets.values():
        if ticket.closed_at is None and (
                ticket.instance_uuid not in rows or
                rows[ticket.instance_uuid].ticket_id != ticket.ticket_id):
            problems.append('open ticket %s is not its instance\'s ticket'
                            % ticket.ticket_id)
    return problems


def _replay(ledger):
    """Replay the ledger per instance: never a grant during a move."""
    problems = []
    active = collections.defaultdict(dict)
    moving = set()
    for event in ledger:
        uuid, kind, at = event['instance_uuid'], event['event'], event['at']
        holds = active[uuid]
        if kind in (lock.EVENT_ACQUIRE, lock.EVENT_RENEW):
            if uuid in moving:
                problems.append('ledger: hold granted on %s at %s during a '
                                'move' % (uuid, at))
            holds[event['holder']] = event['expires_at']
        elif kind in lock.HOLD_END_EVENTS:
            holds.pop(event['holder'], None)
        elif kind == lock.EVENT_MOVE_ADMITTED:
            live = [h for h, expires in holds.items() if expires > at]
            if live:
                problems.append('ledger: move admitted on %s at %s while '
                                'held by %s' % (uuid, at, live))
            moving.add(uuid)
        elif kind == lock.EVENT_MOVE_ENDED:
            moving.discard(uuid)
    return problems


def check_acknowledged(observations, store):
    """Return every acknowledged operation the store does not have.

    What a client was told succeeded must be in the store: each granted
    hold and each release in the ledger, each admitted ticket in the
    tickets table, closed when its close was acknowledged. On a cluster,
    run it against every node: an acknowledged commit is on all of them.
    """
    with store.sql_engine.connect() as conn:
        ledger = {(e.event, e.instance_uuid, e.holder,
                   e.expires_at if e.event != lock.EVENT_RELEASE else e.at)
                  for e in conn.execute(sa.select(models.ledger))}
        tickets = {r.ticket_id: r for r in conn.execute(
            sa.select(models.tickets))}
    missing = []
    for item in observations:
        kind = item['kind']
        if kind == 'hold' and not any(
                (event, item['instance'], item['holder'],
                 _time(item['expires_at'])) in ledger
                for event in (lock.EVENT_ACQUIRE, lock.EVENT_RENEW)):
            missing.append('hold %(instance)s/%(holder)s until '
                           '%(expires_at)s' % item)
        elif kind == 'release' and (
                lock.EVENT_RELEASE, item['instance'], item['holder'],
                _time(item['at'])) not in ledger:
            missing.append('release %(instance)s/%(holder)s at %(at)s'
                           % item)
        elif kind in ('ticket', 'close'):
            ticket = tickets.get(item['ticket'])
            if ticket is None:
                missing.append('ticket %(ticket)s of %(instance)s' % item)
            elif kind == 'close' and ticket.closed_at != _time(
                    item['closed_at']):
                missing.append('close of ticket %(ticket)s' % item)
    return missing


def overruns(spans, allowed):
    """The instants at which more than ``allowed`` of ``spans`` are open.

    ``spans`` are ``(start, end)`` half-open intervals: a move admitted at
    the very instant another ended does not overlap it. Returns
    ``[(instant, open count)]``, empty when the budget always held.
    """
    events = sorted([(start, 1) for start, _end in spans] +
                    [(end, -1) for _start, end in spans if end != FOREVER],
                    key=lambda e: (e[0], e[1]))
    found, current = [], 0
    for at, step in events:
        current += step
        if current > allowed:
            found.append((at, current))
    return found


def check_group_budgets(observations, groups):
    """Every instant the clients saw a group over its budget.

    ``groups``: ``{key: (member uuids, allowed)}``.
    """
    tickets = ticket_intervals(observations)
    problems = []
    for key, (members, allowed) in sorted(groups.items()):
        spans = [span for member in members
                 for span in tickets.get(member, [])]
        problems += ['group %s had %d moving at %s, budget %d'
                     % (key, count, at, allowed)
                     for at, count in overruns(spans, allowed)]
    return problems


def check_store_groups(store):
    """Every instant the store's tickets show a group over its budget.

    Read from the tickets, the recorded memberships and the budgets (with
    the member count recorded), independently of the code that admits.
    """
    with store.sql_engine.connect() as conn:
        budgets = [r for r in conn.execute(sa.select(models.group_budgets))]
        members = collections.defaultdict(set)
        for row in conn.execute(sa.select(models.group_members)):
            members[(row.project_id, row.group_key)].add(row.instance_uuid)
        tickets = collections.defaultdict(list)
        for row in conn.execute(sa.select(models.tickets)):
            tickets[row.instance_uuid].append(
                (row.admitted_at, row.closed_at or FOREVER))
    problems = []
    for row in budgets:
        group = (row.project_id, row.group_key)
        budget = group_rules.Budget(row.max_moving, bool(row.percent))
        allowed = budget.allowed(row.members)
        spans = [span for member in members[group]
                 for span in tickets[member]]
        problems += ['store: group %s/%s had %d moving at %s, budget %d'
                     % (row.project_id, row.group_key, count, at, allowed)
                     for at, count in overruns(spans, allowed)]
    return problems
