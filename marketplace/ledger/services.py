"""Posting balanced groups, reading balances. No request, no commit: callers own the transaction."""

from collections import defaultdict
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Integer, String, bindparam, case, func, insert, literal_column, select, true
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
_ACCOUNT = LedgerAccount.__table__
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
    _check_balanced([(account.currency, amount) for account, amount in legs])
    db.session.flush()  # Core statements do not autoflush: pending accounts go first
    row = _group_row(kind, reference, project_id, memo, actor_id, reverses.id if reverses is not None else None)
    row = db.session.execute(_INSERT_GROUP, row).mappings().one()  # type: ignore[assignment]
    db.session.execute(_INSERT_ENTRIES, [
        {"transaction_id": row["id"], "account_id": account.id, "amount_minor": amount,
         "currency": account.currency} for account, amount in legs])
    return as_loaded(db.session, LedgerTransaction, row)


class AccountRef(NamedTuple):
    """An account named by its owner and currency (post_to): nothing to load before posting."""

    kind: AccountKind
    currency: str
    user_id: int | None = None
    project_id: int | None = None

    @property
    def key(self) -> str:
        return account_key(self.kind, self.currency, self.user_id, self.project_id)

    def get(self) -> LedgerAccount:
        return get_account(self.kind, self.currency, user_id=self.user_id, project_id=self.project_id)


class Link(NamedTuple):
    """What post_to also records of the new group, in the same statement on PostgreSQL: `update`
    takes the group id (a SQL expression) and returns an UPDATE of the row the group pays for
    (e.g. the pledge it confirms); `params` are that UPDATE's other bind parameters, not named like
    a column of ledger_transaction (SQLAlchemy would read one as that column's value). `update`
    must be a module-level function: the statement is built once per function."""

    update: Callable[[Any], Any]
    params: dict[str, Any]


def post_to(kind: TransactionKind, legs: list[tuple[AccountRef, int]], *, reference: str,
            project_id: int | None = None, memo: str = "", actor_id: int | None = None,
            link: Link | None = None) -> tuple[LedgerTransaction, int]:
    """post() for accounts named by owner (the pledge path): the legs are an INSERT … SELECT that
    finds each account by its key, so the accounts are not read first, and on PostgreSQL the group,
    its legs and the `link` UPDATE are one statement. A leg whose account does not exist yet (a
    donor's first money, a project's first contribution) is written after the account is created.
    Returns the group and how many rows the link UPDATE changed (0 without a link)."""
    _check_balanced([(ref.currency, amount) for ref, amount in legs])
    db.session.flush()  # Core statements do not autoflush
    group = _group_row(kind, reference, project_id, memo, actor_id)
    params: dict[str, Any] = {f"key_{i}": ref.key for i, (ref, _) in enumerate(legs)}
    params.update({f"amount_{i}": amount for i, (_, amount) in enumerate(legs)})
    linked = 0
    if db.engine.dialect.name == "postgresql":
        statement = _group_with_legs(tuple(group), len(legs), link.update if link else None)
        params.update({f"group_{k}": v for k, v in group.items()})
        row = db.session.execute(statement, {**params, **(link.params if link else {})}).mappings().one()
        written, linked = row["legs"], row["linked"]
    else:
        row = db.session.execute(_INSERT_GROUP, group).mappings().one()
        written = db.session.execute(_legs_by_key(len(legs)),  # type: ignore[attr-defined]
                                     {**params, "transaction_id": row["id"]}).rowcount
        if link is not None:
            linked = db.session.execute(_link_alone(link.update),  # type: ignore[attr-defined]
                                        {**link.params, "group_id": row["id"]}).rowcount
    if written != len(legs):
        _write_missing_legs(row["id"], legs)
    return as_loaded(db.session, LedgerTransaction, row), linked


def _group_row(kind: TransactionKind, reference: str, project_id: int | None, memo: str,
               actor_id: int | None, reverses_id: int | None = None) -> dict:
    """A group's values for its Core INSERT (Python-side defaults included)."""
    return with_defaults(LedgerTransaction, dict(
        kind=kind.value, reference=reference, project_id=project_id, memo=memo, created_by_id=actor_id,
        reverses_id=reverses_id))


def _legs_select(n: int, transaction_id, group=None):
    """SELECT transaction_id, account id, the leg's amount, currency FROM ledger_account WHERE
    key IN (:key_0, … :key_n-1): the legs whose accounts exist (joined to `group`, a one-row CTE)."""
    keys = [bindparam(f"key_{i}", type_=String) for i in range(n)]
    amount = case(*[(_ACCOUNT.c.key == keys[i], bindparam(f"amount_{i}", type_=BigInteger)) for i in range(n)])
    accounts = _ACCOUNT if group is None else group.join(_ACCOUNT, true())
    return (select(transaction_id, _ACCOUNT.c.id, amount, _ACCOUNT.c.currency).select_from(accounts)
            .where(_ACCOUNT.c.key.in_(keys)))


_LEG_COLUMNS = ["transaction_id", "account_id", "amount_minor", "currency"]
# The statements below are built once per shape (functools.cache) and run with parameters.


@cache
def _legs_by_key(n: int):
    return _ENTRY.insert().from_select(_LEG_COLUMNS, _legs_select(n, bindparam("transaction_id", type_=Integer)))


@cache
def _link_alone(link_update: Callable[[Any], Any]):
    """SQLite: the link's UPDATE on its own, the group id bound as group_id."""
    return link_update(bindparam("group_id", type_=Integer))


@cache
def _group_with_legs(group_keys: tuple, n: int, link_update: Callable[[Any], Any] | None):
    """PostgreSQL: WITH g AS (INSERT the group RETURNING *), legs AS (INSERT … SELECT the legs
    FROM g RETURNING id)[, link AS (the link's UPDATE, given g.id, RETURNING 1)] SELECT g.*,
    (SELECT count(*) FROM legs) AS legs, (SELECT count(*) FROM link) AS linked FROM g."""
    # Bound as group_<column>: a parameter named like a column of the link's table would
    # become a SET of that column (SQLAlchemy takes SET values from the parameters).
    g = (insert(_GROUP).values({k: bindparam(f"group_{k}") for k in group_keys})
         .returning(*returning_all(LedgerTransaction)).cte("g"))
    legs_cte = (_ENTRY.insert().from_select(_LEG_COLUMNS, _legs_select(n, g.c.id, g))
                .returning(_ENTRY.c.id).cte("legs"))
    linked: Any = literal_column("0")
    if link_update is not None:
        link_cte = link_update(select(g.c.id).scalar_subquery()).returning(literal_column("1")).cte("link")
        linked = select(func.count()).select_from(link_cte).scalar_subquery()
    return select(*g.c, select(func.count()).select_from(legs_cte).scalar_subquery().label("legs"),
                  linked.label("linked"))


def _write_missing_legs(transaction_id: int, legs: list[tuple[AccountRef, int]]) -> None:
    """The legs post_to could not write because their account did not exist: create it, write them."""
    written = set(db.session.scalars(
        select(LedgerEntry.account_id).where(LedgerEntry.transaction_id == transaction_id)))
    missing = [(account, amount) for account, amount in ((ref.get(), amount) for ref, amount in legs)
               if account.id not in written]
    db.session.flush()
    db.session.execute(_INSERT_ENTRIES, [
        {"transaction_id": transaction_id, "account_id": account.id, "amount_minor": amount,
         "currency": account.currency} for account, amount in missing])


def _check_balanced(legs: list[tuple[str, int]]) -> None:
    """`legs`: (currency, amount) pairs."""
    if len(legs) < 2:
        raise UnbalancedGroup("a group needs at least two legs")
    totals: dict[str, int] = defaultdict(int)
    for currency, amount in legs:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise UnbalancedGroup(f"leg amounts are non-zero ints, got {amount!r}")
        totals[currency] += amount
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
