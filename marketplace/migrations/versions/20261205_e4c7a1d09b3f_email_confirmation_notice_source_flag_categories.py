"""email confirmation: user.email_confirmed_at (every account created before counts as
confirmed); notification.message_source (msgid and parameters, rendered when read);
user.suspension_reason; flag.category (spam, abusive, off_topic, other)

Revision ID: e4c7a1d09b3f
Revises: 91a066ab357d
Create Date: 2026-12-05 15:10:00

New accounts confirm their address by a mailed link before they take part. Accounts that existed
before this migration (seeded demo users included) are treated as confirmed: the column is
filled with their creation time. Older notifications keep no source: they show their stored text.
Older flags are of the category "other" (their text says what is wrong).
"""
from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'e4c7a1d09b3f'
down_revision = '91a066ab357d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', marketplace.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.String(length=500), server_default='',
                                      nullable=False))
    user = sa.table('user', sa.column('email_confirmed_at', sa.DateTime(timezone=True)),
                    sa.column('created_at', sa.DateTime(timezone=True)))
    op.execute(user.update().values(email_confirmed_at=user.c.created_at))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_source', sa.JSON(), nullable=True))
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=20), server_default='other',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_column('category')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('message_source')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('email_confirmed_at')
