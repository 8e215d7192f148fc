"""`marketplace jobs run`: each due job once per interval, however many nodes run it at once."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from marketplace import search
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from marketplace.notifications import kinds
from marketplace.notifications.models import EmailOutbox
from marketplace.notifications.services import notify, set_preferences
from marketplace.ops import jobs
from marketplace.ops.models import JobRun
from tests.conftest import PG_URL

JOB_NAMES = [job.name for job in jobs.JOBS]
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def work(app, make_user, make_open_project, make_donor, pledge):
    """One unit of work for each job: digests for 3 people, 2 emails left unsent by a crash,
    an expired project with a paid pledge to refund, an index to optimize."""
    sender = make_user(name="Sender")
    readers = [make_user(email=f"reader{n}@example.org") for n in range(3)]
    for reader in readers:
        set_preferences(reader, {kinds.REPLY: kinds.DIGEST})
        notify(reader, kinds.REPLY, f"A reply for {reader.email}", "/t/1", actor=sender)
    db.session.execute(insert(EmailOutbox), [  # behind the ORM: not sent after commit
        {"recipient": f"left{n}@example.org", "subject": f"left {n}", "body": "b", "next_attempt_at": utcnow()}
        for n in range(2)])
    project = make_open_project(goal_minor=10_000)
    paid = pledge(make_donor(), project, "30")
    project.deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    search.reindex()
    return {"readers": [r.email for r in readers], "pledge_id": paid.id, "project_id": project.id}


def _done_once(app, outbox, work) -> None:
    recipients = [m["To"] for m in outbox]
    for email in work["readers"]:
        assert sum(r == email for r in recipients) == 1, recipients  # one digest each
    for n in range(2):
        assert recipients.count(f"left{n}@example.org") == 1
    refunds = db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                                .where(LedgerTransaction.kind == "refund"))
    assert refunds == 1
    assert db.session.scalar(select(func.count()).select_from(EmailOutbox)
                             .where(EmailOutbox.status != "sent")) == 0


def test_run_once_runs_each_due_job_then_waits_for_its_interval(app, work, outbox):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run", "--once"])
    assert first.exit_code == 0, first.output
    for name in JOB_NAMES:
        assert f"job {name}: ok" in first.output
    assert f"jobs: {len(JOB_NAMES)} ran, 0 failed, 0 skipped" in first.output
    db.session.expire_all()
    _done_once(app, outbox, work)
    again = runner.invoke(args=["jobs", "run", "--once"])
    assert f"jobs: 0 ran, 0 failed, {len(JOB_NAMES)} skipped" in again.output
    assert all(f"job {name}: not-due" in again.output for name in JOB_NAMES)
    rows = {r.name: r for r in db.session.scalars(select(JobRun))}
    assert rows["notifications-deliver"].status == "ok" and rows["notifications-deliver"].finished_at
    assert f"search-optimize@{jobs.node_name()}" in rows  # per node: each node optimizes its own index


def test_a_job_is_due_again_after_its_interval(app, work):
    jobs.run_due(app)
    row = db.session.get(JobRun, "notifications-deliver")
    row.started_at = utcnow() - timedelta(seconds=56)  # the timer fires a little early: still due
    db.session.commit()
    assert [o.status for o in jobs.run_due(app, only=("notifications-deliver",))] == ["ok"]
    assert [o.status for o in jobs.run_due(app, only=("notifications-deliver",))] == ["not-due"]
    assert [o.status for o in jobs.run_due(app, force=True, only=("notifications-deliver",))] == ["ok"]


def test_a_failing_job_fails_the_run_and_is_recorded(app, work):
    db.session.execute(text("UPDATE pledge SET amount_minor = amount_minor + 1 WHERE id = :id"),
                       {"id": work["pledge_id"]})  # the books no longer balance
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once", "--job", "ledger-check"])
    assert result.exit_code == 1
    assert "job ledger-check: failed" in result.output
    assert db.session.get(JobRun, "ledger-check").status == "failed"


@needs_pg
def test_a_job_another_node_holds_is_skipped(app, work):
    key = jobs.lock_key("send-digests")
    with db.engine.connect() as other_node:
        assert other_node.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
        assert [o.status for o in jobs.run_due(app, only=("send-digests",))] == ["busy"]
        other_node.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    assert [o.status for o in jobs.run_due(app, only=("send-digests",))] == ["ok"]


@needs_pg
@pytest.mark.postgres_only
def test_two_nodes_running_every_job_at_once_do_each_unit_of_work_once(app, work, outbox):
    start = threading.Barrier(2)
    outcomes: dict[str, list] = {}
    errors = []

    def node(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                outcomes[name] = jobs.run_due(app)
        except Exception as err:  # noqa: BLE001  (reported by the assertion below)
            errors.append(err)

    threads = [threading.Thread(target=node, args=(n,)) for n in ("node-a", "node-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for index, name in enumerate(JOB_NAMES):
        statuses = sorted(outcomes[n][index].status for n in outcomes)
        assert statuses.count("ok") == 1, (name, statuses)  # the other: busy or not-due
    db.session.expire_all()
    _done_once(app, outbox, work)
