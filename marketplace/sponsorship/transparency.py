"""The public money trail of a project: contributions (anonymised where asked), releases,
refunds and balance from the ledger, and objectives with their evidence. Read-only."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.money import plain_minor
from marketplace.ledger.services import project_totals
from marketplace.projects.models import Project
from marketplace.sponsorship.models import Pledge, PledgeStatus, TrancheRelease

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # first in a CSV download: Excel then reads it as UTF-8 (else "Thiès" comes out garbled)


@dataclass
class Row:
    at: datetime
    kind: str  # contribution | release | refund
    who: str  # the donor's public name, or the objective released
    amount_minor: int


@dataclass
class Report:
    totals: dict[str, int]
    rows: list[Row] = field(default_factory=list)

    def of(self, kind: str) -> list[Row]:
        return [r for r in self.rows if r.kind == kind]


def _pledges(project: Project) -> list[Pledge]:
    return list(db.session.scalars(
        select(Pledge).where(Pledge.project_id == project.id, Pledge.contribution_id.is_not(None))
        .options(joinedload(Pledge.contribution),
                 selectinload(Pledge.refund).selectinload(LedgerTransaction.entries))
        .order_by(Pledge.confirmed_at, Pledge.id)
    ))


def public_contributions(project: Project, latest: int) -> tuple[int, list[Pledge]]:
    """How many contributions the project received (and kept), and the `latest` of them, newest
    first, for the project page's sponsors; templates show only `public_name`. The rest are on
    the transparency page."""
    received = (Pledge.project_id == project.id, Pledge.status == PledgeStatus.CONFIRMED.value)
    count = db.session.scalar(select(func.count()).select_from(Pledge).where(*received)) or 0
    rows = db.session.scalars(select(Pledge).where(*received)
                              .order_by(Pledge.confirmed_at.desc(), Pledge.id.desc()).limit(latest))
    return count, list(rows)


def build(project: Project) -> Report:
    report = Report(totals=project_totals(project.id))
    for pledge in _pledges(project):
        report.rows.append(Row(pledge.contribution.created_at, "contribution", pledge.public_name,
                               pledge.amount_minor))
        if pledge.refund is not None:
            report.rows.append(Row(pledge.refund.created_at, "refund", pledge.public_name,
                                   pledge.refunded_minor))
    releases = db.session.scalars(
        select(TrancheRelease).where(TrancheRelease.project_id == project.id)
        .options(joinedload(TrancheRelease.objective))
    )
    for release in releases:
        report.rows.append(Row(release.created_at, "release", release.objective.title,
                               release.amount_minor))
    report.rows.sort(key=lambda r: r.at)
    return report


def csv_cell(value) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ gets a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(project: Project, report: Report) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    kinds = {"contribution": _("contribution"), "release": _("release"), "refund": _("refund")}
    writer.writerow([_("date"), _("type"), _("donor or objective"), _("amount"), _("currency")])
    for row in report.rows:
        writer.writerow([csv_cell(c) for c in (
            row.at.isoformat(timespec="seconds"), kinds[row.kind], row.who,
            plain_minor(row.amount_minor, project.currency), project.currency)])
    totals = {"contributed": _("contributed"), "released": _("released"), "refunded": _("refunded"),
              "balance": _("balance")}
    for key, label in totals.items():
        writer.writerow([csv_cell(c) for c in (
            "", _("total"), label, plain_minor(report.totals[key], project.currency),
            project.currency)])
    return out.getvalue()
