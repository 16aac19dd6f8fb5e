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
"""The operator commands; each takes a LockManager and the parsed arguments.

Each command is a thin layer that formats what one LockManager call
returns: every change goes through the manager (validated, recorded and
notified the same way as from the REST API or the listener), and nothing
here knows which store driver is behind it.
"""

import datetime
import getpass

from nova_miglock import accounting
from nova_miglock import conf as miglock_conf
from nova_miglock import lock
from nova_miglock.manage import guest
from nova_miglock.manage import hook
from nova_miglock.manage import output
from nova_miglock import manager as lock_manager
from nova_miglock import nova_client
from nova_miglock import sla_tasks

CONF = miglock_conf.CONF


def operator_name():
    try:
        return 'operator:%s' % getpass.getuser()
    except Exception:  # no user database entry, e.g. in a container
        return 'operator'


def db_sync(manager, args):
    before, _head = manager.store.schema_revisions()
    after = manager.store.sync_schema()
    if args.format == 'json':
        output.emit_json({'before': before, 'after': after})
    elif before == after:
        print('Lock store schema is already at revision %s.' % after)
    else:
        print('Lock store schema upgraded from %s to %s.'
              % (before or 'empty', after))


def db_version(manager, args):
    current, head = manager.store.schema_revisions()
    if args.format == 'json':
        output.emit_json({'current': current, 'head': head})
    else:
        print('current: %s\nhead: %s' % (current or 'empty', head))
    return 0 if current == head else 3


def _hold_rows(state):
    return [[h.holder, h.source, h.reason, lock.isoformat(h.expires_at),
             round((h.expires_at - state.now).total_seconds())]
            for h in state.holds]


def lock_list(manager, args):
    states = manager.list_states(project_id=args.project,
                                 locked_only=not args.all, limit=args.limit)
    if args.format == 'json':
        output.emit_json([s.to_dict() for s in states])
        return
    rows = []
    for state in states:
        rows.append([
            state.instance_uuid, state.project_id, state.state,
            ', '.join(h.holder for h in state.holds),
            ', '.join(s.describe() for s in state.static_locks),
            lock.isoformat(state.lease_expires_at)])
    output.emit_table(['Instance', 'Project', 'State', 'Holders',
                       'Static locks', 'Lease ends'], rows)


def lock_show(manager, args):
    lock.validate_instance_uuid(args.instance)
    state, events = manager.history(args.instance, events=args.events)
    if args.format == 'json':
        output.emit_json(dict(state.to_dict(), recent_events=events))
        return
    ticket = state.ticket
    output.emit_fields([
        ('instance', state.instance_uuid),
        ('project', state.project_id),
        ('state', state.state),
        ('static locks', '; '.join(s.describe()
                                   for s in state.static_locks)),
        ('migration', '%s %s since %s' % (ticket.kind, ticket.ticket_id,
                                          lock.isoformat(ticket.admitted_at))
         if ticket else ''),
        ('migration requested', lock.isoformat(
            state.migration_requested_at)),
        ('generation', state.generation),
    ])
    output.emit_table(['Holder', 'Source', 'Reason', 'Expires',
                       'Seconds left'], _hold_rows(state), title='Holds:')
    output.emit_table(
        ['At', 'Event', 'Holder', 'Reason', 'Actor'],
        [[lock.isoformat(e['at']), e['event'], e['holder'], e['reason'],
          e['actor']] for e in events], title='Recent events:')


def _operator_target(manager, args):
    """The instance as the store knows it, for an operator's hold.

    This tool does not ask Nova: the project is the one the store has
    recorded (or ``--project``), and the flavor's ``miglock:max_lease`` is
    not known, so the configured limits apply.
    """
    state, _events = manager.history(args.instance, events=0)
    project = args.project or state.project_id
    if not project:
        raise lock.InvalidRequest(
            'the lock store does not know the project of instance %s; '
            'give --project' % args.instance)
    if state.project_id and project != state.project_id:
        raise lock.InvalidRequest(
            'instance %s belongs to project %s, not %s'
            % (args.instance, state.project_id, project))
    return lock_manager.Target(instance_uuid=args.instance,
                               project_id=project,
                               static_locks=state.static_locks)


def lock_hold(manager, args):
    grant = manager.acquire(
        _operator_target(manager, args), args.holder,
        source=lock.SOURCE_OPERATOR, lease_seconds=args.lease,
        reason=args.reason, actor=operator_name())
    if args.format == 'json':
        output.emit_json(dict(grant.to_dict(), instance_uuid=args.instance))
        return
    print('Instance %s is held by %s (operator) until %s%s.' % (
        args.instance, args.holder, lock.isoformat(grant.hold.expires_at),
        ', the lease cut by [miglock]/max_hold' if grant.capped else ''))


def lock_release(manager, args):
    lock.validate_instance_uuid(args.instance)
    released = manager.release(
        lock_manager.Target(instance_uuid=args.instance, project_id=None),
        args.holder, source=lock.SOURCE_OPERATOR, actor=operator_name())
    if args.format == 'json':
        output.emit_json({'instance_uuid': args.instance,
                          'released': released.to_dict()
                          if released else None})
    elif released:
        print('Released the hold of %s on instance %s.'
              % (args.holder, args.instance))
    else:
        print('Instance %s had no operator hold by %s; nothing to release.'
              % (args.instance, args.holder))


def lock_break(manager, args):
    if not lock.validate_reason(args.reason).strip():
        raise lock.InvalidRequest('--reason must say why the lock is broken')
    ended = manager.break_locks(
        args.instance, reason=args.reason, actor=operator_name(),
        holder=args.holder)
    if args.format == 'json':
        output.emit_json({'instance_uuid': args.instance,
                          'broken': [h.to_dict() for h in ended]})
    elif ended:
        print('Broke %d hold(s) of instance %s: %s'
              % (len(ended), args.instance,
                 ', '.join(h.describe() for h in ended)))
    else:
        print('Instance %s had no active hold%s; nothing to break.'
              % (args.instance,
                 ' by %s' % args.holder if args.holder else ''))


def lock_exempt(manager, args):
    if not lock.validate_reason(args.reason).strip():
        raise lock.InvalidRequest('--reason must say why the instance is '
                                  'exempted')
    state = manager.exempt_static(
        args.instance, seconds=args.seconds, reason=args.reason,
        actor=operator_name())
    if args.format == 'json':
        output.emit_json(state.to_dict())
    elif args.seconds:
        print('Static locks of instance %s are ignored by moves until %s '
              '(holds still count).' % (args.instance, lock.isoformat(
                  state.static_exempt_until)))
    else:
        print('Static locks of instance %s count again.' % args.instance)


def _day_start(now):
    return datetime.datetime.combine(now.date(), datetime.time())


def usage(manager, args):
    now = manager.now()
    since = args.since or _day_start(now)
    until = args.until or now
    if until <= since:
        raise lock.InvalidRequest('--until must be after --since')
    usages = manager.usage(project_id=args.project, since=since,
                           until=until)
    totals = accounting.per_project(usages)
    taxes = manager.project_taxes(since=since, until=until,
                                  project_id=args.project)
    if args.format == 'json':
        output.emit_json({'since': since, 'until': until,
                          'instances': [u.to_dict() for u in usages],
                          'projects': totals,
                          'taxes': [t.to_dict() for t in taxes]})
        return
    print('Lock-seconds from %s to %s' % (lock.isoformat(since),
                                          lock.isoformat(until)))
    output.emit_table(['Project', 'Instance', 'Lock-seconds', 'Holds'],
                      [[u.project_id, u.instance_uuid, u.lock_seconds,
                        u.holds] for u in usages])
    output.emit_table(
        ['Project', 'Lock-seconds', 'Tax rate', 'Charged seconds',
         'Trailing seconds', 'Allowance', 'Refused moves'],
        [[t.project_id, t.lock_seconds, t.rate, t.charged_seconds,
          t.used_seconds, t.allowance_seconds, t.refused_moves]
         for t in taxes],
        title='Per project (tax over the last %d days):'
        % CONF.miglock_tax.window_days)


def static_age(manager, args):
    remove = None
    if args.lapse:
        remove = sla_tasks.nova_remover(lambda: nova_client.from_conf(
            CONF, sla_tasks.TAGS_MICROVERSION))
    given = manager.age_static_locks(remove=remove, limit=args.limit)
    if args.format == 'json':
        output.emit_json([dict(
            notice=notice, instance_uuid=a.instance_uuid,
            project_id=a.project_id, static_since=a.static_since,
            max_age_at=a.max_age_at) for notice, a in given])
        return
    output.emit_table(['Instance', 'Project', 'Notice', 'Since',
                       'Max age at'],
                      [[a.instance_uuid, a.project_id, notice,
                        lock.isoformat(a.static_since),
                        lock.isoformat(a.max_age_at)] for notice, a in given])


def tax_rate(manager, args):
    now = manager.now()
    since = args.since or _day_start(now)
    if since >= now:
        raise lock.InvalidRequest('--since must be in the past')
    taxes = manager.rate_projects(since=since, until=now)
    if args.format == 'json':
        output.emit_json([t.to_dict() for t in taxes])
        return
    output.emit_table(['Project', 'Tax rate', 'Charged seconds'],
                      [[t.project_id, t.rate, t.charged_seconds]
                       for t in taxes],
                      title='Rates stored; leases are cut by them when '
                      '[miglock_tax]/enabled:')


def reap(manager, args):
    reaped = manager.reap(limit=args.limit)
    if args.format == 'json':
        output.emit_json([dict(h.to_dict(), instance_uuid=h.instance_uuid)
                          for h, _state in reaped])
    else:
        print('Recorded %d expired hold(s).' % len(reaped))


def ledger_purge(manager, args):
    counts = manager.purge_ledger(args.before)
    if args.format == 'json':
        output.emit_json(dict(counts, before=args.before))
    else:
        print('Deleted %(ledger)d ledger event(s) and %(tickets)d closed '
              'ticket(s) older than %(before)s; usage before that time is '
              'no longer reported.' % dict(counts, before=lock.isoformat(
                  args.before)))


def quota_show(manager, args):
    limits = manager.get_quota(args.project)
    if args.format == 'json':
        output.emit_json(dict(limits, project_id=args.project))
    else:
        output.emit_fields(sorted(limits.items()))


QUOTA_OPTIONS = ('locked_instances', 'lock_seconds_per_day', 'guest_locks',
                 'static_locks', 'max_lease', 'max_hold')


def quota_set(manager, args):
    changes = {}
    for name in QUOTA_OPTIONS:
        value = getattr(args, name)
        if value is not None:
            changes[name] = None if value == 'default' else value
    if not changes:
        raise lock.InvalidRequest(
            'give at least one of %s' % ', '.join(
                '--' + name.replace('_', '-') for name in QUOTA_OPTIONS))
    manager.set_quota(args.project, **changes)
    quota_show(manager, args)


def ticket_list(manager, args):
    tickets = manager.list_tickets(overdue=args.overdue, limit=args.limit)
    if args.format == 'json':
        output.emit_json([dict(t.to_dict(), instance_uuid=t.instance_uuid)
                          for t in tickets])
        return
    output.emit_table(['Instance', 'Ticket', 'Kind', 'Admitted',
                       'Deadline'],
                      [[t.instance_uuid, t.ticket_id, t.kind,
                        lock.isoformat(t.admitted_at),
                        lock.isoformat(t.deadline)] for t in tickets])


def ticket_close(manager, args):
    lock.validate_instance_uuid(args.instance)
    ticket = manager.end_move(args.instance, outcome=args.outcome,
                              actor=operator_name())
    if args.format == 'json':
        output.emit_json({'closed': ticket.to_dict() if ticket else None})
    elif ticket:
        print('Closed ticket %s (%s) of instance %s.'
              % (ticket.ticket_id, ticket.kind, args.instance))
    else:
        print('Instance %s has no open migration ticket.' % args.instance)


def guest_cloud_config(manager, args):
    print(guest.cloud_config(endpoint=args.endpoint), end='')


def hook_install(store, args):
    hooks_dir = args.hooks_dir or CONF.miglock_hook.hooks_dir
    try:
        paths = hook.install(hooks_dir, drivers=args.drivers,
                             **hook.options(CONF))
    except (OSError, ValueError) as exc:
        raise lock.MigLockError('cannot install the hook in %s: %s'
                                % (hooks_dir, exc))
    for path in paths:
        print('Installed %s' % path)
    _reload(args)


def hook_uninstall(store, args):
    hooks_dir = args.hooks_dir or CONF.miglock_hook.hooks_dir
    for path in hook.uninstall(hooks_dir, drivers=args.drivers):
        print('Removed %s' % path)
    _reload(args)


def _reload(args):
    if args.no_reload:
        return
    if hook.reload_libvirtd(args.pid_file):
        print('Reloaded libvirtd.')
    else:
        print('libvirtd is not running (no pid in %s); it sees the hook '
              'when it starts.' % args.pid_file)
