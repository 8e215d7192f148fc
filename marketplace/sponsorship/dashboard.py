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


PER_PAGE = 20
_GIVEN = (PledgeStatus.CONFIRMED.value, PledgeStatus.REFUNDED.value)  # money that arrived


def my_pledges_query(user_id: int, status: str | None = None):
    """The donor's pledges, newest first (one `status` only, if given), with what the dashboard
    shows of each: its project, and its refund's legs (Pledge.refunded_minor)."""
    query = (select(Pledge).where(Pledge.donor_id == user_id)
             .options(joinedload(Pledge.project), selectinload(Pledge.refund).selectinload(LedgerTransaction.entries))
             .order_by(Pledge.created_at.desc(), Pledge.id.desc()))
    return query.where(Pledge.status == status) if status else query


def my_pledges(user_id: int) -> list[Pledge]:
    """Every pledge of the donor (the CSV history)."""
    return list(db.session.scalars(my_pledges_query(user_id)))


def status_counts(which) -> dict[str, int]:
    """How many of the pledges `which` (a condition: a donor's, a project's) are in each status,
    for a pledge list's filter."""
    return dict(db.session.execute(select(Pledge.status, func.count()).where(which).group_by(Pledge.status)).all())


def project_pledges_query(project_id: int, status: str | None = None):
    """A project's pledges for those who record payments: those awaiting payment first, then
    newest first (one `status` only, if given), with their donors."""
    query = (select(Pledge).where(Pledge.project_id == project_id).options(joinedload(Pledge.donor))
             .order_by(Pledge.status != PledgeStatus.PLEDGED.value, Pledge.created_at.desc(), Pledge.id.desc()))
    return query.where(Pledge.status == status) if status else query


def latest_pledges_to(user_id: int, project_id: int, n: int = 3) -> list[Pledge]:
    """The donor's `n` latest pledges to one project."""
    return list(db.session.scalars(select(Pledge).where(Pledge.donor_id == user_id, Pledge.project_id == project_id)
                                   .order_by(Pledge.created_at.desc(), Pledge.id.desc()).limit(n)))


def given_by_project(user_id: int) -> dict[int, tuple[str, int]]:
    """Money the donor gave that arrived, net of what was refunded: {project id: (currency,
    amount)}, summed in the database over all their pledges (not one page of them)."""
    pledged = db.session.execute(
        select(Pledge.project_id, Pledge.currency, func.sum(Pledge.amount_minor))
        .where(Pledge.donor_id == user_id, Pledge.status.in_(_GIVEN))
        .group_by(Pledge.project_id, Pledge.currency))
    refunded = dict(db.session.execute(  # the refund groups' positive legs (Pledge.refunded_minor)
        select(Pledge.project_id, func.sum(LedgerEntry.amount_minor))
        .join(LedgerEntry, LedgerEntry.transaction_id == Pledge.refund_id)
        .where(Pledge.donor_id == user_id, Pledge.status.in_(_GIVEN), LedgerEntry.amount_minor > 0)
        .group_by(Pledge.project_id)).all())
    return {project_id: (currency, int(total) - int(refunded.get(project_id) or 0))
            for project_id, currency, total in pledged}


def supported_projects(user_id: int) -> list[int]:
    """Projects the donor pledged to and did not withdraw from."""
    return list(db.session.scalars(select(Pledge.project_id).distinct().where(
        Pledge.donor_id == user_id, Pledge.status != PledgeStatus.CANCELLED.value)))


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


def outcomes(given_by: dict[int, tuple[str, int]]) -> list[Outcome]:
    """Every release on projects I gave to (given_by_project), with my pro-rata share and the
    indicator's change."""
    given = {project_id: amount for project_id, (_currency, amount) in given_by.items()}
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


def totals_by_currency(given_by: dict[int, tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for currency, amount in given_by.values():
        totals[currency] += amount
    return dict(totals)
