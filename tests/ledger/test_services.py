import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.check import ledger_problems as problems
from marketplace.ledger.models import (
    AccountKind,
    LedgerEntry,
    LedgerIsAppendOnly,
    LedgerTransaction,
    TransactionKind,
)


@pytest.fixture
def accounts(app, make_user):
    donor = make_user()
    return ledger.donor_account(donor.id, "EUR"), ledger.escrow_account(99, "EUR")


def test_a_balanced_group_moves_money(accounts):
    donor, escrow = accounts
    group = ledger.post(TransactionKind.CONTRIBUTION, [(donor, -500), (escrow, 500)], reference="t:1")
    db.session.commit()
    assert [e.amount_minor for e in group.entries] == [-500, 500]
    assert ledger.balance(donor) == -500
    assert ledger.balance(escrow) == 500
    assert problems() == []


@pytest.mark.parametrize("legs", [[-500, 499], [500], [0, 0], [-5.0, 5.0]])
def test_unbalanced_or_odd_groups_are_refused(accounts, legs):
    pairs = list(zip(accounts, legs, strict=False))
    with pytest.raises(ledger.UnbalancedGroup):
        ledger.post(TransactionKind.CONTRIBUTION, pairs, reference="t:bad")
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0


def test_groups_balance_per_currency(app, make_user):
    user = make_user()
    eur, usd = ledger.donor_account(user.id, "EUR"), ledger.escrow_account(1, "USD")
    with pytest.raises(ledger.UnbalancedGroup):
        ledger.post(TransactionKind.CONTRIBUTION, [(eur, -500), (usd, 500)], reference="t:fx")


def test_the_same_reference_posts_once(accounts):
    donor, escrow = accounts
    ledger.post(TransactionKind.CONTRIBUTION, [(donor, -1), (escrow, 1)], reference="t:once")
    db.session.commit()
    with pytest.raises(IntegrityError):
        ledger.post(TransactionKind.CONTRIBUTION, [(donor, -1), (escrow, 1)], reference="t:once")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


def test_entries_and_groups_cannot_be_changed_or_deleted(accounts):
    donor, escrow = accounts
    group = ledger.post(TransactionKind.CONTRIBUTION, [(donor, -500), (escrow, 500)], reference="t:2")
    db.session.commit()
    group.entries[0].amount_minor = -400
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(group.entries[0])
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    group.memo = "changed"
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(update(LedgerEntry).values(amount_minor=1))
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(delete(LedgerTransaction))
    db.session.rollback()
    assert [e.amount_minor for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))] == [-500, 500]


def test_check_reports_a_group_that_does_not_balance(accounts):
    """Rows written behind the service's back (raw SQL) are caught by the check."""
    donor, escrow = accounts
    ledger.post(TransactionKind.CONTRIBUTION, [(donor, -500), (escrow, 500)], reference="t:3")
    db.session.flush()
    tx_id = db.session.scalar(select(LedgerTransaction.id))
    db.session.execute(LedgerEntry.__table__.insert().values(
        transaction_id=tx_id, account_id=donor.id, amount_minor=7, currency="EUR"))
    db.session.execute(LedgerTransaction.__table__.insert().values(
        kind="refund", reference="t:empty", created_at=LedgerTransaction.__table__.c.created_at.default.arg(None)))
    found = problems()
    assert f"group {tx_id} does not sum to zero in EUR: 7" in found
    assert any("has no entries" in line for line in found)
    assert any("does not reverse a contribution" in line for line in found)


def test_the_full_check_runs_the_invariants_sponsorship_registered(make_open_project):
    """The ledger never imports sponsorship; create_app registers its checks with the ledger's."""
    from marketplace.ledger.check import problems as every_problem

    project = make_open_project(goal_minor=10_000)
    project.raised_minor = 700  # no pledge, no contribution: written behind the services' back
    db.session.commit()
    assert problems() == []  # the ledger's own books are sound
    assert f"project {project.slug}: raised_minor 700 but unpaid pledges + contributions - refunds = 0" \
        in every_problem()


# --- post_to: accounts named by owner, found by key in the INSERT itself ---

@pytest.mark.parametrize("existing", [(), ("donor",), ("escrow",), ("donor", "escrow")])
def test_post_to_writes_every_leg_whether_or_not_its_account_exists(app, make_user, existing):
    user = make_user()
    refs = {"donor": ledger.AccountRef(AccountKind.DONOR, "EUR", user_id=user.id),
            "escrow": ledger.AccountRef(AccountKind.PROJECT_ESCROW, "EUR", project_id=7)}
    for name in existing:
        refs[name].get()
    db.session.commit()
    group, _ = ledger.post_to(TransactionKind.CONTRIBUTION, [(refs["donor"], -250), (refs["escrow"], 250)],
                           reference="t:keyed", project_id=7, memo="m")
    db.session.commit()
    assert (group.kind, group.reference, group.project_id, group.memo) == ("contribution", "t:keyed", 7, "m")
    donor, escrow = refs["donor"].get(), refs["escrow"].get()
    assert sorted((e.account_id, e.amount_minor, e.currency) for e in group.entries) == sorted(
        [(donor.id, -250, "EUR"), (escrow.id, 250, "EUR")])
    assert (ledger.balance(donor), ledger.balance(escrow)) == (-250, 250)
    assert problems() == []


def test_post_to_refuses_an_unbalanced_group_before_writing(app, make_user):
    ref = ledger.AccountRef(AccountKind.DONOR, "EUR", user_id=make_user().id)
    other = ledger.AccountRef(AccountKind.PROJECT_ESCROW, "USD", project_id=1)
    with pytest.raises(ledger.UnbalancedGroup):
        ledger.post_to(TransactionKind.CONTRIBUTION, [(ref, -5), (other, 5)], reference="t:fx")
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0
