"""Invariants tying pledges and project columns to the ledger; registered with the ledger's check
(`register_checks`, at app creation), so `marketplace ledger check` runs them after its own."""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.ledger import check as ledger_check
from marketplace.ledger.models import LedgerTransaction, TransactionKind
from marketplace.ledger.services import project_totals
from marketplace.projects.models import FundingModel, Project, ProjectState
from marketplace.sponsorship.models import Pledge, PledgeStatus


def register_checks() -> None:
    ledger_check.register("sponsorship", problems)


def problems() -> list[str]:
    found: list[str] = []
    pledges = list(db.session.scalars(
        select(Pledge).options(selectinload(Pledge.contribution).selectinload(LedgerTransaction.entries),
                               selectinload(Pledge.refund))))
    for pledge in pledges:
        found.extend(_pledge_problems(pledge))
    found.extend(_raised_matches(pledges))
    found.extend(_states_match_sums(pledges))
    found.extend(_every_contribution_has_a_pledge())
    found.extend(_project_columns())
    return found


def _project_columns() -> list[str]:
    found = []
    for project in db.session.scalars(select(Project).order_by(Project.id)):
        totals = project_totals(project.id)
        if project.released_minor != totals["released"]:
            found.append(f"project {project.slug}: released_minor {project.released_minor} "
                         f"but the ledger released {totals['released']}")
        if project.raised_minor > project.goal_minor:
            found.append(f"project {project.slug}: raised {project.raised_minor} is over its goal "
                         f"{project.goal_minor}")
    return found


def _pledge_problems(pledge: Pledge) -> list[str]:
    found = []
    paid = pledge.status in (PledgeStatus.CONFIRMED, PledgeStatus.REFUNDED)
    if paid != (pledge.contribution is not None):
        found.append(f"pledge {pledge.id} is {pledge.status} but its contribution is "
                     f"{'missing' if paid else 'present'}")
    if pledge.contribution is not None:
        into_escrow = sum(e.amount_minor for e in pledge.contribution.entries if e.amount_minor > 0)
        if into_escrow != pledge.amount_minor:
            found.append(f"pledge {pledge.id} of {pledge.amount_minor} has a contribution of {into_escrow}")
    if (pledge.status == PledgeStatus.REFUNDED) != (pledge.refund is not None):
        found.append(f"pledge {pledge.id} is {pledge.status} and its refund is "
                     f"{'present' if pledge.refund else 'missing'}")
    if pledge.refund is not None and pledge.refund.reverses_id != pledge.contribution_id:
        found.append(f"pledge {pledge.id}: refund {pledge.refund_id} does not reverse its contribution")
    return found


def _raised_matches(pledges: list[Pledge]) -> list[str]:
    unpaid: dict[int, int] = defaultdict(int)
    for pledge in pledges:
        if pledge.status == PledgeStatus.PLEDGED:
            unpaid[pledge.project_id] += pledge.amount_minor
    found = []
    for project in db.session.scalars(select(Project).order_by(Project.id)):
        totals = project_totals(project.id)
        expected = unpaid[project.id] + totals["contributed"] - totals["refunded"]
        if project.raised_minor != expected:
            found.append(f"project {project.slug}: raised_minor {project.raised_minor} but unpaid "
                         f"pledges + contributions - refunds = {expected}")
    return found


def _every_contribution_has_a_pledge() -> list[str]:
    linked = select(Pledge.contribution_id).where(Pledge.contribution_id.is_not(None))
    rows = db.session.scalars(select(LedgerTransaction.id).where(
        LedgerTransaction.kind == TransactionKind.CONTRIBUTION.value,
        LedgerTransaction.id.not_in(linked))).all()
    return [f"contribution {tx} belongs to no pledge" for tx in rows]


def _states_match_sums(pledges: list[Pledge]) -> list[str]:
    """A project's state agrees with its money: an all-or-nothing project whose received money
    reaches its goal is not still open; a funded one holds its goal (or, keeping what it raised,
    some money); an expired one holds nothing and has no unpaid pledge."""
    unpaid = {p.project_id for p in pledges if p.status == PledgeStatus.PLEDGED}
    found = []
    for project in db.session.scalars(select(Project).where(Project.state.in_(
            [ProjectState.OPEN.value, ProjectState.FUNDED.value, ProjectState.EXPIRED.value])).order_by(Project.id)):
        totals = project_totals(project.id)
        received = totals["contributed"] - totals["refunded"]  # released money stays received
        aon = project.funding_model == FundingModel.ALL_OR_NOTHING
        if project.state == ProjectState.OPEN and received >= project.goal_minor:
            found.append(f"project {project.slug} is open but has received {received} of its goal "
                         f"{project.goal_minor}: it should be funded")
        elif project.state == ProjectState.FUNDED and (received < project.goal_minor if aon else received <= 0):
            found.append(f"project {project.slug} is funded but holds {received} of its goal {project.goal_minor}")
        elif project.state == ProjectState.EXPIRED and (totals["balance"] or project.id in unpaid):
            found.append(f"project {project.slug} expired but still holds {totals['balance']} in escrow"
                         f"{' and unpaid pledges' if project.id in unpaid else ''}")
    return found
