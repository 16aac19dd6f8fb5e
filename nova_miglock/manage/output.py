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
"""Rendering of command results: cliff's formatters, as openstackclient.

``--format table|json|yaml|value`` means what it means for ``openstack``:
tables and values come from cliff's own formatters, so scripts written
against openstackclient read our output the same way. Commands with a
richer JSON document than their table (``lock show``) emit it themselves.
"""

import argparse
import datetime
import json
import sys

from cliff.formatters import json_format
from cliff.formatters import table as table_format
from cliff.formatters import value as value_format
from cliff.formatters import yaml_format

from nova_miglock import lock

FORMATS = ('table', 'json', 'yaml', 'value')
_FORMATTERS = {'table': table_format.TableFormatter,
               'json': json_format.JSONFormatter,
               'yaml': yaml_format.YAMLFormatter,
               'value': value_format.ValueFormatter}
_chosen = {'format': 'table'}


def use_format(name):
    """Set the format of every table and field list this command emits."""
    if name not in _FORMATTERS:
        raise ValueError('unknown format %r' % name)
    _chosen['format'] = name


def _formatter():
    formatter = _FORMATTERS[_chosen['format']]()
    parser = argparse.ArgumentParser(add_help=False)
    formatter.add_argument_group(parser)
    # cliff's defaults (terminal width, no noindent), as openstack gives.
    return formatter, parser.parse_args([])


def _default(value):
    if isinstance(value, datetime.datetime):
        return lock.isoformat(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError('cannot serialize %r' % (value,))


def emit_json(data, stream=None):
    stream = stream or sys.stdout
    json.dump(data, stream, indent=2, sort_keys=True, default=_default)
    stream.write('\n')


def emit_table(columns, rows, stream=None, title=None):
    stream = stream or sys.stdout
    structured = _chosen['format'] != 'table'
    if title and not structured:
        stream.write(title + '\n')
    if not rows and not structured:
        stream.write('(none)\n')
        return
    formatter, options = _formatter()
    formatter.emit_list(list(columns), [
        ['' if v is None else _plain(v) for v in row] for row in rows],
        stream, options)


def emit_fields(fields, stream=None):
    """Name/value pairs: a two-column table, or one object when structured."""
    fields = list(fields)
    stream = stream or sys.stdout
    if _chosen['format'] == 'table':
        emit_table(['Field', 'Value'], fields, stream)
        return
    formatter, options = _formatter()
    formatter.emit_one([name for name, _ in fields],
                       ['' if v is None else _plain(v) for _, v in fields],
                       stream, options)


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return _default(value)
    return value
