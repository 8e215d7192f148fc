from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.projects.models import Project
from marketplace.sponsorship import services
from marketplace.sponsorship.models import Pledge, TrancheRelease


def raised(project):
    return db.session.scalar(select(Project.raised_minor).where(Project.id == project.id))


def test_manual_pledge_reserves_room_and_becomes_a_contribution_when_paid(
        make_open_project, make_donor, make_user, pledge, ledger_clean):
    project = make_open_project(goal_minor=10_000)
    donor = make_donor()
    p = pledge(donor, project, "25.50", provider="manual", message="For the school")
    assert (p.status, p.amount_minor, raised(project)) == ("pledged", 2550, 2550)
    assert p.contribution is None
    services.confirm_pledge(p, make_user(roles=["admin"]))
    db.session.commit()
    assert p.status == "confirmed"
    assert ledger.balance(ledger.escrow_account(project.id, "EUR")) == 2550
    assert ledger.balance(ledger.donor_account(donor.id, "EUR")) == -2550
    assert ledger_clean() == []
    with pytest.raises(Conflict, match="not changed: its status is now “Contribution received”"):
        services.confirm_pledge(p, None)


def test_the_goal_caps_pledges_with_a_clear_message(make_open_project, make_donor, pledge, ledger_clean):
    project = make_open_project(goal_minor=10_000)
    donor = make_donor()
    pledge(donor, project, "60")
    with pytest.raises(Conflict) as err:
        pledge(donor, project, "40.01")
    assert err.value.message == "Only €40.00 is left to reach the goal. Pledge that much or less."
    db.session.rollback()
    pledge(donor, project, "40")
    db.session.refresh(project)
    assert (project.raised_minor, project.state) == (10_000, "funded")
    with pytest.raises(Conflict, match="no longer accepting"):
        pledge(donor, project, "1")
    assert ledger_clean() == []


def test_refuses_pledges_to_closed_or_overdue_projects(make_open_project, make_donor, pledge):
    donor = make_donor()
    for project in (make_open_project(state="draft"),
                    make_open_project(deadline=utcnow() - timedelta(minutes=1))):
        with pytest.raises(Conflict, match="no longer accepting"):
            pledge(donor, project, "5")
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 0


@pytest.mark.parametrize("amount", ["10.005", "-5", "1e3", "abc", "", str(10**20), "10 USD"])
def test_bad_amounts_change_nothing(make_open_project, make_donor, pledge, amount):
    project = make_open_project()
    with pytest.raises(InvalidInput):
        pledge(make_donor(), project, amount)
    db.session.rollback()
    assert raised(project) == 0
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 0


def test_another_currency_is_refused(make_open_project, make_donor, pledge):
    with pytest.raises(InvalidInput, match="in EUR"):
        pledge(make_donor(), make_open_project(), "10", currency="USD")


def test_idempotency_replay_returns_the_first_pledge(make_open_project, make_donor, ledger_clean):
    project, donor = make_open_project(), make_donor()
    first, created = services.record_pledge(donor, project, "10", idempotency_key="key-0001-abcd",
                                            provider="instant")
    db.session.commit()
    again, created_again = services.record_pledge(donor, project, "10.00", idempotency_key="key-0001-abcd",
                                                  provider="instant")
    db.session.commit()
    assert (created, created_again, again.id) == (True, False, first.id)
    assert raised(project) == 1000
    with pytest.raises(Conflict, match="already made with a different amount"):
        services.record_pledge(donor, project, "11", idempotency_key="key-0001-abcd")
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
    assert ledger_clean() == []


def test_a_replay_that_leaves_anonymity_to_the_profile_returns_the_first_pledge(make_open_project, make_donor,
                                                                                 ledger_clean):
    project, shy = make_open_project(), make_donor(anonymous=True)
    first, _ = services.record_pledge(shy, project, "10", idempotency_key="key-shy-0001", provider="instant")
    db.session.commit()
    again, created = services.record_pledge(shy, project, "10", idempotency_key="key-shy-0001", provider="instant")
    db.session.commit()
    assert (first.is_anonymous, first.donor_name, again.id, created) == (True, "", first.id, False)
    assert again.request_fingerprint == services.fingerprint(project.id, 1000, "EUR", "", True)
    with pytest.raises(Conflict, match="already made with a different amount"):  # named this time
        services.record_pledge(shy, project, "10", idempotency_key="key-shy-0001", is_anonymous=False)
    db.session.rollback()
    assert raised(project) == 1000
    assert ledger_clean() == []


def test_a_replay_after_the_project_filled_up_returns_the_first_pledge(make_open_project, make_donor,
                                                                      ledger_clean):
    project, donor = make_open_project(goal_minor=1_000), make_donor()
    first, _ = services.record_pledge(donor, project, "10", idempotency_key="key-full-0001", provider="instant")
    db.session.commit()
    db.session.refresh(project)
    assert project.state == "funded"
    again, created = services.record_pledge(donor, project, "10", idempotency_key="key-full-0001",
                                            provider="instant")
    assert (again.id, created) == (first.id, False)
    with pytest.raises(Conflict, match="already made with a different amount"):
        services.record_pledge(donor, project, "5", idempotency_key="key-full-0001")
    db.session.rollback()
    assert raised(project) == 1_000
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
    assert ledger_clean() == []


def test_the_same_key_from_another_donor_is_another_pledge(make_open_project, make_donor):
    project = make_open_project()
    for donor in (make_donor(), make_donor()):
        services.record_pledge(donor, project, "10", idempotency_key="shared-key-123")
    db.session.commit()
    assert raised(project) == 2000


def test_release_moves_a_verified_tranche_once(make_open_project, make_donor, make_objective, make_user,
                                               pledge, ledger_clean):
    project = make_open_project(goal_minor=10_000)
    pledge(make_donor(), project, "100")
    objective = make_objective(project, tranche_minor=4_000)
    reviewer = make_user(roles=["moderator"])
    with pytest.raises(Conflict, match="Verify the objective"):
        services.release_tranche(reviewer, objective)
    objective.status = "verified"
    release = services.release_tranche(reviewer, objective)
    db.session.commit()
    assert release.amount_minor == 4_000
    db.session.refresh(project)
    assert project.released_minor == 4_000
    assert ledger.project_totals(project.id) == {"contributed": 10_000, "released": 4_000,
                                                 "refunded": 0, "balance": 6_000}
    with pytest.raises(Conflict, match="already released"):
        services.release_tranche(reviewer, objective)
    assert ledger_clean() == []


def test_release_is_capped_by_escrow(make_open_project, make_donor, make_objective, make_user, pledge):
    project = make_open_project(goal_minor=3_000, funding_model="keep_what_you_raise")
    pledge(make_donor(), project, "10")
    objective = make_objective(project, tranche_minor=5_000, status="verified")
    release = services.release_tranche(make_user(), objective)
    assert release.amount_minor == 1_000


def test_all_or_nothing_money_is_not_released_before_funded(make_open_project, make_donor, make_objective,
                                                            make_user, pledge):
    project = make_open_project(goal_minor=10_000)
    pledge(make_donor(), project, "10")
    objective = make_objective(project, status="verified")
    with pytest.raises(Conflict, match="once the project is funded"):
        services.release_tranche(make_user(), objective)


def _past(project):
    project.deadline = utcnow() - timedelta(hours=1)
    db.session.commit()


def test_close_expired_refunds_an_all_or_nothing_project_below_goal(
        make_open_project, make_donor, pledge, app, ledger_clean):
    project = make_open_project(goal_minor=10_000)
    a, b = make_donor(), make_donor()
    paid = [pledge(a, project, "30"), pledge(b, project, "20")]
    unpaid = pledge(b, project, "5", provider="manual")
    _past(project)
    result = app.test_cli_runner().invoke(args=["projects", "close-expired"])
    assert "close-expired: 1 expired" in result.output, result.output
    db.session.expire_all()
    assert [p.status for p in paid] == ["refunded", "refunded"]
    assert unpaid.status == "cancelled"
    assert (project.state, project.raised_minor) == ("expired", 0)
    assert ledger.balance(ledger.donor_account(a.id, "EUR")) == 0
    assert ledger.project_totals(project.id)["refunded"] == 5_000
    assert ledger_clean() == []

    again = app.test_cli_runner().invoke(args=["projects", "close-expired"])
    assert "nothing to do" in again.output
    count = db.session.scalar(select(func.count()).select_from(LedgerTransaction))
    assert count == 4  # two contributions, two refunds

    # A second refund of the same contribution is refused by the database itself.
    refund = paid[0].refund
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(LedgerTransaction(kind="refund", reference="refund:again",
                                         reverses_id=refund.reverses_id, project_id=project.id))
    db.session.rollback()
    check = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert check.exit_code == 0 and "every invariant holds" in check.output


def test_close_expired_keeps_what_was_raised(make_open_project, make_donor, pledge, app):
    project = make_open_project(goal_minor=10_000, funding_model="keep_what_you_raise")
    donor = make_donor()
    kept = pledge(donor, project, "30")
    unpaid = pledge(donor, project, "5", provider="manual")
    _past(project)
    services.settle_project(project)
    db.session.commit()
    db.session.expire_all()
    assert (kept.status, unpaid.status) == ("confirmed", "cancelled")
    assert (project.state, project.raised_minor) == ("funded", 3_000)
    assert ledger.project_totals(project.id)["refunded"] == 0


def test_cancelling_after_a_release_refunds_the_rest_pro_rata(
        make_open_project, make_donor, make_objective, make_user, pledge, ledger_clean):
    project = make_open_project(goal_minor=1_000)
    a, b = make_donor(), make_donor()
    pa, pb = pledge(a, project, "7"), pledge(b, project, "3")
    objective = make_objective(project, tranche_minor=500, status="verified")
    services.release_tranche(make_user(), objective)
    project.state = "cancelled"
    services.refund_project(make_user(), project)
    db.session.commit()
    db.session.expire_all()
    assert (pa.refunded_minor, pb.refunded_minor) == (350, 150)
    assert (project.raised_minor, project.released_minor) == (500, 500)
    assert ledger.project_totals(project.id)["balance"] == 0
    assert ledger_clean() == []
    assert services.refund_project(None, project)["refunded"] == 0


def test_pro_rata_splits_whole_units():
    assert services.pro_rata(100, [300, 300, 300]) == [34, 33, 33]
    assert services.pro_rata(2, [1, 1, 1]) == [1, 1, 0]
    assert services.pro_rata(50, [10, 20]) == [10, 20]  # never more than was given
    assert services.pro_rata(10, [7, 3]) == [7, 3]
    assert services.pro_rata(0, [7, 3]) == [0, 0]
    assert sum(services.pro_rata(999, [333, 333, 334, 1])) == 999


def test_ledger_check_catches_a_tampered_raised_column(make_open_project, make_donor, pledge, app):
    project = make_open_project(goal_minor=10_000)
    pledge(make_donor(), project, "10")
    db.session.execute(Project.__table__.update().values(raised_minor=9_000))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    assert "raised_minor 9000 but unpaid pledges + contributions - refunds = 1000" in result.output


def test_releases_and_entries_are_recorded(make_open_project, make_donor, make_objective, make_user, pledge):
    project = make_open_project(goal_minor=1_000)
    pledge(make_donor(), project, "10")
    objective = make_objective(project, tranche_minor=400, status="verified")
    services.release_tranche(make_user(), objective)
    db.session.commit()
    kinds = db.session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.id)).all()
    assert kinds == [TransactionKind.CONTRIBUTION, TransactionKind.RELEASE]
    assert db.session.scalar(select(func.sum(LedgerEntry.amount_minor))) == 0
    assert db.session.scalar(select(TrancheRelease.amount_minor)) == 400


def test_close_expired_refunds_a_cancelled_project_left_holding_money(make_open_project, make_donor, pledge,
                                                                      app, ledger_clean):
    project = make_open_project(goal_minor=10_000, funding_model="keep_what_you_raise")
    paid = pledge(make_donor(), project, "30")
    project.state = "cancelled"  # cancelled without settling (e.g. by an older release)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["projects", "close-expired"])
    assert "close-expired: 1 refunded" in result.output
    db.session.expire_all()
    assert (paid.status, paid.refunded_minor, project.raised_minor) == ("refunded", 3_000, 0)
    assert ledger_clean() == []


def test_a_pledge_is_one_insert_returning_every_column(app, make_project, make_donor, pledge):
    """The Core insert path (database.with_defaults/returning_all/as_loaded) costs no query per
    pledge: one INSERT of the pledge, RETURNING every column, and no SELECT of the new row."""
    from sqlalchemy import event

    from marketplace.sponsorship.models import Pledge

    project = make_project(state="open", goal_minor=100_000)
    donor = make_donor()
    pledge(donor, project, "1")  # warm the caches (accounts, statements)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        made = pledge(donor, project, "2")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    table = Pledge.__table__.name
    # On PostgreSQL the INSERT is a CTE of the statement that reserves the room.
    inserts = [s[s.index(f"INSERT INTO {table} "):] for s in statements if f"INSERT INTO {table} " in s]
    assert len(inserts) == 1
    returned = inserts[0].partition("RETURNING")[2].partition(") SELECT ")[0]
    assert all(column.name in returned for column in Pledge.__table__.columns)
    assert not [s for s in statements if s.startswith("SELECT") and f"FROM {table} " in f"{s} "]
    assert made.amount_minor == 200 and made.created_at is not None


def test_ledger_check_fails_on_a_project_whose_state_disagrees_with_its_sums(make_open_project, make_donor,
                                                                              pledge, app):
    """A fully paid project left "open" (what concurrent receipts did before the row lock) and a
    funded one that holds less than its goal are both reported, and the command exits 1."""
    from sqlalchemy import update

    from marketplace.projects.models import Project

    paid = make_open_project(goal_minor=1_000)
    pledge(make_donor(), paid, "10")  # instant: received, the project becomes funded
    short = make_open_project(goal_minor=5_000)
    pledge(make_donor(), short, "10")
    db.session.execute(update(Project).where(Project.id == paid.id).values(state="open"))
    db.session.execute(update(Project).where(Project.id == short.id).values(state="funded"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    assert f"project {paid.slug} is open but has received 1000 of its goal 1000" in result.output
    assert f"project {short.slug} is funded but holds 1000 of its goal 5000" in result.output
