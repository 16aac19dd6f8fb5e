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
"""Engines, transactions and the store's clock, per database dialect.

Every write transaction first locks the instance's row; on SQLite the whole
database is locked from the start instead (``BEGIN IMMEDIATE``), which is
the only way SQLite serializes writers without deadlocking them. MySQL and
PostgreSQL run at READ COMMITTED so that every statement after the row lock
sees what the previous holder of that lock committed.

On a MariaDB Galera cluster the row lock holds on one node only; two nodes
can both decide, and the later of the two commits fails certification with
a deadlock error, which the store retries with the decision made again
(``doc/source/galera.rst``). Reads wait for commits made on other nodes
(``wsrep_sync_wait``).
"""

import contextlib
import hashlib
import re

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy.ext import compiler
from sqlalchemy import pool as sa_pool
from sqlalchemy.sql import compiler as sa_compiler
from sqlalchemy.sql import expression

from nova_miglock.conf import database
from nova_miglock import lock

LOG = logging.getLogger(__name__)

WRITE = 'miglock_write'


class db_now(expression.FunctionElement):
    """The database's current time in UTC, read when the row is produced.

    Not the transaction's start time: a writer that waited for a row lock
    must stamp its change after the change it waited for.
    """

    type = sa.DateTime()
    inherit_cache = True
    name = 'db_now'


# The clock seam: tests move an engine's clock forward instead of sleeping
# (``set_clock_offset``). The offset is kept on the engine's dialect and
# compiled into the SQL as a constant, so that production statements, with
# no offset, are exactly what they would be without the seam.
_OFFSET = 'miglock_clock_offset'


def _offset(compiler):
    return getattr(compiler.dialect, _OFFSET, 0)


@compiler.compiles(db_now)
def _now_default(element, compiler, **kw):
    return 'CURRENT_TIMESTAMP'


@compiler.compiles(db_now, 'sqlite')
def _now_sqlite(element, compiler, **kw):
    # Six fractional digits, like the datetimes SQLAlchemy stores, so that
    # text comparisons in SQL order them correctly.
    offset = _offset(compiler)
    if offset:
        return ("(strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', "
                "'%+.6f seconds') || '000')" % offset)
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


@compiler.compiles(db_now, 'mysql')
@compiler.compiles(db_now, 'mariadb')
def _now_mysql(element, compiler, **kw):
    # SYSDATE is evaluated when called, NOW() at statement start; the
    # session time zone is forced to UTC on connect.
    offset = _offset(compiler)
    if offset:
        return '(SYSDATE(6) + INTERVAL %d MICROSECOND)' % round(
            offset * 1e6)
    return 'SYSDATE(6)'


@compiler.compiles(db_now, 'postgresql')
def _now_postgresql(element, compiler, **kw):
    offset = _offset(compiler)
    if offset:
        return ("(clock_timestamp() AT TIME ZONE 'UTC' + "
                "INTERVAL '%.6f seconds')" % offset)
    return "(clock_timestamp() AT TIME ZONE 'UTC')"


class db_now_plus(expression.FunctionElement):
    """``db_now()`` plus a number of seconds (an expression or a bind)."""

    type = sa.DateTime()
    inherit_cache = True
    name = 'db_now_plus'


class db_today(expression.FunctionElement):
    """The date of ``db_now()``, as a ``Date`` column stores it."""

    type = sa.Date()
    inherit_cache = True
    name = 'db_today'


class seconds_between(expression.FunctionElement):
    """Seconds from the first datetime to the second, as a float."""

    type = sa.Float()
    inherit_cache = True
    name = 'seconds_between'


def _args(element, compiler, **kw):
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiler.compiles(db_now_plus, 'sqlite')
def _now_plus_sqlite(element, compiler, **kw):
    (seconds,) = _args(element, compiler, **kw)
    return ("(strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', "
            "printf('%%+.6f seconds', %s + %r)) || '000')"
            % (seconds, _offset(compiler)))


@compiler.compiles(db_now_plus, 'mysql')
@compiler.compiles(db_now_plus, 'mariadb')
def _now_plus_mysql(element, compiler, **kw):
    (seconds,) = _args(element, compiler, **kw)
    return ('(SYSDATE(6) + INTERVAL ROUND((%s + %r) * 1000000) MICROSECOND)'
            % (seconds, _offset(compiler)))


@compiler.compiles(db_now_plus, 'postgresql')
def _now_plus_postgresql(element, compiler, **kw):
    (seconds,) = _args(element, compiler, **kw)
    return ("(clock_timestamp() AT TIME ZONE 'UTC' + "
            "(%s + %r) * INTERVAL '1 second')" % (seconds, _offset(compiler)))


@compiler.compiles(db_today, 'sqlite')
def _today_sqlite(element, compiler, **kw):
    return "date('now', '%+.6f seconds')" % _offset(compiler)


@compiler.compiles(db_today)
def _today_default(element, compiler, **kw):
    return 'CAST(%s AS DATE)' % compiler.process(db_now(), **kw)


@compiler.compiles(seconds_between, 'sqlite')
def _between_sqlite(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return '((julianday(%s) - julianday(%s)) * 86400.0)' % (end, start)


@compiler.compiles(seconds_between, 'mysql')
@compiler.compiles(seconds_between, 'mariadb')
def _between_mysql(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return '(TIMESTAMPDIFF(MICROSECOND, %s, %s) / 1000000.0)' % (start, end)


@compiler.compiles(seconds_between, 'postgresql')
def _between_postgresql(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return 'EXTRACT(EPOCH FROM (%s - %s))' % (end, start)


def set_clock_offset(engine, seconds):
    """Make ``engine``'s store clock run ``seconds`` ahead (tests only).

    Statements compiled before are dropped from the caches so that every
    later one reads the moved clock.
    """
    setattr(engine.dialect, _OFFSET, float(seconds))
    if engine._compiled_cache is not None:
        engine._compiled_cache.clear()


def execute(conn, statement, params):
    """Run a statement of the hot path: its rows (SELECT) or row count.

    Every statement of every engine runs through SQLAlchemy, with its
    compiled cache and oslo.db's exception filters. (A raw sqlite3 path
    for SQLite beside it saved 22-32% of the CPU time of an operation, not
    worth a second execution path that tests had to stub.)
    """
    result = conn.execute(statement, params)
    if getattr(statement, 'is_select', False):
        return list(result)
    return result.rowcount


# Set on the dialect of an engine whose hot statements are prepared on the
# server by the store itself (PostgreSQL through psycopg2).
_PREPARE = 'miglock_prepare'
_PARAM = re.compile(r'%\((\w+)\)s')


def execute_prepared(conn, statement, params):
    """Run a hot statement, prepared on the server once per connection.

    Where the store prepares nothing (see ``[miglock_store]/
    prepare_statements``), this is ``execute``. Otherwise the statement is
    compiled once per clock offset, prepared by name on each server
    session the first time that session runs it, and then sent as
    ``EXECUTE name(...)``: the server skips parsing and planning, which for
    a statement of several data-modifying CTEs cost more than running it.
    Both go through SQLAlchemy, so oslo.db's error filters apply; the
    rows come back with the statement's columns and types. For SELECTs
    (data-modifying CTEs included) on a connection in autocommit mode.
    """
    dialect = conn.dialect
    if not getattr(dialect, _PREPARE, False):
        return execute(conn, statement, params)
    key = (statement, _offset_of(dialect))
    prepared = dialect.__dict__.setdefault('miglock_prepared', {})
    if key not in prepared:
        prepared[key] = _prepare_text(statement, dialect)
    name, prepare, arguments, defaults = prepared[key]
    known = conn.connection.info.setdefault('miglock_prepared', set())
    values = dict(defaults, **params)
    if name not in known:
        conn.exec_driver_sql(prepare)
        known.add(name)
    try:
        return list(conn.execute(arguments, values))
    except (sa.exc.DBAPIError, db_exc.DBError) as exc:
        if not _unknown_statement(exc):
            raise
    # Deallocated behind the store's back (DEALLOCATE ALL, a pooler's
    # DISCARD ALL): prepared again, once. The failed EXECUTE wrote nothing
    # and, outside a transaction, left none to roll back.
    conn.exec_driver_sql(prepare)
    return list(conn.execute(arguments, values))


def _unknown_statement(exc):
    inner = getattr(exc, 'inner_exception', None) or exc
    # SQLSTATE 26000: invalid_sql_statement_name.
    return getattr(getattr(inner, 'orig', None), 'pgcode', None) == '26000'


def _offset_of(dialect):
    return getattr(dialect, _OFFSET, 0)


def _prepare_text(statement, dialect):
    """``(name, PREPARE ..., EXECUTE ..., default values)`` of a statement."""
    compiled = statement.compile(dialect=dialect)
    order = []

    def positional(match):
        if match.group(1) not in order:
            order.append(match.group(1))
        return '$%d' % (order.index(match.group(1)) + 1)

    body = _PARAM.sub(positional, compiled.string).replace('%%', '%')
    types = []
    for key in order:
        bind_type = compiled.binds[key].type
        types.append('unknown' if bind_type._isnull else
                     dialect.type_compiler_instance.process(bind_type))
    name = 'miglock_' + hashlib.sha1(body.encode()).hexdigest()[:16]
    prepare = 'PREPARE %s (%s) AS %s' % (name, ', '.join(types), body)
    # A text statement with the original's result columns: SQLAlchemy
    # caches its compiled form and result processing like the original's.
    arguments = sa.text('EXECUTE %s (%s)' % (
        name, ', '.join(':' + key for key in order))).columns(
            *[sa.column(column.key, column.type)
              for column in statement.selected_columns])
    return name, prepare, arguments, dict(compiled.params)


def mask_url(url):
    """The URL with its password hidden, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return '<unparsable URL>'


# enginefacade options the store sets itself whatever the configuration:
# it has one engine (no replica or asyncio engine), and SQLite durability is
# [miglock_store]/sqlite_synchronous, applied on connect below. Set
# explicitly, because an enginefacade option left unset is read from the
# process's global [database] group, which in a Nova process is Nova's.
_FIXED = {'slave_connection': None, 'asyncio_connection': None,
          'asyncio_slave_connection': None, 'synchronous_reader': True,
          'sqlite_synchronous': True, 'sqlite_fk': False}


def create_engine(conf, url=None):
    """The store's engine, from a transaction context of its own.

    Each store gets its own ``enginefacade.transaction_context()``: the
    store is not a process-wide singleton (tests run stores on several
    databases in one process), and its database is not Nova's. The context
    is configured from ``[miglock_database]`` (oslo.db's options) and the
    engine gets oslo.db's pool, ``sql_mode``, exception filters and
    disconnect handling; the store then adds, per engine, the bounds on
    waiting of ``[miglock_store]`` and READ COMMITTED isolation.

    Transactions are begun by the store on this engine rather than through
    the context's reader and writer: on SQLite a writer must take the
    database lock at BEGIN and a reader must not, and both use one engine.

    :param url: the database URL, instead of the configured one (tests,
        ``nova-miglock-manage --store``).
    :returns: ``(engine, url)``.
    """
    options = database.connection_options(conf)
    configured = options.pop('connection')
    url = url or configured
    try:
        parsed = sa.engine.make_url(url)
    except Exception as exc:
        raise lock.StoreUnavailable(
            'invalid [miglock_database]/connection URL: %s' % exc) from exc
    backend = parsed.get_backend_name()
    setup = {'sqlite': _sqlite, 'mysql': _mysql, 'mariadb': _mysql,
             'postgresql': _postgresql}.get(backend)
    if setup is None:
        raise lock.StoreUnavailable(
            'unsupported lock store database %r in %s: use sqlite, mysql '
            'or postgresql' % (backend, mask_url(url)))
    store_conf = conf.miglock_store
    parsed, on_create = setup(parsed, store_conf, options)
    context = enginefacade.transaction_context()
    context.configure(
        connection=parsed.render_as_string(hide_password=False),
        **dict(options, **_FIXED))
    context.append_on_engine_create(on_create)
    try:
        with translate_errors(url):
            sql_engine = context.writer.get_engine()
    except (ImportError, sa.exc.ArgumentError) as exc:
        raise lock.StoreUnavailable('cannot use lock store %s: %s'
                                    % (mask_url(url), exc)) from exc
    # The snapshot query joins on bound parameters, which the linter would
    # misreport as a cartesian product.
    sql_engine.dialect.compiler_linting = sa_compiler.NO_LINTING
    setattr(sql_engine.dialect, _PREPARE,
            store_conf.prepare_statements and
            sql_engine.dialect.name == 'postgresql' and
            sql_engine.dialect.driver == 'psycopg2')
    return sql_engine, url


def _sqlite(url, conf, options):
    if url.database in (None, '', ':memory:'):
        raise lock.StoreUnavailable(
            'the SQLite lock store must be a file shared by all processes, '
            'not an in-memory database')
    url = url.update_query_dict({'timeout': str(conf.busy_timeout)})
    pool_args = {'pool_size': options['max_pool_size'],
                 'max_overflow': options['max_overflow'],
                 'timeout': options['pool_timeout']}
    # Not passed to oslo.db, which would hand them to the NullPool it
    # gives a file database, which rejects them.
    options.update(max_pool_size=None, max_overflow=None, pool_timeout=None)
    synchronous = conf.sqlite_synchronous

    def on_create(engine):
        # NOTE: oslo.db gives a file database no pool: each transaction
        # would open the file, and closing the last connection to a WAL
        # database checkpoints and deletes its log, one fsync more. That
        # made a lock operation 80 ms instead of 1. The pool is put back,
        # with the arguments and event listeners of the one oslo.db made
        # (as SQLAlchemy's own Pool.recreate() passes them).
        old = engine.pool
        engine.pool = sa_pool.QueuePool(
            old._creator, recycle=old._recycle, pre_ping=old._pre_ping,
            echo=old.echo, logging_name=old._orig_logging_name,
            reset_on_return=old._reset_on_return, _dispatch=old.dispatch,
            dialect=old._dialect, **pool_args)
        old.dispose()

        @sa.event.listens_for(engine, 'connect')
        def _on_connect(dbapi_conn, record):
            # oslo.db has already turned pysqlite's own BEGIN off.
            dbapi_conn.execute('PRAGMA journal_mode=WAL')
            dbapi_conn.execute('PRAGMA synchronous=%s' % synchronous)

        @sa.event.listens_for(engine, 'begin')
        def _on_begin(conn):
            # Writers take the write lock up front, the only way SQLite
            # serializes writers without deadlocking them; readers keep
            # oslo.db's deferred BEGIN: one snapshot, no lock.
            if not conn.get_execution_options().get(WRITE):
                return
            # oslo.db's listener, which runs first, has begun a deferred
            # transaction; having read nothing it holds nothing, and is
            # ended for one that takes the write lock. Through SQLAlchemy,
            # so that "database is locked" after busy_timeout is wrapped
            # like any other statement's error.
            if conn.connection.driver_connection.in_transaction:
                conn.exec_driver_sql('ROLLBACK')
            conn.exec_driver_sql('BEGIN IMMEDIATE')

    return url, on_create


def _mysql(url, conf, options):
    query = {'connect_timeout': str(conf.connect_timeout)}
    if 'charset' not in url.query:
        query['charset'] = 'utf8mb4'
    url = url.update_query_dict(query)
    wsrep_sync_wait = options['mysql_wsrep_sync_wait']

    def on_create(engine):
        @sa.event.listens_for(engine, 'connect')
        def _on_connect(dbapi_conn, record):
            # oslo.db has set sql_mode ([miglock_database]/mysql_sql_mode).
            with dbapi_conn.cursor() as cursor:
                cursor.execute('SET SESSION TRANSACTION ISOLATION LEVEL '
                               'READ COMMITTED')
                cursor.execute("SET SESSION time_zone = '+00:00'")
                cursor.execute('SET SESSION innodb_lock_wait_timeout = %s',
                               (conf.lock_timeout,))
                cursor.execute('SET SESSION lock_wait_timeout = %s',
                               (conf.lock_timeout,))
                if _is_mariadb(dbapi_conn):
                    cursor.execute('SET SESSION max_statement_time = %s',
                                   (conf.statement_timeout,))
                if wsrep_sync_wait is not None:
                    return  # set by oslo.db as configured
                cursor.execute("SHOW VARIABLES LIKE 'wsrep_on'")
                wsrep = cursor.fetchone()
                if wsrep and str(wsrep[1]).upper() == 'ON':
                    # A Galera node applies other nodes' commits after they
                    # are acknowledged: make every read wait for them, so an
                    # answer never misses a commit acknowledged elsewhere (a
                    # release after a failover, a state read on another
                    # node).
                    cursor.execute('SET SESSION wsrep_sync_wait = 1')

    return url, on_create


def _is_mariadb(dbapi_conn):
    return 'mariadb' in dbapi_conn.get_server_info().lower()


def _postgresql(url, conf, options):
    # Sent in the startup packet: bounds every wait of the store's own
    # sessions, at READ COMMITTED, without a round trip per connection.
    startup = ('-c lock_timeout=%ds -c statement_timeout=%ds '
               '-c default_transaction_isolation=read\\ committed' % (
                   conf.lock_timeout, conf.statement_timeout))
    url = url.update_query_dict({'connect_timeout': str(conf.connect_timeout),
                                 'options': startup})
    return url, lambda engine: None


@contextlib.contextmanager
def translate_errors(url):
    """Turn database failures into StoreUnavailable with a usable message."""
    try:
        yield
    except lock.MigLockError:
        raise
    except (db_exc.DBDeadlock, db_exc.DBDuplicateEntry) as exc:
        if _is_timeout(exc):
            # oslo.db reports MySQL's lock wait timeout as a deadlock; a
            # retry would wait the whole timeout again.
            raise _busy(url, exc) from exc
        raise  # retried by the caller
    except db_exc.DBConnectionError as exc:
        raise lock.StoreUnavailable(
            'cannot reach the lock store at %s: %s'
            % (mask_url(url), _first_line(exc))) from exc
    except db_exc.DBNonExistentDatabase as exc:
        raise lock.StoreUnavailable(
            'the lock store database at %s does not exist; create it, then '
            'run "nova-miglock-manage db sync"' % mask_url(url)) from exc
    except db_exc.DBNonExistentTable as exc:
        raise lock.StoreUnavailable(
            'the lock store at %s has no schema; run '
            '"nova-miglock-manage db sync"' % mask_url(url)) from exc
    except (db_exc.DBError, sa.exc.SQLAlchemyError) as exc:
        message = _first_line(exc)
        if _is_timeout(exc):
            raise _busy(url, exc) from exc
        if "doesn't exist" in message:
            # MySQL's 1146 "Table ... doesn't exist" is passed through as is.
            raise lock.StoreUnavailable(
                'the lock store at %s has no schema; run '
                '"nova-miglock-manage db sync"' % mask_url(url)) from exc
        LOG.exception('Lock store error on %s', mask_url(url))
        raise lock.StoreUnavailable(
            'the lock store at %s failed: %s'
            % (mask_url(url), message)) from exc


# What each engine says when a bounded wait ran out: SQLite's busy timeout,
# MySQL's lock wait timeout (1205) and MariaDB's max_statement_time (1969),
# PostgreSQL's lock_timeout (55P03) and statement_timeout (57014).
_TIMEOUT_MARKERS = ('database is locked', 'lock wait timeout exceeded',
                    'max_statement_time exceeded', 'query execution was '
                    'interrupted', 'canceling statement due to lock timeout',
                    'canceling statement due to statement timeout',
                    'could not obtain lock')


def _is_timeout(exc):
    return any(marker in str(exc).lower() for marker in _TIMEOUT_MARKERS)


def _busy(url, exc):
    return lock.StoreUnavailable(
        'the lock store at %s is busy: a wait ran past '
        '[miglock_store]/busy_timeout, lock_timeout or statement_timeout '
        '(%s)' % (mask_url(url), _first_line(exc)))


def _first_line(exc):
    text = str(getattr(exc, 'inner_exception', None) or exc)
    return text.strip().splitlines()[0] if text.strip() else repr(exc)
