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
"""``openstack server migration lock usage|quota ...|ticket ...``.

Lock-seconds, quotas and admitted moves: the accounting and operations
side of the same API, on the helpers of :mod:`.locks`.
"""

import argparse

from osc_lib.command import command
from osc_lib import exceptions

from nova_miglock.osc.v1 import locks

USAGE_FIELDS = (
    ('Server ID', 'instance_uuid'),
    ('Project ID', 'project_id'),
    ('Lock Seconds', 'lock_seconds'),
    ('Holds', 'hold_count'),
)
TICKET_FIELDS = (
    ('Server ID', 'instance_uuid'),
    ('Ticket ID', 'ticket_id'),
    ('Kind', 'kind'),
    ('Admitted At', 'admitted_at'),
    ('Deadline', 'deadline'),
    ('Closed At', 'closed_at'),
    ('Outcome', 'outcome'),
)
QUOTA_FIELDS = (
    ('Project ID', 'project_id'),
    ('Locked Instances', 'locked_instances'),
    ('Lock Seconds Per Day', 'lock_seconds_per_day'),
)


def _limit(text):
    """A quota limit: -1 (unlimited) or more, or "default"."""
    if text == 'default':
        return None
    value = int(text)
    if value < -1:
        raise ValueError(text)
    return value


# argparse names the type in its error.
_limit.__name__ = 'limit (-1, 0 or more, or "default")'


class MigrationLockUsage(command.Lister):
    """Show lock-seconds per server, as billed (your project's by default)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        locks.add_scope(parser)
        parser.add_argument('--since', metavar='<time>',
                            help='Start, UTC, ISO 8601 (default: today '
                                 '00:00)')
        parser.add_argument('--until', metavar='<time>',
                            help='End, UTC, ISO 8601 (default: now)')
        return parser

    def take_action(self, parsed_args):
        usage = self.app.client_manager.miglock.usage(
            project_id=parsed_args.project,
            all_projects=parsed_args.all_projects, since=parsed_args.since,
            until=parsed_args.until)
        rows = [dict(u, hold_count=u['holds']) for u in usage['instances']]
        return locks.columns(USAGE_FIELDS), [
            locks.row(u, USAGE_FIELDS) for u in rows]


class ListMigrationTickets(command.Lister):
    """List admitted moves that have not ended (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--overdue', action='store_true',
                            help='Only moves past their deadline')
        return parser

    def take_action(self, parsed_args):
        found = self.app.client_manager.miglock.tickets(
            overdue=parsed_args.overdue)
        fields = TICKET_FIELDS[:-2]
        return locks.columns(fields), [locks.row(t, fields) for t in found]


class CloseMigrationTicket(locks.ServerCommand, command.ShowOne):
    """End a server's move whose end Nova never reported (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--outcome', metavar='<outcome>',
                            help='Recorded outcome (default '
                                 'closed-by-operator)')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        ended = client.end_move(server_id, outcome=parsed_args.outcome)
        if ended is None:
            raise exceptions.CommandError(
                'Server %s has no move in progress.' % parsed_args.server)
        ended['instance_uuid'] = server_id
        return locks.columns(TICKET_FIELDS), locks.row(ended, TICKET_FIELDS)


class ShowMigrationLockQuota(command.ShowOne):
    """Show a project's lock quota (-1: unlimited)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', metavar='<project-id>',
                            help='Project ID')
        return parser

    def take_action(self, parsed_args):
        quota = self.app.client_manager.miglock.quota_show(
            parsed_args.project)
        return locks.columns(QUOTA_FIELDS), locks.row(quota, QUOTA_FIELDS)


class SetMigrationLockQuota(command.ShowOne):
    """Override a project's lock quota (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', metavar='<project-id>',
                            help='Project ID')
        for name, text in (('locked-instances', 'servers locked at once'),
                           ('lock-seconds-per-day',
                            'lock-seconds per UTC day')):
            parser.add_argument(
                '--' + name, metavar='<limit>', type=_limit,
                default=argparse.SUPPRESS,
                help='%s (-1: unlimited; "default": the configured '
                     'default)' % text.capitalize())
        return parser

    def take_action(self, parsed_args):
        limits = {name: getattr(parsed_args, name)
                  for name in ('locked_instances', 'lock_seconds_per_day')
                  if hasattr(parsed_args, name)}
        if not limits:
            raise exceptions.CommandError(
                'give --locked-instances and/or --lock-seconds-per-day')
        quota = self.app.client_manager.miglock.quota_set(
            parsed_args.project, **limits)
        return locks.columns(QUOTA_FIELDS), locks.row(quota, QUOTA_FIELDS)
