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
"""Command line of nova-miglock-manage.

Every failure ends in one line on stderr and a non-zero exit status, never
a traceback: 1 when the operation failed, 2 for bad usage or configuration.
"""

import argparse
import datetime
import sys

from oslo_config import cfg

from nova_miglock import config
from nova_miglock import lock
from nova_miglock.manage import commands
from nova_miglock.manage import configure_command
from nova_miglock.manage import drain
from nova_miglock.manage import files
from nova_miglock.manage import groups
from nova_miglock.manage import model
from nova_miglock.manage import output
from nova_miglock import manager as lock_manager
from nova_miglock import store as lock_store
from nova_miglock import version

PROG = 'nova-miglock-manage'
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, '%s: error: %s\n' % (self.prog, message))


def _timestamp(text):
    """ISO 8601 date or date-time, taken as UTC."""
    value = text.strip()
    if value.endswith('Z'):
        value = value[:-1]
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            'not an ISO 8601 date or time (e.g. 2026-11-26 or '
            '2026-11-26T10:00:00Z): %r' % text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(
            tzinfo=None)
    return parsed


def _limit(text):
    if text == 'default':
        return text
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < -1:
        raise argparse.ArgumentTypeError(
            'a limit is a whole number >= -1 (-1: unlimited) or "default", '
            'got %r' % text)
    return value


_SLA_PERMISSIONS = ('allowed', 'forbidden', 'default')


def _sla_cap(text):
    if text == 'default':
        return text
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(
            'a cap is a whole number of seconds >= 1 or "default", got %r'
            % text)
    return value


def _seconds(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError('must be a whole number of seconds '
                                         '>= 0, got %r' % text)
    return value


def _drivers(text):
    drivers = [d.strip() for d in text.split(',') if d.strip()]
    unknown = set(drivers) - {'qemu', 'libxl'}
    if not drivers or unknown:
        raise argparse.ArgumentTypeError(
            'drivers are qemu and/or libxl, got %r' % text)
    return drivers


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('must be a positive whole number, '
                                         'got %r' % text)
    return value


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--format', choices=output.FORMATS,
                        default='table',
                        help='output format (as openstackclient\'s -f)')
    parser = _Parser(prog=PROG, description='Operate the migration lock '
                     'store of nova-miglock.')
    parser.add_argument('--config-file', action='append', metavar='PATH',
                        help='configuration file (repeatable); default: '
                        'nova.conf and nova-miglock.conf from /etc/nova')
    parser.add_argument('--config-dir', action='append', metavar='DIR',
                        help='directory of *.conf files (repeatable)')
    parser.add_argument('--version', action='version',
                        version='%(prog)s ' + version.version_info.
                        version_string())
    parser.add_argument('--store', metavar='URL',
                        help='lock store URL, overriding '
                        '[miglock_database]/connection')
    areas = parser.add_subparsers(dest='area', metavar='AREA',
                                  parser_class=_Parser)
    areas.required = True

    def area(name, help_text):
        """A command group, e.g. "lock", whose commands follow."""
        group = areas.add_parser(name, help=help_text)
        group_commands = group.add_subparsers(
            dest='command', metavar='COMMAND', parser_class=_Parser)
        group_commands.required = True
        return group_commands

    def add(area, name, func, help_text):
        command = area.add_parser(name, parents=[common], help=help_text,
                                  description=help_text)
        command.set_defaults(func=func)
        return command

    db_cmds = area('db', 'schema of the lock store')
    add(db_cmds, 'sync', commands.db_sync,
        'create or upgrade the lock store schema')
    add(db_cmds, 'version', commands.db_version,
        'show the schema revision (exit 3 if not current)')

    lock_cmds = area('lock', 'holds and locks of instances')
    cmd = add(lock_cmds, 'list', commands.lock_list,
              'list locked and migrating instances')
    cmd.add_argument('--project', help='only this project')
    cmd.add_argument('--all', action='store_true',
                     help='include instances that are not locked')
    cmd.add_argument('--limit', type=_positive, default=1000)
    cmd = add(lock_cmds, 'show', commands.lock_show,
              "show one instance's lock, holds and recent events")
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--events', type=_positive, default=10,
                     help='recent ledger events to show (default 10)')
    cmd = add(lock_cmds, 'hold', commands.lock_hold,
              'take or renew an operator hold: the instance is not moved '
              'until it ends (recorded in the ledger)')
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--holder', required=True,
                     help='name of the hold; holding again renews it')
    cmd.add_argument('--lease', type=_positive,
                     help='seconds the hold lasts unless renewed (default '
                     '[miglock]/default_lease)')
    cmd.add_argument('--reason', default='',
                     help='why the instance must not move (recorded)')
    cmd.add_argument('--project', help="the instance's project, if the "
                     'store has not seen the instance yet')
    cmd = add(lock_cmds, 'release', commands.lock_release,
              'release an operator hold')
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--holder', required=True, help='name of the hold')
    cmd = add(lock_cmds, 'break', commands.lock_break,
              "end an instance's holds now (recorded in the ledger)")
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--reason', required=True,
                     help='why the lock is broken (recorded)')
    cmd.add_argument('--holder', help='break only this holder')
    cmd = add(lock_cmds, 'exempt', commands.lock_exempt,
              "let moves ignore an instance's static locks (tag, property, "
              "flavor, image) for a while; recorded in the ledger")
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--reason', required=True,
                     help='why the exemption is needed (recorded)')
    cmd.add_argument('--for', dest='seconds', type=_seconds, default=3600,
                     help='seconds the exemption lasts (default 3600; 0 '
                     'ends an exemption)')

    cmd = add(areas, 'usage', commands.usage,
              'lock-seconds per instance and project')
    cmd.add_argument('--project', help='only this project')
    cmd.add_argument('--since', type=_timestamp,
                     help='start (UTC, ISO 8601); default: today 00:00')
    cmd.add_argument('--until', type=_timestamp,
                     help='end (UTC, ISO 8601); default: now')

    static_cmds = area('static', "tenants' static locks")
    cmd = add(static_cmds, 'age', commands.static_age,
              'give the warnings and lapses due under '
              '[miglock_sla]/static_max_age, each once')
    cmd.add_argument('--lapse', action='store_true',
                     help="take a lapsed lock's tag and property off the "
                     'server through Nova ([miglock_nova] credentials); '
                     'without it, old locks are only notified as overdue')
    cmd.add_argument('--limit', type=_positive, default=1000)

    tax_cmds = area('tax', 'the lock tax by history')
    cmd = add(tax_cmds, 'rate', commands.tax_rate,
              "store every project's tax rate from its trailing history and "
              "notify each project's charge (miglock.tax.rated)")
    cmd.add_argument('--since', type=_timestamp,
                     help='start of the charged period (UTC, ISO 8601); '
                     'default: today 00:00')

    cmd = add(areas, 'reap', commands.reap,
              'record expired holds in the ledger and drop them')
    cmd.add_argument('--limit', type=_positive, default=1000)

    ledger_cmds = area('ledger', 'the audit ledger')
    cmd = add(ledger_cmds, 'purge', commands.ledger_purge,
              'delete ledger events and closed tickets older than a date '
              '(after billing has read them)')
    cmd.add_argument('--before', type=_timestamp, required=True,
                     help='UTC date or time, ISO 8601')

    quota_cmds = area('quota', 'lock quotas of projects')
    cmd = add(quota_cmds, 'show', commands.quota_show,
              "show a project's effective quota")
    cmd.add_argument('project')
    cmd = add(quota_cmds, 'set', commands.quota_set,
              "override a project's quota")
    cmd.add_argument('project')
    cmd.add_argument('--locked-instances', type=_limit,
                     help='concurrent locked instances (-1: unlimited, '
                     '"default": configured default)')
    cmd.add_argument('--lock-seconds-per-day', type=_limit,
                     help='lock-seconds per UTC day (-1: unlimited, '
                     '"default": configured default)')
    for name, what in (('guest', 'guests'), ('static', 'tenants (tag, '
                                             'property or image)')):
        cmd.add_argument('--%s-locks' % name, choices=_SLA_PERMISSIONS,
                         help='SLA: whether %s may lock; the flavor may '
                         'forbid it still ("default": the flavor or the '
                         'configuration decides)' % what)
    for name in ('lease', 'hold'):
        cmd.add_argument('--max-%s' % name, type=_sla_cap,
                         help='SLA: lower [miglock]/max_%s for this project '
                         '(seconds; "default": no project cap)' % name)

    ticket_cmds = area('ticket', 'admitted moves (migration tickets)')
    cmd = add(ticket_cmds, 'list', commands.ticket_list,
              'list open migration tickets')
    cmd.add_argument('--overdue', action='store_true',
                     help='only tickets past their deadline')
    cmd.add_argument('--limit', type=_positive, default=1000)
    cmd = add(ticket_cmds, 'close', commands.ticket_close,
              "end an instance's open move by hand")
    cmd.add_argument('instance', help='instance UUID')
    cmd.add_argument('--outcome', default='closed-by-operator',
                     help='recorded outcome')
    cmd = areas.add_parser(
        'configure-nova', help="plug nova-miglock into Nova's "
        'api-paste.ini and nova.conf, or take it out (idempotent; keeps '
        'your settings, comments, owner and mode)')
    configure_command.add_arguments(cmd)

    hook_cmds = area('hook', 'the libvirt hook on compute hosts')
    for name, func, text in (
            ('install', commands.hook_install,
             'install the hook as hooks/<driver>.d/50-nova-miglock and '
             'reload libvirtd'),
            ('uninstall', commands.hook_uninstall, 'remove the hook')):
        cmd = add(hook_cmds, name, func, text)
        cmd.add_argument('--hooks-dir', help='default: '
                         '[miglock_hook]/hooks_dir')
        cmd.add_argument('--drivers', type=_drivers,
                         default=['qemu', 'libxl'],
                         help='comma-separated libvirt drivers (default '
                         'qemu,libxl)')
        cmd.add_argument('--pid-file', default='/run/libvirtd.pid',
                         help="libvirtd's pid file, to reload it")
        cmd.add_argument('--no-reload', action='store_true',
                         help='do not reload libvirtd')

    guest_cmds = area('guest', 'installing the guest agent')
    cmd = add(guest_cmds, 'cloud-config', commands.guest_cloud_config,
              'print user data that installs the miglock agent in a guest')
    cmd.add_argument('--endpoint', help='metadata URL, if not the usual '
                     'http://169.254.169.254')
    drain.add_parsers(areas, add, _timestamp, _positive)
    model.add_parsers(area, add, _positive)
    groups.add_parsers(area, add, _positive)
    return parser


def _fail(status, message):
    sys.stderr.write('%s: error: %s\n' % (PROG, message))
    return status


def _run_without_store(args):
    """Commands that edit files: no configuration, no store to load."""
    try:
        return args.func(args) or 0
    except lock.InvalidRequest as exc:
        return _fail(EXIT_USAGE, exc.message)
    except files.FileError as exc:
        return _fail(EXIT_FAILED, str(exc))


def main(argv=None):
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, 'format', None) in output.FORMATS:
        output.use_format(args.format)
    if not getattr(args, 'needs_store', True):
        return _run_without_store(args)
    try:
        conf = config.parse(args.config_file, args.config_dir)
        if args.store:
            conf.set_override('connection', args.store,
                              group='miglock_database')
        store = lock_store.load_store(conf)
    except cfg.Error as exc:
        return _fail(EXIT_USAGE, 'configuration: %s' % exc)
    except lock.MigLockError as exc:
        return _fail(EXIT_FAILED, exc.message)
    try:
        return args.func(lock_manager.LockManager(conf, store=store),
                         args) or 0
    except lock.InvalidRequest as exc:
        return _fail(EXIT_USAGE, exc.message)
    except lock.MigLockError as exc:
        return _fail(EXIT_FAILED, exc.message)
    except cfg.Error as exc:
        return _fail(EXIT_USAGE, 'configuration: %s' % exc)
    finally:
        store.dispose()
