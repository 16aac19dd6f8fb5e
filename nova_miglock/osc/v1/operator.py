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
"""Operators' commands: move requests, housekeeping, drain plans, model.

``openstack server migration lock request open|show|cancel|list``,
``... lock reap``, ``... lock ledger purge``, ``... lock model show`` and
``openstack server migration drain plan``: what ``nova-miglock-manage``
does, over the REST API and its policy (admin by default). A drain itself
is not here: it runs for hours and is ``nova-miglock-manage drain``; its
plan (the dry run) is.
"""

import re

from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions

from nova_miglock.osc.v1 import locks

REQUEST_FIELDS = (
    ('Server ID', 'instance_uuid'),
    ('Project ID', 'project_id'),
    ('Reason', 'reason'),
    ('Requested By', 'requested_by'),
    ('Opened At', 'opened_at'),
    ('Not Before', 'not_before'),
    ('Approved At', 'approved_at'),
    ('Seconds Left', 'seconds_left'),
)
REAPED_FIELDS = (('Server ID', 'instance_uuid'),) + locks.BROKEN_FIELDS
PURGED_FIELDS = (
    ('Before', 'before'),
    ('Ledger Events', 'ledger_events'),
    ('Closed Tickets', 'closed_tickets'),
)
MODEL_FIELDS = (
    ('Server ID', 'instance_uuid'),
    ('Project ID', 'project_id'),
    ('As Of', 'as_of'),
    ('Ledger Rows', 'ledger_rows'),
    ('Ledger Rows New', 'ledger_rows_new'),
    ('Locked Period Seconds', 'locked_period_seconds'),
    ('Lock Probability', 'lock_probability'),
    ('Busiest Hours', 'busiest_hours'),
    ('Move Seconds P50', 'move_seconds_p50'),
    ('Locked For Seconds', 'locked_for_seconds'),
    ('Remaining Seconds', 'remaining_seconds'),
    ('Weights', 'weights'),
    ('History', 'history'),
)
PLAN_FIELDS = (
    ('Hosts', 'hosts'),
    ('Strategy', 'strategy'),
    ('Planned At', 'planned_at'),
    ('Deadline', 'deadline'),
    ('On Deadline', 'on_deadline'),
    ('Predicted P50 Seconds', 'p50_seconds'),
    ('Predicted P90 Seconds', 'p90_seconds'),
    ('Needs Break', 'needs_break'),
    ('Counts', 'counts'),
    ('Notice', 'notice'),
    ('Servers', 'servers'),
)
# Structured values: kept as structures for json and yaml.
_FORMATTERS = {
    'locked_period_seconds': format_columns.DictColumn,
    'lock_probability': format_columns.DictColumn,
    'remaining_seconds': format_columns.DictColumn,
    'weights': format_columns.DictColumn,
    'counts': format_columns.DictColumn,
    'notice': format_columns.DictColumn,
    'busiest_hours': format_columns.ListDictColumn,
    'history': format_columns.ListDictColumn,
    'servers': format_columns.ListDictColumn,
    'hosts': format_columns.ListColumn,
    'needs_break': format_columns.ListColumn,
}
_DURATION = re.compile(r'^\s*(\d+)\s*([smhd]?)\s*$')
_UNITS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}


def row(item, fields):
    return locks.row(item, fields, _FORMATTERS)


def duration(text):
    """Seconds from ``90``, ``90s``, ``15m``, ``2h`` or ``1d``."""
    match = _DURATION.match(text)
    if not match or not int(match.group(1)):
        raise ValueError(text)
    return int(match.group(1)) * _UNITS[match.group(2)]


# argparse names the type in its error.
duration.__name__ = 'duration (90, 90s, 15m, 2h or 1d)'


def notice_duration(text):
    """A duration as :func:`duration` reads it, or 0: no notice."""
    match = _DURATION.match(text)
    if match and not int(match.group(1)):
        return 0
    return duration(text)


notice_duration.__name__ = 'duration (0, 90, 90s, 15m, 2h or 1d)'


class OpenMoveRequest(locks.ServerCommand, command.ShowOne):
    """Tell a server's guest a move is coming (admin; audited).

    Leases granted from now on end by then; after it the guest cannot lock
    until the request closes (a move or ``request cancel``).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--within', metavar='<duration>', type=duration,
                            required=True,
                            help='The move comes within this time: 90, 15m, '
                                 '2h, 1d')
        parser.add_argument('--reason', metavar='<reason>', required=True,
                            help='Why (told to the guest, recorded)')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        request = client.move_request_open(server_id, parsed_args.within,
                                           parsed_args.reason)
        return locks.columns(REQUEST_FIELDS), row(request, REQUEST_FIELDS)


class ShowMoveRequest(locks.ServerCommand, command.ShowOne):
    """Show a server's open move request."""

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        request = client.move_request_show(server_id)
        if request is None:
            raise exceptions.CommandError(
                'Server %s has no open move request.' % parsed_args.server)
        return locks.columns(REQUEST_FIELDS), row(request, REQUEST_FIELDS)


class CancelMoveRequest(locks.ServerCommand):
    """Cancel a server's move request (admin; no request is not an error)."""

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        client.move_request_cancel(server_id)


class ListMoveRequests(command.Lister):
    """List open move requests of every project (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--limit', metavar='<count>', type=locks.positive,
                            help='At most this many (the API answers 1000 '
                                 'at most)')
        return parser

    def take_action(self, parsed_args):
        found = self.app.client_manager.miglock.move_requests(
            limit=parsed_args.limit)
        return locks.columns(REQUEST_FIELDS), [row(r, REQUEST_FIELDS)
                                               for r in found]


class ReapMigrationLocks(command.Lister):
    """Record expired holds in the ledger and drop them (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--limit', metavar='<count>', type=locks.positive,
                            help='At most this many holds (default and '
                                 'maximum 1000)')
        return parser

    def take_action(self, parsed_args):
        reaped = self.app.client_manager.miglock.reap(limit=parsed_args.limit)
        return locks.columns(REAPED_FIELDS), [row(h, REAPED_FIELDS)
                                              for h in reaped]


class PurgeMigrationLockLedger(command.ShowOne):
    """Delete ledger events and closed tickets older than a time (admin).

    Usage before that time is no longer reported: purge what billing has
    read.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--before', metavar='<time>', required=True,
                            help='UTC date or time, ISO 8601 (2026-11-01 or '
                                 '2026-11-01T00:00:00Z), in the past')
        return parser

    def take_action(self, parsed_args):
        purged = self.app.client_manager.miglock.purge_ledger(
            parsed_args.before)
        return locks.columns(PURGED_FIELDS), row(purged, PURGED_FIELDS)


class ShowMigrationLockModel(locks.ServerCommand, command.ShowOne):
    """Show what the lock history model drains plan with believes (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--days', metavar='<days>', type=locks.positive,
                            help='Days of ledger a first fit learns from '
                                 '(default 28, at most 366)')
        return parser

    def take_action(self, parsed_args):
        client, server_id = self.client_and_server(parsed_args)
        found = client.model_show(server_id, days=parsed_args.days)
        return locks.columns(MODEL_FIELDS), row(found, MODEL_FIELDS)


class PlanDrain(command.ShowOne):
    """Plan a drain of compute hosts and predict its end; move nothing.

    What ``nova-miglock-manage drain --dry-run`` prints, from the API
    (admin). The drain itself runs for as long as the hosts take to empty
    and is not an API: run ``nova-miglock-manage drain``.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('hosts', metavar='<host>', nargs='+',
                            help='Compute host to empty (repeat for more, '
                                 'at most 10)')
        when = parser.add_mutually_exclusive_group()
        when.add_argument('--within', metavar='<duration>', type=duration,
                          help='Deadline from now: 90, 15m, 2h, 1d '
                               '(default 1h)')
        when.add_argument('--deadline', metavar='<time>',
                          help='Deadline, UTC (2026-11-26T18:00:00Z)')
        parser.add_argument('--strategy', metavar='<strategy>',
                            help='naive, wait-retry, fail-retry or '
                                 'probabilistic (the default)')
        parser.add_argument('--parallel', metavar='<count>',
                            type=locks.positive,
                            help='Moves at the same time (default 2)')
        parser.add_argument('--per-host', metavar='<count>',
                            type=locks.positive,
                            help='Moves at the same time out of one host '
                                 '(default 1)')
        parser.add_argument('--on-deadline', metavar='<action>',
                            help='What is still locked at the deadline '
                                 'gets: break, skip (the default) or fail')
        told = parser.add_mutually_exclusive_group()
        told.add_argument('--notice', metavar='<duration>',
                          type=notice_duration,
                          help='Plan as if the guests were told their '
                               'locks end within this time; 0 for no '
                               'notice (default: the drain\'s, [miglock] '
                               'drain_notice or half the time to the '
                               'deadline, whichever is shorter)')
        told.add_argument('--no-notice', dest='notice', action='store_const',
                          const=0, help='Plan without telling the guests')
        return parser

    def take_action(self, parsed_args):
        plan = self.app.client_manager.miglock.drain_plan(
            parsed_args.hosts, within=parsed_args.within,
            deadline=parsed_args.deadline, strategy=parsed_args.strategy,
            parallel=parsed_args.parallel, per_host=parsed_args.per_host,
            on_deadline=parsed_args.on_deadline, notice=parsed_args.notice)
        shown = dict(plan, **(plan['predicted'] or {}))
        shown['servers'] = plan['instances']
        return locks.columns(PLAN_FIELDS), row(shown, PLAN_FIELDS)
