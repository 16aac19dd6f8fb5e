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
"""Tables of the SQL lock store.

The schema itself is created by the alembic migrations next to this module;
these definitions must match them (a functional test compares the two).

One row per instance in ``miglock_instances`` is the serialization point:
every change to an instance's holds or moves locks that row first, so a hold
and a move can never both be admitted.
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

metadata = sa.MetaData()

# Microsecond precision everywhere: MySQL's DATETIME defaults to seconds.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')
# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

_MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}

instances = sa.Table(
    'miglock_instances', metadata,
    sa.Column('instance_uuid', sa.String(36), primary_key=True),
    sa.Column('project_id', sa.String(255), nullable=False),
    sa.Column('generation', sa.BigInteger, nullable=False),
    # End of the current or last locked period: the latest expiry of the
    # holds, or when the last hold was released. Locked iff in the future.
    sa.Column('locked_until', DateTime, nullable=True),
    # Start of the current (or last) continuous locked period (max_hold).
    sa.Column('locked_since', DateTime, nullable=True),
    # JSON list of the static locks last seen in Nova for this instance.
    sa.Column('static_locks', sa.Text, nullable=True),
    sa.Column('ticket_id', sa.String(36), nullable=True),
    sa.Column('migration_requested_at', DateTime, nullable=True),
    # Until then, static locks do not refuse moves (operator exemption).
    sa.Column('static_exempt_until', DateTime, nullable=True),
    # Lock-seconds charged to this instance on charge_day (daily quota).
    sa.Column('charge_day', sa.Date, nullable=True),
    sa.Column('charge_seconds', sa.Float, nullable=False),
    sa.Column('updated_at', DateTime, nullable=False),
    # The compute host Nova has the instance on, as last read from Nova
    # (NULL: unknown, e.g. after a move until Nova names the new host).
    sa.Column('host', sa.String(255), nullable=True),
    # Since when a tenant's static lock has locked the instance without a
    # break (its age, for [miglock_sla]/static_max_age); NULL: none.
    sa.Column('static_since', DateTime, nullable=True),
    sa.Index('ix_miglock_instances_project_locked', 'project_id',
             'locked_until'),
    sa.Index('ix_miglock_instances_host', 'host'),
    sa.Index('ix_miglock_instances_project_day', 'project_id',
             'charge_day'),
    **_MYSQL)

holds = sa.Table(
    'miglock_holds', metadata,
    sa.Column('instance_uuid', sa.String(36), primary_key=True),
    sa.Column('holder', sa.String(64), primary_key=True),
    sa.Column('project_id', sa.String(255), nullable=False),
    sa.Column('source', sa.String(16), nullable=False),
    sa.Column('reason', sa.String(255), nullable=False),
    sa.Column('acquired_at', DateTime, nullable=False),
    sa.Column('renewed_at', DateTime, nullable=False),
    sa.Column('expires_at', DateTime, nullable=False),
    sa.Column('generation', sa.Integer, nullable=False),
    sa.Index('ix_miglock_holds_expires_at', 'expires_at'),
    **_MYSQL)

tickets = sa.Table(
    'miglock_tickets', metadata,
    sa.Column('ticket_id', sa.String(36), primary_key=True),
    sa.Column('instance_uuid', sa.String(36), nullable=False),
    sa.Column('project_id', sa.String(255), nullable=False),
    sa.Column('kind', sa.String(32), nullable=False),
    sa.Column('request_id', sa.String(255), nullable=False),
    sa.Column('admitted_at', DateTime, nullable=False),
    sa.Column('deadline', DateTime, nullable=False),
    sa.Column('closed_at', DateTime, nullable=True),
    sa.Column('outcome', sa.String(32), nullable=True),
    sa.Index('ix_miglock_tickets_instance', 'instance_uuid', 'admitted_at'),
    sa.Index('ix_miglock_tickets_open_deadline', 'closed_at', 'deadline'),
    **_MYSQL)

ledger = sa.Table(
    'miglock_ledger', metadata,
    sa.Column('id', BigId, primary_key=True, autoincrement=True),
    sa.Column('at', DateTime, nullable=False),
    sa.Column('event', sa.String(16), nullable=False),
    sa.Column('instance_uuid', sa.String(36), nullable=False),
    sa.Column('project_id', sa.String(255), nullable=False),
    sa.Column('holder', sa.String(64), nullable=True),
    sa.Column('source', sa.String(16), nullable=True),
    # The hold's acquisition time identifies one hold's life across events.
    sa.Column('acquired_at', DateTime, nullable=True),
    sa.Column('expires_at', DateTime, nullable=True),
    sa.Column('reason', sa.String(255), nullable=False),
    sa.Column('actor', sa.String(255), nullable=False),
    sa.Index('ix_miglock_ledger_instance_at', 'instance_uuid', 'at'),
    sa.Index('ix_miglock_ledger_project_at', 'project_id', 'at'),
    sa.Index('ix_miglock_ledger_at', 'at'),
    # The refusals of a recent window (metrics), not its renewals.
    sa.Index('ix_miglock_ledger_event_at', 'event', 'at'),
    **_MYSQL)

quotas = sa.Table(
    'miglock_quotas', metadata,
    sa.Column('project_id', sa.String(255), primary_key=True),
    # NULL means "the configured default".
    sa.Column('locked_instances', sa.Integer, nullable=True),
    sa.Column('lock_seconds_per_day', sa.Integer, nullable=True),
    sa.Column('updated_at', DateTime, nullable=False),
    # The project's SLA (NULL: the flavor or the configuration decides):
    # 'allowed' or 'forbidden', and caps in seconds.
    sa.Column('guest_locks', sa.String(16), nullable=True),
    sa.Column('static_locks', sa.String(16), nullable=True),
    sa.Column('max_lease', sa.Integer, nullable=True),
    sa.Column('max_hold', sa.Integer, nullable=True),
    # The project's tax rate as last computed from its history (NULL: 1).
    sa.Column('tax_rate', sa.Float, nullable=True),
    **_MYSQL)

# At most one open move request per instance: who asked, why, and the
# deadline (``not_before``) no lease granted after it may outlast. Closing
# a request deletes its row; the ledger keeps the story.
move_requests = sa.Table(
    'miglock_move_requests', metadata,
    sa.Column('instance_uuid', sa.String(36), primary_key=True),
    sa.Column('project_id', sa.String(255), nullable=False),
    sa.Column('reason', sa.String(255), nullable=False),
    sa.Column('requested_by', sa.String(255), nullable=False),
    sa.Column('opened_at', DateTime, nullable=False),
    sa.Column('not_before', DateTime, nullable=False),
    # The guest said "go now" (its holds ended with the approval).
    sa.Column('approved_at', DateTime, nullable=True),
    **_MYSQL
)

# The history model drains plan with, as JSON, and the ledger time it has
# folded up to: each use folds only the rows written since.
history_models = sa.Table(
    'miglock_history_models', metadata,
    sa.Column('scope', sa.String(64), primary_key=True),
    sa.Column('data', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql',
                                             'mariadb'), nullable=False),
    sa.Column('as_of', DateTime, nullable=False),
    sa.Column('updated_at', DateTime, nullable=False),
    **_MYSQL
)

# A group's disruption budget: at most ``max_moving`` (a percentage of
# ``members`` when ``percent``) of its members may have an open ticket. The
# row is also the group's serialization point: every admission of a member
# locks it (and writes it, for Galera) before counting.
group_budgets = sa.Table(
    'miglock_group_budgets', metadata,
    sa.Column('project_id', sa.String(255), primary_key=True),
    # A server group's uuid, or "tag:NAME".
    sa.Column('group_key', sa.String(64), primary_key=True),
    sa.Column('max_moving', sa.Integer, nullable=False),
    sa.Column('percent', sa.Boolean, nullable=False),
    # The member count Nova last showed (for percentages).
    sa.Column('members', sa.Integer, nullable=True),
    sa.Column('updated_by', sa.String(255), nullable=False),
    sa.Column('updated_at', DateTime, nullable=False),
    **_MYSQL
)

# The groups each instance belonged to when its last move was admitted:
# written with the ticket, so the members counted as moving are exactly
# those whose open ticket was admitted as members.
group_members = sa.Table(
    'miglock_group_members', metadata,
    sa.Column('project_id', sa.String(255), primary_key=True),
    sa.Column('group_key', sa.String(64), primary_key=True),
    sa.Column('instance_uuid', sa.String(36), primary_key=True),
    sa.Column('recorded_at', DateTime, nullable=False),
    sa.Index('ix_miglock_group_members_instance', 'instance_uuid'),
    **_MYSQL
)
