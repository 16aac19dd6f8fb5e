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
"""``nova-miglock-manage group``: disruption budgets of groups.

The operator's side of what tenants set through ``/os-miglock/groups``.
This command reads no Nova database: the members of a group are the ones
the gate records at each move (and the API when a tenant sets a budget),
and ``--members`` gives the size a percentage applies to until the gate
next reads it from Nova.
"""

import argparse

from nova_miglock.decisions import groups as group_rules
from nova_miglock import lock
from nova_miglock.manage import commands
from nova_miglock.manage import output


def add_parsers(area, add, positive):
    """Add the ``group`` commands to nova-miglock-manage's parser."""
    cmds = area('group', 'disruption budgets: how many members of a group '
                'may move at once')
    group_help = ('a server group UUID, or tag:NAME for the servers of '
                  'the project tagged %sNAME' % group_rules.TAG_PREFIX)
    cmd = add(cmds, 'set', group_set, "set a group's budget (moves in "
              'progress are not ended by a lower one)')
    cmd.add_argument('group', help=group_help)
    cmd.add_argument('--project', required=True,
                     help="the group's project")
    cmd.add_argument('--max-moving', required=True,
                     help='members that may move at once: a number, or a '
                     'percentage of the members such as 25%% (rounded '
                     'down, at least 1 unless 0%%); 0 stops every move')
    cmd.add_argument('--members', type=_count,
                     help='how many members the group has, for a '
                     'percentage, until the gate reads it from Nova')
    cmd = add(cmds, 'show', group_show,
              "show a group's budget and its members' moves in progress")
    cmd.add_argument('group', help=group_help)
    cmd.add_argument('--project', required=True)
    cmd = add(cmds, 'list', group_list, 'list group budgets')
    cmd.add_argument('--project', help='only this project')
    cmd.add_argument('--limit', type=positive, default=1000)
    cmd = add(cmds, 'delete', group_delete,
              "remove a group's budget (its members move freely again)")
    cmd.add_argument('group', help=group_help)
    cmd.add_argument('--project', required=True)


def _count(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError('must be a whole number >= 0, got '
                                         '%r' % text)
    return value


def _allowed(found):
    budget, members = found['max_moving'], found['members']
    if members is None and budget.percent:
        return None
    return budget.allowed(members)


def _document(found):
    return {'project_id': found['project_id'], 'group': found['group'],
            'kind': found['kind'], 'max_moving': found['max_moving'].to_api(),
            'members': found['members'], 'allowed_moving': _allowed(found),
            'moving': [{'instance_uuid': m.instance_uuid, 'kind': m.kind,
                        'admitted_at': lock.isoformat(m.admitted_at),
                        'deadline': lock.isoformat(m.deadline)}
                       for m in found['moving']],
            'updated_by': found['updated_by'],
            'updated_at': lock.isoformat(found['updated_at'])}


def _emit(found, args):
    document = _document(found)
    if args.format == 'json':
        output.emit_json(document)
        return
    document['moving'] = ', '.join(
        '%(instance_uuid)s (%(kind)s since %(admitted_at)s)' % m
        for m in document['moving'])
    output.emit_fields(sorted(document.items()))


def group_set(manager, args):
    found = manager.set_group_budget(
        args.project, args.group, args.max_moving,
        actor=commands.operator_name(), members=args.members)
    _emit(found, args)


def group_show(manager, args):
    found = manager.group_budget(args.project, args.group)
    if found is None:
        raise lock.MigLockError('%s of project %s has no disruption budget'
                                % (group_rules.describe_key(
                                    group_rules.validate_key(args.group))
                                   .capitalize(), args.project))
    _emit(found, args)


def group_list(manager, args):
    found = manager.list_group_budgets(project_id=args.project,
                                       limit=args.limit)
    if args.format == 'json':
        output.emit_json([_document(f) for f in found])
        return
    output.emit_table(
        ['Project', 'Group', 'Kind', 'Max moving', 'Members', 'Moving'],
        [[f['project_id'], f['group'], f['kind'],
          str(f['max_moving']), f['members'], len(f['moving'])]
         for f in found])


def group_delete(manager, args):
    deleted = manager.delete_group_budget(args.project, args.group)
    if args.format == 'json':
        output.emit_json({'deleted': deleted})
    elif deleted:
        print('Removed the budget of %s.' % args.group)
    else:
        print('%s had no budget.' % args.group)
