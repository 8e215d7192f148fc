"""Case studies: browse, page, create, edit, history, diff, revert."""

from flask import (
    Blueprint,
    abort,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from marketplace import policy, worldmap
from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS
from marketplace.accounts.permissions import (
    can_create_case_study,
    can_edit_case_study,
    can_view_case_study,
    can_view_practice,
)
from marketplace.cases import benchmark, services
from marketplace.cases.forms import (
    CaseStudyForm,
    case_input,
    fill_form,
    set_choices,
)
from marketplace.cases.lineage import LineageEvidence, lineage_evidence, subtree
from marketplace.cases.models import SECTION_LABELS, SECTIONS, CaseStudy, case_study_practice
from marketplace.extensions import db
from marketplace.i18n import country_choices, format_number, language_choices, m49_choices, region_of
from marketplace.knowledge import revisions
from marketplace.knowledge.models import THEMES, Practice
from marketplace.paging import Page
from marketplace.web import act, base_revision, keep_conflict, paginate, require

bp = Blueprint("cases", __name__, url_prefix="/cases")

SORTS = services.LIST_SORTS
PER_PAGE = 20
HISTORY_PER_PAGE = 20
PRACTICE_CASES = 20  # the practice page lists this many, then links to the list filtered by practice


def _get(slug: str) -> CaseStudy:
    """The case study at `slug`, with what its page shows; 404 for drafts the viewer can't see."""
    case = db.session.scalar(
        select(CaseStudy).where(CaseStudy.slug == slug).options(
            joinedload(CaseStudy.owner), joinedload(CaseStudy.organization),
            selectinload(CaseStudy.practices), selectinload(CaseStudy.coauthors),
            selectinload(CaseStudy.metrics)))
    if case is None or not can_view_case_study(current_user, case):
        abort(404)
    return case


def _filters() -> dict:
    args = request.args
    return {k: args.get(k, "") for k in ("region", "country", "theme", "org_type", "language", "q",
                                          "practice")} | {
        "sort": args.get("sort") if args.get("sort") in SORTS else "newest"}


@bp.route("/")
def index():
    f = _filters()
    page = paginate(services.list_query(current_user, f), per_page=PER_PAGE)
    practice = None
    if f["practice"]:  # named above the list, when the viewer may see it
        practice = db.session.scalar(select(Practice).where(Practice.slug == f["practice"]))
        practice = practice if practice is not None and can_view_practice(current_user, practice) else None
    return render_template(
        "cases/index.html", page=page, f=f, practice=practice,
        every_practice_url=url_for(".index", **{k: v for k, v in request.args.items()
                                                if k not in ("practice", "page")}),
        countries=country_choices(_("All countries")),
        regions=m49_choices(_("All regions")),
        themes=THEMES, org_types=ORGANIZATION_TYPE_LABELS, languages=language_choices(),
        can_create=can_create_case_study(current_user),
        world=worldmap.render("case", services.country_counts, f["country"]))


@bp.route("/<slug>")
def show(slug):
    case = _get(slug)
    peers = benchmark.peer_points([m.definition for m in case.metrics])
    rows = []
    for m in case.metrics:
        own = benchmark.own_point(m, case)
        rows.append((m, benchmark.standing_among(own, peers[m.metric_definition_id]), own))
    practices = [p for p in case.practices if can_view_practice(current_user, p)]
    return render_template(
        "cases/show.html", case=case, rows=rows, practices=practices, sections=SECTIONS,
        section_labels=SECTION_LABELS, can_edit=can_edit_case_study(current_user, case))


def show_saved(saved) -> str:
    """The page (`.show` of the current blueprint) of what a service call saved."""
    return url_for(".show", slug=saved.slug)


def _form_page(form, case, status=200):
    return render_template("cases/form.html", form=form, case=case), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(can_create_case_study(current_user))
    form = CaseStudyForm()
    set_choices(form, current_user, None)
    if request.method == "GET" and request.args.get("practice"):
        form.practices.data = request.args["practice"]
    if form.add_row.data or not form.validate_on_submit():
        return _form_page(form, None, 400 if form.errors else 200)
    return act(lambda: services.create_case_study(current_user, case_input(form), form.message.data),
               success=_("The case study is saved."), to=show_saved, form=form,
               template="cases/form.html", context={"case": None})


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    case = _get(slug)
    require(can_edit_case_study(current_user, case))
    form = CaseStudyForm()
    if request.method == "GET":
        fill_form(form, case)
        form.base_revision.data = str(revisions.revision_span(case_study_id=case.id).latest)
    set_choices(form, current_user, case)
    if form.add_row.data or not form.validate_on_submit():
        return _form_page(form, case, 400 if form.errors else 200)
    base, ctx = base_revision(form), {"case": case}
    return act(lambda: services.update_case_study(case, current_user, case_input(form),
                                                  form.message.data, base_revision=base),
               success=lambda saved: revisions.saved_message(
                   _("The case study is saved."), base,
                   revisions.revision_span(case_study_id=saved.id).latest, case_study_id=saved.id),
               to=show_saved, form=form, template="cases/form.html", context=ctx,
               on_error=keep_conflict(form, ctx))


@bp.route("/<slug>/history")
def history(slug):
    """Every revision, newest first, HISTORY_PER_PAGE a page; any two compare by number."""
    case = _get(slug)
    span = revisions.revision_span(case_study_id=case.id)
    page = paginate(revisions.revision_query(case_study_id=case.id).options(
        joinedload(revisions.Revision.author)), HISTORY_PER_PAGE, total=span.total)
    return render_template("cases/history.html", case=case, page=page, latest=span.latest,
                           can_edit=can_edit_case_study(current_user, case))


@bp.route("/<slug>/diff")
def diff(slug):
    case = _get(slug)
    numbers = [request.args.get(k, type=int) for k in ("from", "to")]
    old, new = (revisions.get_revision(n, case_study_id=case.id) if n else None for n in numbers)
    if old is None or new is None:
        abort(404)
    return render_template("cases/diff.html", case=case, old=old, new=new,
                           diffs=services.diff_revisions(old, new, current_user),
                           can_edit=can_edit_case_study(current_user, case))


@bp.route("/<slug>/revert/<int:number>", methods=["POST"])
@login_required
def revert(slug, number):
    case = _get(slug)
    require(can_edit_case_study(current_user, case))
    return act(lambda: services.revert_case_study(case, current_user, number),
               success=_("Revision %(n)d is restored as a new revision.", n=number),
               to=url_for(".show", slug=slug), error_to=url_for(".history", slug=slug))


# Built once (:practice_id); building it cost as much as running it.
_PRACTICE_CASES = (
    select(CaseStudy)
    .options(load_only(CaseStudy.slug, CaseStudy.title, CaseStudy.country, CaseStudy.status))
    .join(case_study_practice, case_study_practice.c.case_study_id == CaseStudy.id)
    .where(case_study_practice.c.practice_id == bindparam("practice_id"))
    .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
    .limit(PRACTICE_CASES)
)


@bp.app_context_processor
def _practice_cases():
    """`case_studies_for(practice)` for templates/cases/_for_practice.html."""

    def case_studies_for(practice: Practice) -> Page:
        """The first PRACTICE_CASES case studies of the practice the viewer may see, and how many
        there are: one query, and a count only when the first page is full."""
        visible = policy.clause(current_user, "case", CaseStudy)
        items = db.session.scalars(_PRACTICE_CASES.where(visible), {"practice_id": practice.id}).all()
        total = len(items)
        if total == PRACTICE_CASES:
            total = db.session.scalar(
                select(func.count()).select_from(case_study_practice)
                .join(CaseStudy, CaseStudy.id == case_study_practice.c.case_study_id)
                .where(case_study_practice.c.practice_id == practice.id, visible))
        return Page(items, 1, PRACTICE_CASES, total)

    def lineage_evidence_for(practice: Practice, tree: list) -> LineageEvidence:
        """The practice page's roll-up, from the lineage tree it has read (none: no query)."""
        adaptations = subtree(practice, tree)
        if not adaptations:
            return LineageEvidence()
        return lineage_evidence(practice, current_user, adaptations)

    return {"case_studies_for": case_studies_for, "lineage_evidence_for": lineage_evidence_for}


@bp.app_template_filter("signed")
def signed(value: float) -> str:
    """A change with its sign, in the reader's locale: +1.5, −2, 0."""
    return format_number(value, "+#,##0.##;-#,##0.##")


@bp.app_template_filter("region_code")
def _region_code(country: str | None) -> str | None:
    return region_of(country)


@bp.app_template_global()
def practice_url(practice: Practice) -> str:
    return url_for("knowledge.show", slug=practice.slug)
