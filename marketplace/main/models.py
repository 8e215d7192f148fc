"""Site-wide records that belong to no feature."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import utcnow
from marketplace.extensions import db


class DemoSeed(db.Model):
    """Which demo seeders have run, so `seed-demo` never repeats one or resurrects deletions."""

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    seeded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<DemoSeed {self.name}>"
