"""API: the same permission-aware search as the search page, as JSON."""

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from marketplace import search as engine
from marketplace.api.auth import viewer
from marketplace.api.knowledge import PROBLEMS
from marketplace.api.problems import ApiProblem, Problem
from marketplace.api.spec import spec
from marketplace.api.views import bp
from marketplace.search import indexer, storage
from marketplace.search.views import result_url


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str = Field("", max_length=500, description="Whoosh syntax: AND, OR, NOT, \"phrases\", field:value")
    kind: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=2)
    theme: str | None = Field(None, max_length=60)
    org_type: str | None = Field(None, max_length=20)
    language: str | None = Field(None, max_length=8)
    region: str | None = Field(None, max_length=3, description="UN M49 sub-region code, e.g. 014")
    tag: str | None = Field(None, max_length=100)
    sort: str = Field("relevance", pattern="^(relevance|newest|endorsed)$")
    page: int = Field(1, ge=1, le=1000)
    as_typed: bool = Field(False, description="no automatic spelling correction")


class HitOut(BaseModel):
    id: str
    kind: str
    title_html: str
    snippet_html: str
    url: str | None
    countries: list[str]
    language: str
    date: datetime | None
    endorsements: int
    missing: list[str] = Field(default_factory=list, description="query words this hit lacks")


class FacetValue(BaseModel):
    value: str
    count: int


class SearchOut(BaseModel):
    total: int
    page: int
    pages: int
    did_you_mean: str | None
    corrected: str | None = Field(None, description="the spelling correction whose results these are")
    partial: str = Field("", description='"none": no hit has every word; "few": partial matches follow')
    hits: list[HitOut]
    facets: dict[str, list[FacetValue]]


def _utc(value) -> datetime | None:
    """The index stores naive UTC datetimes; JSON carries them with their offset."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@bp.get("/search")
@spec.validate(query=SearchQuery, resp=Response(HTTP_200=SearchOut, HTTP_503=Problem, **PROBLEMS), tags=["search"])
def search(query: SearchQuery):
    """Search everything the caller may read; snippets are HTML with <mark> around matches."""
    filters = {k: v for k in ("kind", "country", "theme", "org_type", "language", "region", "tag")
               if (v := getattr(query, k))}
    try:
        page = engine.query(query.q, filters, viewer(), query.page, query.sort, as_typed=query.as_typed)
    except storage.IndexUnavailable:
        indexer.request_rebuild(current_app._get_current_object())  # type: ignore[attr-defined]
        raise ApiProblem(503, "Service Unavailable", _("The search index is being rebuilt; try again soon."),
                         headers={"Retry-After": "30"}) from None
    hits = [HitOut(id=h.doc_id, kind=h.kind, title_html=str(h.title), snippet_html=str(h.snippet),
                   url=result_url(h.url), countries=h.countries, language=h.language,
                   date=_utc(h.date), endorsements=h.endorsements or 0, missing=h.missing)
            for h in page.hits]
    facets = {name: [FacetValue(value=v, count=c) for v, c in values] for name, values in page.facets.items()}
    return SearchOut(total=page.total, page=page.page, pages=page.pages, did_you_mean=page.suggestion,
                     corrected=page.corrected, partial=page.partial, hits=hits, facets=facets)
