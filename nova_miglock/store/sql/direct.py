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
"""Running the store's prepared statements on SQLite, directly.

On SQLite a statement is a function call, and SQLAlchemy's execution
machinery around it costs about eight times the statement itself (40 µs
against 5 µs per statement, measured with ``bench/store.py``'s stores):
that, not the database, was most of a lock operation's time. The hot path's
statements are built once with SQLAlchemy and compiled once per dialect;
on SQLite they then run on the driver's connection of the same
SQLAlchemy-managed transaction, with the two conversions SQLAlchemy would
have applied (datetimes and dates to and from text). Other databases go
through SQLAlchemy as usual: there the time is in the round trips.
"""

import datetime
import functools
import re
import sqlite3

from oslo_db import exception as db_exc


class Row:
    """A result row read like SQLAlchemy's: by attribute or ``_mapping``."""

    __slots__ = ('_mapping',)

    def __init__(self, mapping):
        self._mapping = mapping

    def __getattr__(self, name):
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name)


def _read_datetime(value):
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(value)


def _read_date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _reader(type_):
    try:
        python_type = type_.python_type
    except NotImplementedError:
        return None
    if python_type is datetime.datetime:
        return _read_datetime
    if python_type is datetime.date:
        return _read_date
    return None


def _bind(value):
    # The text SQLAlchemy stores for these types, so that both write the
    # same and text comparisons in SQL stay right.
    if isinstance(value, datetime.datetime):
        return '%04d-%02d-%02d %02d:%02d:%02d.%06d' % (
            value.year, value.month, value.day, value.hour, value.minute,
            value.second, value.microsecond)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Prepared:

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = compiled.positiontup
        self.defaults = dict(compiled.params)
        self.columns = None
        if getattr(statement, 'is_select', False):
            self.columns = [(column.key, _reader(column.type))
                            for column in statement.selected_columns]

    def run(self, driver_connection, params):
        values = dict(self.defaults)
        values.update(params)
        cursor = driver_connection.execute(
            self.sql, tuple(_bind(values[name]) for name in self.order))
        if self.columns is None:
            return cursor.rowcount
        rows = []
        for raw in cursor.fetchall():
            rows.append(Row({key: (read(value) if read and value is not None
                                   else value)
                             for (key, read), value in zip(self.columns,
                                                           raw)}))
        return rows


@functools.lru_cache(maxsize=256)
def _prepared(statement, dialect):
    return _Prepared(statement, dialect)


def forget_prepared():
    """Compile every statement again (after the clock seam moved)."""
    _prepared.cache_clear()


def execute(conn, statement, params):
    """Run a prepared statement: rows (for SELECT) or the row count."""
    if conn.dialect.name != 'sqlite':
        result = conn.execute(statement, params)
        if getattr(statement, 'is_select', False):
            return list(result)
        return result.rowcount
    prepared = _prepared(statement, conn.dialect)
    try:
        return prepared.run(conn.connection.driver_connection, params)
    except sqlite3.Error as exc:
        raise _translated(exc) from exc


def _translated(exc):
    """The oslo.db exception SQLAlchemy's filters would have raised."""
    message = str(exc)
    table = re.match(r'no such table: (\S+)', message)
    if table:
        return db_exc.DBNonExistentTable(table.group(1), exc)
    if isinstance(exc, sqlite3.IntegrityError) and 'UNIQUE' in message:
        return db_exc.DBDuplicateEntry(inner_exception=exc)
    return db_exc.DBError(exc)
