"""Read-only figures for the donor dashboard: my pledges, releases, outcomes per 1,000 given."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.extensions import db
from marketplace.ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.ledger.money import to_decimal
from marketplace.projects.models import Objective, ObjectiveStatus, ProgressValue
from marketplace.sponsorship.models import Pledge, PledgeStatus, TrancheRelease

FORMULA = _l("(latest reported value − baseline) ÷ money released × 1,000")


@dataclass
class Outcome:
    release: TrancheRelease
    my_share_minor: int
    latest: float | None

    @property
    def objective(self) -> Objective:
        return self.release.objective

    @property
    def change(self) -> float | None:
        return None if self.latest is None else self.latest - self.objective.baseline

    @property
    def per_thousand(self) -> float | None:
        """Indicator change per 1,000 units of the currency released for this objective."""
        released = to_decimal(self.release.amount_minor, self.release.currency)
        if self.change is None or released <= 0:
            return None
        return float(Decimal(str(self.change)) / released * 1000)


def my_pledges(user_id: int) -> list[Pledge]:
    return list(db.session.scalars(
        select(Pledge).where(Pledge.donor_id == user_id)
        .options(joinedload(Pledge.project), selectinload(Pledge.refund).selectinload(LedgerTransaction.entries))
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())))


def _net_given(pledges: list[Pledge]) -> dict[int, int]:
    given: dict[int, int] = defaultdict(int)
    for pledge in pledges:
        if pledge.status in (PledgeStatus.CONFIRMED, PledgeStatus.REFUNDED):
            given[pledge.project_id] += pledge.amount_minor - pledge.refunded_minor
    return given


def _contributed_by_project(project_ids) -> dict[int, int]:
    """Net money received per project (contributions minus refunds), in one query."""
    rows = db.session.execute(
        select(LedgerAccount.project_id, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerAccount.kind == AccountKind.PROJECT_ESCROW.value,
               LedgerAccount.project_id.in_(project_ids),
               LedgerTransaction.kind.in_([TransactionKind.CONTRIBUTION.value, TransactionKind.REFUND.value]))
        .group_by(LedgerAccount.project_id)).all()
    return {pid: int(total) for pid, total in rows}


def _latest_values(objective_ids) -> dict[int, float]:
    latest: dict[int, float] = {}
    rows = db.session.scalars(
        select(ProgressValue).where(ProgressValue.objective_id.in_(objective_ids))
        .options(joinedload(ProgressValue.report)))
    for value in sorted(rows, key=lambda v: (v.report.created_at, v.id)):
        latest[value.objective_id] = value.actual
    return latest


def outcomes(pledges: list[Pledge]) -> list[Outcome]:
    """Every release on projects I gave to, with my pro-rata share and the indicator's change."""
    given = _net_given(pledges)
    if not given:
        return []
    releases = list(db.session.scalars(
        select(TrancheRelease).where(TrancheRelease.project_id.in_(given))
        .options(joinedload(TrancheRelease.objective).joinedload(Objective.project))
        .order_by(TrancheRelease.created_at)))
    totals = _contributed_by_project(given)
    latest = _latest_values([r.objective_id for r in releases])
    return [Outcome(r, r.amount_minor * given[r.project_id] // max(totals.get(r.project_id, 0), 1),
                    latest.get(r.objective_id)) for r in releases]


def objectives_achieved(project_ids) -> int:
    return db.session.scalar(select(func.count()).select_from(Objective).where(
        Objective.project_id.in_(project_ids),
        Objective.status.in_([ObjectiveStatus.ACHIEVED.value, ObjectiveStatus.VERIFIED.value]))) or 0


def totals_by_currency(pledges: list[Pledge]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for pledge in pledges:
        if pledge.status in (PledgeStatus.CONFIRMED, PledgeStatus.REFUNDED):
            totals[pledge.currency] += pledge.amount_minor - pledge.refunded_minor
    return dict(totals)
