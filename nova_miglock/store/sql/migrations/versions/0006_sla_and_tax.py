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
"""Per-project SLA and tax rate; when an instance's static lock began.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


def upgrade():
    for name, column_type in (('guest_locks', sa.String(16)),
                              ('static_locks', sa.String(16)),
                              ('max_lease', sa.Integer),
                              ('max_hold', sa.Integer),
                              ('tax_rate', sa.Float)):
        op.add_column('miglock_quotas',
                      sa.Column(name, column_type, nullable=True))
    op.add_column('miglock_instances',
                  sa.Column('static_since', DateTime, nullable=True))
