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
"""``openstack server migration lock show|hold|release|list|break|exempt``.

Thin cliff commands: each parses its arguments, makes one call of
:class:`nova_miglock.osc.client.Client` and hands the answer to cliff,
which formats it (``-f table|json|yaml|value|shell``, ``-c``). What is
allowed is the API's business (oslo.policy on the server), not the
client's.
"""

from osc_lib.cli import format_columns
from osc_lib.command import command

# Shown fields of a server's lock: (column, key in the API's answer).
STATE_FIELDS = (
    ('Server ID', 'instance_uuid'),
    ('State', 'state'),
    ('Locked', 'locked'),
    ('Holds', 'holds'),
    ('Static Locks', 'static_locks'),
    ('Static Exempt Until', 'static_exempt_until'),
    ('Locked Since', 'locked_since'),
    ('Migration', 'migration'),
    ('Migration Requested At', 'migration_requested_at'),
    ('Generation', 'generation'),
)
HOLD_FIELDS = (
    ('Holder', 'holder'),
    ('Source', 'source'),
    ('Reason', 'reason'),
    ('Acquired At', 'acquired_at'),
    ('Expires At', 'expires_at'),
    ('Expires In', 'expires_in'),
    ('Lease Seconds', 'lease_seconds'),
    ('Lease Capped By', 'lease_capped_by'),
    ('Server State', 'instance_state'),
)
LIST_FIELDS = (
    ('Server ID', 'instance_uuid'),
    ('Project ID', 'project_id'),
    ('State', 'state'),
    ('Holders', 'holders'),
    ('Static Locks', 'static_locks'),
    ('Locked Since', 'locked_since'),
)
BROKEN_FIELDS = (
    ('Holder', 'holder'),
    ('Source', 'source'),
    ('Reason', 'reason'),
    ('Acquired At', 'acquired_at'),
    ('Expires At', 'expires_at'),
)
_FORMATTERS = {
    'holds': format_columns.ListDictColumn,
    'static_locks': format_columns.ListDictColumn,
    'migration': format_columns.DictColumn,
    'holders': format_columns.ListColumn,
}


def row(item, fields, formatters=None):
    """Values of ``item`` in ``fields`` order (``formatters`` by key).

    Structures stay structured for json and yaml and read as text in a
    table.
    """
    values = []
    for _column, key in fields:
        value = item.get(key)
        formatter = (_FORMATTERS if formatters is None
                     else formatters).get(key)
        values.append(formatter(value) if formatter and value is not None
                      else value)
    return tuple(values)


def columns(fields):
    return tuple(column for column, _key in fields)


def positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def not_negative(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


# argparse names the type in its error: "invalid positive integer value".
positive.__name__ = 'positive integer'
not_negative.__name__ = 'non-negative integer'


class ServerCommand(command.Command):
    """What every command about one server shares."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('server', metavar='<server>',
                            help='Server (name or ID)')
        return parser

    def client_and_server(self, parsed_args):
        client = self.app.client_manager.miglock
        return client, client.find_server(parsed_args.server)


class ShowMigrationLock(ServerCommand, command.ShowOne):
    """Show whether a server may be moved, and what holds it."""

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        state = client.show(server_id)
        return columns(STATE_FIELDS), row(state, STATE_FIELDS)


class HoldMigrationLock(ServerCommand, command.ShowOne):
    """Take or renew a hold: the server is not moved until it ends."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--holder', metavar='<holder>', required=True,
            help='Name of the hold (1 to 64 letters, digits and "_.:@-"); '
                 'holding again with the same name renews it')
        parser.add_argument(
            '--lease-seconds', metavar='<seconds>', type=positive,
            help='How long the hold lasts unless renewed (default: the '
                 "cloud's [miglock]/default_lease)")
        parser.add_argument(
            '--reason', metavar='<reason>',
            help='Why the server must not move (shown to operators)')
        parser.add_argument(
            '--wait', metavar='<seconds>', type=not_negative,
            help='Wait this long for a migration in progress to end '
                 'instead of failing at once')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        hold = client.hold(server_id, parsed_args.holder,
                           lease_seconds=parsed_args.lease_seconds,
                           reason=parsed_args.reason, wait=parsed_args.wait)
        return columns(HOLD_FIELDS), row(hold, HOLD_FIELDS)


class ReleaseMigrationLock(ServerCommand):
    """Release a hold; releasing a hold that has ended is not an error."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--holder', metavar='<holder>', required=True,
                            help='Name of the hold to release')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        client.release(server_id, parsed_args.holder)


class ListMigrationLocks(command.Lister):
    """List locked servers (of your project, or others' as an admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_scope(parser)
        parser.add_argument('--include-unlocked', action='store_true',
                            help='Also servers the lock store knows that '
                                 'are not locked now')
        parser.add_argument('--limit', metavar='<count>', type=positive,
                            help='At most this many servers (the API '
                                 'answers 1000 at most)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.miglock
        locks = client.list(project_id=parsed_args.project,
                            all_projects=parsed_args.all_projects,
                            include_unlocked=parsed_args.include_unlocked,
                            limit=parsed_args.limit)
        for item in locks:
            item['holders'] = [h['holder'] for h in item['holds']]
        return columns(LIST_FIELDS), [row(i, LIST_FIELDS) for i in locks]


def add_scope(parser):
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument('--project', metavar='<project-id>',
                       help='Servers of this project (admin only for '
                            'another project)')
    scope.add_argument('--all-projects', action='store_true',
                       help='Servers of every project (admin only)')


class BreakMigrationLock(ServerCommand, command.Lister):
    """End a server's holds, whoever holds them (admin; audited)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--reason', metavar='<reason>', required=True,
                            help='Why (recorded in the audit ledger and '
                                 'the notification)')
        parser.add_argument('--holder', metavar='<holder>',
                            help='End only this hold (default: all)')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        broken = client.break_holds(server_id, parsed_args.reason,
                                    holder=parsed_args.holder)
        return columns(BROKEN_FIELDS), [row(h, BROKEN_FIELDS)
                                        for h in broken]


class ExemptMigrationLock(ServerCommand, command.ShowOne):
    """Let moves ignore a server's static locks for a while (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--reason', metavar='<reason>', required=True,
                            help='Why (recorded in the audit ledger)')
        parser.add_argument('--seconds', metavar='<seconds>',
                            type=not_negative,
                            help='How long (default 3600; 0 ends an '
                                 'exemption)')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        state = client.exempt(server_id, parsed_args.reason,
                              seconds=parsed_args.seconds)
        return columns(STATE_FIELDS), row(state, STATE_FIELDS)
