"""The search page, the header box's suggestions (htmx fragment) and a JSON suggest endpoint."""

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

from marketplace import i18n, search
from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS
from marketplace.knowledge.models import THEMES
from marketplace.search import file_hits, indexer, storage
from marketplace.search.searching import FILTERS, SORTS
from marketplace.web import page_arg

bp = Blueprint("search", __name__)

KIND_LABELS = {
    "practice": _l("Practice"), "case": _l("Case study"), "thread": _l("Discussion"),
    "post": _l("Post"), "project": _l("Project"), "event": _l("Event"), "person": _l("Person"),
    "organization": _l("Organization"), "community": _l("Community"),
}
SORT_LABELS = {"relevance": _l("Relevance"), "newest": _l("Newest"), "endorsed": _l("Most endorsed")}
FACET_LABELS = {"kind": _l("Type"), "region": _l("Region"), "countries": _l("Country"),
                "themes": _l("Theme"), "tags": _l("Tag"), "org_type": _l("Organization type"),
                "language": _l("Language")}
FACET_PARAM = {"kind": "kind", "region": "region", "countries": "country", "themes": "theme",
               "tags": "tag", "org_type": "org_type", "language": "language"}


def result_url(url: tuple | None) -> str | None:
    if not url:
        return None
    endpoint, values = url
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_global()
def search_result_url(hit) -> str | None:
    return result_url(hit.url)


@bp.app_template_global()
def search_file_match(hit, q: str) -> file_hits.FileMatch | None:
    """The attached file (and page) where the hit's match is, if it is in one."""
    return file_hits.find(current_user, hit.doc_id, q)


@bp.route("/search")
def index():
    text = request.args.get("q", "").strip()[:500]
    filters = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "relevance"
    as_typed = request.args.get("as_typed") == "1"  # "search instead for" what was typed
    try:
        page = search.query(text, filters, current_user, page_arg(), sort, as_typed=as_typed)
    except storage.IndexUnavailable:
        indexer.request_rebuild(current_app._get_current_object())
        return render_template("search/index.html", q=text, filters=filters, sort=sort,
                               page=None, rebuilding=True, **_labels()), 503
    # A query of only spaces (the gate empties it) lists everything, with a hint: never an error.
    blank = "q" in request.args and not text
    return render_template("search/index.html", q=text, filters=filters, sort=sort, page=page,
                           rebuilding=False, blank=blank, **_labels())


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "sort_labels": SORT_LABELS,
            "facet_labels": FACET_LABELS, "facet_param": FACET_PARAM}


def _suggestions() -> list[dict]:
    try:
        found = search.suggest(request.args.get("q", "")[:100], current_user)
    except storage.IndexUnavailable:
        return []
    return [{"title": s["title"], "kind": s["kind"], "url": result_url(s["url"])} for s in found]


@bp.route("/search/suggest")
def suggest_json():
    return jsonify(suggestions=_suggestions())


@bp.route("/search/suggest/fragment")
def suggest_fragment():
    return render_template("search/_suggestions.html", suggestions=_suggestions(),
                           kind_labels=KIND_LABELS)


@bp.app_template_global()
def search_facet_label(fieldname: str, value: str) -> str:
    if fieldname == "kind":
        return str(KIND_LABELS.get(value, value))
    if fieldname == "countries":
        return i18n.country_name(value)
    if fieldname == "language":
        return i18n.language_name(value)
    if fieldname == "org_type":
        return str(ORGANIZATION_TYPE_LABELS.get(value, value))
    if fieldname == "themes":
        return str(THEMES.get(value, value))
    if fieldname == "region":
        return i18n.m49_name(value)
    return value
