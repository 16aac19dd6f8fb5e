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
"""``nova-miglock-manage configure-nova``: Nova's files, edited safely.

It reads no configuration and loads no lock store: it edits two text
files, so it runs before nova-miglock.conf exists (devstack) and on a host
whose store URL names a driver this host cannot load.
"""

import difflib
import json
import re
import sys

import prettytable
import yaml

from nova_miglock import lock
from nova_miglock.manage import configure
from nova_miglock.manage import files
from nova_miglock.manage import ini

FORMATS = ('table', 'json', 'yaml', 'value')
SNIPPETS = ('kolla-ansible', 'openstack-ansible')
# Diffs go to terminals and logs: never show what nova.conf keeps secret.
_SECRET = re.compile(r'^(?P<key>\s*[^#;\s=]*(password|secret|connection|'
                     r'transport_url|_key)[^=]*=).*$', re.IGNORECASE)


def add_arguments(parser):
    parser.add_argument('--api-paste', metavar='FILE',
                        help="Nova's api-paste.ini to edit")
    parser.add_argument('--nova-conf', metavar='FILE',
                        help='nova.conf to edit (scheduler filter, '
                        'notifications)')
    parser.add_argument('--set-store', metavar='URL',
                        help='also set [miglock_database]/connection in '
                        'nova.conf')
    parser.add_argument('--no-metadata', action='store_true',
                        help='leave the metadata pipeline alone')
    parser.add_argument('--no-gate', action='store_true',
                        help='leave the compute API pipelines alone')
    parser.add_argument('--no-scheduler', action='store_true',
                        help='leave [filter_scheduler] alone')
    parser.add_argument('--remove', action='store_true',
                        help='take out everything configure-nova added, '
                        'restoring the lines it changed')
    parser.add_argument('--dry-run', action='store_true',
                        help='say what would change; write nothing')
    parser.add_argument('--diff', action='store_true',
                        help='also show the changes as a unified diff '
                        '(secrets masked)')
    parser.add_argument('--snippet', choices=SNIPPETS,
                        help='write nothing; print the overrides to give '
                        'a deployment tool that renders nova.conf and '
                        'api-paste.ini itself')
    parser.add_argument('--format', choices=FORMATS, default='table',
                        help='output format (default table)')
    parser.set_defaults(func=run, needs_store=False)


def _edits(args):
    """[(path, edit function)] asked for on the command line."""
    if args.remove:
        paste = configure.unconfigure_paste
        nova = configure.unconfigure_nova_conf
    else:
        def paste(text):
            return configure.configure_paste(
                text, metadata=not args.no_metadata,
                compute=not args.no_gate)

        def nova(text):
            return configure.configure_nova_conf(
                text, store=args.set_store,
                scheduler=not args.no_scheduler)
    return [(path, edit) for path, edit in ((args.api_paste, paste),
                                            (args.nova_conf, nova)) if path]


def plan(args):
    """Read every file and compute its new text; touch nothing."""
    edits = _edits(args)
    if not edits:
        raise lock.InvalidRequest('give --api-paste and/or --nova-conf')
    planned = []
    for path, edit in edits:
        try:
            before = files.read(path)
            after, changes = edit(before)
        except files.FileError as exc:
            raise lock.InvalidRequest(str(exc))
        except ValueError as exc:
            raise lock.InvalidRequest('%s: %s' % (path, exc))
        planned.append(dict(file=path, before=before, after=after,
                            changes=changes))
    return planned


def _mask(line):
    match = _SECRET.match(line)
    return match.group('key') + ' ****\n' if match else line


def diff(path, before, after):
    lines = difflib.unified_diff(
        [_mask(x) for x in before.splitlines(True)],
        [_mask(x) for x in after.splitlines(True)], path, path)
    return ''.join(lines)


def run(args):
    """Edit (or preview) Nova's files; print what changed."""
    if args.snippet:
        return _print_snippet(args)
    planned = plan(args)
    for item in planned:
        item['written'] = False
        if item['after'] != item['before'] and not args.dry_run:
            files.write(item['file'], item['after'])
            item['written'] = True
    _emit(args, planned)
    return 0


def _report(args, item):
    report = dict(file=item['file'], changes=item['changes'],
                  written=item['written'])
    if args.diff:
        report['diff'] = diff(item['file'], item['before'], item['after'])
    return report


def _rows(args, planned):
    rows = []
    for item in planned:
        done = ('already configured' if not args.remove else
                'nothing of nova-miglock found')
        changes = item['changes'] or [done]
        if args.dry_run and item['changes']:
            changes = ['would change: %s' % c for c in changes]
        rows.extend([item['file'], change] for change in changes)
    return rows


def _emit(args, planned, stream=None):
    stream = stream or sys.stdout
    reports = [_report(args, item) for item in planned]
    if args.format == 'json':
        stream.write(json.dumps(reports, indent=2, sort_keys=True) + '\n')
    elif args.format == 'yaml':
        stream.write(yaml.safe_dump(reports, default_flow_style=False))
    else:
        for report in reports:
            stream.write(report.get('diff', ''))
        rows = _rows(args, planned)
        if args.format == 'value':
            stream.writelines('%s %s\n' % tuple(row) for row in rows)
        else:
            table = prettytable.PrettyTable(['File', 'Change'])
            table.align = 'l'
            table.add_rows(rows)
            stream.write(table.get_string() + '\n')


# --- overrides for deployment tools ----------------------------------------

def _changed_options(before, after):
    """{section: {key: [values]}} of every option that differs."""
    old, new = ini.IniFile(before), ini.IniFile(after)
    result = {}
    for section in new.sections():
        for key, _value in new.options(section):
            values = new.get(section, key)
            if old.get(section, key) != values:
                result.setdefault(section, {})[key] = values
    return result


def snippet(tool, planned):
    """The overrides ``tool`` needs, from the files' computed new text."""
    overrides = {item['kind']: _changed_options(item['before'],
                                                item['after'])
                 for item in planned}
    if tool == 'openstack-ansible':
        data = {}
        for kind, variable in (('nova.conf', 'nova_nova_conf_overrides'),
                               ('api-paste', 'nova_api_paste_ini_overrides')):
            if overrides.get(kind):
                data[variable] = {
                    section: {key: values[0] if len(values) == 1 else values
                              for key, values in options.items()}
                    for section, options in overrides[kind].items()}
        return ('# user_variables.yml (OpenStack-Ansible)\n' +
                yaml.safe_dump(data, default_flow_style=False))
    text = []
    for kind, path in (('nova.conf', '/etc/kolla/config/nova.conf'),
                       ('api-paste', 'api-paste.ini of the nova-api image')):
        if overrides.get(kind):
            text.append('# %s (kolla-ansible)' % path)
            for section, options in overrides[kind].items():
                text.append('[%s]' % section)
                text.extend('%s = %s' % (key, value)
                            for key, values in options.items()
                            for value in values)
            text.append('')
    return '\n'.join(text)


def _print_snippet(args):
    if args.remove or args.dry_run:
        raise lock.InvalidRequest('--snippet writes nothing; it does not '
                                  'combine with --remove or --dry-run')
    planned = plan(args)
    for item in planned:
        item['kind'] = 'nova.conf' if item['file'] == args.nova_conf \
            else 'api-paste'
    sys.stdout.write(snippet(args.snippet, planned))
    return 0
