"""Case-study and metric-definition verbs. They validate, add and flush; views commit."""

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from math import isfinite

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace import i18n, policy
from marketplace.accounts.models import Organization, OrganizationMember, User
from marketplace.accounts.permissions import is_moderator
from marketplace.cases.models import (
    SECTION_LABELS,
    SECTIONS,
    CaseStudy,
    Metric,
    MetricDefinition,
    case_study_practice,
)
from marketplace.database import lock_row, utcnow
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.gate import number_problem
from marketplace.knowledge import revisions
from marketplace.knowledge.models import Practice, PracticeTheme, Revision, Status
from marketplace.slugs import unique_slug
from marketplace.text import is_web_url, render_markdown

STATUSES = (Status.DRAFT.value, Status.PUBLISHED.value, Status.ARCHIVED.value)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- metric definitions ---------------------------------------------------------------------

def _check_definition(slug: str, name: str, direction: str) -> None:
    if not _SLUG.match(slug or ""):
        raise InvalidInput("slug", _("Use lowercase letters, digits and hyphens."))
    if not (name or "").strip():
        raise InvalidInput("name", _("Give the metric a name."))
    if direction not in ("higher", "lower"):
        raise InvalidInput("direction", _("Choose whether higher or lower is better."))


def create_metric_definition(*, slug: str, name: str, unit: str, direction: str,
                             description: str = "",
                             translations: dict | None = None) -> MetricDefinition:
    """Raises InvalidInput (slug taken, bad slug/name/direction)."""
    _check_definition(slug, name, direction)
    if db.session.scalar(select(MetricDefinition.id).where(MetricDefinition.slug == slug)):
        raise InvalidInput("slug", _("Another metric already uses this slug."))
    definition = MetricDefinition(slug=slug, name=name.strip(), unit=unit.strip(),
                                  direction=direction, description_source=description,
                                  description_html=render_markdown(description),
                                  translations=translations or {})
    db.session.add(definition)
    db.session.flush()
    return definition


def update_metric_definition(definition: MetricDefinition, *, name: str, unit: str,
                             direction: str, description: str = "",
                             translations: dict | None = None) -> MetricDefinition:
    """The slug is stable: links and imports rely on it, so it is never changed here."""
    _check_definition(definition.slug, name, direction)
    definition.name, definition.unit, definition.direction = name.strip(), unit.strip(), direction
    definition.description_source = description
    definition.description_html = render_markdown(description)
    if translations is not None:
        definition.translations = translations
    db.session.flush()
    return definition


# --- case studies ---------------------------------------------------------------------------

@dataclass
class MetricInput:
    definition_slug: str
    baseline: float
    result: float
    target: float | None = None
    period_label: str = ""
    evidence_url: str = ""


@dataclass
class CaseInput:
    title: str
    summary: str = ""
    organization_id: int | None = None
    country: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    context: str = ""
    implementation: str = ""
    results: str = ""
    lessons: str = ""
    status: str = Status.DRAFT.value
    language: str = "en"
    source_url: str = ""
    practice_slugs: list[str] = field(default_factory=list)
    coauthor_emails: list[str] = field(default_factory=list)
    metrics: list[MetricInput] = field(default_factory=list)


def _practices(slugs: list[str]) -> list[Practice]:
    """Published or archived practices only: every reader of the case study may see them."""
    wanted = list(dict.fromkeys(s for s in slugs if s))
    found = {p.slug: p for p in db.session.scalars(
        select(Practice).where(Practice.slug.in_(wanted), policy.public_clause("practice", Practice)))}
    for slug in wanted:
        if slug not in found:
            raise InvalidInput("practices", _("No practice is published at “%(slug)s”.", slug=slug))
    return [found[s] for s in wanted]


def visible_practice_slugs(viewer, slugs: list[str]) -> set[str]:
    """Those of `slugs` naming a practice `viewer` may see (old revisions may name drafts)."""
    return set(db.session.scalars(select(Practice.slug).where(
        Practice.slug.in_(slugs), policy.clause(viewer, "practice", Practice)))) if slugs else set()


def _coauthors(emails: list[str], owner_id: int | None) -> list[User]:
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(wanted)))}
    for email in wanted:
        if email not in users or users[email].is_deleted:
            raise InvalidInput("coauthors", _("No account uses %(email)s.", email=email))
    return [users[e] for e in wanted if users[e].id != owner_id]


def _check_organization(editor: User, case: CaseStudy | None, organization_id: int | None):
    if organization_id is None or (case is not None and case.organization_id == organization_id):
        return
    if is_moderator(editor):
        return
    member = db.session.scalar(select(OrganizationMember.id).where(
        OrganizationMember.organization_id == organization_id,
        OrganizationMember.user_id == editor.id))
    if member is None:
        raise InvalidInput("organization_id",
                           _("You can only name an organization you are a member of."))


def _check_fields(data: CaseInput) -> None:
    if not data.title.strip():
        raise InvalidInput("title", _("Give the case study a title."))
    if data.country and not i18n.is_country(data.country):
        raise InvalidInput("country", _("Choose a country from the list."))
    if not i18n.is_language(data.language):
        raise InvalidInput("language", _("Choose a language from the list."))
    if data.period_start and data.period_end and data.period_end < data.period_start:
        raise InvalidInput("period_end", _("The period cannot end before it starts."))
    if data.status not in STATUSES:
        raise InvalidInput("status", _("Choose a status from the list."))
    if data.source_url.strip() and not is_web_url(data.source_url.strip()):
        raise InvalidInput("source_url", _("Give a web address starting with http:// or https://."))


def check_input(data: CaseInput) -> None:
    """The checks of a case study's own fields (no database reads); raises InvalidInput."""
    _check_fields(data)


def _metrics(inputs: list[MetricInput]) -> list[Metric]:
    slugs = [m.definition_slug for m in inputs]
    if len(set(slugs)) != len(slugs):
        raise InvalidInput("metrics", _("Report each metric only once."))
    definitions = {d.slug: d for d in db.session.scalars(
        select(MetricDefinition).where(MetricDefinition.slug.in_(slugs)))}
    out = []
    for m in inputs:
        if m.definition_slug not in definitions:
            raise InvalidInput("metrics", _("Unknown metric “%(slug)s”.", slug=m.definition_slug))
        numbers = [m.baseline, m.result] + ([m.target] if m.target is not None else [])
        if not all(isfinite(n) for n in numbers):
            raise InvalidInput("metrics", _("Metric values must be finite numbers."))
        problem = next((number_problem(n) for n in numbers if number_problem(n)), None)
        if problem:
            raise InvalidInput("metrics", str(problem))
        if m.evidence_url and not is_web_url(m.evidence_url):
            raise InvalidInput("metrics", _("Give a web address starting with http:// or https://."))
        out.append(Metric(definition=definitions[m.definition_slug], baseline=m.baseline,
                          result=m.result, target=m.target, period_label=m.period_label,
                          evidence_url=m.evidence_url))
    return out


def _apply(case: CaseStudy, editor: User, data: CaseInput) -> None:
    _check_fields(data)
    _check_organization(editor, case if case.id else None, data.organization_id)
    case.practices = _practices(data.practice_slugs)
    case.coauthors = _coauthors(data.coauthor_emails, case.owner_id)
    _replace_metrics(case, _metrics(data.metrics))
    case.title, case.summary = data.title.strip(), data.summary.strip()
    case.organization_id, case.country = data.organization_id, data.country or None
    case.period_start, case.period_end = data.period_start, data.period_end
    case.language, case.source_url = data.language, data.source_url.strip()
    for section in SECTIONS:
        source = getattr(data, section)
        setattr(case, f"{section}_source", source)
        setattr(case, f"{section}_html", render_markdown(source))
    _set_status(case, data.status)


def _replace_metrics(case: CaseStudy, metrics: list[Metric]) -> None:
    """Update rows in place by definition (the unique key), add new ones, drop the rest."""
    existing = {m.metric_definition_id: m for m in case.metrics}
    kept = []
    for new in metrics:
        old = existing.get(new.definition.id)
        if old is None:
            kept.append(new)
            continue
        old.baseline, old.result, old.target = new.baseline, new.result, new.target
        old.period_label, old.evidence_url = new.period_label, new.evidence_url
        kept.append(old)
    case.metrics = kept


def _set_status(case: CaseStudy, status: str) -> None:
    case.status = status
    if status == Status.PUBLISHED.value and case.published_at is None:
        case.published_at = utcnow()


def create_case_study(owner: User, data: CaseInput, message: str = "") -> CaseStudy:
    """Raises InvalidInput on any bad field; records revision 1."""
    case = CaseStudy(owner=owner, slug="", title="")
    _apply(case, owner, data)
    case.slug = unique_slug(CaseStudy, data.title)
    db.session.add(case)
    db.session.flush()
    record_revision(case, owner, message, message_key="" if message else "created")
    return case


def update_case_study(case: CaseStudy, editor: User, data: CaseInput, message: str = "", *,
                      base_revision: int | None = None) -> CaseStudy:
    """Raises InvalidInput on any bad field; every save records a revision. `base_revision`:
    the revision the form was opened on; what others saved since is merged field by field, and
    a field both changed differently is an EditConflict (nothing saved)."""
    lock_row(db.session, case)
    if base_revision is not None:
        data = _rebase(case, base_revision, data)
    _apply(case, editor, data)
    db.session.flush()
    record_revision(case, editor, message)
    return case


# CaseInput field -> its label, and the form field when the names differ (conflicts name them).
INPUT_LABELS = {
    "title": _l("Title"), "summary": _l("Summary"), "organization_id": _l("Organization"),
    "country": _l("Country"), "period_start": _l("Period start"), "period_end": _l("Period end"),
    **SECTION_LABELS, "status": _l("Status"), "language": _l("Language"),
    "source_url": _l("Source URL"), "practice_slugs": _l("Practices applied"),
    "coauthor_emails": _l("Co-authors"), "metrics": _l("Metrics"),
}
_FORM_NAMES = {"practice_slugs": "practices", "coauthor_emails": "coauthors"}


def _rebase(case: CaseStudy, base_number: int, data: CaseInput) -> CaseInput:
    """`data`, typed on revision `base_number`, merged with what was saved since (see
    revisions.merge_fields); raises EditConflict on a field both changed."""
    stale = revisions.stale_base(base_number, case_study_id=case.id)
    if stale is None:
        return data
    old, latest = stale
    base = _comparable(replace(_input_from_snapshot(old.data, case),
                               status=old.data.get("status", case.status)))
    theirs, mine = _comparable(_input_from_snapshot(case_snapshot(case), case)), _comparable(data)
    merge = revisions.merge_fields(base, theirs, mine)
    if merge.conflicts:
        raise revisions.edit_conflict(
            [revisions.conflict_field(_FORM_NAMES.get(f, f), INPUT_LABELS[f], _shown(f, mine[f]),
                                      _shown(f, theirs[f])) for f in merge.conflicts],
            revisions.editors_since(base_number, case_study_id=case.id), latest)
    return CaseInput(**merge.data)


def _comparable(data: CaseInput) -> dict:
    """The input's fields as a merge compares them: one-line text trimmed, emails as a set."""
    out = {f.name: getattr(data, f.name) for f in fields(data)}
    for name in ("title", "summary", "source_url"):
        out[name] = (out[name] or "").strip()
    out["country"] = data.country or None
    out["coauthor_emails"] = sorted({e.strip().lower() for e in data.coauthor_emails if e.strip()})
    return out


def _shown(name: str, value) -> str:
    """A CaseInput value as text, for the other version shown beside the form."""
    if name == "metrics":
        return "\n".join(f"{m.definition_slug}: {_number(m.baseline)} → {_number(m.result)}" for m in value)
    if name == "practice_slugs":
        return "\n".join(value)
    if name == "organization_id":
        organization = db.session.get(Organization, value) if value else None
        return organization.name if organization is not None else ""
    if name == "country":
        return i18n.country_name(value) if value else ""
    return revisions.plain_text(value)


# --- revisions ------------------------------------------------------------------------------

SNAPSHOT_FIELDS = (
    "title", "summary", "organization_id", "country", "status", "language", "source_url",
    *(f"{s}_source" for s in SECTIONS),
)
DIFF_LABELS = {
    "title": _l("Title"), "summary": _l("Summary"), "organization": _l("Organization"),
    "country": _l("Country"), "period": _l("Period"), "status": _l("Status"),
    "language": _l("Language"), "source_url": _l("Source URL"),
    "context_source": _l("Context"), "implementation_source": _l("Implementation"),
    "results_source": _l("Results"), "lessons_source": _l("Lessons"),
    "practices": _l("Practices applied"), "coauthors": _l("Co-authors"),
    "metrics": _l("Metrics"),
}


def case_snapshot(case: CaseStudy) -> dict:
    data = revisions.snapshot(case, SNAPSHOT_FIELDS)
    data.update(
        period_start=case.period_start.isoformat() if case.period_start else None,
        period_end=case.period_end.isoformat() if case.period_end else None,
        organization=case.organization.name if case.organization else "",
        practices=[p.slug for p in case.practices],
        coauthor_ids=[u.id for u in case.coauthors],
        coauthors=[u.display_name for u in case.coauthors],
        metrics=[{"definition": m.definition.slug, "baseline": m.baseline, "result": m.result,
                  "target": m.target, "period_label": m.period_label,
                  "evidence_url": m.evidence_url} for m in case.metrics],
    )
    return data


def record_revision(case: CaseStudy, author: User | None, message: str = "",
                    reverted_from: Revision | None = None, message_key: str = "") -> Revision:
    return revisions.record_revision(case_snapshot(case), author, message,
                                     case_study_id=case.id, reverted_from=reverted_from,
                                     message_key=message_key)


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


def display_snapshot(data: dict, practices_shown: set[str]) -> dict:
    """A revision's data as the strings the diff compares, naming only `practices_shown`."""
    shown = dict(data)
    shown["practices"] = [s for s in data.get("practices", []) if s in practices_shown]
    shown["period"] = " – ".join(filter(None, [data.get("period_start"), data.get("period_end")]))
    shown["metrics"] = "\n".join(
        f"{m['definition']}: {_number(m['baseline'])} → {_number(m['result'])}"
        + (f" ({_('target')} {_number(m['target'])})" if m.get("target") is not None else "")
        + (f" [{m['period_label']}]" if m.get("period_label") else "")
        for m in data.get("metrics", []))
    return shown


def diff_revisions(old: Revision, new: Revision, viewer) -> list[revisions.FieldDiff]:
    shown = visible_practice_slugs(viewer, [*old.data.get("practices", []),
                                            *new.data.get("practices", [])])
    return revisions.diff_snapshots(display_snapshot(old.data, shown),
                                    display_snapshot(new.data, shown), DIFF_LABELS)


def _input_from_snapshot(data: dict, case: CaseStudy) -> CaseInput:
    emails = list(db.session.scalars(select(User.email).where(
        User.id.in_(data.get("coauthor_ids", [])), User.is_deleted.is_(False))))
    existing_practices = set(db.session.scalars(select(Practice.slug).where(
        Practice.slug.in_(data.get("practices", [])), policy.public_clause("practice", Practice))))
    existing_defs = set(db.session.scalars(select(MetricDefinition.slug)))
    return CaseInput(
        title=data.get("title") or case.title, summary=data.get("summary", ""),
        organization_id=data.get("organization_id"), country=data.get("country"),
        period_start=_date(data.get("period_start")), period_end=_date(data.get("period_end")),
        **{s: data.get(f"{s}_source", "") for s in SECTIONS},
        status=case.status, language=data.get("language") or case.language,
        source_url=data.get("source_url", ""),
        practice_slugs=[s for s in data.get("practices", []) if s in existing_practices],
        coauthor_emails=emails,
        metrics=[MetricInput(m["definition"], m["baseline"], m["result"], m.get("target"),
                             m.get("period_label", ""), m.get("evidence_url", ""))
                 for m in data.get("metrics", []) if m["definition"] in existing_defs],
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def revert_case_study(case: CaseStudy, editor: User, number: int) -> Revision:
    """Restore revision `number` as a new revision. The status is kept: publishing is a
    separate decision. Practices, co-authors and metric definitions deleted since are skipped.
    Raises NotFound."""
    old = revisions.get_revision(number, case_study_id=case.id)
    if old is None:
        raise NotFound(_("No such revision."))
    data = _input_from_snapshot(old.data, case)
    # The old organization was chosen by an author then: restore it without the member check.
    if data.organization_id is not None:
        if db.session.get(Organization, data.organization_id) is None:
            data.organization_id = None
        else:
            case.organization_id = data.organization_id
    _apply(case, editor, data)
    db.session.flush()
    return record_revision(case, editor, "", message_key=f"reverted:{number}",
                           reverted_from=old)


LIST_SORTS = {
    "newest": (CaseStudy.published_at.desc(), CaseStudy.id.desc()),
    "updated": (CaseStudy.updated_at.desc(), CaseStudy.id.desc()),
    "title": (func.lower(CaseStudy.title), CaseStudy.id),
}


def list_query(viewer, f: dict):
    """Case studies `viewer` may see, filtered by region (UN M49), country, language, org_type, theme (through the
    practices applied), practice (a slug), title words (q) and metric, in a LIST_SORTS order; page and API alike."""
    query = select(CaseStudy).where(policy.clause(viewer, "case", CaseStudy))
    if f.get("country"):
        query = query.where(CaseStudy.country == f["country"])
    if f.get("region"):  # a UN M49 sub-region: any of its countries
        query = query.where(CaseStudy.country.in_(i18n.m49_countries(f["region"])))
    if f.get("language"):
        query = query.where(CaseStudy.language == f["language"])
    if f.get("org_type"):
        query = query.where(CaseStudy.organization.has(Organization.type == f["org_type"]))
    if f.get("theme"):
        themed = (select(case_study_practice.c.case_study_id)
                  .join(PracticeTheme, PracticeTheme.practice_id == case_study_practice.c.practice_id)
                  .where(PracticeTheme.theme == f["theme"]))
        query = query.where(CaseStudy.id.in_(themed))
    if f.get("q"):
        query = query.where(CaseStudy.title.ilike(f"%{f['q']}%"))
    if f.get("practice"):  # a practice's slug: the case studies that applied it, if `viewer` may see it
        applied = (select(case_study_practice.c.case_study_id)
                   .join(Practice, Practice.id == case_study_practice.c.practice_id)
                   .where(Practice.slug == f["practice"], policy.clause(viewer, "practice", Practice)))
        query = query.where(CaseStudy.id.in_(applied))
    if f.get("metric"):
        query = query.where(CaseStudy.id.in_(select(Metric.case_study_id).join(MetricDefinition)
                                             .where(MetricDefinition.slug == f["metric"])))
    return query.order_by(*LIST_SORTS[f.get("sort") or "newest"]).options(
        joinedload(CaseStudy.organization), selectinload(CaseStudy.metrics))


def country_counts() -> dict[str, int]:
    """Case studies anyone may see (the list's default), per ISO country code: the world map."""
    return dict(db.session.execute(
        select(CaseStudy.country, func.count())
        .where(policy.clause(None, "case", CaseStudy), CaseStudy.country.is_not(None))
        .group_by(CaseStudy.country)).all())


def record_file_change(case: CaseStudy, user: User | None, message: str) -> int:
    """A file was attached to, replaced on or removed from the case study: a revision says so."""
    return record_revision(case, user, message).number
