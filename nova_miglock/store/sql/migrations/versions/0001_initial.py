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
"""Initial schema: instances, holds, tickets, ledger, quotas.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')
BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def upgrade():
    op.create_table(
        'miglock_instances',
        sa.Column('instance_uuid', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('generation', sa.BigInteger, nullable=False),
        sa.Column('locked_until', DateTime, nullable=True),
        sa.Column('locked_since', DateTime, nullable=True),
        sa.Column('static_locks', sa.Text, nullable=True),
        sa.Column('ticket_id', sa.String(36), nullable=True),
        sa.Column('migration_requested_at', DateTime, nullable=True),
        sa.Column('charge_day', sa.Date, nullable=True),
        sa.Column('charge_seconds', sa.Float, nullable=False),
        sa.Column('updated_at', DateTime, nullable=False),
        **MYSQL)
    op.create_index('ix_miglock_instances_project_locked',
                    'miglock_instances', ['project_id', 'locked_until'])
    op.create_index('ix_miglock_instances_project_day',
                    'miglock_instances', ['project_id', 'charge_day'])

    op.create_table(
        'miglock_holds',
        sa.Column('instance_uuid', sa.String(36), primary_key=True),
        sa.Column('holder', sa.String(64), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('source', sa.String(16), nullable=False),
        sa.Column('reason', sa.String(255), nullable=False),
        sa.Column('acquired_at', DateTime, nullable=False),
        sa.Column('renewed_at', DateTime, nullable=False),
        sa.Column('expires_at', DateTime, nullable=False),
        sa.Column('generation', sa.Integer, nullable=False),
        **MYSQL)
    op.create_index('ix_miglock_holds_expires_at', 'miglock_holds',
                    ['expires_at'])

    op.create_table(
        'miglock_tickets',
        sa.Column('ticket_id', sa.String(36), primary_key=True),
        sa.Column('instance_uuid', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('request_id', sa.String(255), nullable=False),
        sa.Column('admitted_at', DateTime, nullable=False),
        sa.Column('deadline', DateTime, nullable=False),
        sa.Column('closed_at', DateTime, nullable=True),
        sa.Column('outcome', sa.String(32), nullable=True),
        **MYSQL)
    op.create_index('ix_miglock_tickets_instance', 'miglock_tickets',
                    ['instance_uuid', 'admitted_at'])
    op.create_index('ix_miglock_tickets_open_deadline', 'miglock_tickets',
                    ['closed_at', 'deadline'])

    op.create_table(
        'miglock_ledger',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('at', DateTime, nullable=False),
        sa.Column('event', sa.String(16), nullable=False),
        sa.Column('instance_uuid', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('holder', sa.String(64), nullable=True),
        sa.Column('source', sa.String(16), nullable=True),
        sa.Column('acquired_at', DateTime, nullable=True),
        sa.Column('expires_at', DateTime, nullable=True),
        sa.Column('reason', sa.String(255), nullable=False),
        sa.Column('actor', sa.String(255), nullable=False),
        **MYSQL)
    op.create_index('ix_miglock_ledger_instance_at', 'miglock_ledger',
                    ['instance_uuid', 'at'])
    op.create_index('ix_miglock_ledger_project_at', 'miglock_ledger',
                    ['project_id', 'at'])
    op.create_index('ix_miglock_ledger_at', 'miglock_ledger', ['at'])

    op.create_table(
        'miglock_quotas',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('locked_instances', sa.Integer, nullable=True),
        sa.Column('lock_seconds_per_day', sa.Integer, nullable=True),
        sa.Column('updated_at', DateTime, nullable=False),
        **MYSQL)
