"""Project and event life cycle, budgets, performance objectives and progress reports.

States: draft → pending_review → open → funded → completed, or cancelled / expired.
Money moves only through marketplace.ledger / marketplace.sponsorship; this module never
writes raised_minor or released_minor.
"""

import math
from datetime import datetime

import pycountry
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from marketplace import policy
from marketplace.accounts import permissions as perm
from marketplace.accounts.models import Organization, User
from marketplace.accounts.services import record_audit
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.i18n import is_country
from marketplace.knowledge.models import THEMES, Practice
from marketplace.ledger.money import format_minor, parse_amount
from marketplace.notifications.services import notify
from marketplace.projects import signals
from marketplace.projects.models import (
    STATE_LABELS,
    BudgetLine,
    FundingModel,
    Objective,
    ObjectiveStatus,
    ProgressReport,
    ProgressValue,
    Project,
    ProjectCountry,
    ProjectKind,
    ProjectState,
    ProjectTheme,
)
from marketplace.slugs import unique_slug
from marketplace.text import is_web_url, render_markdown

MAX_MINOR = 10**15  # far above any real grant, far below BigInteger's limit
EDITABLE_STATES = (ProjectState.DRAFT, ProjectState.PENDING_REVIEW, ProjectState.OPEN,
                   ProjectState.FUNDED)
PLANNING_STATES = (ProjectState.DRAFT, ProjectState.PENDING_REVIEW)
# The states in which the ledger releases tranches, per funding model (all or nothing: once funded).
RELEASABLE = {
    FundingModel.ALL_OR_NOTHING.value: {ProjectState.FUNDED.value, ProjectState.COMPLETED.value},
    FundingModel.KEEP_WHAT_YOU_RAISE.value: {ProjectState.OPEN.value, ProjectState.FUNDED.value,
                                             ProjectState.COMPLETED.value},
}
REPORTING_STATES = (ProjectState.OPEN, ProjectState.FUNDED, ProjectState.COMPLETED)
MONEY_FIELDS = ("currency", "goal_minor", "funding_model")


# --- money input ----------------------------------------------------------------------------


def is_currency(code: str | None) -> bool:
    return bool(code) and pycountry.currencies.get(alpha_3=code.upper()) is not None


def parse_money(field: str, text: str | None, currency: str, locale: str = "en") -> int:
    """Parse an amount typed by a person (numbers as in `locale`) into minor units; InvalidInput
    on `field` if bad."""
    if not is_currency(currency):
        raise InvalidInput("currency", _("Choose a currency."))
    return parse_amount(text, currency.upper(), field, locale)


# --- proposing and editing -------------------------------------------------------------------


def _check_fields(fields: dict) -> None:
    if fields.get("kind", ProjectKind.PROJECT) not in set(ProjectKind):
        raise InvalidInput("kind", _("Choose a project or an event."))
    if "currency" in fields and not is_currency(fields["currency"]):
        raise InvalidInput("currency", _("Choose a currency."))
    if "funding_model" in fields and fields["funding_model"] not in set(FundingModel):
        raise InvalidInput("funding_model", _("Choose a funding model."))
    goal = fields.get("goal_minor")
    if goal is not None and not 0 < goal <= MAX_MINOR:
        raise InvalidInput("goal", _("The goal must be more than zero."))
    for code in fields.get("countries") or ():
        if not is_country(code):
            raise InvalidInput("countries", _("Choose countries from the list."))
    for theme in fields.get("themes") or ():
        if theme not in THEMES:
            raise InvalidInput("themes", _("Choose themes from the list."))
    deadline = fields.get("deadline")
    if deadline is not None and deadline <= utcnow() and "deadline_unchanged" not in fields:
        raise InvalidInput("deadline", _("The deadline must be in the future."))
    _check_event(fields)


def _check_event(fields: dict) -> None:
    if fields.get("kind") != ProjectKind.EVENT:
        return
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts is None:
        raise InvalidInput("starts_at", _("An event needs a start date."))
    if ends is not None and ends < starts:
        raise InvalidInput("ends_at", _("The event cannot end before it starts."))
    if not fields.get("is_online") and not (fields.get("place") or "").strip():
        raise InvalidInput("place", _("Give a place, or mark the event as online."))


def _check_host(project: Project, fields: dict) -> None:
    """A host must be a fiscal host; it changes only while no money has been promised."""
    if "host_id" not in fields or fields["host_id"] == project.host_id:
        return
    host_id = fields["host_id"]
    if host_id is not None:
        host = db.session.get(Organization, host_id)
        if host is None or not host.is_fiscal_host:
            raise InvalidInput("host", _("Choose one of the fiscal hosts listed."))
    if project.raised_minor:
        raise InvalidInput("host", _("The host cannot change once donors have pledged."))


def _apply(project: Project, fields: dict) -> None:
    _check_host(project, fields)
    simple = ("title", "summary", "kind", "currency", "goal_minor", "funding_model", "deadline",
              "organization_id", "community_id", "host_id", "starts_at", "ends_at", "place", "is_online")
    for key in simple:
        if key in fields:
            setattr(project, key, fields[key])
    if project.currency:
        project.currency = project.currency.upper()
    if "description" in fields:
        project.description_source = fields["description"] or ""
        project.description_html = render_markdown(project.description_source)
    if "countries" in fields:
        project.country_links = [ProjectCountry(country=c.upper())
                                 for c in dict.fromkeys(fields["countries"])]
    if "themes" in fields:
        project.theme_links = [ProjectTheme(theme=t) for t in dict.fromkeys(fields["themes"])]
    if "practice_ids" in fields:
        project.practices = _published_practices(fields["practice_ids"])


def _published_practices(ids) -> list[Practice]:
    """Published or archived practices only: a project's readers may not see drafts."""
    ids = list(dict.fromkeys(ids or []))
    found = {p.id: p for p in db.session.scalars(
        select(Practice).where(Practice.id.in_(ids), policy.public_clause("practice", Practice)))}
    if len(found) != len(ids):
        raise InvalidInput("practices", _("Only published practices can be linked."))
    return [found[i] for i in ids]


def propose_project(owner: User, **fields) -> Project:
    """Create a draft; fields as in update_project, plus `title`, `currency`, `goal_minor`."""
    fields.setdefault("kind", ProjectKind.PROJECT.value)
    fields.setdefault("funding_model", FundingModel.ALL_OR_NOTHING.value)
    _check_fields(fields)
    if not (fields.get("title") or "").strip():
        raise InvalidInput("title", _("Give the project a title."))
    project = Project(owner_id=owner.id, slug=unique_slug(Project, fields["title"]),
                      state=ProjectState.DRAFT.value, raised_minor=0, released_minor=0)
    _apply(project, fields)
    db.session.add(project)
    db.session.flush()
    return project


def update_project(project: Project, **fields) -> None:
    """Edit by an owner; goal, currency and funding model are locked once money is pledged."""
    if project.state not in EDITABLE_STATES:
        raise Conflict(_("A %(state)s project can no longer be edited.",
                         state=project.state_label.lower()))
    if project.has_pledges:
        for key in MONEY_FIELDS:
            if key in fields and fields[key] != getattr(project, key):
                field = "goal" if key == "goal_minor" else key
                raise InvalidInput(field, _("Locked: donors have already pledged to this "
                                            "project."))
    if "deadline" in fields and fields["deadline"] == project.deadline:
        fields["deadline_unchanged"] = True
    _check_fields({"kind": project.kind, **fields})
    _apply(project, fields)
    db.session.flush()


def submit_for_review(project: Project) -> None:
    if project.state != ProjectState.DRAFT:
        raise Conflict(_("Only a draft can be submitted for review."))
    _check_ready(project)
    project.state = ProjectState.PENDING_REVIEW.value
    project.review_note = ""
    db.session.flush()


def _check_ready(project: Project) -> None:
    if not project.objectives:
        raise InvalidInput(None, _("Add at least one performance objective first."))
    if not project.goal_minor or project.goal_minor <= 0:
        raise InvalidInput(None, _("Set a funding goal first."))
    if project.deadline is None or project.deadline <= utcnow():
        raise InvalidInput(None, _("Set a deadline in the future first."))


def approve_project(moderator: User, project: Project) -> None:
    if not moderator.is_moderator:
        raise PermissionDenied(_("Only moderators approve projects."))
    if project.state != ProjectState.PENDING_REVIEW:
        raise Conflict(_("Only a project pending review can be approved."))
    _check_ready(project)
    project.state = ProjectState.OPEN.value
    project.approved_by_id = moderator.id
    project.approved_at = utcnow()
    record_audit("project.approve", moderator, None, None, project_id=project.id)
    _notify_owner(moderator, project, _l("%(title)s is approved and open for pledges.",
                                         title=project.title))
    db.session.flush()


def reject_project(moderator: User, project: Project, reason: str) -> None:
    """Send a project back to its owner as a draft, with the moderator's reason."""
    if not moderator.is_moderator:
        raise PermissionDenied(_("Only moderators review projects."))
    if project.state != ProjectState.PENDING_REVIEW:
        raise Conflict(_("Only a project pending review can be sent back."))
    if not reason.strip():
        raise InvalidInput("reason", _("Tell the owner what to change."))
    project.state = ProjectState.DRAFT.value
    project.review_note = reason.strip()
    record_audit("project.reject", moderator, None, None, project_id=project.id, reason=reason)
    _notify_owner(moderator, project, _l("%(title)s was sent back: %(reason)s",
                                         title=project.title, reason=project.review_note))
    db.session.flush()


def _notify_owner(moderator: User, project: Project, message: str) -> None:
    notify(project.owner, "moderation", message, project_path(project), actor=moderator)


# --- budget ----------------------------------------------------------------------------------


def add_budget_line(project: Project, item: str, amount_minor: int) -> BudgetLine:
    _require_planning(project, _("The budget is fixed once the project is open."))
    if not item.strip():
        raise InvalidInput("item", _("Describe the budget item."))
    if amount_minor <= 0:
        raise InvalidInput("amount", _("The amount must be more than zero."))
    position = max((line.position for line in project.budget_lines), default=0) + 1
    line = BudgetLine(item=item.strip(), amount_minor=amount_minor, position=position)
    project.budget_lines.append(line)
    db.session.flush()
    return line


def remove_budget_line(project: Project, line: BudgetLine) -> None:
    _require_planning(project, _("The budget is fixed once the project is open."))
    project.budget_lines.remove(line)
    db.session.flush()


def budget_warning(project: Project) -> str | None:
    if project.budget_lines and project.budget_total_minor != project.goal_minor:
        return _("The budget lines do not add up to the funding goal.")
    return None


def _require_planning(project: Project, message: str) -> None:
    if project.state not in PLANNING_STATES:
        raise Conflict(message)


# --- objectives ------------------------------------------------------------------------------

OBJECTIVE_FIELDS = ("title", "indicator", "unit", "baseline", "target", "due_at",
                    "tranche_minor")


def _check_objective(project: Project, fields: dict, objective: Objective | None) -> None:
    if not (fields.get("title") or "").strip():
        raise InvalidInput("title", _("Give the objective a title."))
    if not (fields.get("indicator") or "").strip():
        raise InvalidInput("indicator", _("Name the indicator you will measure."))
    for key in ("baseline", "target"):
        if fields.get(key) is None or not math.isfinite(fields[key]):
            raise InvalidInput(key, _("Enter a number."))
    if fields["target"] == fields["baseline"]:
        raise InvalidInput("target", _("The target must differ from the baseline."))
    tranche = fields.get("tranche_minor") or 0
    if tranche < 0:
        raise InvalidInput("tranche", _("The tranche cannot be negative."))
    others = sum(o.tranche_minor for o in project.objectives if o is not objective)
    if others + tranche > project.goal_minor:
        raise InvalidInput("tranche", _("The tranches together cannot exceed the funding goal."))


def add_objective(project: Project, **fields) -> Objective:
    """Fields: title, indicator, unit, baseline, target (floats), due_at, tranche_minor."""
    _require_planning(project, _("Objectives are fixed once the project is open."))
    _check_objective(project, fields, None)
    objective = Objective(status=ObjectiveStatus.ON_TRACK.value,
                          **{k: fields.get(k) for k in OBJECTIVE_FIELDS})
    objective.tranche_minor = objective.tranche_minor or 0
    project.objectives.append(objective)
    db.session.flush()
    return objective


def update_objective(objective: Objective, **fields) -> None:
    project = objective.project
    _require_planning(project, _("Objectives are fixed once the project is open."))
    _check_objective(project, fields, objective)
    for key in OBJECTIVE_FIELDS:
        if key in fields:
            setattr(objective, key, fields[key] if key != "tranche_minor" else fields[key] or 0)
    db.session.flush()


def delete_objective(objective: Objective) -> None:
    project = objective.project
    _require_planning(project, _("Objectives are fixed once the project is open."))
    project.objectives.remove(objective)
    db.session.flush()


def latest_value(objective: Objective) -> ProgressValue | None:
    """The most recent reported value (objective.values must be loaded with their reports)."""
    values = [v for v in objective.values if v.report is not None]
    return max(values, key=lambda v: (v.report.created_at, v.id), default=None)


def objective_status(objective: Objective, latest: float | None, now: datetime) -> str:
    """achieved when the latest actual reaches the target in the right direction (a target above
    the baseline means higher is better); missed when past due and not achieved."""
    if objective.status == ObjectiveStatus.VERIFIED:
        return ObjectiveStatus.VERIFIED.value
    if latest is not None:
        reached = latest >= objective.target if objective.higher_is_better else (
            latest <= objective.target)
        if reached:
            return ObjectiveStatus.ACHIEVED.value
    if objective.due_at < now:
        return ObjectiveStatus.MISSED.value
    return ObjectiveStatus.ON_TRACK.value


def current_status(objective: Objective, now: datetime | None = None) -> str:
    value = latest_value(objective)
    return objective_status(objective, value.actual if value else None, now or utcnow())


def display_status(objective: Objective, now: datetime | None = None) -> str:
    """What a reader sees: an objective of an expired or cancelled project that was not achieved
    is "not reached" or "stopped", never "on track"."""
    status = current_status(objective, now)
    if status in (ObjectiveStatus.ON_TRACK, ObjectiveStatus.MISSED):
        if objective.project.state == ProjectState.EXPIRED:
            return ObjectiveStatus.NOT_REACHED.value
        if objective.project.state == ProjectState.CANCELLED:
            return ObjectiveStatus.STOPPED.value
    return status


def refresh_statuses(project: Project) -> None:
    now = utcnow()
    for objective in project.objectives:
        objective.status = current_status(objective, now)


# --- progress reports ------------------------------------------------------------------------


def post_progress_report(author: User, project: Project, body: str,
                         values: dict[int, tuple[float, str]]) -> ProgressReport:
    """values: objective id -> (actual, evidence URL); objectives left out are not measured."""
    if project.state not in REPORTING_STATES:
        raise Conflict(_("Progress reports start once the project is open."))
    if not body.strip() and not values:
        raise InvalidInput("body", _("Write what happened, or report at least one value."))
    objectives = {o.id: o for o in project.objectives}
    report = ProgressReport(project_id=project.id, author_id=author.id, body_source=body,
                            body_html=render_markdown(body), created_at=utcnow())
    for objective_id, (actual, evidence_url) in values.items():
        if objective_id not in objectives:
            raise InvalidInput(None, _("This objective is not part of the project."))
        if not math.isfinite(actual):
            raise InvalidInput(f"actual_{objective_id}", _("Enter a number."))
        if evidence_url and not is_web_url(evidence_url):
            raise InvalidInput(f"evidence_{objective_id}", _("Evidence links start with https://."))
    with db.session.no_autoflush:
        project.reports.append(report)
        for objective_id, (actual, evidence_url) in values.items():
            report.values.append(ProgressValue(objective=objectives[objective_id], actual=actual,
                                               evidence_url=evidence_url or ""))
    db.session.flush()
    refresh_statuses(project)
    signals.send_required(signals.report_added, project, author=author, report=report)  # donors told
    db.session.flush()
    return report


def project_path(project: Project) -> str:
    """The project page's path; services also run from the CLI, outside any request."""
    return f"/projects/{project.slug}"


# --- verification, completion, cancellation --------------------------------------------------


def verify_objective(reviewer: User, objective: Objective) -> None:
    """Mark an achieved objective verified, then release its tranche through the ledger."""
    project = objective.project
    if project.state not in (ProjectState.OPEN, ProjectState.FUNDED, ProjectState.COMPLETED):
        raise Conflict(_("Objectives are verified once the project is funded."))
    status = current_status(objective)
    if status == ObjectiveStatus.VERIFIED:
        raise Conflict(_("This objective is already verified."))
    if status != ObjectiveStatus.ACHIEVED:
        raise Conflict(_("Only an objective whose reported value reaches its target can be "
                         "verified."))
    objective.status = ObjectiveStatus.VERIFIED.value
    objective.verified_by_id = reviewer.id
    objective.verified_at = utcnow()
    record_audit("objective.verify", reviewer, None, None, objective_id=objective.id)
    db.session.flush()
    _release_tranche(reviewer, objective)


def can_release(project: Project) -> bool:
    """Whether the ledger releases tranches in the project's state (all or nothing: once funded)."""
    return project.state in RELEASABLE[project.funding_model]


def release_blocker(project: Project) -> str | None:
    """Why a reviewer cannot verify and release yet, in words; None when they can."""
    if can_release(project):
        return None
    if project.state in (ProjectState.DRAFT, ProjectState.PENDING_REVIEW):
        return _("Objectives are verified once the project is open and funded.")
    if project.state == ProjectState.OPEN:
        return _("This project is all or nothing: its tranches can be released once it is fully funded "
                 "(%(raised)s of %(goal)s pledged so far).",
                 raised=format_minor(project.raised_minor, project.currency),
                 goal=format_minor(project.goal_minor, project.currency))
    return _("The project is closed (%(state)s): no more tranches are released.",
             state=STATE_LABELS.get(project.state, project.state))  # type: ignore[call-overload]


def _release_tranche(reviewer: User, objective: Objective) -> None:
    if not objective.tranche_minor:
        return
    signals.send_required(signals.objective_verified, objective, reviewer=reviewer)


def complete_project(project: Project) -> None:
    """Close a funded project; tranches of objectives never verified are refunded."""
    if project.state != ProjectState.FUNDED and not (
        project.state == ProjectState.OPEN
        and project.funding_model == FundingModel.KEEP_WHAT_YOU_RAISE
        and project.deadline is not None and project.deadline < utcnow()
    ):
        raise Conflict(_("Only a funded project can be marked completed."))
    now = utcnow()
    pending = [o for o in project.objectives
               if current_status(o, now) != ObjectiveStatus.VERIFIED and o.due_at >= now]
    if pending:
        raise Conflict(_("Every objective must be verified or past its due date first."))
    project.state = ProjectState.COMPLETED.value
    db.session.flush()
    _refund_unreleased(None, project)


def cancel_project(actor: User, project: Project, reason: str = "") -> None:
    """Cancel and refund every unreleased contribution through the ledger."""
    closed = (ProjectState.COMPLETED.value, ProjectState.CANCELLED.value, ProjectState.EXPIRED.value)
    # A guarded transition: of two cancels at once (owner and moderator), one wins, one is told.
    moved = db.session.execute(
        update(Project).where(Project.id == project.id, Project.state.not_in(closed))
        .values(state=ProjectState.CANCELLED.value).execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(project)
        if project.state == ProjectState.CANCELLED:
            raise Conflict(_("This project was already cancelled."))
        raise Conflict(_("This project is already closed."))
    db.session.refresh(project)
    record_audit("project.cancel", actor, None, None, project_id=project.id, reason=reason)
    db.session.flush()
    _refund_unreleased(actor, project)


def _refund_unreleased(actor: User | None, project: Project) -> None:
    """Money not released on an objective goes back to the donors (the ledger splits it)."""
    if project.raised_minor > project.released_minor:
        signals.send_required(signals.project_closed, project, actor=actor)


def appoint_reviewer(appointer: User, project: Project, candidate: User | None) -> None:
    """Raises PermissionDenied if `appointer` may not appoint, InvalidInput if `candidate` may
    not review (unknown, inactive, the appointer or the owner)."""
    if not perm.can_appoint_reviewers(appointer, project):
        raise PermissionDenied(_("Only donors whose contribution was received appoint reviewers."))
    if candidate is None or not perm.can_be_appointed_reviewer(appointer, project, candidate):
        raise InvalidInput("email", _("No eligible account uses this email address."))
    set_reviewers(project, [*project.reviewers, candidate])
    record_audit("project.reviewer_appointed", appointer, candidate, None, project_id=project.id)


def set_reviewers(project: Project, users: list[User]) -> None:
    project.reviewers = list(dict.fromkeys(users))
    db.session.flush()



def reports_query(project: Project):
    """The project's progress reports, newest first, with their author and reported values."""
    return (select(ProgressReport).where(ProgressReport.project_id == project.id)
            .options(joinedload(ProgressReport.author),
                     selectinload(ProgressReport.values).joinedload(ProgressValue.objective))
            .order_by(ProgressReport.created_at.desc(), ProgressReport.id.desc()))


def report_count(project: Project) -> int:
    return db.session.scalar(select(func.count()).where(ProgressReport.project_id == project.id)) or 0
