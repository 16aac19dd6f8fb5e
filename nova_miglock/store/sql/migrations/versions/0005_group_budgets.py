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
"""Group disruption budgets and the group memberships moves recorded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


def upgrade():
    op.create_table(
        'miglock_group_budgets',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('group_key', sa.String(64), primary_key=True),
        sa.Column('max_moving', sa.Integer, nullable=False),
        sa.Column('percent', sa.Boolean, nullable=False),
        sa.Column('members', sa.Integer, nullable=True),
        sa.Column('updated_by', sa.String(255), nullable=False),
        sa.Column('updated_at', DateTime, nullable=False),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_table(
        'miglock_group_members',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('group_key', sa.String(64), primary_key=True),
        sa.Column('instance_uuid', sa.String(36), primary_key=True),
        sa.Column('recorded_at', DateTime, nullable=False),
        sa.Index('ix_miglock_group_members_instance', 'instance_uuid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
