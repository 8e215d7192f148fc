"""Search replicas: every node keeps its own index and follows the change log in the database.

The log is `search_outbox` (append-only; a row's id is its position). A node's index records
the last position it applied (whoosh_private.log_position, written with the Whoosh commit). The
`search_node` registry holds, per node, that position and a heartbeat; `prune` deletes the rows
every live node has applied and remembers the highest position deleted (`search_log_horizon`):
an index whose position is below it has missed changes and is rebuilt from the database.

A hole in the ids may be a transaction still committing (PostgreSQL hands out ids at insert
time, not at commit), so a node applies the rows after a hole but records its position before
it until the hole is SEARCH_LOG_GAP_SECONDS old (a rolled-back transaction leaves it forever).
"""

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, scoped_session

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.search.models import SearchLogHorizon, SearchNode, SearchOutbox

Reader = Session | scoped_session  # a session of our own, or the request's db.session
HEARTBEAT_SECONDS = 5.0  # an idle node refreshes its heartbeat this often
_last_heartbeat: dict[str, tuple[float, int]] = {}
_last_prune: dict[str, float] = {}


def node_id() -> str:
    """This node: NODE_NAME (or the host name) and its index directory."""
    config = current_app.config
    name = config.get("NODE_NAME") or socket.gethostname()
    return f"{name}:{Path(config['SEARCH_INDEX_DIR']).resolve()}"[:300]


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def gap_seconds() -> float:
    return float(current_app.config.get("SEARCH_LOG_GAP_SECONDS", 30))


def live_since(now: datetime | None = None) -> datetime:
    seconds = current_app.config.get("SEARCH_NODE_LIVE_SECONDS", 900)
    return (now or utcnow()) - timedelta(seconds=seconds)


def head(s: Reader) -> int:
    """The newest position in the log (the horizon when the log is empty)."""
    newest = s.scalar(select(func.max(SearchOutbox.id)))
    return newest if newest is not None else horizon(s)


def horizon(s: Reader) -> int:
    """The highest position ever pruned: an index that applied less missed changes."""
    return s.scalar(select(SearchLogHorizon.pruned_through).where(SearchLogHorizon.id == 1)) or 0


def frontier(position: int, rows, now: datetime) -> int:
    """The position to record after applying `rows` (ordered by id, all after `position`):
    the last row before the first hole that may still be committing."""
    oldest_open = now - timedelta(seconds=gap_seconds())
    for row in rows:
        if row.id != position + 1 and aware(row.created_at) > oldest_open:
            break
        position = row.id
    return position


def rebuild_position(s: Reader, started: datetime) -> int:
    """The position a rebuild that starts reading the database at `started` may record: rows
    after it are applied again afterwards (applying a row twice is harmless)."""
    settled = started - timedelta(seconds=gap_seconds())
    newest = s.scalar(select(func.max(SearchOutbox.id)).where(SearchOutbox.created_at < settled))
    recent = s.execute(select(SearchOutbox.id, SearchOutbox.created_at)
                       .where(SearchOutbox.created_at >= settled).order_by(SearchOutbox.id)).all()
    base = max(newest or 0, horizon(s))
    return frontier(base, [r for r in recent if r.id > base], started)


def heartbeat(position: int, rebuilt: bool = False, force: bool = False) -> None:
    """Record this node's applied position (every change; else every HEARTBEAT_SECONDS)."""
    name = node_id()
    last = _last_heartbeat.get(name)
    now = time.monotonic()
    if not force and not rebuilt and last and last[1] == position and now - last[0] < HEARTBEAT_SECONDS:
        return
    with Session(db.engine) as s:
        node = s.get(SearchNode, name) or SearchNode(name=name)
        node.index_dir = str(Path(current_app.config["SEARCH_INDEX_DIR"]).resolve())[:500]
        node.applied = position
        node.heartbeat_at = utcnow()
        if rebuilt:
            node.rebuilt_at = node.heartbeat_at
        s.add(node)
        s.commit()
    _last_heartbeat[name] = (now, position)


def live_nodes(s: Reader, now: datetime | None = None) -> list[SearchNode]:
    return list(s.scalars(select(SearchNode).where(SearchNode.heartbeat_at >= live_since(now))
                          .order_by(SearchNode.name)))


def all_nodes(s: Reader) -> list[SearchNode]:
    return list(s.scalars(select(SearchNode).order_by(SearchNode.name)))


def prune(now: datetime | None = None) -> int:
    """Delete the log rows every live node has applied; return how many. The row at the lowest
    live position stays, so the log's newest id is never reused (SQLite reuses a deleted max)."""
    with Session(db.engine) as s:
        floor = s.scalar(select(func.min(SearchNode.applied))
                         .where(SearchNode.heartbeat_at >= live_since(now)))
        if not floor:
            return 0
        state = s.get(SearchLogHorizon, 1) or SearchLogHorizon(id=1, pruned_through=0)
        if floor - 1 <= state.pruned_through:
            return 0
        result = s.execute(delete(SearchOutbox).where(SearchOutbox.id < floor))
        deleted = result.rowcount or 0  # type: ignore[attr-defined]
        state.pruned_through = floor - 1
        s.add(state)
        s.commit()
    return deleted


def prune_now_and_then() -> None:
    """Prune at most every SEARCH_LOG_PRUNE_SECONDS per node and process (drain calls this)."""
    name = node_id()
    every = current_app.config.get("SEARCH_LOG_PRUNE_SECONDS", 60)
    if time.monotonic() - _last_prune.get(name, -1e9) >= every:
        _last_prune[name] = time.monotonic()
        prune()


def lag(s: Reader, position: int) -> int:
    """Log rows after `position` (what this node has still to apply)."""
    return max(0, head(s) - position)


def oldest_unapplied(s: Reader, position: int) -> datetime | None:
    return s.scalar(select(func.min(SearchOutbox.created_at)).where(SearchOutbox.id > position))
