"""Double-entry ledger: accounts, balanced transaction groups and their entries (append-only).

Sign convention: an entry's `amount_minor` is what flows INTO its account (negative: out of it).
A contribution moves money out of the donor's account into the project's escrow, so a donor's
balance is minus what they have given (net of refunds); escrow holds what is not yet released.
"""

import enum
from datetime import datetime

from sqlalchemy import DDL, BigInteger, CheckConstraint, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.database import utcnow
from marketplace.extensions import db


class AccountKind(enum.StrEnum):
    DONOR = "donor"  # owner: user_id
    PROJECT_ESCROW = "project_escrow"  # owner: project_id; contributions not yet released
    PROJECT_RELEASED = "project_released"  # owner: project_id; tranches paid out to the project
    EXTERNAL = "external"  # no owner; the world outside (kept for corrections and providers)


class TransactionKind(enum.StrEnum):
    CONTRIBUTION = "contribution"  # donor -> project escrow
    RELEASE = "release"  # project escrow -> project released (one objective's tranche)
    REFUND = "refund"  # project escrow -> donor; reverses a contribution


class LedgerAccount(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # "donor:12:EUR", "project_escrow:5:EUR", "external::EUR": one account per owner and currency.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(index=True)  # no FK: ledger outlives projects
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.key}>"


class LedgerTransaction(db.Model):
    """One balanced money movement (a group of entries that sum to zero per currency)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # What caused it, unique so a retry cannot post twice: "pledge:7", "objective:3", "refund:7".
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    # A refund points at the contribution it undoes; unique, so at most one refund each.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), unique=True)
    project_id: Mapped[int | None] = mapped_column(index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    entries: Mapped[list["LedgerEntry"]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id"
    )
    reverses: Mapped["LedgerTransaction | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<LedgerTransaction {self.id} {self.kind} {self.reference}>"


class LedgerEntry(db.Model):
    __table_args__ = (CheckConstraint("amount_minor <> 0", name="nonzero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[LedgerAccount] = relationship()

    def __repr__(self) -> str:
        return f"<LedgerEntry tx={self.transaction_id} acct={self.account_id} {self.amount_minor}>"


# --- append-only ------------------------------------------------------------------------------


class LedgerIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a posted ledger row."""


_APPEND_ONLY = (LedgerTransaction, LedgerEntry)


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, _APPEND_ONLY):
            raise LedgerIsAppendOnly(f"{obj!r} cannot be deleted: post a reversing group instead")
    for obj in session.dirty:
        if isinstance(obj, _APPEND_ONLY) and session.is_modified(obj, include_collections=False):
            raise LedgerIsAppendOnly(f"{obj!r} cannot be changed: post a reversing group instead")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_ledger_changes(state):
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in {"ledger_transaction", "ledger_entry"}:
        raise LedgerIsAppendOnly(f"bulk {'UPDATE' if state.is_update else 'DELETE'} on {table.name}")


# On PostgreSQL the database itself refuses UPDATE and DELETE (TRUNCATE stays possible for tests).
_PG_FUNCTION = DDL(
    "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'ledger rows are append-only (%% on %%)', TG_OP, TG_TABLE_NAME; "
    "END; $$ LANGUAGE plpgsql"
)
for _table in ("ledger_transaction", "ledger_entry"):
    _target = LedgerTransaction.__table__ if _table == "ledger_transaction" else LedgerEntry.__table__
    event.listen(_target, "after_create", _PG_FUNCTION.execute_if(dialect="postgresql"))
    event.listen(
        _target,
        "after_create",
        DDL(
            f"CREATE TRIGGER {_table}_append_only BEFORE UPDATE OR DELETE ON {_table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        ).execute_if(dialect="postgresql"),
    )
