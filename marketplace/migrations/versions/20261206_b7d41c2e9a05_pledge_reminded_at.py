"""pledge.reminded_at: when the donor was last reminded how to pay (remind-unpaid)

Revision ID: b7d41c2e9a05
Revises: 6d3922d9f3fe
Create Date: 2026-12-06 07:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'b7d41c2e9a05'
down_revision = '6d3922d9f3fe'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', marketplace.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
