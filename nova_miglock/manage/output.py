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
"""Rendering of command results as human tables or JSON."""

import datetime
import json
import sys

import prettytable

from nova_miglock import lock


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
    if title:
        stream.write(title + '\n')
    if not rows:
        stream.write('(none)\n')
        return
    table = prettytable.PrettyTable(columns)
    table.align = 'l'
    for row in rows:
        table.add_row(['' if v is None else v for v in row])
    stream.write(table.get_string() + '\n')


def emit_fields(fields, stream=None):
    """A two-column table of name/value pairs."""
    emit_table(['Field', 'Value'], list(fields), stream)
