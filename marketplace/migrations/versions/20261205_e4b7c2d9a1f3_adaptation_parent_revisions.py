"""adaptation parent revisions: the parent revision an adaptation was made from and the latest
one its authors reviewed (the "original has changed" banner)

Revision ID: e4b7c2d9a1f3
Revises: 5c1e0a7f2b94
Create Date: 2026-12-05 15:20:00

Existing adaptations are based on the parent's latest revision saved no later than the
adaptation itself (or its first revision when none is that old), and count it as reviewed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7c2d9a1f3'
down_revision = '5c1e0a7f2b94'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('based_on_revision_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_revision_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_practice_based_on_revision_id_revision'),
                                    'revision', ['based_on_revision_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_practice_reviewed_revision_id_revision'),
                                    'revision', ['reviewed_revision_id'], ['id'],
                                    ondelete='SET NULL')
    practice = sa.table('practice', sa.column('id'), sa.column('parent_id'),
                        sa.column('created_at'), sa.column('based_on_revision_id'),
                        sa.column('reviewed_revision_id'))
    rev = sa.table('revision', sa.column('id'), sa.column('practice_id'), sa.column('number'),
                   sa.column('created_at'))

    def parent_revision(*where):
        return (sa.select(rev.c.id).where(rev.c.practice_id == practice.c.parent_id, *where)
                .order_by(rev.c.number.desc() if where else rev.c.number).limit(1)
                .scalar_subquery())

    based_on = sa.func.coalesce(parent_revision(rev.c.created_at <= practice.c.created_at),
                                parent_revision())
    op.execute(practice.update().where(practice.c.parent_id.is_not(None))
               .values(based_on_revision_id=based_on))
    op.execute(practice.update().where(practice.c.parent_id.is_not(None))
               .values(reviewed_revision_id=practice.c.based_on_revision_id))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_practice_reviewed_revision_id_revision'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_practice_based_on_revision_id_revision'),
                                 type_='foreignkey')
        batch_op.drop_column('reviewed_revision_id')
        batch_op.drop_column('based_on_revision_id')
