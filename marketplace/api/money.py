"""API: projects and events with objectives and progress reports, and pledges (Idempotency-Key)."""

from datetime import datetime

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import links
from marketplace.accounts.permissions import can_pledge, can_view_pledge, can_view_project
from marketplace.api.auth import require_scope, viewer
from marketplace.api.knowledge import PROBLEMS
from marketplace.api.problems import ApiProblem
from marketplace.api.spec import Page, spec
from marketplace.api.views import bp, link_header, page_args, page_envelope
from marketplace.extensions import db
from marketplace.ledger.money import plain_minor
from marketplace.paging import page_of
from marketplace.projects import ranking
from marketplace.projects import services as projects
from marketplace.projects.models import Project
from marketplace.security import action_limit
from marketplace.sponsorship import services as sponsorship
from marketplace.sponsorship.models import Pledge
from marketplace.web import paginate


class ProjectQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    theme: str | None = Field(None, max_length=60)
    country: str | None = Field(None, max_length=2)
    funding_model: str | None = Field(None, max_length=30)
    kind: str | None = Field(None, max_length=10)
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(20, ge=1, le=100)


class ObjectiveOut(BaseModel):
    id: int
    title: str
    indicator: str
    unit: str
    baseline: float
    target: float
    actual: float | None
    due_at: datetime
    status: str
    tranche: str


class ReportOut(BaseModel):
    id: int
    body_html: str
    created_at: datetime
    author: str | None


class ProjectSummary(BaseModel):
    slug: str
    title: str
    summary: str
    kind: str
    state: str
    currency: str
    goal: str
    raised: str
    released: str
    funding_model: str
    deadline: datetime | None
    countries: list[str]
    themes: list[str]
    score: float
    url: str


class ProjectList(Page):
    items: list[ProjectSummary]


class ReportList(Page):
    items: list[ReportOut]


LATEST_REPORTS = 10


class ProjectOut(ProjectSummary):
    description_html: str
    objectives: list[ObjectiveOut]
    reports: list[ReportOut]  # the latest LATEST_REPORTS, newest first; all: reports_url
    report_count: int
    reports_url: str
    budget: list[dict[str, str]]
    transparency_url: str
    iati_url: str


class PledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: str = Field(min_length=1, max_length=40, description="In the project's currency, e.g. \"25.50\"")
    currency: str | None = Field(None, min_length=3, max_length=3)
    message: str = Field("", max_length=2000)
    anonymous: bool | None = None


class PledgeHeaders(BaseModel):
    idempotency_key: str = Field(alias="Idempotency-Key", min_length=8, max_length=64,
                                 pattern=r"^[A-Za-z0-9_\-:.]+$")


class PledgeOut(BaseModel):
    id: int
    project: str
    amount: str
    currency: str
    status: str
    anonymous: bool
    provider: str
    created_at: datetime


def _money(project: Project, minor: int) -> str:
    return plain_minor(minor, project.currency)


def _summary(p: Project, score: float) -> dict:
    return {"slug": p.slug, "title": p.title, "summary": p.summary, "kind": p.kind, "state": p.state,
            "currency": p.currency, "goal": _money(p, p.goal_minor), "raised": _money(p, p.raised_minor),
            "released": _money(p, p.released_minor), "funding_model": p.funding_model, "deadline": p.deadline,
            "countries": p.countries, "themes": p.themes, "score": round(score, 4),
            "url": links.absolute("projects.show", slug=p.slug)}


def _load(slug: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == slug)
                                .options(selectinload(Project.objectives), selectinload(Project.budget_lines)))
    if project is None or not can_view_project(viewer(), project):
        raise ApiProblem(404, "Not Found", _("No such project."))
    return project


@bp.get("/projects")
@spec.validate(query=ProjectQuery, resp=Response(HTTP_200=ProjectList, **PROBLEMS), tags=["projects"])
def list_projects(query: ProjectQuery):
    """Open projects and events, ranked by the documented discover score (see the projects page)."""
    page, per_page = page_args()
    filters = {"theme": query.theme or "", "country": (query.country or "").upper(),
               "funding_model": query.funding_model or "", "kind": query.kind or ""}
    found, scores = ranking.discover(filters)
    envelope = page_envelope(page_of(found, page, per_page).map(lambda p: _summary(p, scores[p.id].value)))
    return ProjectList(**envelope), 200, link_header(envelope)


@bp.get("/projects/<slug>")
@spec.validate(resp=Response(HTTP_200=ProjectOut, **PROBLEMS), tags=["projects"])
def get_project(slug: str):
    """A project with its objectives (status and latest actual value), its latest progress reports
    (all of them: `reports_url`) and its budget."""
    p = _load(slug)
    score = ranking.scores_for([p])[p.id].value
    objectives: list = []  # dicts, validated by ProjectOut
    for o in p.objectives:
        latest = projects.latest_value(o)
        objectives.append({"id": o.id, "title": o.title, "indicator": o.indicator, "unit": o.unit,
                           "baseline": o.baseline, "target": o.target, "due_at": o.due_at,
                           "actual": latest.actual if latest else None, "status": projects.current_status(o),
                           "tranche": _money(p, o.tranche_minor)})
    reports = [_report(r) for r in db.session.scalars(projects.reports_query(p).limit(LATEST_REPORTS))]
    return ProjectOut(**_summary(p, score), description_html=p.description_html, objectives=objectives,
                      reports=reports, report_count=projects.report_count(p),
                      reports_url=links.absolute("api.project_reports", slug=p.slug),
                      budget=[{"item": b.item, "amount": _money(p, b.amount_minor)} for b in p.budget_lines],
                      transparency_url=links.absolute("projects.transparency_page", slug=p.slug),
                      iati_url=links.absolute("opendata.project_iati", slug=p.slug))


@bp.get("/projects/<slug>/reports")
@spec.validate(resp=Response(HTTP_200=ReportList, **PROBLEMS), tags=["projects"])
def project_reports(slug: str):
    """A project's progress reports, newest first, a page at a time."""
    page, per_page = page_args()
    envelope = page_envelope(paginate(projects.reports_query(_load(slug)), per_page, page).map(_report))
    return ReportList(**envelope), 200, link_header(envelope)


def _report(r) -> ReportOut:
    return ReportOut(id=r.id, body_html=r.body_html, created_at=r.created_at,
                     author=r.author.display_name if r.author else None)


def _pledge_out(pledge: Pledge) -> PledgeOut:
    return PledgeOut(id=pledge.id, project=pledge.project.slug,
                     amount=plain_minor(pledge.amount_minor, pledge.currency), currency=pledge.currency,
                     status=pledge.status, anonymous=pledge.is_anonymous, provider=pledge.provider,
                     created_at=pledge.created_at)


@bp.post("/projects/<slug>/pledges")
@action_limit("pledge")
@spec.validate(json=PledgeIn, headers=PledgeHeaders, resp=Response(HTTP_201=PledgeOut, HTTP_200=PledgeOut, **PROBLEMS),
               tags=["pledges"], security={"bearerAuth": []})
def create_pledge(slug: str, json: PledgeIn, headers: PledgeHeaders):
    """Pledge to an open project. Send an Idempotency-Key: a replay returns the first pledge (200);
    the same key with another body is refused (409). Scope: pledge."""
    user = require_scope("pledge")
    project = _load(slug)
    if not can_pledge(user, project, request.headers["Idempotency-Key"]):
        closed = sponsorship.closed_to(user, project)
        if closed is not None:
            raise ApiProblem(409, "Conflict", closed.message, code=closed.code)
        raise ApiProblem(403, "Forbidden", _("Only donors pledge, to open projects that are not their own."))
    pledge, created = sponsorship.record_pledge(
        user, project, json.amount, idempotency_key=request.headers["Idempotency-Key"], currency=json.currency,
        message=json.message, is_anonymous=json.anonymous)
    db.session.commit()
    location = {"Location": links.absolute("api.get_pledge", pledge_id=pledge.id)}
    return _pledge_out(pledge), 201 if created else 200, location


@bp.get("/pledges/<int:pledge_id>")
@spec.validate(resp=Response(HTTP_200=PledgeOut, **PROBLEMS), tags=["pledges"], security={"bearerAuth": []})
def get_pledge(pledge_id: int):
    """One of the caller's pledges. Scope: pledge."""
    user = require_scope("pledge")
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not can_view_pledge(user, pledge):
        raise ApiProblem(404, "Not Found", _("No such pledge."))
    return _pledge_out(pledge)
