"""organization.language and organization.source_url (imported organizations)

Revision ID: c7d2e8f4a1b6
Revises: 75fc18b0b6f0
Create Date: 2026-12-05 17:40:00

The importer (`marketplace import organizations`, the admin upload page) records where an
organization came from, its idempotency key, and the language of its description. Existing
organizations are English and have no source.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e8f4a1b6'
down_revision = '75fc18b0b6f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en',
                                      nullable=False))
        batch_op.add_column(sa.Column('source_url', sa.String(length=1000), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('source_url')
        batch_op.drop_column('language')
