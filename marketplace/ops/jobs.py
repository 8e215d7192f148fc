"""Scheduled jobs that are safe to start on every node at once.

Each job runs under a PostgreSQL advisory lock named after it (a no-op on SQLite, which is one
node anyway), and only when it is due by the `job_run` row every node shares: a node that gets
the lock after another finished sees the job is not due and skips it. So a timer on every node
runs each job once per interval across the cluster. `search-optimize` is per node (each node
has its own index), so its lock and schedule carry the node name.
"""

import hashlib
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ops.models import JobRun

SLACK = timedelta(seconds=5)  # a timer firing a little early still finds its job due


@dataclass(frozen=True)
class Job:
    name: str
    command: tuple[str, str]  # `marketplace <group> <command>`
    every: timedelta
    per_node: bool = False


JOBS = (
    Job("notifications-deliver", ("notifications", "deliver"), timedelta(minutes=1)),
    Job("send-digests", ("notifications", "send-digests"), timedelta(days=1)),
    Job("close-expired", ("projects", "close-expired"), timedelta(minutes=15)),
    # Donors of pledges still unpaid a week on are mailed how to pay (each at most once a week).
    Job("remind-unpaid", ("projects", "remind-unpaid"), timedelta(days=1)),
    Job("ledger-check", ("ledger", "check"), timedelta(days=1)),
    Job("search-optimize", ("search", "optimize"), timedelta(days=7), per_node=True),
    # Text of uploaded files that no web process extracted (FILES_EXTRACT=manual, or a process
    # that stopped first); the rows are claimed one by one, so every node may run it.
    Job("files-extract", ("files", "extract"), timedelta(minutes=1)),
)


@dataclass
class Outcome:
    job: str
    status: str  # ok | failed | not-due | busy (another node holds the lock)
    output: str = ""


def node_name() -> str:
    return current_app.config["NODE_NAME"] or socket.gethostname()


def record_name(job: Job) -> str:
    return f"{job.name}@{node_name()}" if job.per_node else job.name


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.blake2b(f"marketplace-job:{name}".encode(), digest_size=8).digest(),
                          "big", signed=True)


@contextmanager
def advisory_lock(name: str):
    """Yield whether this process holds the cluster-wide lock `name` (always True on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as conn:
        held = conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)})
        conn.commit()  # session-level lock: outlives the transaction, not idle in one meanwhile
        try:
            yield bool(held)
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
                conn.commit()


def is_due(s: Session, name: str, every: timedelta, now: datetime) -> bool:
    last = s.get(JobRun, name)
    return last is None or last.started_at + every - SLACK <= now


def run_due(app: Flask, force: bool = False, only: tuple[str, ...] = ()) -> list[Outcome]:
    """Run each job that is due (every job with force), each under its lock."""
    outcomes = []
    for job in JOBS:
        if only and job.name not in only:
            continue
        outcomes.append(run_job(app, job, force))
    return outcomes


def run_job(app: Flask, job: Job, force: bool = False) -> Outcome:
    name = record_name(job)
    with advisory_lock(name) as held:
        if not held:
            return Outcome(job.name, "busy")
        with Session(db.engine) as s:
            if not force and not is_due(s, name, job.every, utcnow()):
                return Outcome(job.name, "not-due")
            _record(s, name, status="running", started_at=utcnow(), finished_at=None, detail="")
        ok, output = _invoke(app, job)
        with Session(db.engine) as s:
            _record(s, name, status="ok" if ok else "failed", finished_at=utcnow(), detail=output[:500])
    if not ok:
        app.logger.error("job %s failed: %s", job.name, output)
    return Outcome(job.name, "ok" if ok else "failed", output)


def _record(s: Session, name: str, **values) -> None:
    row = s.get(JobRun, name) or JobRun(name=name, node=node_name())
    for key, value in values.items():
        setattr(row, key, value)
    row.node = node_name()
    s.add(row)
    s.commit()


def _invoke(app: Flask, job: Job) -> tuple[bool, str]:
    """Run the job's CLI command in this app context (it prints to stdout as usual; stdout is not
    captured because redirecting it is process-wide and jobs may run in threads)."""
    group, name = job.command
    command = app.cli.commands[group].commands[name]  # type: ignore[attr-defined]
    try:
        with command.make_context(name, []) as ctx:
            command.invoke(ctx)
    except click.ClickException as err:
        return False, err.format_message()
    except SystemExit as err:
        return not err.code, f"exit status {err.code}" if err.code else ""
    except Exception as err:  # noqa: BLE001  (one job's crash must not stop the others)
        return False, f"{type(err).__name__}: {err}"
    finally:
        db.session.remove()
    return True, ""


def loop(app: Flask, interval: float, echo) -> None:
    while True:
        for outcome in run_due(app):
            if outcome.status in ("ok", "failed"):
                echo(outcome)
        time.sleep(interval)


def last_successes() -> list[tuple[str, datetime]]:
    rows = db.session.execute(select(JobRun.name, JobRun.finished_at)
                              .where(JobRun.status == "ok", JobRun.finished_at.is_not(None))
                              .order_by(JobRun.name)).all()
    return [(r.name, r.finished_at) for r in rows]
