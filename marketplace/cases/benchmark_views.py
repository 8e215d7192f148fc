"""Benchmarks: the metric definitions (curated by moderators) and one comparison page each."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select

from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS
from marketplace.accounts.permissions import can_manage_metric_definitions
from marketplace.cases import benchmark, chart_svg, services
from marketplace.cases.forms import MetricDefinitionForm
from marketplace.cases.models import CaseStudy, Metric, MetricDefinition
from marketplace.cases.views import show_saved, signed
from marketplace.extensions import db
from marketplace.i18n import REGION_LABELS, country_name, region_of, translated
from marketplace.paging import Page
from marketplace.web import act, page_holding, paginate, require

bp = Blueprint("benchmarks", __name__, url_prefix="/benchmarks")
TABLE_ROWS = 50


_BY_SLUG = select(MetricDefinition).where(MetricDefinition.slug == bindparam("slug"))


def _get(slug: str) -> MetricDefinition:
    return db.session.scalar(_BY_SLUG, {"slug": slug}) or abort(404)


@bp.app_template_global("chart_svg")
def _chart_svg(chart, id: str, truncate_at: int, *, title: str, description: str, unit: str):
    return chart_svg.bars_svg(chart, id, truncate_at, title=title, description=description, unit=unit,
                              signed=signed)


METRICS_PER_PAGE = 50


@bp.route("/")
def index():
    page = paginate(select(MetricDefinition).order_by(func.lower(MetricDefinition.name), MetricDefinition.id),
                    METRICS_PER_PAGE)
    counts: dict[int, int] = {definition_id: n for definition_id, n in db.session.execute(
        select(Metric.metric_definition_id, func.count())
        .join(CaseStudy, Metric.case_study_id == CaseStudy.id)
        .where(CaseStudy.status == "published",
               Metric.metric_definition_id.in_([d.id for d in page.items]))
        .group_by(Metric.metric_definition_id))}
    return render_template("cases/benchmarks.html", page=page, counts=counts,
                           can_manage=can_manage_metric_definitions(current_user))


def _benchmark_filters(points: list[benchmark.Point]) -> dict:
    args = request.args
    countries = {p.country for p in points if p.country}
    regions = {region_of(c) for c in countries}
    return {
        "country": args.get("country", ""), "region": args.get("region", ""),
        "org_type": args.get("org_type", ""), "case": args.get("case", ""),
        "countries": sorted(countries, key=country_name),
        "regions": [r for r in REGION_LABELS if r in regions],
    }


def _table_page(ranked: list, highlight: int | None) -> Page:
    """The requested page of the ranking; without ?page=, the page holding the highlighted case."""
    return page_holding(ranked, lambda row: row[0].case_id == highlight, TABLE_ROWS)


@bp.route("/<slug>")
def show(slug):
    definition = _get(slug)
    everyone = benchmark.peer_points([definition])[definition.id]
    f = _benchmark_filters(everyone)
    peers = benchmark.filter_points(everyone, country=f["country"], region=f["region"],
                                    organization_type=f["org_type"])
    highlight = next((p.case_id for p in peers if p.slug == f["case"]), None)
    ranked = benchmark.rank_points(peers)
    shown = benchmark.chart_points([p for p, _s in ranked], highlight)
    return render_template(
        "cases/benchmark.html", definition=definition, n=len(ranked),
        page=_table_page(ranked, highlight), chart=benchmark.bar_chart(shown, highlight),
        phone_chart=benchmark.bar_chart(shown, highlight, width=360, stacked=True),
        highlight=highlight, f=f, total=len(everyone), org_types=translated(ORGANIZATION_TYPE_LABELS),
        region_labels=translated(REGION_LABELS), can_manage=can_manage_metric_definitions(current_user))


def _definition_form(form, definition, status=200):
    return render_template("cases/definition_form.html", form=form,
                           definition=definition), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require_manage()
    form = MetricDefinitionForm()
    if not form.validate_on_submit():
        return _definition_form(form, None, 400 if form.errors else 200)
    return act(lambda: services.create_metric_definition(
        slug=form.slug.data.strip(), name=form.name.data, unit=form.unit.data or "",
        direction=form.direction.data, description=form.description.data or "",
        translations=form.translations()),
        success=_("The metric is saved."), to=show_saved, form=form,
        template="cases/definition_form.html", context={"definition": None})


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    require_manage()
    definition = _get(slug)
    form = MetricDefinitionForm(obj=definition)
    form.slug.data = definition.slug  # stable: shown, never changed
    if request.method == "GET":
        form.description.data = definition.description_source
        form.fill_translations(definition.translations)
    if not form.validate_on_submit():
        return _definition_form(form, definition, 400 if form.errors else 200)
    return act(lambda: services.update_metric_definition(
        definition, name=form.name.data, unit=form.unit.data or "",
        direction=form.direction.data, description=form.description.data or "",
        translations=form.translations()),
        success=_("The metric is saved."), to=show_saved, form=form,
        template="cases/definition_form.html", context={"definition": definition})


def require_manage() -> None:
    require(can_manage_metric_definitions(current_user))
