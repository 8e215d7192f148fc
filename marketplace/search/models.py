"""The search change log and the nodes that follow it.

`search_outbox` is an append-only log: a flush that changes an indexed row appends rows in the
same transaction, and their ids are the log's positions. Every node applies the log to its own
index and remembers the last position it applied (in its index, see indexer.py); rows are
deleted only by `prune`, once every live node has passed them.
"""

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import utcnow
from marketplace.extensions import db


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)  # the log position
    doc_id: Mapped[str] = mapped_column(String(60))
    op: Mapped[str] = mapped_column(String(10))  # "upsert" | "delete"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SearchOutbox {self.id} {self.op} {self.doc_id}>"


class SearchNode(db.Model):
    """One node's index: the log position it has applied and when it last said so."""

    __tablename__ = "search_node"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    index_dir: Mapped[str] = mapped_column(String(500))
    applied: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    rebuilt_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<SearchNode {self.name} at {self.applied}>"


class SearchLogHorizon(db.Model):
    """The highest log position ever pruned (one row): an index that applied less has missed
    changes and must be rebuilt."""

    __tablename__ = "search_log_horizon"

    id: Mapped[int] = mapped_column(primary_key=True)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
