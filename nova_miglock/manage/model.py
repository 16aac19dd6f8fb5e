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
"""``nova-miglock-manage model show``: what the drain's model believes.

The model is the one drains plan with (:mod:`nova_miglock.drain.learn`),
brought up to now from the ledger, so what is shown is what a drain
started now would plan with.
"""

import time

from nova_miglock.drain import learn
from nova_miglock import lock
from nova_miglock.manage import output
from nova_miglock.planning import model
from nova_miglock.planning import timebins

MAX_DAYS = 366


def add_parsers(area, add, positive):
    """Add the ``model`` commands to nova-miglock-manage's parser."""
    model_cmds = area('model', "the lock history model drains plan with")
    cmd = add(model_cmds, 'show', show,
              'what the model believes about an instance, and from how '
              'much history')
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--days', type=positive, default=28,
                     help='days of ledger a first fit learns from (default '
                     '28, at most %d)' % MAX_DAYS)


def describe(store, instance_uuid, days):
    """What the model believes about an instance, as plain data.

    Shared by this command and the REST API's
    ``GET /servers/{id}/os-miglock/model``, so both show the same thing.
    """
    lock.validate_instance_uuid(instance_uuid)
    if days > MAX_DAYS:
        raise lock.InvalidRequest('days is at most %d' % MAX_DAYS)
    state = store.get_state(instance_uuid)
    now = timebins.to_seconds(state.now) if state.now else time.time()
    fitted, read = learn.current(store, now, days)
    beliefs = model.beliefs(fitted, as_of=timebins.to_datetime(now))
    belief = beliefs.instance(instance_uuid, state.project_id)
    since_locked = timebins.to_seconds(state.locked_since) \
        if state.locked and state.locked_since else None
    data = belief.explain(since_locked)
    data['ledger_rows'] = fitted.rows
    data['ledger_rows_new'] = read
    data['move_seconds_p50'] = round(beliefs.move_seconds(), 1)
    return data


def show(manager, args):
    if args.days > MAX_DAYS:
        raise lock.InvalidRequest('--days is at most %d' % MAX_DAYS)
    data = describe(manager.store, args.instance, args.days)
    if args.format == 'json':
        output.emit_json(data)
        return
    output.emit_fields(_fields(data))
    output.emit_table(['Level', 'Ended periods', 'Censored', 'Holds',
                       'Lock starts', 'Instances', 'Weight'],
                      [[h['level'], h['locked_periods_ended'],
                        h['locked_periods_censored'], h['holds'],
                        h['lock_starts'], h['instances'],
                        data['weights'].get(h['level'], '')]
                       for h in data['history']],
                      title='History (prior weight: %s)'
                      % data['weights'].get('prior', 0))


def _fields(data):
    period = data['locked_period_seconds']
    chance = data['lock_probability']
    fields = [
        ('instance', data['instance_uuid']),
        ('project', data['project_id'] or ''),
        ('as of', data['as_of']),
        ('ledger rows learnt (new now)', '%d (%d)' % (
            data['ledger_rows'], data['ledger_rows_new'])),
        ('locked period P50 / P90 / mean (s)', '%s / %s / %s' % (
            period['p50'], period['p90'], period['mean'])),
        ('P(lock within 1 h / 24 h)', '%s / %s' % (
            chance['within_1h'], chance['within_24h'])),
        ('busiest hours (locks per hour)', ', '.join(
            '%s (%s)' % (h['hour'], h['locks_per_hour'])
            for h in data['busiest_hours'])),
        ('median move (s)', data['move_seconds_p50']),
    ]
    if data['locked_for_seconds'] is not None:
        fields += [('locked for (s)', data['locked_for_seconds']),
                   ('remaining P50 / P90 (s)', '%s / %s' % (
                       data['remaining_seconds']['p50'],
                       data['remaining_seconds']['p90']))]
    return fields
