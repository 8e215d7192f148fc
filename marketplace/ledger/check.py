"""Invariants of the ledger and of the money columns it feeds; each violation is one line.

The ledger is the lowest money layer: the invariants of what feeds it (pledges, project columns)
are registered here by their own package at app creation (`register`), never imported.
"""

from collections.abc import Callable

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.ledger.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)

Check = Callable[[], list[str]]
_registered: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add a higher layer's invariants to `problems()` (idempotent: one check per name)."""
    _registered[name] = check


def problems() -> list[str]:
    """Every violated ledger invariant, then every registered one, one line each."""
    found = ledger_problems()
    for check in _registered.values():
        found.extend(check())
    return found


def ledger_problems() -> list[str]:
    """The ledger's own invariants only (its groups, entries and accounts)."""
    found: list[str] = []
    for check in (_groups_balance, _entries_match_accounts, _no_empty_groups, _no_orphan_entries,
                  _refunds_are_linked, _no_double_refund, _no_negative_project_accounts):
        found.extend(check())
    return found


def _groups_balance() -> list[str]:
    rows = db.session.execute(
        select(LedgerEntry.transaction_id, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
        .having(func.sum(LedgerEntry.amount_minor) != 0)
    ).all()
    return [f"group {tx} does not sum to zero in {cur}: {total}" for tx, cur, total in rows]


def _entries_match_accounts() -> list[str]:
    rows = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.currency, LedgerAccount.currency)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.currency != LedgerAccount.currency)
    ).all()
    return [f"entry {e} is in {c} but its account is in {a}" for e, c, a in rows]


def _no_empty_groups() -> list[str]:
    rows = db.session.scalars(
        select(LedgerTransaction.id).where(
            ~select(LedgerEntry.id).where(LedgerEntry.transaction_id == LedgerTransaction.id).exists()
        )
    ).all()
    return [f"group {tx} has no entries" for tx in rows]


def _no_orphan_entries() -> list[str]:
    rows = db.session.scalars(
        select(LedgerEntry.id)
        .outerjoin(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.id.is_(None))
    ).all()
    return [f"entry {e} belongs to no group" for e in rows]


def _refunds_are_linked() -> list[str]:
    original = LedgerTransaction.__table__.alias("original")
    rows = db.session.execute(
        select(LedgerTransaction.id, original.c.kind)
        .outerjoin(original, original.c.id == LedgerTransaction.reverses_id)
        .where(LedgerTransaction.kind == TransactionKind.REFUND.value)
    ).all()
    return [f"refund {tx} does not reverse a contribution" for tx, kind in rows
            if kind != TransactionKind.CONTRIBUTION.value]


def _no_double_refund() -> list[str]:
    rows = db.session.execute(
        select(LedgerTransaction.reverses_id, func.count())
        .where(LedgerTransaction.reverses_id.is_not(None))
        .group_by(LedgerTransaction.reverses_id).having(func.count() > 1)
    ).all()
    return [f"contribution {tx} is refunded {n} times" for tx, n in rows]


def _no_negative_project_accounts() -> list[str]:
    rows = db.session.execute(
        select(LedgerAccount.key, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.in_([AccountKind.PROJECT_ESCROW.value, AccountKind.PROJECT_RELEASED.value]))
        .group_by(LedgerAccount.key).having(func.sum(LedgerEntry.amount_minor) < 0)
    ).all()
    return [f"account {key} is negative: {total}" for key, total in rows]

