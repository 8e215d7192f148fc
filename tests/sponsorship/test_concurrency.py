"""Money under real concurrency: threads, each with its own app context, session and connection."""

import threading
import uuid

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User, UserRole
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.projects.models import Project
from marketplace.sponsorship import services
from marketplace.sponsorship.models import Pledge
from tests.conftest import PG_URL, base_config, database_url

pytestmark = pytest.mark.postgres_only
if not PG_URL:
    pytestmark = [pytestmark, pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")]


@pytest.fixture
def app_config(schema_template, tmp_path):
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path),
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 45, "max_overflow": 5})


def _donors(n):
    users = [User(email=f"donor{i}@example.org", display_name=f"Donor {i}", password_hash="x",
                  roles=[UserRole(role="donor")]) for i in range(n)]
    db.session.add_all(users)
    db.session.commit()
    return [u.id for u in users]


def _run_at_once(app, jobs):
    """Start every job together (a barrier); each runs in its own app context and session."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = job()
                db.session.commit()
            except Conflict as err:
                db.session.rollback()
                results[i] = err
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _pledge_job(donor_id, project_id, amount, key, provider="instant"):
    def job():
        donor, project = db.session.get(User, donor_id), db.session.get(Project, project_id)
        return services.record_pledge(donor, project, amount, idempotency_key=key, provider=provider)[0].id
    return job


def test_forty_simultaneous_pledges_never_pass_the_goal(app, make_open_project, ledger_clean):
    project = make_open_project(goal_minor=10_000)
    donors = _donors(40)
    results = _run_at_once(app, [_pledge_job(d, project.id, "10", uuid.uuid4().hex) for d in donors])

    accepted = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(accepted), len(refused)) == (10, 30)
    assert {r.message for r in refused} <= {
        "This project has reached its goal; it needs no more pledges.",
        "This project is no longer accepting pledges.",  # refused after the goal made it "funded"
    }
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert (project.raised_minor, project.state) == (10_000, "funded")
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 10
    assert db.session.scalar(select(func.sum(LedgerEntry.amount_minor))) == 0
    assert ledger_clean() == []


def test_the_same_key_sent_twice_at_once_makes_one_pledge(app, make_open_project, ledger_clean):
    project = make_open_project(goal_minor=10_000)
    [donor] = _donors(1)
    results = _run_at_once(app, [_pledge_job(donor, project.id, "10", "same-key-123456", "manual")
                                 for _ in range(8)])
    assert len(set(results)) == 1 and isinstance(results[0], int)
    db.session.expire_all()
    assert db.session.get(Project, project.id).raised_minor == 1_000
    assert ledger_clean() == []


def test_postgres_refuses_raw_ledger_updates(app, make_open_project, make_donor, pledge):
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    pledge(make_donor(), make_open_project(), "10")
    with db.engine.connect() as conn, pytest.raises(ProgrammingError, match="append-only"):
        conn.execute(text("UPDATE ledger_entry SET amount_minor = 1"))


def _confirm_job(pledge_id, actor_id):
    def job():
        pledge = db.session.get(Pledge, pledge_id)
        return services.confirm_pledge(pledge, db.session.get(User, actor_id)).id
    return job


@pytest.mark.parametrize("receipts", [2, 5, 10])
def test_last_receipts_recorded_at_once_leave_the_project_funded(app, make_open_project, make_user,
                                                                 ledger_clean, receipts):
    """A host records the last payments of an all-or-nothing project at the same moment: the project
    must end "funded" every time (before the row lock, 6 of 12 stayed "open" although fully paid)."""
    host = make_user(email="treasurer@example.org")
    rounds = 50 if receipts == 2 else 10
    donors = _donors(receipts)
    for _ in range(rounds):
        project = make_open_project(goal_minor=receipts * 1_000)
        pledges = [services.record_pledge(db.session.get(User, d), db.session.get(Project, project.id),
                                          "10", idempotency_key=uuid.uuid4().hex, provider="manual")[0].id
                   for d in donors]
        db.session.commit()
        results = _run_at_once(app, [_confirm_job(p, host.id) for p in pledges])
        assert all(isinstance(r, int) for r in results), results
        db.session.expire_all()
        assert db.session.get(Project, project.id).state == "funded"
    assert ledger_clean() == []


def test_two_cancels_at_once_one_success_one_already_cancelled(app, make_open_project, make_user, pledge,
                                                              make_donor, ledger_clean):
    from marketplace.accounts.models import AuditEvent
    from marketplace.projects import services as projects

    moderator = make_user(email="mod@example.org", roles=["moderator"])
    project = make_open_project(goal_minor=100_000)
    pledge(make_donor(), project, "10")
    owner_id, mod_id = project.owner_id, moderator.id

    def cancel(actor_id):
        def job():
            projects.cancel_project(db.session.get(User, actor_id), db.session.get(Project, project.id), "stop")
            return "ok"
        return job

    results = _run_at_once(app, [cancel(owner_id), cancel(mod_id)])
    db.session.expire_all()
    assert sorted(r if r == "ok" else r.message for r in results) == ["This project was already cancelled.", "ok"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "project.cancel")) == 1
    assert ledger_clean() == []


def test_two_close_expired_runs_at_once_each_settle_once(app, make_open_project, make_donor, pledge, ledger_clean,
                                                         tmp_path):
    """Two `marketplace projects close-expired` processes (two nodes' cron) at once: both exit 0 and
    each project is refunded or closed once (before the row lock, keep-what-you-raise crashed one)."""
    import os
    import subprocess
    import sys
    from datetime import timedelta
    from pathlib import Path

    from marketplace.database import utcnow
    from marketplace.ledger.models import LedgerTransaction

    past = utcnow() - timedelta(days=1)
    for i in range(6):
        model = "keep_what_you_raise" if i % 2 else "all_or_nothing"
        project = make_open_project(goal_minor=100_000, funding_model=model)
        pledge(make_donor(), project, "10")
        pledge(make_donor(), project, "20", provider="manual")
        project.deadline = past
    db.session.commit()
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": PG_URL, "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "cli"),
           "MARKETPLACE_SECRET_KEY": "x" * 64, "MARKETPLACE_SEARCH_DRAIN": "manual"}
    runs = [subprocess.Popen([str(Path(sys.executable).with_name("marketplace")), "projects", "close-expired"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [(r.communicate(timeout=120)[0], r.returncode) for r in runs]
    outputs = [(code, out) for out, code in outputs]
    assert [code for code, _out in outputs] == [0, 0], outputs
    db.session.expire_all()
    states = db.session.scalars(select(Project.state).order_by(Project.id)).all()
    assert states == ["expired", "funded"] * 3
    refunds = db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                                .where(LedgerTransaction.kind == "refund"))
    assert refunds == 3  # one per all-or-nothing project's paid pledge, once
    assert db.session.scalar(select(func.count()).select_from(Pledge).where(Pledge.status == "pledged")) == 0
    assert ledger_clean() == []


def test_two_remind_unpaid_runs_at_once_remind_each_pledge_once(app, make_open_project, make_donor, pledge,
                                                                  tmp_path):
    """Two `marketplace projects remind-unpaid` processes (two nodes' cron) at once: both exit 0 and
    each unpaid pledge's donor gets one reminder (the guarded UPDATE of reminded_at claims it)."""
    import os
    import subprocess
    import sys
    from datetime import timedelta
    from pathlib import Path

    from marketplace.database import utcnow
    from marketplace.notifications.models import EmailOutbox

    project = make_open_project(goal_minor=1_000_000)
    unpaid = [pledge(make_donor(), project, str(i + 1), provider="manual") for i in range(12)]
    for p in unpaid:
        p.created_at = utcnow() - timedelta(days=10)
    db.session.commit()
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": PG_URL, "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "cli"),
           "MARKETPLACE_SECRET_KEY": "x" * 64, "MARKETPLACE_SEARCH_DRAIN": "manual"}
    runs = [subprocess.Popen([str(Path(sys.executable).with_name("marketplace")), "projects", "remind-unpaid"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [(r.communicate(timeout=120)[0], r.returncode) for r in runs]
    assert [code for _out, code in outputs] == [0, 0], outputs
    sent = sum(int(out.rsplit("remind-unpaid: ", 1)[1].split()[0]) for out, _code in outputs)
    assert sent == 12
    reminders = db.session.scalars(select(EmailOutbox.recipient_id).where(EmailOutbox.subject.like("Reminder:%")))
    assert sorted(reminders) == sorted(p.donor_id for p in unpaid)


_BURST = """
import sys, uuid
from marketplace import create_app
from marketplace.extensions import db
from marketplace.accounts.models import User
from marketplace.projects.models import Project
from marketplace.sponsorship import services
app = create_app({"DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "k" * 64,
                  "SEARCH_DRAIN": "manual", "SERVER_NAME": "localhost", "MAIL_BACKEND": "outbox"})
donor_ids, project_id = [int(x) for x in sys.argv[3].split(",")], int(sys.argv[4])
with app.app_context():
    for i in range(200):
        services.record_pledge(db.session.get(User, donor_ids[i % len(donor_ids)]),
                               db.session.get(Project, project_id), "1", idempotency_key=uuid.uuid4().hex,
                               provider="manual")
        db.session.commit()
        print(i, flush=True)
"""


def test_kill_9_during_a_burst_of_200_pledges_loses_no_notice(app, make_open_project, tmp_path):
    """The owner's "new pledge" notice is written in the pledge's own transaction: kill -9 at any
    moment leaves exactly one notice per committed pledge (before, ~1% were lost)."""
    import os
    import signal
    import subprocess
    import sys

    from marketplace.notifications.models import Notification

    project = make_open_project(goal_minor=10_000_000)
    donors = _donors(8)
    with subprocess.Popen([sys.executable, "-c", _BURST, PG_URL, str(tmp_path / "burst"),
                           ",".join(map(str, donors)), str(project.id)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd()}) as proc:
        for line in proc.stdout:  # kill it mid-burst, well after it started committing
            if int(line) >= 60:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    db.session.expire_all()
    pledges = db.session.scalar(select(func.count()).select_from(Pledge))
    notices = db.session.scalar(select(func.count()).select_from(Notification)
                                .where(Notification.recipient_id == project.owner_id))
    assert 60 < pledges < 200, pledges  # killed mid-burst
    assert notices == pledges, (pledges, notices)  # 0 lost
