"""API: practices (with revisions and adaptations) and case studies with their metrics."""

from datetime import date, datetime

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import links, policy
from marketplace.accounts.permissions import (
    can_adapt_practice,
    can_create_practice,
    can_edit_practice,
    can_view_practice,
)
from marketplace.api.auth import require_scope, viewer
from marketplace.api.problems import ApiProblem, Problem
from marketplace.api.spec import Page, spec
from marketplace.api.views import bp, link_header, page_args, page_envelope
from marketplace.cases.lineage import lineage_evidence
from marketplace.cases.models import CaseStudy
from marketplace.cases.services import list_query
from marketplace.extensions import db
from marketplace.knowledge import queries, services
from marketplace.knowledge.models import Practice, Revision, Status
from marketplace.web import paginate

PROBLEMS = {"HTTP_400": Problem, "HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem,
            "HTTP_409": Problem, "HTTP_422": Problem}


class PracticeQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    country: str | None = Field(None, max_length=2)
    theme: str | None = Field(None, max_length=40)
    level: str | None = Field(None, max_length=10)
    org_type: str | None = Field(None, max_length=20)
    language: str | None = Field(None, max_length=8)
    status: str | None = Field(None, pattern="^(published|draft|archived)$")
    sort: str | None = Field(None, pattern="^(newest|endorsed|adapted)$")
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(20, ge=1, le=100)


class PracticeSummary(BaseModel):
    slug: str
    title: str
    summary: str
    status: str
    countries: list[str]
    themes: list[str]
    language: str
    level: str
    licence: str
    endorsements: int
    adaptations: int
    adapted_from: str | None
    published_at: datetime | None
    updated_at: datetime
    url: str


class PracticeList(Page):
    items: list[PracticeSummary]


class RevisionOut(BaseModel):
    number: int
    message: str
    author: str | None
    created_at: datetime


class PracticeOut(PracticeSummary):
    problem: str
    context: str
    approach: str
    results: str
    lessons: str
    problem_html: str
    context_html: str
    approach_html: str
    results_html: str
    lessons_html: str
    tags: list[str]
    source_url: str | None
    owner: str | None
    adaptation_country: str | None
    adaptation_rationale: str
    revisions: list[RevisionOut]  # the latest LATEST_REVISIONS, oldest first; all: revisions_url
    revision_count: int
    revisions_url: str
    adaptation_slugs: list[str]


class RevisionList(Page):
    items: list[RevisionOut]


LATEST_REVISIONS = 20


class PracticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field("", max_length=600)
    problem: str = Field("", max_length=50000)
    context: str = Field("", max_length=50000)
    approach: str = Field("", max_length=50000)
    results: str = Field("", max_length=50000)
    lessons: str = Field("", max_length=50000)
    countries: list[str] = Field(default_factory=list, max_length=50)
    themes: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=30)
    level: str = Field("national", max_length=10)
    language: str = Field("en", max_length=8)
    licence: str = Field("CC-BY-4.0", max_length=40)
    source_url: str | None = Field(None, max_length=1000)
    message: str = Field("", max_length=300)
    publish: bool = False


class PracticePatch(PracticeIn):
    title: str | None = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    # The revision the caller's copy is of (optional): changes saved since are merged field by
    # field; a field both changed differently is a 409 (code "edit_conflict", nothing saved).
    base_revision: int | None = Field(None, ge=1)


class AdaptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str = Field(min_length=2, max_length=2)
    context: str = Field(min_length=1, max_length=10000)
    rationale: str = Field(min_length=1, max_length=10000)


def _summary(p: Practice) -> dict:
    return {"slug": p.slug, "title": p.title, "summary": p.summary, "status": p.status,
            "countries": [c.country for c in p.countries], "themes": [t.theme for t in p.themes],
            "language": p.language, "level": p.level, "licence": p.licence,
            "endorsements": p.endorsement_count, "adaptations": p.adaptation_count,
            "adapted_from": p.parent.slug if p.parent is not None and can_view_practice(viewer(), p.parent) else None,
            "published_at": p.published_at, "updated_at": p.updated_at,
            "url": links.absolute("knowledge.show", slug=p.slug)}


def _revision(r: Revision) -> RevisionOut:
    return RevisionOut(number=r.number, message=r.summary, created_at=r.created_at,
                       author=r.author.display_name if r.author else None)


def _revisions_query(p: Practice):
    return (select(Revision).where(Revision.practice_id == p.id).options(selectinload(Revision.author))
            .order_by(Revision.number.desc()))


def _full(p: Practice) -> PracticeOut:
    latest = db.session.scalars(_revisions_query(p).limit(LATEST_REVISIONS)).all()
    count = db.session.scalar(select(func.count()).where(Revision.practice_id == p.id)) or 0
    who = viewer()
    sections = {s: getattr(p, f"{s}_source") for s in ("problem", "context", "approach", "results", "lessons")}
    html = {f"{s}_html": getattr(p, f"{s}_html") for s in sections}
    return PracticeOut(**_summary(p), **sections, **html, tags=[t.tag for t in p.tags], source_url=p.source_url,
                       owner=p.owner.display_name if p.owner else None, adaptation_country=p.adaptation_country,
                       adaptation_rationale=p.adaptation_rationale,
                       revisions=[_revision(r) for r in reversed(latest)], revision_count=count,
                       revisions_url=links.absolute("api.practice_revisions", slug=p.slug),
                       adaptation_slugs=[a.slug for a in p.adaptations if can_view_practice(who, a)])


def _load(slug: str, who) -> Practice:
    """The practice at `slug` if `who` may see it (viewer() for reads, the writer for writes)."""
    practice = db.session.scalar(select(Practice).where(Practice.slug == slug)
                                 .options(selectinload(Practice.countries), selectinload(Practice.themes),
                                          selectinload(Practice.tags), selectinload(Practice.adaptations)))
    if practice is None or not can_view_practice(who, practice):
        raise ApiProblem(404, "Not Found", _("No such practice."))
    return practice


@bp.get("/practices")
@spec.validate(query=PracticeQuery, resp=Response(HTTP_200=PracticeList, **PROBLEMS), tags=["practices"])
def list_practices(query: PracticeQuery):
    """Practices the caller may see, with the same filters and sorts as the practices page."""
    page, per_page = page_args()
    args = query.model_dump(exclude_none=True)
    status = args.get("status") or "published"
    select_ = queries.browse_query(viewer(), {**args, "status": status})
    found = paginate(select_.options(selectinload(Practice.parent)), per_page, page)
    envelope = page_envelope(found.map(_summary))
    return PracticeList(**envelope), 200, link_header(envelope)


@bp.get("/practices/<slug>")
@spec.validate(resp=Response(HTTP_200=PracticeOut, **PROBLEMS), tags=["practices"])
def get_practice(slug: str):
    """A practice with its latest revisions (all of them: `revisions_url`) and the adaptations the
    caller may see."""
    return _full(_load(slug, viewer()))


@bp.get("/practices/<slug>/revisions")
@spec.validate(resp=Response(HTTP_200=RevisionList, **PROBLEMS), tags=["practices"])
def practice_revisions(slug: str):
    """A practice's revision history, newest first, a page at a time."""
    page, per_page = page_args()
    found = paginate(_revisions_query(_load(slug, viewer())), per_page, page)
    envelope = page_envelope(found.map(_revision))
    return RevisionList(**envelope), 200, link_header(envelope)


class MetricRollupOut(BaseModel):
    metric: str
    name: str
    unit: str
    direction: str
    cases: int
    median_improvement: float
    min_improvement: float
    max_improvement: float


class AdaptationRef(BaseModel):
    slug: str
    title: str
    country: str | None
    url: str


class EvidenceOut(BaseModel):
    practice: str
    adaptations: int
    countries: list[str]
    reporting: list[AdaptationRef]
    silent: list[AdaptationRef]
    metrics: list[MetricRollupOut]


def _ref(p: Practice) -> AdaptationRef:
    return AdaptationRef(slug=p.slug, title=p.title, country=p.adaptation_country,
                         url=links.absolute("knowledge.show", slug=p.slug))


@bp.get("/practices/<slug>/evidence")
@spec.validate(resp=Response(HTTP_200=EvidenceOut, **PROBLEMS), tags=["practices"])
def get_practice_evidence(slug: str):
    """Evidence across the lineage: the case studies of the practice and its adaptations (those
    the caller may see), with the median improvement and range per metric."""
    practice = _load(slug, viewer())
    found = lineage_evidence(practice, viewer())
    return EvidenceOut(
        practice=practice.slug, adaptations=len(found.adaptations), countries=found.countries,
        reporting=[_ref(a) for a in found.reporting], silent=[_ref(a) for a in found.silent],
        metrics=[MetricRollupOut(metric=m.slug, name=m.name, unit=m.unit, direction=m.direction,
                                 cases=m.cases, median_improvement=m.median,
                                 min_improvement=m.low, max_improvement=m.high)
                 for m in found.metrics])


def _data(body: BaseModel) -> dict:
    """The fields the caller sent (a PATCH leaves the others as they are)."""
    return body.model_dump(exclude={"message", "publish"}, exclude_unset=True)


@bp.post("/practices")
@spec.validate(json=PracticeIn, resp=Response(HTTP_201=PracticeOut, **PROBLEMS), tags=["practices"],
               security={"bearerAuth": []})
def create_practice(json: PracticeIn):
    """Create a practice (a draft unless `publish` is true). Scope: write."""
    user = require_scope("write")
    if not can_create_practice(user):
        raise ApiProblem(403, "Forbidden", _("You cannot create practices."))
    practice = services.create_practice(user, _data(json), json.message,
                                        status=Status.PUBLISHED if json.publish else Status.DRAFT)
    db.session.commit()
    return _full(practice), 201, {"Location": links.absolute("api.get_practice", slug=practice.slug)}


@bp.patch("/practices/<slug>")
@spec.validate(json=PracticePatch, resp=Response(HTTP_200=PracticeOut, **PROBLEMS), tags=["practices"],
               security={"bearerAuth": []})
def update_practice(slug: str, json: PracticePatch):
    """Edit a practice: a new revision. Fields left out keep their value. Scope: write."""
    user = require_scope("write")
    practice = _load(slug, user)
    if not can_edit_practice(user, practice):
        raise ApiProblem(403, "Forbidden", _("Only authors and moderators edit directly; suggest an edit instead."))
    data = _data(json)
    data.pop("base_revision", None)
    if json.base_revision is None:  # the whole current practice, as before
        data = {**services.practice_data(practice), **data}
    services.update_practice(practice, user, data, json.message, base_revision=json.base_revision)
    if json.publish and practice.is_draft:
        services.publish_practice(practice)
    db.session.commit()
    return _full(practice)


@bp.post("/practices/<slug>/adaptations")
@spec.validate(json=AdaptIn, resp=Response(HTTP_201=PracticeOut, **PROBLEMS), tags=["practices"],
               security={"bearerAuth": []})
def adapt_practice(slug: str, json: AdaptIn):
    """Adapt a published practice to another country: a linked draft owned by the caller. Scope: write."""
    user = require_scope("write")
    parent = _load(slug, user)
    if not can_adapt_practice(user, parent):
        raise ApiProblem(403, "Forbidden", _("You cannot adapt this practice."))
    child = services.adapt_practice(parent, user, json.country, json.context, json.rationale)
    db.session.commit()
    return _full(child), 201, {"Location": links.absolute("api.get_practice", slug=child.slug)}


# --- case studies -------------------------------------------------------------------------


class MetricOut(BaseModel):
    metric: str
    name: str
    unit: str
    direction: str
    baseline: float
    result: float
    target: float | None
    period: str
    evidence_url: str


class CaseOut(BaseModel):
    slug: str
    title: str
    summary: str
    status: str
    country: str | None
    organization: str | None
    period_start: date | None
    period_end: date | None
    practices: list[str]
    language: str
    metrics: list[MetricOut]
    updated_at: datetime
    url: str


class CaseList(Page):
    items: list[CaseOut]


class CaseQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    country: str | None = Field(None, max_length=2)
    theme: str | None = Field(None, max_length=40)
    org_type: str | None = Field(None, max_length=20)
    language: str | None = Field(None, max_length=8)
    q: str | None = Field(None, max_length=200, description="Words in the title")
    metric: str | None = Field(None, max_length=80)
    sort: str | None = Field(None, pattern="^(newest|updated|title)$")
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(20, ge=1, le=100)


def _case(c) -> dict:
    who = viewer()
    return {"slug": c.slug, "title": c.title, "summary": c.summary, "status": c.status, "country": c.country,
            "organization": c.organization.name if c.organization else None, "period_start": c.period_start,
            "period_end": c.period_end, "practices": [p.slug for p in c.practices if can_view_practice(who, p)],
            "language": c.language, "updated_at": c.updated_at,
            "url": links.absolute("cases.show", slug=c.slug),
            "metrics": [{"metric": m.definition.slug, "name": m.definition.name, "unit": m.definition.unit,
                         "direction": m.definition.direction, "baseline": m.baseline, "result": m.result,
                         "target": m.target, "period": m.period_label, "evidence_url": m.evidence_url}
                        for m in c.metrics]}


def _cases_query(who):
    return (select(CaseStudy).where(policy.clause(who, "case", CaseStudy))
            .options(selectinload(CaseStudy.metrics), selectinload(CaseStudy.practices),
                     selectinload(CaseStudy.organization)))


@bp.get("/case-studies")
@spec.validate(query=CaseQuery, resp=Response(HTTP_200=CaseList, **PROBLEMS), tags=["case studies"])
def list_case_studies(query: CaseQuery):
    """Case studies the caller may see, with the case studies page's filters (and `metric`)."""
    page, per_page = page_args()
    filters = query.model_dump(exclude_none=True, exclude={"page", "per_page"})
    if filters.get("country"):
        filters["country"] = filters["country"].upper()
    q = list_query(viewer(), filters).options(selectinload(CaseStudy.practices))
    envelope = page_envelope(paginate(q, per_page, page).map(_case))
    return CaseList(**envelope), 200, link_header(envelope)


@bp.get("/case-studies/<slug>")
@spec.validate(resp=Response(HTTP_200=CaseOut, **PROBLEMS), tags=["case studies"])
def get_case_study(slug: str):
    """A case study with its metrics."""
    case = db.session.scalar(_cases_query(viewer()).where(CaseStudy.slug == slug))
    if case is None:
        raise ApiProblem(404, "Not Found", _("No such case study."))
    return CaseOut(**_case(case))
