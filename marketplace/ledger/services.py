"""Posting balanced groups, reading balances. No request, no commit: callers own the transaction."""

from collections import defaultdict

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from marketplace.database import as_loaded, returning_all, with_defaults
from marketplace.extensions import db
from marketplace.ledger.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)

_GROUP = LedgerTransaction.__table__
_ENTRY = LedgerEntry.__table__
_ACCOUNTS_BY_KEY = select(LedgerAccount).where(LedgerAccount.key.in_(bindparam("keys", expanding=True)))
_INSERT_GROUP = _GROUP.insert().returning(*returning_all(LedgerTransaction))
# RETURNING makes SQLAlchemy send the legs as one cached multi-row INSERT ("insertmanyvalues").
_INSERT_ENTRIES = _ENTRY.insert().returning(_ENTRY.c.id)


class UnbalancedGroup(ValueError):
    """A programming error: the legs of a group do not sum to zero per currency."""


def account_key(kind: str, currency: str, user_id: int | None = None, project_id: int | None = None) -> str:
    owner = user_id if kind == AccountKind.DONOR else project_id
    return f"{kind}:{owner if owner is not None else ''}:{currency}"


def get_account(kind: AccountKind, currency: str, *, user_id: int | None = None,
                project_id: int | None = None) -> LedgerAccount:
    """The account for this owner and currency, created on first use (safe under races)."""
    key = account_key(kind, currency, user_id, project_id)
    account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            account = LedgerAccount(key=key, kind=kind.value, currency=currency,
                                    user_id=user_id, project_id=project_id)
            db.session.add(account)
    except IntegrityError:  # another request created it between our SELECT and INSERT
        account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))
    return account


def contribution_accounts(user_id: int, project_id: int, currency: str) -> tuple[LedgerAccount, LedgerAccount]:
    """(donor account, project escrow) in one query when both exist (the common case)."""
    keys = [account_key(AccountKind.DONOR, currency, user_id=user_id),
            account_key(AccountKind.PROJECT_ESCROW, currency, project_id=project_id)]
    found = {a.key: a for a in db.session.scalars(_ACCOUNTS_BY_KEY, {"keys": keys})}
    return (found.get(keys[0]) or donor_account(user_id, currency),
            found.get(keys[1]) or escrow_account(project_id, currency))


def donor_account(user_id: int, currency: str) -> LedgerAccount:
    return get_account(AccountKind.DONOR, currency, user_id=user_id)


def escrow_account(project_id: int, currency: str) -> LedgerAccount:
    return get_account(AccountKind.PROJECT_ESCROW, currency, project_id=project_id)


def released_account(project_id: int, currency: str) -> LedgerAccount:
    return get_account(AccountKind.PROJECT_RELEASED, currency, project_id=project_id)


def post(kind: TransactionKind, legs: list[tuple[LedgerAccount, int]], *, reference: str,
         project_id: int | None = None, memo: str = "", actor_id: int | None = None,
         reverses: LedgerTransaction | None = None) -> LedgerTransaction:
    """Post one balanced group. `reference` is unique: posting it twice fails (IntegrityError).

    Callers serialise their own retries (a guarded UPDATE or a row lock) before posting, so the
    unique constraint is the last line of defence, not the control flow. Two INSERTs (the group
    RETURNING its id, then every leg in one statement) without the unit of work: ledger rows are
    never updated, so nothing needs tracking; `entries` loads when read.
    """
    _check_balanced(legs)
    db.session.flush()  # Core statements do not autoflush: pending accounts go first
    row = with_defaults(LedgerTransaction, dict(
        kind=kind.value, reference=reference, project_id=project_id, memo=memo, created_by_id=actor_id,
        reverses_id=reverses.id if reverses is not None else None))
    row = db.session.execute(_INSERT_GROUP, row).mappings().one()  # type: ignore[assignment]
    db.session.execute(_INSERT_ENTRIES, [
        {"transaction_id": row["id"], "account_id": account.id, "amount_minor": amount,
         "currency": account.currency} for account, amount in legs])
    return as_loaded(db.session, LedgerTransaction, row)


def _check_balanced(legs: list[tuple[LedgerAccount, int]]) -> None:
    if len(legs) < 2:
        raise UnbalancedGroup("a group needs at least two legs")
    totals: dict[str, int] = defaultdict(int)
    for account, amount in legs:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise UnbalancedGroup(f"leg amounts are non-zero ints, got {amount!r}")
        totals[account.currency] += amount
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced:
        raise UnbalancedGroup(f"group does not sum to zero: {unbalanced}")


def balance(account: LedgerAccount) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.account_id == account.id
        )
    ))


def find_transaction(reference: str) -> LedgerTransaction | None:
    return db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.reference == reference))


def project_totals(project_id: int) -> dict[str, int]:
    """Money for a project from the ledger: contributed, released, refunded, and escrow balance."""
    kind_of_account = {AccountKind.PROJECT_ESCROW.value, AccountKind.PROJECT_RELEASED.value}
    rows = db.session.execute(
        select(LedgerTransaction.kind, LedgerAccount.kind, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.project_id == project_id, LedgerAccount.kind.in_(kind_of_account))
        .group_by(LedgerTransaction.kind, LedgerAccount.kind)
    ).all()
    sums = {(tx_kind, acct_kind): int(total) for tx_kind, acct_kind, total in rows}
    escrow = AccountKind.PROJECT_ESCROW.value
    totals = {
        "contributed": sums.get((TransactionKind.CONTRIBUTION.value, escrow), 0),
        "released": sums.get((TransactionKind.RELEASE.value, AccountKind.PROJECT_RELEASED.value), 0),
        "refunded": -sums.get((TransactionKind.REFUND.value, escrow), 0),
    }
    totals["balance"] = totals["contributed"] - totals["released"] - totals["refunded"]
    return totals
