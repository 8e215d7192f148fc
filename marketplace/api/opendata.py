"""Open data: every public practice and case study (with metrics and licence) as CSV and JSON
Lines, and a project as an IATI 2.03 activity. Drafts and private content never appear."""

import csv
import io
import json

from flask import Blueprint, Response, abort, stream_with_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import links, policy
from marketplace.extensions import db
from marketplace.projects.transparency import csv_cell

bp = Blueprint("opendata", __name__, url_prefix="/open-data")
CASE_STUDY_LICENCE = "CC-BY-4.0"  # case studies are published under the platform's default licence
PRACTICE_FIELDS = ["id", "slug", "url", "title", "summary", "countries", "themes", "tags", "level", "language",
                   "licence", "source_url", "organizations", "owner", "adapted_from", "endorsements",
                   "adaptations", "published_at", "updated_at", "problem", "context", "approach", "results",
                   "lessons"]
CASE_FIELDS = ["id", "slug", "url", "title", "summary", "country", "organization", "period_start", "period_end",
               "practices", "language", "licence", "source_url", "published_at", "updated_at", "context",
               "implementation", "results", "lessons", "metrics"]


def _iso(value):
    return value.isoformat() if value else None


def practice_records():
    from marketplace.knowledge.models import Practice, PracticeOrganization

    query = (select(Practice).where(Practice.status == "published",
                                    policy.clause(None, "practice", Practice)).order_by(Practice.id)
             .options(selectinload(Practice.countries), selectinload(Practice.themes),
                      selectinload(Practice.tags), selectinload(Practice.owner), selectinload(Practice.parent),
                      selectinload(Practice.organization_links).selectinload(PracticeOrganization.organization)))
    for p in db.session.scalars(query.execution_options(yield_per=500)):
        yield {
            "id": p.id, "slug": p.slug, "url": links.absolute("knowledge.show", slug=p.slug),
            "title": p.title, "summary": p.summary, "countries": [c.country for c in p.countries],
            "themes": [t.theme for t in p.themes], "tags": [t.tag for t in p.tags], "level": p.level,
            "language": p.language, "licence": p.licence, "source_url": p.source_url,
            "organizations": [link.organization.name for link in p.organization_links],
            "owner": p.owner.display_name if p.owner else None,
            "adapted_from": p.parent.slug if p.parent is not None and p.parent.status == "published" else None,
            "endorsements": p.endorsement_count, "adaptations": p.adaptation_count,
            "published_at": _iso(p.published_at), "updated_at": _iso(p.updated_at),
            "problem": p.problem_source, "context": p.context_source, "approach": p.approach_source,
            "results": p.results_source, "lessons": p.lessons_source,
        }


def case_records():
    from marketplace.cases.models import CaseStudy

    query = (select(CaseStudy).where(CaseStudy.status == "published",
                                     policy.clause(None, "case", CaseStudy)).order_by(CaseStudy.id)
             .options(selectinload(CaseStudy.metrics), selectinload(CaseStudy.practices),
                      selectinload(CaseStudy.organization)))
    for c in db.session.scalars(query.execution_options(yield_per=500)):
        yield {
            "id": c.id, "slug": c.slug, "url": links.absolute("cases.show", slug=c.slug),
            "title": c.title, "summary": c.summary, "country": c.country,
            "organization": c.organization.name if c.organization else None,
            "period_start": _iso(c.period_start), "period_end": _iso(c.period_end),
            "practices": [p.slug for p in c.practices if p.status == "published"], "language": c.language,
            "licence": CASE_STUDY_LICENCE, "source_url": c.source_url, "published_at": _iso(c.published_at),
            "updated_at": _iso(c.updated_at), "context": c.context_source,
            "implementation": c.implementation_source, "results": c.results_source,
            "lessons": c.lessons_source,
            "metrics": [{"metric": m.definition.slug, "name": m.definition.name, "unit": m.definition.unit,
                         "direction": m.definition.direction, "baseline": m.baseline, "result": m.result,
                         "target": m.target, "period": m.period_label, "evidence_url": m.evidence_url}
                        for m in c.metrics],
        }


def _jsonl(records, name):
    body = (json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return Response(stream_with_context(body), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": f"attachment; filename={name}.jsonl"})


def _csv(records, fields, name):
    def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(fields)
        for record in records:
            writer.writerow([csv_cell(_flat(record[f])) for f in fields])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


def _flat(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False) if value and isinstance(value[0], dict) else "; ".join(
            map(str, value))
    return str(value)


@bp.get("/")
def index():
    from flask import render_template

    return render_template("opendata/index.html")


@bp.get("/practices.jsonl")
def practices_jsonl():
    return _jsonl(practice_records(), "practices")


@bp.get("/practices.csv")
def practices_csv():
    return _csv(practice_records(), PRACTICE_FIELDS, "practices")


@bp.get("/case-studies.jsonl")
def cases_jsonl():
    return _jsonl(case_records(), "case-studies")


@bp.get("/case-studies.csv")
def cases_csv():
    return _csv(case_records(), CASE_FIELDS, "case-studies")


@bp.get("/projects/<slug>/iati.xml")
def project_iati(slug):
    from marketplace.api.iati import activity_xml
    from marketplace.projects import services, transparency
    from marketplace.projects.models import Project

    project = db.session.scalar(select(Project).where(Project.slug == slug)
                                .options(selectinload(Project.objectives), selectinload(Project.organization)))
    if not policy.visible(None, "project", project):
        abort(404)
    latest = {}
    for objective in project.objectives:
        value = services.latest_value(objective)
        if value is not None:
            latest[objective.id] = value.actual
    xml = activity_xml(project, transparency.build(project), latest)
    return Response(xml, mimetype="application/xml")
