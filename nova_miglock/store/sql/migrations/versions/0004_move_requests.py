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
"""Move requests, and the history model drains plan with.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


def upgrade():
    op.create_table(
        'miglock_move_requests',
        sa.Column('instance_uuid', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('reason', sa.String(255), nullable=False),
        sa.Column('requested_by', sa.String(255), nullable=False),
        sa.Column('opened_at', DateTime, nullable=False),
        sa.Column('not_before', DateTime, nullable=False),
        sa.Column('approved_at', DateTime, nullable=True),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_table(
        'miglock_history_models',
        sa.Column('scope', sa.String(64), primary_key=True),
        sa.Column('data', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql',
                                                 'mariadb'), nullable=False),
        sa.Column('as_of', DateTime, nullable=False),
        sa.Column('updated_at', DateTime, nullable=False),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
