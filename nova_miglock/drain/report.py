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
"""What a drain tells the operator at its end: plain data, then a table.

Predicted against actual is the point: the plan's P50 and P90 finish made
before the first move, and when the last move really ended.
"""

from nova_miglock.planning import timebins

PENDING = 'pending'
RUNNING = 'moving'
MOVED = 'moved'
BROKEN = 'moved-after-break'
SKIPPED = 'skipped'
FAILED = 'failed'
UNMOVABLE = 'unmovable'
NOTIFY_ONLY = 'notify-only'
LOCKED = 'locked'
GONE = 'gone'
DONE = (MOVED, BROKEN, GONE)


def iso(seconds):
    return None if seconds is None else \
        timebins.to_datetime(seconds).isoformat() + 'Z'


def _rel(seconds, start):
    return None if seconds is None else round(seconds - start, 1)


def build(drain, left_on_hosts, notice=None):
    """The report of ``drain`` (an executor.Drain) as a JSON-able dict.

    ``notice``: what the guests are (a dry run: would be) told, from
    :func:`nova_miglock.drain.notice.describe`; None when nothing.
    """
    start, plan = drain.start, drain.first_plan
    items = list(drain.items.values())
    ends = [i.ended_at for i in items if i.outcome in DONE and i.ended_at]
    counts = {}
    for item in items:
        counts[item.outcome] = counts.get(item.outcome, 0) + 1
    dry = drain.options.dry_run
    return {
        'hosts': drain.hosts,
        'strategy': drain.options.strategy,
        'dry_run': dry,
        'started_at': iso(start),
        'deadline': iso(drain.options.deadline),
        'on_deadline': drain.options.on_deadline,
        'notice': notice,
        'predicted': None if plan is None else {
            'p50_seconds': round(plan.p50, 1),
            'p90_seconds': round(plan.p90, 1),
            'needs_break': list(plan.needs_break)},
        'actual_seconds': None if dry else round(
            (max(ends) if ends else drain.now) - start, 1),
        'counts': counts,
        'approved_early': sum(i.approved for i in items),
        'left_on_hosts': left_on_hosts,
        'drained': None if dry else (left_on_hosts == 0),
        'instances': [_item(i, start, plan) for i in sorted(
            items, key=lambda i: (i.admitted_at is None,
                                  i.admitted_at or 0, i.uuid))],
    }


def _item(item, start, plan):
    entry = {e.uuid: e for e in (plan.entries if plan else ())}.get(item.uuid)
    return {
        'instance': item.uuid, 'name': item.name,
        'project_id': item.project_id, 'from': item.source,
        'to': item.destination, 'outcome': item.outcome,
        'attempts': item.attempts, 'refused': item.refused,
        'broken': bool(item.broken), 'approved_early': item.approved,
        'action': item.action,
        'waited_seconds': _rel(item.admitted_at, start),
        'ended_seconds': _rel(item.ended_at, start),
        'predicted_start_seconds': entry and round(entry.start_p50, 1),
        'predicted_end_seconds': entry and round(entry.end_p50, 1),
        'locked_at_start': entry.locked_now if entry else None,
        'message': item.message}


def rows(report):
    """The report's instances as table rows (for ``--format table``)."""
    return [[i['instance'], i['name'], i['outcome'], i['to'] or '',
             i['attempts'], i['refused'], 'yes' if i['broken'] else '',
             'yes' if i['approved_early'] else '',
             _num(i['waited_seconds']), _num(i['ended_seconds']),
             _num(i['predicted_end_seconds']), i['message']]
            for i in report['instances']]


COLUMNS = ['Instance', 'Name', 'Outcome', 'To', 'Attempts', 'Refused',
           'Broken', 'Approved', 'Started at', 'Ended at', 'Predicted end',
           'Message']


def _num(value):
    return '' if value is None else '+%ds' % value


def told(report):
    """What the guests were (a dry run: would be) told, one sentence."""
    notice = report.get('notice')
    if not notice:
        return ('The guests are not told (no notice: no move request, '
                'leases are not capped).')
    return ('%s %d guest(s) that their locks end within %ds (not before '
            '%s).' % ('Would tell' if report['dry_run'] else 'Told',
                      notice['guests'], notice['seconds'],
                      notice['not_before']))


def summary(report):
    """One paragraph: the notice, predicted against actual, what is left."""
    pred = report['predicted'] or {}
    counts = ', '.join('%d %s' % (n, k)
                       for k, n in sorted(report['counts'].items()))
    if report['dry_run']:
        return ('Plan (%s) for %s: %s; predicted to finish in %ss (P50), '
                '%ss (P90); would need a break: %s. %s'
                % (report['strategy'], ', '.join(report['hosts']),
                   counts or 'nothing to move', pred.get('p50_seconds'),
                   pred.get('p90_seconds'),
                   ', '.join(pred.get('needs_break') or ()) or 'none',
                   told(report)))
    return ('Drain (%s) of %s: %s. %s Predicted %ss (P50) / %ss (P90), '
            'took %ss. %s'
            % (report['strategy'], ', '.join(report['hosts']),
               counts or 'nothing to move', told(report),
               pred.get('p50_seconds'),
               pred.get('p90_seconds'), report['actual_seconds'],
               'The hosts are empty.' if report['drained'] else
               '%d instance(s) are still on the hosts.'
               % report['left_on_hosts']))
