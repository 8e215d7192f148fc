"""canonical practice sets: stored revisions and suggestions list countries, themes, tags and
organizations sorted, so that a stored order never shows as a change

Revision ID: 5c1e0a7f2b94
Revises: ab12db9c0e61
Create Date: 2026-12-05 14:10:00

Data only (no schema change). Revisions saved before this stored these lists in the order a
form or seeder sent them; the services now store them sorted and compare them as sets.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e0a7f2b94'
down_revision = 'ab12db9c0e61'
branch_labels = None
depends_on = None

SET_FIELDS = ("countries", "themes", "tags", "organizations")
BATCH = 1000


def canonical(data):
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for field in SET_FIELDS:
        if isinstance(out.get(field), list):
            try:
                out[field] = sorted(set(out[field]))
            except TypeError:  # mixed or unhashable values: leave them for a person to read
                pass
    return out


def _canonicalise(table, where=None) -> None:
    bind = op.get_bind()
    last = 0
    while True:
        query = sa.select(table.c.id, table.c.data).where(table.c.id > last)
        if where is not None:
            query = query.where(where)
        rows = bind.execute(query.order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        for id_, data in rows:
            fixed = canonical(data)
            if fixed != data:
                bind.execute(table.update().where(table.c.id == id_).values(data=fixed))
        last = rows[-1][0]


def upgrade():
    revision_table = sa.table("revision", sa.column("id", sa.Integer),
                              sa.column("practice_id", sa.Integer), sa.column("data", sa.JSON))
    suggestion_table = sa.table("edit_suggestion", sa.column("id", sa.Integer),
                                sa.column("data", sa.JSON))
    _canonicalise(revision_table, revision_table.c.practice_id.is_not(None))
    _canonicalise(suggestion_table)


def downgrade():
    pass  # the old order carried no meaning: nothing to restore
