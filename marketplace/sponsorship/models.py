"""Donor profiles, pledges and tranche releases. Money moves only through marketplace.ledger."""

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization, User
from marketplace.database import TimestampMixin, utcnow
from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.money import format_minor
from marketplace.projects.models import Objective, Project


class DonorKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    ORGANIZATION = "organization"


DONOR_KIND_LABELS = {
    DonorKind.INDIVIDUAL: _l("An individual"),
    DonorKind.ORGANIZATION: _l("On behalf of an organization"),
}


class PledgeStatus(enum.StrEnum):
    PLEDGED = "pledged"  # promised; the money has not arrived yet (it still reserves room)
    CONFIRMED = "confirmed"  # the money arrived: a contribution in the ledger
    REFUNDED = "refunded"  # the unreleased part went back to the donor
    CANCELLED = "cancelled"  # never paid; its room was given back


PLEDGE_STATUS_LABELS = {
    PledgeStatus.PLEDGED: _l("Pledged, awaiting payment"),
    PledgeStatus.CONFIRMED: _l("Contribution received"),
    PledgeStatus.REFUNDED: _l("Refunded"),
    PledgeStatus.CANCELLED: _l("Cancelled"),
}


class DonorProfile(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=DonorKind.INDIVIDUAL.value)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    is_anonymous_by_default: Mapped[bool] = mapped_column(default=False)
    focus_themes: Mapped[list] = mapped_column(JSON, default=list)
    focus_countries: Mapped[list] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    tax_identifier: Mapped[str] = mapped_column(String(60), default="")

    user: Mapped[User] = relationship()
    organization: Mapped[Organization | None] = relationship()

    def __repr__(self) -> str:
        return f"<DonorProfile user={self.user_id} {self.kind}>"

    @property
    def giving_name(self) -> str:
        """The name on receipts and (unless anonymous) on public pages."""
        if self.kind == DonorKind.ORGANIZATION and self.organization is not None:
            return self.organization.name
        return self.user.display_name


class Pledge(db.Model):
    __table_args__ = (
        UniqueConstraint("donor_id", "idempotency_key"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('pledged', 'confirmed', 'refunded', 'cancelled')", name="status_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    message: Mapped[str] = mapped_column(Text, default="")
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    # The giving name at pledge time ("" when anonymous), so receipts never change afterwards.
    donor_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=PledgeStatus.PLEDGED.value, index=True)
    provider: Mapped[str] = mapped_column(String(20), default="manual")
    provider_reference: Mapped[str] = mapped_column(String(120), default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), unique=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), unique=True)
    closed_at: Mapped[datetime | None]
    # When its donor was last reminded how to pay it (`marketplace projects remind-unpaid`).
    reminded_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    donor: Mapped[User] = relationship(foreign_keys=[donor_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    contribution: Mapped[LedgerTransaction | None] = relationship(foreign_keys=[contribution_id])
    refund: Mapped[LedgerTransaction | None] = relationship(foreign_keys=[refund_id])

    def __repr__(self) -> str:
        return f"<Pledge {self.id} project={self.project_id} {self.amount_minor} {self.status}>"

    @property
    def status_label(self) -> str:
        if self.status == PledgeStatus.REFUNDED and 0 < self.refunded_minor < self.amount_minor:
            return str(_l("Partly refunded: %(refunded)s of %(amount)s",
                          refunded=format_minor(self.refunded_minor, self.currency),
                          amount=format_minor(self.amount_minor, self.currency)))
        return str(PLEDGE_STATUS_LABELS.get(self.status, self.status))

    @property
    def public_name(self) -> str:
        return self.donor_name if not self.is_anonymous and self.donor_name else str(_l("Anonymous"))

    @property
    def refunded_minor(self) -> int:
        if self.refund is None:
            return 0
        return sum(e.amount_minor for e in self.refund.entries if e.amount_minor > 0)


class TrancheRelease(db.Model):
    """An objective's tranche, released once (the unique objective_id says so to the database)."""

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(Text, default="")
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    objective: Mapped[Objective] = relationship()
    released_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TrancheRelease objective={self.objective_id} {self.amount_minor}>"


class BankLineStatus(enum.StrEnum):
    UNMATCHED = "unmatched"  # no awaiting pledge fits it (yet)
    PROPOSED = "proposed"  # a pledge fits it by reference, or by amount and payer
    CONFIRMED = "confirmed"  # a treasurer confirmed it: the pledge's money is recorded
    IGNORED = "ignored"  # not a donation (a fee, an unrelated transfer)


BANK_LINE_STATUS_LABELS = {
    BankLineStatus.UNMATCHED: _l("Not matched"),
    BankLineStatus.PROPOSED: _l("Proposed match"),
    BankLineStatus.CONFIRMED: _l("Recorded"),
    BankLineStatus.IGNORED: _l("Ignored"),
}


class BankStatement(db.Model):
    """One uploaded bank statement file of a fiscal host (its lines are kept once each)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    file_format: Mapped[str] = mapped_column(String(10))
    line_count: Mapped[int] = mapped_column(default=0)  # lines in the file
    new_line_count: Mapped[int] = mapped_column(default=0)  # lines not seen in an earlier upload
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    host: Mapped[Organization] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<BankStatement {self.id} host={self.host_id} {self.file_format}>"


class BankLine(db.Model):
    """One credit on a host's bank account. Unique per host by the bank's transaction id, so the
    same statement uploaded twice adds nothing."""

    __table_args__ = (
        UniqueConstraint("host_id", "bank_transaction_id"),
        CheckConstraint(
            "status IN ('unmatched', 'proposed', 'confirmed', 'ignored')", name="status_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id", ondelete="CASCADE"), index=True)
    bank_transaction_id: Mapped[str] = mapped_column(String(120))
    booked_on: Mapped[date]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payer: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=BankLineStatus.UNMATCHED.value, index=True)
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledge.id", ondelete="SET NULL"), index=True)
    match_reason: Mapped[str] = mapped_column(String(20), default="")  # reference | amount_payer | by_hand
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]

    statement: Mapped[BankStatement] = relationship()
    pledge: Mapped[Pledge | None] = relationship()

    def __repr__(self) -> str:
        return f"<BankLine {self.id} {self.bank_transaction_id} {self.amount_minor} {self.status}>"

    @property
    def status_label(self) -> str:
        return str(BANK_LINE_STATUS_LABELS.get(self.status, self.status))
