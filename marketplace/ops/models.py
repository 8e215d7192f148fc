"""When each scheduled job last ran (shared by every node, so a schedule holds cluster-wide)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class JobRun(db.Model):
    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # "search-optimize@node" per node
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10))  # running | ok | failed
    node: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(String(500), default="")

    def __repr__(self) -> str:
        return f"<JobRun {self.name} {self.status} {self.started_at:%Y-%m-%d %H:%M}>"
