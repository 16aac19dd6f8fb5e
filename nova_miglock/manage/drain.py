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
"""``nova-miglock-manage drain`` and ``undrain``: empty hosts, and back.

The commands parse and check the operator's input, build the executor
(:mod:`nova_miglock.drain.executor`) on the store and on a novaclient from
``[miglock_nova]``, print progress on stderr and the report on stdout.
Exit status: 0 when the hosts are empty (or the plan was printed), 1 when
instances are left.
"""

import argparse
import re
import sys
import time

from keystoneauth1 import exceptions as ks_exc

from nova_miglock import conf as miglock_conf
from nova_miglock.drain import executor
from nova_miglock.drain import nova as nova_api
from nova_miglock.drain import options as drain_options
from nova_miglock.drain import report as report_mod
from nova_miglock import lock
from nova_miglock.manage import commands
from nova_miglock.manage import output
from nova_miglock import nova_client
from nova_miglock.planning import strategies
from nova_miglock.planning import timebins

CONF = miglock_conf.CONF
_DURATION = re.compile(r'^\s*(\d+)\s*([smhd]?)\s*$')
_UNITS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}
MAX_WITHIN = 30 * 86400
_HOST = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$')


def duration(text):
    """Seconds from ``90``, ``90s``, ``15m``, ``2h`` or ``1d``."""
    match = _DURATION.match(text)
    value = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
    if not 0 < value <= MAX_WITHIN:
        raise argparse.ArgumentTypeError(
            'a duration is a whole number with an optional unit s, m, h or '
            'd, more than 0 and at most 30 days, got %r' % text)
    return value


def notice_duration(text):
    """A duration as :func:`duration` reads it, or 0: no notice."""
    if _DURATION.match(text) and int(_DURATION.match(text).group(1)) == 0:
        return 0
    return duration(text)


def notice_for(args, now, deadline, conf=CONF):
    """The notice this drain gives: what was asked, else the default."""
    return drain_options.resolve_notice(
        args.notice, conf.miglock.drain_notice, deadline - now)


def host(text):
    if not _HOST.match(text):
        raise argparse.ArgumentTypeError('not a host name: %r' % text)
    return text


def add_parsers(areas, add, timestamp, positive):
    """Add ``drain`` and ``undrain`` to nova-miglock-manage's parser."""
    cmd = add(areas, 'drain', drain, 'empty compute hosts: plan with the '
              'lock history, move every instance through the gate, report '
              'predicted against actual')
    cmd.add_argument('hosts', nargs='+', type=host, metavar='HOST')
    when = cmd.add_mutually_exclusive_group()
    when.add_argument('--within', type=duration, default=3600,
                      help='deadline from now: 90, 15m, 2h, 1d (default 1h)')
    when.add_argument('--deadline', type=timestamp,
                      help='deadline (UTC, ISO 8601)')
    cmd.add_argument('--strategy', choices=strategies.NAMES,
                     default=strategies.DEFAULT)
    cmd.add_argument('--parallel', type=positive, default=2,
                     help='moves at the same time (default 2)')
    cmd.add_argument('--per-host', type=positive, default=1,
                     help="moves at the same time out of one host: Nova's "
                     'max_concurrent_live_migrations there (default 1)')
    cmd.add_argument('--on-deadline', choices=drain_options.ON_DEADLINE,
                     default='skip',
                     help='what still locked at the deadline gets: break '
                     '(end its holds and move it, in one step), skip '
                     '(leave it; the default) or fail')
    told = cmd.add_mutually_exclusive_group()
    told.add_argument('--notice', type=notice_duration,
                      help='tell the guests (a move request) their locks '
                      'end within this time, e.g. 30m; 0 for no notice '
                      '(default: [miglock] drain_notice, 30m, or half the '
                      'time to the deadline if that is shorter)')
    told.add_argument('--no-notice', dest='notice', action='store_const',
                      const=0, help='do not tell the guests: no move '
                      'requests, leases are not capped (the drain waits '
                      'for them or acts at the deadline)')
    cmd.add_argument('--reason', default='host maintenance',
                     help='why (shown on the disabled service and recorded '
                     'with any break)')
    cmd.add_argument('--dry-run', action='store_true',
                     help='print the plan and its prediction; change nothing')
    cmd.add_argument('--move-timeout', type=duration, default=1800,
                     help='a move not ended by then counts as failed '
                     '(default 30m)')
    cmd.add_argument('--poll', type=duration, default=2,
                     help='seconds between reads of moves in flight '
                     '(default 2)')
    cmd = add(areas, 'undrain', undrain,
              "re-enable the hosts' compute services after a drain")
    cmd.add_argument('hosts', nargs='+', type=host, metavar='HOST')


def nova_for(conf):
    """An admin's novaclient from ``[miglock_nova]``, at the drain's version.

    A seam for tests: the in-process Nova has no Keystone to log in to.
    """
    return nova_client.from_conf(conf, nova_api.MICROVERSION)


def _progress(start):
    def emit(text):
        sys.stderr.write('[+%4ds] %s\n' % (time.time() - start, text))
        sys.stderr.flush()
    return emit


def drain(manager, args):
    now = time.time()
    deadline = (timebins.to_seconds(args.deadline) if args.deadline
                else now + args.within)
    if deadline <= now:
        raise lock.InvalidRequest('the deadline %s is in the past'
                                  % lock.isoformat(args.deadline))
    options = drain_options.Options(
        deadline=deadline, strategy=args.strategy, parallel=args.parallel,
        per_host=args.per_host, notice=notice_for(args, now, deadline),
        on_deadline=args.on_deadline, dry_run=args.dry_run,
        reason=args.reason, actor=commands.operator_name(),
        poll=args.poll, move_timeout=args.move_timeout)
    try:
        nova = nova_api.NovaAPI(nova_for(CONF))
        run = executor.Drain(manager, nova, args.hosts, options,
                             progress=_progress(now))
        result = run.run()
    except nova_api.NovaError as exc:
        raise lock.MigLockError(str(exc))
    except ks_exc.ClientException as exc:
        raise lock.MigLockError('cannot reach Nova with the [miglock_nova] '
                                'credentials: %s' % exc)
    if args.format == 'json':
        output.emit_json(result)
    else:
        output.emit_table(report_mod.COLUMNS, report_mod.rows(result))
        print(report_mod.summary(result))
    return 0 if result['dry_run'] or result['drained'] else 1


def undrain(manager, args):
    try:
        nova = nova_api.NovaAPI(nova_for(CONF))
        for name in args.hosts:
            nova.enable(name)
            # Requests a drain killed outright could not close.
            for server in nova.servers_on(name):
                manager.close_move_request(server.uuid, outcome='undrain',
                                           actor=commands.operator_name())
    except nova_api.NovaError as exc:
        raise lock.MigLockError(str(exc))
    except ks_exc.ClientException as exc:
        raise lock.MigLockError('cannot reach Nova with the [miglock_nova] '
                                'credentials: %s' % exc)
    if args.format == 'json':
        output.emit_json({'enabled': args.hosts})
    else:
        print('Enabled the compute service of %s.' % ', '.join(args.hosts))
