#!/usr/bin/env python3
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
"""miglock: ask the cloud not to migrate this instance while it works.

The guest agent of nova-miglock. It talks to the metadata service at
http://169.254.169.254/openstack/miglock and needs nothing but the Python
standard library (3.8 or newer, Linux or Windows): copy this one file into a
guest, or install nova-miglock, which provides the ``miglock`` command.

Command line::

    miglock lock HOLDER [--lease N] [--reason TEXT] [--wait SECONDS]
    miglock unlock HOLDER
    miglock status [--format text|json]
    miglock run HOLDER [--lease N] [--reason TEXT] [--wait S] -- CMD [ARG...]
    miglock wait [--timeout SECONDS]

Exit status (sysexits): 0 done, 64 usage, 69 service unavailable,
75 busy (a migration is in progress, or a limit applies for now: retry),
77 not permitted.

Python::

    import miglock
    with miglock.MigrationLock('db-checkpoint', lease=120,
                               reason='checkpoint', on_lost=alarm) as held:
        do_work()
        held.check()          # raises LockLost if renewal failed
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

__version__ = '1.0'

DEFAULT_ENDPOINT = 'http://169.254.169.254'
PATH = '/openstack/miglock'

EX_OK = 0
EX_USAGE = 64
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_TEMPFAIL = 75
EX_NOPERM = 77


class MigLockError(Exception):
    """A request the service refused or could not answer."""

    exit_code = EX_SOFTWARE

    def __init__(self, message, status=None, reason=None, retry_after=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class Busy(MigLockError):
    """Not now: a migration is in progress or a limit applies (retry)."""

    exit_code = EX_TEMPFAIL


class NotPermitted(MigLockError):
    """Policy refused: the flavor, a lease cap or the holder's owner."""

    exit_code = EX_NOPERM


class Unavailable(MigLockError):
    """The metadata service or the lock store cannot be reached."""

    exit_code = EX_UNAVAILABLE


class BadRequest(MigLockError):
    exit_code = EX_USAGE


class LockLost(MigLockError):
    """The hold could not be renewed and has ended (or is about to)."""

    exit_code = EX_TEMPFAIL


_ERRORS_BY_STATUS = {400: BadRequest, 403: NotPermitted, 404: BadRequest,
                     405: BadRequest, 409: Busy, 413: BadRequest,
                     422: NotPermitted, 429: Busy, 503: Unavailable}


class Client:
    """Talks to the migration lock endpoint of the metadata service.

    Retries, with backoff, when the service answers 503 or cannot be
    reached; every request is safe to repeat (acquire renews, release is
    idempotent).
    """

    def __init__(self, endpoint=None, timeout=10.0, retries=4, backoff=0.5):
        endpoint = (endpoint or os.environ.get('MIGLOCK_ENDPOINT') or
                    DEFAULT_ENDPOINT)
        self.endpoint = endpoint.rstrip('/')
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        # Metadata requests must never go through an HTTP proxy.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}))

    def status(self):
        return self._request('GET', PATH)

    def acquire(self, holder, lease_seconds=None, reason='', wait=0,
                renew=False):
        """Take or renew ``holder``'s hold; return the hold as granted.

        With ``renew``, only an active hold is extended: a hold that expired
        or was broken raises LockLost instead of being taken again.
        """
        body = {'reason': reason or ''}
        if renew:
            body['renew'] = True
        if lease_seconds is not None:
            body['lease_seconds'] = lease_seconds
        if wait:
            body['wait'] = wait
        return self._request('PUT', self._hold_path(holder), body,
                             extra_timeout=wait or 0)

    def approve(self):
        """Approve the requested move now: this guest's holds end."""
        return self._request('POST', PATH + '/approve', {})

    def release(self, holder):
        self._request('DELETE', self._hold_path(holder))

    @staticmethod
    def _hold_path(holder):
        return '%s/holds/%s' % (PATH, urllib.parse.quote(holder, safe=''))

    def _request(self, method, path, body=None, extra_timeout=0):
        data = None if body is None else json.dumps(body).encode('utf-8')
        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                return self._send(method, path, data, extra_timeout)
            except Unavailable as exc:
                if last:
                    raise
                time.sleep(min(exc.retry_after or delay, 30))
                delay = min(delay * 2, 8)

    def _send(self, method, path, data, extra_timeout):
        request = urllib.request.Request(
            self.endpoint + path, data=data, method=method,
            headers={'Accept': 'application/json',
                     'Content-Type': 'application/json',
                     'User-Agent': 'miglock/%s' % __version__})
        try:
            with self._opener.open(
                    request, timeout=self.timeout + extra_timeout) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as exc:
            raise _error_from(exc)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, 'reason', exc)
            raise Unavailable('cannot reach the metadata service at %s: %s'
                              % (self.endpoint, reason))
        if not raw:
            return None
        try:
            return json.loads(raw.decode('utf-8'))
        except ValueError:
            raise Unavailable('the metadata service at %s did not answer '
                              'JSON; is nova-miglock enabled there?'
                              % self.endpoint)


def _error_from(http_error):
    try:
        detail = json.loads(http_error.read().decode('utf-8'))['error']
        message, reason = detail['message'], detail.get('reason')
    except Exception:
        message, reason = 'HTTP %d %s' % (http_error.code,
                                          http_error.reason), None
        if http_error.code == 404:
            message += ' (is nova-miglock enabled in this cloud?)'
    retry_after = http_error.headers.get('Retry-After')
    try:
        retry_after = int(retry_after) if retry_after else None
    except ValueError:
        retry_after = None
    error_class = _ERRORS_BY_STATUS.get(
        http_error.code, Unavailable if http_error.code >= 500 else
        MigLockError)
    if reason == 'not_held':
        error_class = LockLost
    return error_class(message, status=http_error.code, reason=reason,
                       retry_after=retry_after)


def watch_move_requests(callback, client=None, interval=10.0, stop=None,
                        once=False):
    """Call ``callback(request)`` once for each move request that arrives.

    A request is known by when it was opened, so a request is never
    handled twice, however often it is seen. Polls every ``interval``
    seconds until ``stop`` (a ``threading.Event``) is set, or, with
    ``once``, returns the callback's result after the first request. The
    service being briefly unreachable is retried by the client; anything
    else is raised.
    """
    client = client or Client()
    stop = stop or threading.Event()
    seen = set()
    while not stop.is_set():
        request = client.status().get('move_request')
        if request and request['opened_at'] not in seen:
            seen.add(request['opened_at'])
            result = callback(request)
            if once:
                return result
        stop.wait(max(interval, 0.1))
    return None


def acquire_waiting(client, holder, lease_seconds=None, reason='', wait=0):
    """Acquire, waiting up to ``wait`` seconds for a migration to end."""
    deadline = time.monotonic() + max(0, wait or 0)
    while True:
        remaining = deadline - time.monotonic()
        try:
            return client.acquire(holder, lease_seconds, reason,
                                  wait=max(0, int(remaining)))
        except Busy as exc:
            if exc.reason != 'migration_in_progress':
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise
            time.sleep(min(exc.retry_after or 1, remaining))


class MigrationLock:
    """A hold kept alive in the background while the application works.

    Renews at ``renew_fraction`` of the lease. If renewal is refused, or
    keeps failing until the lease runs out, the lock is *lost*: ``on_lost``
    is called once with the error (from the renewal thread), ``lost``
    becomes true and ``check()`` raises :class:`LockLost`. A lost lock is
    never reported as held.
    """

    def __init__(self, holder, lease=60, reason='', wait=0, client=None,
                 on_lost=None, renew_fraction=1.0 / 3):
        if not 0 < renew_fraction < 1:
            raise ValueError('renew_fraction must be between 0 and 1')
        self.holder = holder
        self.lease = lease
        self.reason = reason
        self.wait = wait
        self.client = client or Client()
        self.on_lost = on_lost
        self.renew_fraction = renew_fraction
        self.error = None
        self.grant = None
        self._expires = None
        self._stop = threading.Event()
        self._thread = None
        self._lost = threading.Event()

    @property
    def lost(self):
        return self._lost.is_set()

    @property
    def held(self):
        return (self._expires is not None and not self.lost and
                time.monotonic() < self._expires)

    @property
    def expires_in(self):
        if self._expires is None:
            return 0.0
        return max(0.0, self._expires - time.monotonic())

    def acquire(self):
        started = time.monotonic()
        self._record(acquire_waiting(self.client, self.holder, self.lease,
                                     self.reason, self.wait), started)
        self._stop.clear()
        self._lost.clear()
        self._thread = threading.Thread(target=self._renew_loop,
                                        name='miglock-renew-%s' % self.holder,
                                        daemon=True)
        self._thread.start()
        return self

    def release(self):
        self._stop.set()
        if self._thread is not None and \
                self._thread is not threading.current_thread():
            self._thread.join(timeout=self.client.timeout + 1)
        self._expires = None
        self.client.release(self.holder)

    def check(self):
        if self.lost:
            raise LockLost('migration lock %r was lost: %s'
                           % (self.holder, self.error), reason='lost')

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()
        return False

    def _record(self, grant, started):
        self.grant = grant
        # Judged on our monotonic clock from the moment we asked, so a
        # guest clock that is off does not matter.
        self._expires = started + float(grant.get('expires_in',
                                                  grant['lease_seconds']))

    def _renew_loop(self):
        lease = float(self.grant['lease_seconds'] if self.lease is None
                      else self.lease)
        interval = max(1.0, lease * self.renew_fraction)
        delay = interval
        while not self._stop.wait(min(delay, max(0.0, self.expires_in))):
            if self.expires_in <= 0:
                return self._mark_lost(self.error or self._ran_out())
            started = time.monotonic()
            try:
                self._record(self.client.acquire(
                    self.holder, self.lease, self.reason, renew=True),
                    started)
                self.error, delay = None, interval
            except (Unavailable, Busy) as exc:
                if isinstance(exc, Busy) and exc.reason != \
                        'migration_in_progress':
                    return self._mark_lost(exc)
                self.error = exc
                delay = min(max(1.0, delay / 2), self.expires_in)
            except MigLockError as exc:
                return self._mark_lost(exc)

    def _ran_out(self):
        capped_by = (self.grant or {}).get('lease_capped_by')
        if capped_by:
            return LockLost('the hold reached the cloud\'s %s and ended'
                            % capped_by, reason='%s_reached' % capped_by)
        return LockLost('the lease ran out before it could be renewed',
                        reason='expired')

    def _mark_lost(self, error):
        self.error = error
        self._lost.set()
        if self.on_lost is not None:
            try:
                self.on_lost(error)
            except Exception as exc:  # the application's callback
                sys.stderr.write('miglock: on_lost callback failed: %s\n'
                                 % exc)


# -- command line -----------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, '%s: error: %s\n' % (self.prog, message))


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('must be a whole number of seconds '
                                         '>= 1, got %r' % text)
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError('must be a number of seconds >= 0, '
                                         'got %r' % text)
    return value


def build_parser():
    parser = _Parser(prog='miglock', description='Ask the cloud not to '
                     'migrate this instance while it works.')
    parser.add_argument('--endpoint', help='metadata service URL (default: '
                        '$MIGLOCK_ENDPOINT or %s)' % DEFAULT_ENDPOINT)
    parser.add_argument('--timeout', type=_seconds, default=10.0,
                        help='seconds per HTTP request (default 10)')
    parser.add_argument('--retries', type=int, default=4,
                        help='retries when the service is unavailable')
    parser.add_argument('--version', action='version',
                        version='miglock %s' % __version__)
    commands = parser.add_subparsers(dest='command', metavar='COMMAND',
                                     parser_class=_Parser)
    commands.required = True

    def holder_command(name, help_text):
        cmd = commands.add_parser(name, help=help_text,
                                  description=help_text)
        cmd.add_argument('holder', help='name of this hold, e.g. '
                         'db-checkpoint')
        cmd.add_argument('--lease', type=_positive_int,
                         help='lease in seconds (default: the cloud\'s)')
        cmd.add_argument('--reason', default='', help='why (shown to the '
                         'operator)')
        cmd.add_argument('--wait', type=_seconds, default=0,
                         help='seconds to wait if a migration is in '
                         'progress (default: fail at once)')
        return cmd

    holder_command('lock', 'take or renew a hold')
    cmd = commands.add_parser('unlock', help='release a hold')
    cmd.add_argument('holder')
    commands.add_parser('approve', help='approve the move an operator '
                        'requested, now: ends this guest\'s holds')
    cmd = commands.add_parser('status', help="show this instance's lock")
    cmd.add_argument('--format', choices=('text', 'json'), default='text')
    holder_command('run', 'hold the lock while a command runs (give the '
                   'command after --)')
    cmd = commands.add_parser('wait', help='block until no migration is '
                              'in progress (or, with --move-request, until '
                              'an operator asks to move this instance)')
    cmd.add_argument('--move-request', action='store_true',
                     help='wait for a move request and print it')
    on_request = commands.add_parser(
        'on-move-request', help='run a command once for each move request '
        '(give it after --; MIGLOCK_REASON, MIGLOCK_REQUESTED_BY and '
        'MIGLOCK_NOT_BEFORE describe the request)')
    on_request.add_argument('--interval', type=_seconds, default=10.0,
                            help='seconds between checks (default 10)')
    on_request.add_argument('--once', action='store_true',
                            help="exit after the first request, with the "
                            "command's exit status")
    cmd.add_argument('--timeout', dest='wait_timeout', type=_seconds,
                     default=0, help='give up after this many seconds '
                     '(default: never)')
    cmd.add_argument('--interval', type=_seconds, default=2.0)
    return parser


def _describe(grant):
    text = 'locked: %s until %s' % (grant['holder'], grant['expires_at'])
    if grant.get('lease_capped_by'):
        text += ' (lease cut to %s s by %s)' % (
            grant['lease_seconds'], grant['lease_capped_by'])
    return text


def _cmd_lock(client, args):
    grant = acquire_waiting(client, args.holder, args.lease, args.reason,
                            args.wait)
    print(_describe(grant))
    return EX_OK


def _cmd_unlock(client, args):
    client.release(args.holder)
    print('released: %s' % args.holder)
    return EX_OK


def _cmd_status(client, args):
    state = client.status()
    if args.format == 'json':
        print(json.dumps(state, indent=2, sort_keys=True))
        return EX_OK
    print('state: %s' % state['state'])
    for hold in state['holds']:
        print('hold: %s (%s) expires in %ds%s' % (
            hold['holder'], hold['source'], hold['expires_in'],
            ' "%s"' % hold['reason'] if hold['reason'] else ''))
    for static in state['static_locks']:
        print('static lock: %s %s' % (static['kind'], static['name']))
    if state.get('migration'):
        print('migration: %s since %s' % (state['migration']['kind'],
                                          state['migration']['admitted_at']))
    if state.get('move_request'):
        print(_describe_request(state['move_request']))
    return EX_OK


def _describe_request(request):
    return ('move requested by %s: "%s"; locks end by %s (in %ds)' % (
        request['requested_by'], request['reason'], request['not_before'],
        request['seconds_left']))


def _cmd_approve(client, args):
    request = client.approve()['move_request']
    print('approved: the move requested by %s may start now'
          % request['requested_by'])
    return EX_OK


def _cmd_wait(client, args):
    deadline = time.monotonic() + args.wait_timeout if args.wait_timeout \
        else None
    while True:
        state = client.status()
        if args.move_request and state.get('move_request'):
            print(_describe_request(state['move_request']))
            return EX_OK
        if not args.move_request and state['state'] != 'migrating':
            return EX_OK
        if deadline is not None and time.monotonic() >= deadline:
            sys.stderr.write('miglock: %s after %s s\n' % (
                'no move request' if args.move_request else
                'still migrating', args.wait_timeout))
            return EX_TEMPFAIL
        time.sleep(args.interval)


def _cmd_on_move_request(client, args):
    if not args.cmd:
        sys.stderr.write('miglock on-move-request: give the command after '
                         '--\n')
        return EX_USAGE

    def run(request):
        print(_describe_request(request))
        sys.stdout.flush()
        env = dict(os.environ, MIGLOCK_REASON=request['reason'],
                   MIGLOCK_REQUESTED_BY=request['requested_by'],
                   MIGLOCK_NOT_BEFORE=request['not_before'])
        return subprocess.call(args.cmd, env=env)

    result = watch_move_requests(run, client, args.interval, once=args.once)
    return result if args.once else EX_OK


def _cmd_run(client, args):
    command = args.cmd
    if not command:
        sys.stderr.write('miglock run: give the command after --\n')
        return EX_USAGE

    def lost(error):
        sys.stderr.write('miglock: WARNING: lost migration lock %r: %s\n'
                         % (args.holder, error))

    held = MigrationLock(args.holder, args.lease, args.reason, args.wait,
                         client=client, on_lost=lost)
    held.acquire()
    received = []

    def forward(signum, frame):
        received.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    child = None
    handled = [s for s in ('SIGTERM', 'SIGINT', 'SIGHUP')
               if hasattr(signal, s)]
    previous = {s: signal.signal(getattr(signal, s), forward)
                for s in handled}
    try:
        try:
            child = subprocess.Popen(command)
        except OSError as exc:
            sys.stderr.write('miglock run: cannot start %s: %s\n'
                             % (command[0], exc))
            return 127
        code = child.wait()
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
        try:
            held.release()
        except MigLockError as exc:
            sys.stderr.write('miglock: could not release %r: %s\n'
                             % (args.holder, exc.message))
    return 128 - code if code < 0 else code


COMMANDS = {'lock': _cmd_lock, 'unlock': _cmd_unlock, 'status': _cmd_status,
            'run': _cmd_run, 'wait': _cmd_wait, 'approve': _cmd_approve,
            'on-move-request': _cmd_on_move_request}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after "--" is the command of "run", never our options.
    command = []
    if '--' in argv:
        command = argv[argv.index('--') + 1:]
        argv = argv[:argv.index('--')]
    args = build_parser().parse_args(argv)
    args.cmd = command
    client = Client(args.endpoint, timeout=args.timeout,
                    retries=max(0, args.retries))
    try:
        return COMMANDS[args.command](client, args)
    except MigLockError as exc:
        sys.stderr.write('miglock: %s\n' % exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        return 128 + 2


if __name__ == '__main__':
    sys.exit(main())
