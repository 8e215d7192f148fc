"""Projects and events: discover, page, propose/edit, objectives, reports, review, transparency."""

from collections.abc import Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from marketplace import worldmap
from marketplace.accounts import permissions as perm
from marketplace.accounts.models import Organization
from marketplace.accounts.services import get_user_by_email
from marketplace.communities.models import Community, CommunityMember
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.i18n import country_name
from marketplace.knowledge.models import THEMES, Practice
from marketplace.knowledge.models import Status as PracticeStatus
from marketplace.ledger.money import input_minor
from marketplace.ledger.services import project_totals
from marketplace.paging import page_of
from marketplace.projects import ranking, services
from marketplace.projects.forms import (
    BudgetLineForm,
    CancelForm,
    ObjectiveForm,
    ProjectForm,
    ReviewerForm,
    ReviewForm,
    as_utc,
    end_of_day,
    progress_report_form,
)
from marketplace.projects.models import (
    FUNDING_MODEL_LABELS,
    KIND_LABELS,
    OBJECTIVE_STATUS_LABELS,
    Objective,
    ProgressValue,
    Project,
    ProjectCountry,
    ProjectState,
)
from marketplace.web import act, back_to_page, confirm_page, page_arg, paginate, request_locale, require

bp = Blueprint("projects", __name__, url_prefix="/projects")
PER_PAGE = 20


def _load(slug: str) -> Project:
    """The project, or 404 for those who may not see it (drafts stay invisible: no IDOR)."""
    project = db.session.scalar(
        select(Project).where(Project.slug == slug).options(
            joinedload(Project.owner), joinedload(Project.organization),
            joinedload(Project.community),
            selectinload(Project.country_links), selectinload(Project.theme_links),
            selectinload(Project.practices), selectinload(Project.budget_lines),
            selectinload(Project.reviewers),
            selectinload(Project.objectives).selectinload(Objective.values)
            .joinedload(ProgressValue.report),

        )
    )
    if project is None or not perm.can_view_project(current_user, project):
        abort(404)
    return project


def _url(project: Project, endpoint: str = ".show") -> str:
    return url_for(endpoint, slug=project.slug)


# --- discover --------------------------------------------------------------------------------


PROJECT_STATUS_FILTER_LABELS = {
    "open": _l("Open for pledges"),
    "funded": _l("Funded"),
    "in_progress": _l("In progress (money released)"),
    "completed": _l("Completed"),
    "expired": _l("Expired or cancelled"),
}


def _filters() -> dict:
    args = request.args
    status = args.get("status", "")
    return {"theme": args.get("theme", ""), "country": args.get("country", "").upper(),
            "funding_model": args.get("funding_model", ""), "kind": args.get("kind", ""),
            "status": status if status in ranking.STATUS_FILTERS else ""}


@bp.route("/")
def index():
    filters = _filters()
    projects, scores = ranking.discover(filters)
    return render_template(
        "projects/index.html", page=page_of(projects, page_arg(), PER_PAGE), scores=scores,
        filters=filters, themes=THEMES, kinds=KIND_LABELS, statuses=PROJECT_STATUS_FILTER_LABELS,
        funding_models=FUNDING_MODEL_LABELS, formula=ranking.FORMULA,
        formula_parts=ranking.FORMULA_PARTS,
        countries=sorted(db.session.scalars(
            select(ProjectCountry.country).join(Project)
            .where(ranking.STATUS_FILTERS[filters["status"]]).distinct()), key=country_name),
        world=worldmap.render("project", ranking.country_counts, filters["country"]),
    )


@bp.route("/mine")
@login_required
def mine():
    query = (select(Project).where(Project.owner_id == current_user.id)
             .options(selectinload(Project.country_links))  # the cards name the countries
             .order_by(Project.created_at.desc(), Project.id.desc()))
    return render_template("projects/mine.html", page=paginate(query, PER_PAGE))


# --- project page ----------------------------------------------------------------------------


# What the layers above add to the project page (sponsorship: the public list of sponsors):
# `(viewer, project) -> dict`, registered at app creation.
_page_parts: dict[str, Callable[[object, Project], dict]] = {}


def register_page_part(name: str, part: Callable[[object, Project], dict]) -> None:
    _page_parts[name] = part


def load_project(slug: str) -> Project:
    """The project page's loader (404 for those who may not see it), for routes added from above."""
    return _load(slug)


@bp.route("/<slug>")
def show(slug):
    project = _load(slug)
    now = utcnow()
    parts: dict = dict(sponsors=[], sponsor_count=0)
    for part in _page_parts.values():
        parts.update(part(current_user, project))
    return render_template(
        "projects/show.html", project=project, **parts,
        reports=db.session.scalars(services.reports_query(project).limit(REPORTS_SHOWN)).all(),
        report_count=services.report_count(project),
        statuses={o.id: services.display_status(o, now) for o in project.objectives},
        latest={o.id: services.latest_value(o) for o in project.objectives},
        budget_warning=services.budget_warning(project),
        can_edit=perm.can_edit_project(current_user, project),
        can_review=perm.can_review_objectives(current_user, project)
        and services.can_release(project),
        release_blocker=services.release_blocker(project)
        if perm.can_review_objectives(current_user, project) else None,
        totals=project_totals(project.id),
        can_cancel=perm.can_cancel_project(current_user, project),
        can_approve=perm.can_approve_project(current_user),
        can_appoint=perm.can_appoint_reviewers(current_user, project),
        status_labels=OBJECTIVE_STATUS_LABELS,
        pledge_template="sponsorship/_pledge_form.html",
        discuss_template="forums/_discuss_link.html",
    )


REPORTS_SHOWN = 3  # the latest, on the project page; every report is on /<slug>/reports
REPORTS_PER_PAGE = 10


@bp.route("/<slug>/reports")
def reports(slug):
    project = _load(slug)
    return render_template("projects/reports.html", project=project,
                           reports=paginate(services.reports_query(project), REPORTS_PER_PAGE))


# --- propose and edit ------------------------------------------------------------------------


def _project_form(project: Project | None = None) -> ProjectForm:
    practices = db.session.execute(
        select(Practice.id, Practice.title).where(Practice.status == PracticeStatus.PUBLISHED)
        .order_by(Practice.title)
    ).all()
    orgs = [(m.organization_id, m.organization.name) for m in current_user.memberships]
    hosts = db.session.execute(select(Organization.id, Organization.name)
                               .where(Organization.is_fiscal_host).order_by(Organization.name)).all()
    form = ProjectForm(obj=project, practice_choices=[tuple(r) for r in practices],
                       organization_choices=orgs, community_choices=_my_communities(),
                       host_choices=[tuple(r) for r in hosts])
    if project is not None and request.method == "GET":
        form.description.data = project.description_source
        form.goal.data = input_minor(project.goal_minor, project.currency, request_locale())
        form.deadline.data = project.deadline.date() if project.deadline else None
        form.countries.data = project.countries
        form.themes.data = project.themes
        form.practices.data = [p.id for p in project.practices]
        form.organization.data = project.organization_id or 0
        form.community.data = project.community_id or 0
        form.host.data = project.host_id or 0
    return form


def _my_communities() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Community.id, Community.name).join(CommunityMember)
        .where(CommunityMember.user_id == current_user.id).order_by(Community.name))
    return [(r.id, r.name) for r in rows]


def _form_fields(form: ProjectForm) -> dict:
    """Form data -> service keyword arguments; money parsed here so errors land on the field."""
    org_ids = {m.organization_id for m in current_user.memberships}
    org_id = form.organization.data if form.organization.data in org_ids else None
    community_ids = {c for c, _name in _my_communities()}
    community_id = form.community.data if form.community.data in community_ids else None
    is_event = form.kind.data == "event"
    return dict(
        title=form.title.data.strip(), summary=form.summary.data.strip(), kind=form.kind.data,
        description=form.description.data or "", currency=form.currency.data,
        goal_minor=services.parse_money("goal", form.goal.data, form.currency.data, request_locale()),
        funding_model=form.funding_model.data, deadline=end_of_day(form.deadline.data),
        countries=form.countries.data or [], themes=form.themes.data or [],
        practice_ids=form.practices.data or [], organization_id=org_id,
        community_id=community_id, host_id=form.host.data or None,
        starts_at=as_utc(form.starts_at.data) if is_event else None,
        ends_at=as_utc(form.ends_at.data) if is_event else None,
        place=(form.place.data or "").strip() if is_event else "",
        is_online=bool(form.is_online.data) if is_event else False,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(perm.can_propose_project(current_user))
    form = _project_form()
    if not form.validate_on_submit():
        return render_template("projects/form.html", form=form, project=None), (
            400 if form.errors else 200)
    return act(lambda: services.propose_project(current_user, **_form_fields(form)),
               success=_("Your draft is saved. Add objectives and a budget, then submit it for review."),
               to=lambda project: _url(project, ".objectives"), form=form,
               template="projects/form.html", context={"project": None})


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    project = _load(slug)
    require(perm.can_edit_project(current_user, project))
    form = _project_form(project)
    if not form.validate_on_submit():
        return render_template("projects/form.html", form=form, project=project), (
            400 if form.errors else 200)
    return act(lambda: services.update_project(project, **_form_fields(form)),
               success=_("The project is saved."), to=_url(project), form=form,
               template="projects/form.html", context=lambda: {"project": _load(slug)})


def _transition(slug: str, allowed, action, message: str):
    """A POST-only state change (CSRF checked globally); domain errors are flashed."""
    project = _load(slug)
    require(allowed(project))
    return act(lambda: action(project), success=message, to=_url(project))


@bp.route("/<slug>/submit", methods=["POST"])
@login_required
def submit(slug):
    return _transition(slug, lambda p: perm.can_edit_project(current_user, p),
                       services.submit_for_review,
                       _("Submitted: a moderator will review it before it opens."))


@bp.route("/<slug>/approve", methods=["POST"])
@login_required
def approve(slug):
    return _transition(slug, lambda p: perm.can_approve_project(current_user),
                       lambda p: services.approve_project(current_user, p),
                       _("Approved: the project is open for pledges."))


@bp.route("/<slug>/complete", methods=["POST"])
@login_required
def complete(slug):
    return _transition(slug, lambda p: perm.can_edit_project(current_user, p),
                       services.complete_project,
                       _("The project is completed; money not released is refunded to donors."))


@bp.route("/<slug>/reject", methods=["POST"])
@login_required
def reject(slug):
    project = _load(slug)
    require(perm.can_approve_project(current_user))
    form = ReviewForm()
    back = back_to_page(".review_queue")  # the queue's page the project was on
    if not form.validate_on_submit():
        return redirect(back)
    return act(lambda: services.reject_project(current_user, project, form.reason.data or ""),
               success=_("Sent back to the owner with your reason."), to=back)


@bp.route("/<slug>/cancel", methods=["GET", "POST"])
@login_required
def cancel(slug):
    """GET: the confirmation page with the reason field (works without JavaScript); POST: cancel."""
    project = _load(slug)
    require(perm.can_cancel_project(current_user, project))
    if request.method == "GET":
        return confirm_page(_("Cancel %(title)s?", title=project.title),
                            _("Cancel and refund unreleased money"), _url(project),
                            detail=_("Contributions not yet released to the project are refunded. "
                                     "This cannot be undone."),
                            reason_label=_("Why is the project cancelled?"))
    form = CancelForm()
    if not form.validate_on_submit():
        return redirect(_url(project))
    return act(lambda: services.cancel_project(current_user, project, form.reason.data or ""),
               success=_("The project is cancelled; unreleased contributions are refunded."),
               to=_url(project))


# --- budget and objectives -------------------------------------------------------------------


def _objectives_page(project, objective_form=None, budget_form=None, status=200):
    return render_template(
        "projects/objectives.html", project=project,
        objective_form=objective_form or ObjectiveForm(formdata=None),
        budget_form=budget_form or BudgetLineForm(formdata=None),
        budget_warning=services.budget_warning(project),
    ), status


@bp.route("/<slug>/objectives")
@login_required
def objectives(slug):
    project = _load(slug)
    require(perm.can_edit_project(current_user, project))
    return _objectives_page(project)


def _objective_fields(form: ObjectiveForm, project: Project) -> dict:
    tranche = form.tranche.data.strip() if form.tranche.data else ""
    return dict(
        title=form.title.data.strip(), indicator=form.indicator.data.strip(),
        unit=(form.unit.data or "").strip(), baseline=form.baseline.data,
        target=form.target.data, due_at=end_of_day(form.due_at.data),
        tranche_minor=services.parse_money("tranche", tranche, project.currency, request_locale())
        if tranche else 0,
    )


@bp.route("/<slug>/objectives", methods=["POST"])
@login_required
def add_objective(slug):
    project = _load(slug)
    require(perm.can_edit_project(current_user, project))
    form = ObjectiveForm()
    if not form.validate_on_submit():
        return _objectives_page(project, objective_form=form, status=400)
    return act(lambda: services.add_objective(project, **_objective_fields(form, project)),
               success=_("The objective is added."), to=_url(project, ".objectives"), form=form,
               template="projects/objectives.html", context=_objectives_context(slug, "objective_form", form))


def _objectives_context(slug: str, name: str, form):
    """The objectives page's context after a domain error: `form` (with the error) as `name`."""
    def context() -> dict:
        project = _load(slug)
        return {"project": project, "objective_form": ObjectiveForm(formdata=None),
                "budget_form": BudgetLineForm(formdata=None),
                "budget_warning": services.budget_warning(project), name: form}
    return context


def _objective(project: Project, objective_id: int) -> Objective:
    objective = next((o for o in project.objectives if o.id == objective_id), None)
    if objective is None:
        abort(404)
    return objective


@bp.route("/<slug>/objectives/<int:objective_id>/edit", methods=["GET", "POST"])
@login_required
def edit_objective(slug, objective_id):
    project = _load(slug)
    require(perm.can_edit_project(current_user, project))
    objective = _objective(project, objective_id)
    form = ObjectiveForm(obj=objective)
    if request.method == "GET":
        form.due_at.data = objective.due_at.date()
        form.tranche.data = (input_minor(objective.tranche_minor, project.currency, request_locale())
                             if objective.tranche_minor else "")
    context = dict(project=project, objective=objective)
    if not form.validate_on_submit():
        return render_template("projects/objective_form.html", form=form, **context), (
            400 if form.errors else 200)
    return act(lambda: services.update_objective(objective, **_objective_fields(form, project)),
               success=_("The objective is saved."), to=_url(project, ".objectives"), form=form,
               template="projects/objective_form.html", context=context)


@bp.route("/<slug>/objectives/<int:objective_id>/delete", methods=["GET", "POST"])
@login_required
def delete_objective(slug, objective_id):
    """GET: the confirmation page (works without JavaScript); POST: remove."""
    if request.method == "GET":
        project = _load(slug)
        require(perm.can_edit_project(current_user, project))
        objective = _objective(project, objective_id)
        return confirm_page(_("Remove the objective “%(title)s”?", title=objective.title),
                            _("Remove the objective"), url_for(".objectives", slug=slug))
    return _transition(
        slug, lambda p: perm.can_edit_project(current_user, p),
        lambda p: services.delete_objective(_objective(p, objective_id)),
        _("The objective is removed."))


@bp.route("/<slug>/budget", methods=["POST"])
@login_required
def add_budget_line(slug):
    project = _load(slug)
    require(perm.can_edit_project(current_user, project))
    form = BudgetLineForm()
    if not form.validate_on_submit():
        return _objectives_page(project, budget_form=form, status=400)

    def add():
        amount = services.parse_money("amount", form.amount.data, project.currency, request_locale())
        services.add_budget_line(project, form.item.data, amount)

    return act(add, success=_("The budget line is added."), to=_url(project, ".objectives"),
               form=form, template="projects/objectives.html",
               context=_objectives_context(slug, "budget_form", form))


@bp.route("/<slug>/budget/<int:line_id>/delete", methods=["GET", "POST"])
@login_required
def delete_budget_line(slug, line_id):
    """GET: the confirmation page (works without JavaScript); POST: remove."""
    def line_of(project):
        line = next((b for b in project.budget_lines if b.id == line_id), None)
        if line is None:
            abort(404)
        return line

    def remove(project):
        services.remove_budget_line(project, line_of(project))

    if request.method == "GET":
        project = _load(slug)
        require(perm.can_edit_project(current_user, project))
        return confirm_page(_("Remove the budget line “%(item)s”?", item=line_of(project).item),
                            _("Remove the budget line"), url_for(".objectives", slug=slug))

    return _transition(slug, lambda p: perm.can_edit_project(current_user, p), remove,
                       _("The budget line is removed."))


@bp.route("/<slug>/reviewers", methods=["POST"])
@login_required
def add_reviewer(slug):
    project = _load(slug)
    require(perm.can_appoint_reviewers(current_user, project))
    form = ReviewerForm()
    user = get_user_by_email(form.email.data or "") if form.validate_on_submit() else None
    return act(lambda: services.appoint_reviewer(current_user, project, user),
               success=lambda _none: _("%(name)s can now verify objectives.", name=user.display_name),
               to=_url(project))


# --- progress reports and verification -------------------------------------------------------


@bp.route("/<slug>/reports/new", methods=["GET", "POST"])
@login_required
def new_report(slug):
    project = _load(slug)
    require(perm.can_edit_project(current_user, project))
    form = progress_report_form(project.objectives)
    if not form.validate_on_submit():
        return render_template("projects/report_form.html", form=form, project=project), (
            400 if form.errors else 200)
    values = {
        o.id: (getattr(form, f"actual_{o.id}").data, getattr(form, f"evidence_{o.id}").data)
        for o in project.objectives if getattr(form, f"actual_{o.id}").data is not None
    }
    return act(lambda: services.post_progress_report(current_user, project, form.body.data or "", values),
               success=_("The progress report is published; sponsors are notified."),
               to=_url(project), form=form, template="projects/report_form.html",
               context=lambda: {"project": _load(slug)})


@bp.route("/<slug>/objectives/<int:objective_id>/verify", methods=["POST"])
@login_required
def verify(slug, objective_id):
    return _transition(
        slug, lambda p: perm.can_review_objectives(current_user, p),
        lambda p: services.verify_objective(current_user, _objective(p, objective_id)),
        _("The objective is verified and its tranche released."))


# --- moderation ------------------------------------------------------------------------------


REVIEW_PER_PAGE = 20


@bp.route("/review")
@login_required
def review_queue():
    require(perm.can_approve_project(current_user))
    query = (select(Project).where(Project.state == ProjectState.PENDING_REVIEW)
             .options(joinedload(Project.owner), selectinload(Project.objectives))
             .order_by(Project.updated_at, Project.id))  # a queue: the longest waiting first
    return render_template("projects/review.html", page=paginate(query, REVIEW_PER_PAGE))
