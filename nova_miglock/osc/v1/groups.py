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
"""``openstack server migration group set|show|list|delete``.

Disruption budgets of groups (``/os-miglock/groups``, API version 1.1): how
many members of a Nova server group, or of the servers of a project tagged
``miglock:group=NAME`` (``tag:NAME``), may be moved at once. The API reads
the members from Nova and decides who may set what; these commands only
shape the request and the answer. A tag group belongs to a project: the
caller's, or ``--project`` for an admin; a server group's project is its
own.
"""

import re

from osc_lib.cli import format_columns
from osc_lib.command import command

from nova_miglock.osc.v1 import locks

GROUP_FIELDS = (
    ('Group', 'group'),
    ('Kind', 'kind'),
    ('Project ID', 'project_id'),
    ('Max Moving', 'max_moving'),
    ('Members', 'members'),
    ('Allowed Moving', 'allowed_moving'),
    ('Moving', 'moving'),
    ('Updated At', 'updated_at'),
    ('Updated By', 'updated_by'),
)
# A list shows the servers moving by ID; ``show`` has their moves.
LIST_FIELDS = GROUP_FIELDS[:6] + (('Moving', 'moving_servers'),)
_FORMATTERS = {
    'moving': format_columns.ListDictColumn,
    'moving_servers': format_columns.ListColumn,
}
_COUNT = re.compile(r'^\s*(\d{1,4})\s*$')
_PERCENT = re.compile(r'^\s*(\d{1,3})\s*%\s*$')
_GROUP_HELP = ('Server group (name or ID), or tag:NAME for the servers '
               'tagged miglock:group=NAME')


def row(item, fields):
    return locks.row(item, fields, _FORMATTERS)


def max_moving(text):
    """A budget as the API takes it: ``3`` (an int) or ``"25%"``.

    Checked here so that a typo is a usage error before any request; the
    API checks again (and decides who may set 0).
    """
    match = _COUNT.match(text)
    if match:
        return int(match.group(1))
    match = _PERCENT.match(text)
    if match and int(match.group(1)) <= 100:
        return '%d%%' % int(match.group(1))
    raise ValueError(text)


# argparse names the type in its error.
max_moving.__name__ = 'max-moving (a count 0-9999 or a percentage 0%-100%)'


class GroupCommand(command.Command):
    """What every command about one group shares."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('group', metavar='<group>', help=_GROUP_HELP)
        parser.add_argument('--project', metavar='<project-id>',
                            help="A tag group's project (admin only for "
                                 'another project than yours; a server '
                                 "group's project is its own)")
        return parser

    def client_and_group(self, parsed_args):
        client = self.app.client_manager.miglock
        return client, client.find_group(parsed_args.group)


class SetGroupBudget(GroupCommand, command.ShowOne):
    """Set how many members of a group may be moved at once.

    Moves in progress are not ended by a lower budget; it refuses the
    next. A budget of 0 stops every move of the group and is an
    operator's (admin) tool.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--max-moving', metavar='<count|percent>',
                            type=max_moving, required=True,
                            help='Members that may move at once: a count '
                                 '(1) or a percentage of the members '
                                 '(25%%, rounded down, at least 1 unless '
                                 '0%%)')
        return parser

    def take_action(self, parsed_args):
        client, group = self.client_and_group(parsed_args)
        found = client.group_set(
            group, parsed_args.max_moving,
            project_id=parsed_args.project)
        return locks.columns(GROUP_FIELDS), row(found, GROUP_FIELDS)


class ShowGroupBudget(GroupCommand, command.ShowOne):
    """Show a group's budget and its members' moves in progress."""

    def take_action(self, parsed_args):
        client, group = self.client_and_group(parsed_args)
        found = client.group_show(group, project_id=parsed_args.project)
        return locks.columns(GROUP_FIELDS), row(found, GROUP_FIELDS)


class DeleteGroupBudget(GroupCommand):
    """Remove a group's budget (no budget is not an error)."""

    def take_action(self, parsed_args):
        client, group = self.client_and_group(parsed_args)
        client.group_delete(group, project_id=parsed_args.project)


class ListGroupBudgets(command.Lister):
    """List the group budgets of your project (or others' as an admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument('--project', metavar='<project-id>',
                           help='Budgets of this project (admin only for '
                                'another project)')
        scope.add_argument('--all-projects', action='store_true',
                           help='Budgets of every project (admin only)')
        return parser

    def take_action(self, parsed_args):
        found = self.app.client_manager.miglock.groups(
            project_id=parsed_args.project,
            all_projects=parsed_args.all_projects)
        for item in found:
            item['moving_servers'] = [m['instance_uuid']
                                      for m in item['moving']]
        return locks.columns(LIST_FIELDS), [row(g, LIST_FIELDS)
                                            for g in found]
