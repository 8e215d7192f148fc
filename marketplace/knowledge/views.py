"""Practice pages: browse, read, write, history and diffs, suggested edits, adapt, endorse."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace import worldmap
from marketplace.accounts.models import User
from marketplace.accounts.permissions import (
    can_adapt_practice,
    can_create_practice,
    can_edit_practice,
    can_endorse_practice,
    can_review_parent_changes,
    can_suggest_edit,
    can_view_practice,
    is_moderator,
)
from marketplace.extensions import db
from marketplace.gate import bounded_int
from marketplace.i18n import country_name, is_country
from marketplace.knowledge import queries, revisions, services
from marketplace.knowledge.forms import (
    AdaptForm,
    DiffForm,
    EndorseForm,
    FilterForm,
    PracticeForm,
    RejectForm,
)
from marketplace.knowledge.models import (
    SECTION_LABELS,
    SECTIONS,
    THEMES,
    EditSuggestion,
    Practice,
    PracticeAuthor,
    PracticeOrganization,
    Revision,
)
from marketplace.web import (
    act,
    base_revision,
    confirm_page,
    is_preview,
    keep_conflict,
    page_arg,
    page_holding,
    paginate,
    preview_response,
    require,
)

bp = Blueprint("knowledge", __name__, url_prefix="/practices")

HISTORY_PER_PAGE = 20
SUGGESTIONS_PER_PAGE = 10


_BY_SLUG = select(Practice).where(Practice.slug == bindparam("slug"))
# What the edit, suggest and adapt forms read: the practice with its relationships.
_FULL = _BY_SLUG.options(
    selectinload(Practice.countries), selectinload(Practice.themes), selectinload(Practice.tags),
    joinedload(Practice.owner).lazyload(User.roles), joinedload(Practice.parent),
    joinedload(Practice.current_revision),
    selectinload(Practice.organization_links).joinedload(PracticeOrganization.organization),
    selectinload(Practice.coauthor_links).joinedload(PracticeAuthor.user),
)


def _get(slug: str, query=_BY_SLUG) -> Practice:
    """The practice (`query`: a statement with a :slug parameter), or 404 when missing or a
    draft the viewer may not see."""
    practice = db.session.scalar(query, {"slug": slug})
    if practice is None or not can_view_practice(current_user, practice):
        abort(404)
    return practice


def _url(practice: Practice) -> str:
    return url_for(".show", slug=practice.slug)


@bp.route("/")
def index():
    form = FilterForm(request.args)
    page = queries.browse(current_user, form, page_arg())
    # The map counts what the list shows: the same filters (the sort changes nothing).
    filters = {f.name: f.data for f in form if f.data and f.name != "sort"}
    return render_template("knowledge/index.html", page=page, form=form,
                           labels=queries.labels(), feeds=_filter_feeds(form),
                           world=worldmap.render(
                               "practice", lambda: queries.country_counts(current_user, filters),
                               form.country.data, filters=filters))


def _filter_feeds(form: FilterForm) -> list[tuple[str, str]]:
    """(title, url) of the Atom feeds matching the list's theme and country filters."""
    feeds = []
    if form.theme.data in THEMES:
        feeds.append((_("Practices on %(theme)s", theme=THEMES[form.theme.data]),
                      url_for("feeds.practices_by_theme", theme=form.theme.data)))
    country = (form.country.data or "").upper()
    if country and is_country(country):
        feeds.append((_("Practices in %(country)s", country=country_name(country)),
                      url_for("feeds.practices_by_country", code=country)))
    return feeds


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(can_create_practice(current_user))
    form = PracticeForm()
    form.drop_adaptation()  # adaptations start from "Adapt this practice"
    del form.base_revision
    if is_preview():
        return preview_response("knowledge/form.html", _preview(form), form=form, practice=None,
                                mode="new")
    if not form.validate_on_submit():
        return render_template("knowledge/form.html", form=form, practice=None,
                               mode="new"), 400 if form.errors else 200
    return act(lambda: services.create_practice(current_user, form.data_dict(), form.message.data,
                                                coauthors=form.coauthors.data),
               success=_("Your practice is saved as a draft. Publish it when it is ready."),
               to=_url, form=form, template="knowledge/form.html",
               context={"practice": None, "mode": "new"})


LINEAGE_PER_PAGE = 30  # a popular practice is adapted in dozens of places, then adapted again


@bp.route("/<slug>")
def show(slug):
    practice = _get(slug, queries.PAGE_QUERY)
    page = queries.page_context(practice, current_user)
    lineage = page["lineage"]  # the whole tree: the evidence across it reads every node
    return render_template(
        "knowledge/show.html", **page, endorse_form=EndorseForm() if page["can_endorse"] else None,
        lineage_page=page_holding(lineage, lambda row: row[1].id == practice.id, LINEAGE_PER_PAGE,
                                  name="lineage_page"),
        my_suggestions=queries.my_pending_suggestions(practice, current_user))


def _practice_form(practice: Practice, mode: str):
    form = PracticeForm()
    if mode == "suggest" or not _manages_coauthors(practice):
        del form.coauthors
    if not practice.is_adaptation:
        form.drop_adaptation()
    if request.method == "GET":
        form.fill(services.practice_data(practice))
        if form.coauthors is not None:
            form.coauthors.data = services.coauthor_emails(practice)
        if practice.current_revision is not None:
            form.base_revision.data = str(practice.current_revision.number)
    ctx = {"practice": practice, "mode": mode}
    if is_preview():
        return form, ctx, preview_response("knowledge/form.html", _preview(form), form=form, **ctx)
    if not form.validate_on_submit():
        return form, ctx, (render_template("knowledge/form.html", form=form, **ctx),
                           400 if form.errors else 200)
    return form, ctx, None


def _preview(form: PracticeForm) -> list[tuple[str, str]]:
    """(label, HTML) of each section as the page would show it."""
    html = services.render_sections({s: getattr(form, s).data or "" for s in SECTIONS})
    return [(str(SECTION_LABELS[s]), html[s]) for s in SECTIONS]


def _manages_coauthors(practice: Practice) -> bool:
    return current_user.id == practice.owner_id or is_moderator(current_user)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    practice = _get(slug, _FULL)
    require(can_edit_practice(current_user, practice))
    form, ctx, response = _practice_form(practice, "edit")
    if response:
        return response
    coauthors = form.coauthors.data if form.coauthors is not None else None
    base = base_revision(form)
    return act(lambda: services.update_practice(practice, current_user, form.data_dict(),
                                                form.message.data, coauthors=coauthors,
                                                base_revision=base),
               success=lambda revision: revisions.saved_message(
                   _("Your changes are saved as a new revision."), base,
                   revision.number if revision is not None else None, practice_id=practice.id),
               to=_url(practice), form=form, template="knowledge/form.html", context=ctx,
               on_error=keep_conflict(form, ctx))


@bp.route("/<slug>/suggest", methods=["GET", "POST"])
@login_required
def suggest(slug):
    practice = _get(slug, _FULL)
    require(can_suggest_edit(current_user, practice))
    form, ctx, response = _practice_form(practice, "suggest")
    if response:
        return response
    return act(lambda: services.suggest_edit(practice, current_user, form.data_dict(), form.message.data,
                                             base_revision=base_revision(form)),
               success=_("Thank you: the authors will review your suggestion."), to=_url(practice),
               form=form, template="knowledge/form.html", context=ctx)


@bp.route("/<slug>/publish", methods=["POST"])
@login_required
def publish(slug):
    practice = _get(slug)
    require(can_edit_practice(current_user, practice))
    return act(lambda: services.publish_practice(practice),
               success=_("The practice is published."), to=_url(practice))


@bp.route("/<slug>/archive", methods=["GET", "POST"])
@login_required
def archive(slug):
    """GET: the confirmation page (works without JavaScript); POST: archive."""
    practice = _get(slug)
    require(can_edit_practice(current_user, practice))
    if request.method == "GET" and not practice.is_published:  # a bookmarked or typed address
        flash(_("Only a published practice can be archived; a draft can be deleted instead."), "info")
        return redirect(_url(practice))
    if request.method == "GET":
        return confirm_page(_("Archive “%(title)s”?", title=practice.title),
                            _("Archive the practice"), _url(practice),
                            detail=_("It leaves the list of published practices; its page and "
                                     "history stay readable."))
    return act(lambda: services.archive_practice(practice),
               success=_("The practice is archived."), to=_url(practice))


@bp.route("/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete(slug):
    """GET: the confirmation page; POST: delete a draft never published."""
    practice = _get(slug)
    require(can_edit_practice(current_user, practice))
    if not practice.is_unpublished_draft:
        flash(_("Only a draft that was never published can be deleted; archive it instead."), "info")
        return redirect(_url(practice))
    if request.method == "GET":
        return confirm_page(_("Delete the draft “%(title)s”?", title=practice.title), _("Delete the draft"),
                            _url(practice), detail=_("It was never published: it and its revisions are gone "
                                                     "for good."), back_label=_("Keep the draft"))
    return act(lambda: services.delete_draft(practice, current_user), success=_("The draft is deleted."),
               to=url_for(".index", status="draft"))


@bp.route("/<slug>/history")
def history(slug):
    """Every revision, newest first, HISTORY_PER_PAGE a page; any two compare by number."""
    practice = _get(slug)
    span = revisions.revision_span(practice_id=practice.id)
    page = paginate(revisions.revision_query(practice_id=practice.id).options(joinedload(Revision.author)),
                    HISTORY_PER_PAGE, total=span.total)
    return render_template("knowledge/history.html", practice=practice, page=page, latest=span.latest,
                           diff_form=_diff_form(span.latest),
                           can_edit=can_edit_practice(current_user, practice))


def _diff_form(latest: int, a: int | None = None, b: int | None = None) -> DiffForm:
    """The two revision numbers to compare: by default the latest and the one before it."""
    form = DiffForm(formdata=None)
    form.b.data = b if b is not None else latest
    form.a.data = a if a is not None else max(form.b.data - 1, 1)
    return form


@bp.route("/<slug>/diff")
def diff(slug):
    """?a=<number>&b=<number>: what changed from revision a to revision b (either may be missing:
    b is then the latest, a the one before b); 404 when either is not a revision of the practice."""
    practice = _get(slug)
    latest = revisions.revision_span(practice_id=practice.id).latest
    form = _diff_form(latest, request.args.get("a", type=int), request.args.get("b", type=int))
    numbers = (form.a.data, form.b.data)
    if not all(1 <= n <= latest for n in numbers):
        abort(404)
    found = revisions.revisions_numbered(numbers, practice_id=practice.id)
    old, new = found.get(form.a.data), found.get(form.b.data)
    if old is None or new is None:
        abort(404)
    return render_template("knowledge/diff.html", practice=practice, form=form, old=old, new=new,
                           latest=latest, changes=services.diff(old.data, new.data),
                           can_edit=can_edit_practice(current_user, practice))


@bp.route("/<slug>/revert/<int:number>", methods=["POST"])
@login_required
def revert(slug, number):
    practice = _get(slug)
    require(can_edit_practice(current_user, practice))
    revision = revisions.get_revision(number, practice_id=practice.id) or abort(404)
    return act(lambda: services.revert_to(practice, revision, current_user),
               success=_("Reverted to revision %(n)d.", n=number), to=_url(practice))


@bp.route("/<slug>/suggestions")
@login_required
def suggestions(slug):
    """The pending suggestions, oldest first (a queue), SUGGESTIONS_PER_PAGE a page, each with
    its diff (computed for this page's suggestions only)."""
    practice = _get(slug, _FULL)
    require(can_edit_practice(current_user, practice))
    page = paginate(queries.pending_suggestions(practice), SUGGESTIONS_PER_PAGE)
    return render_template("knowledge/suggestions.html", practice=practice,
                           page=queries.with_diffs(practice, page), reject_form=RejectForm())


def _suggestion(practice: Practice, suggestion_id: int) -> EditSuggestion:
    suggestion = db.session.get(EditSuggestion, suggestion_id)
    if suggestion is None or suggestion.practice_id != practice.id:
        abort(404)
    return suggestion


@bp.route("/<slug>/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@login_required
def accept_suggestion(slug, suggestion_id):
    practice = _get(slug)
    require(can_edit_practice(current_user, practice))
    suggestion = _suggestion(practice, suggestion_id)
    overwrite = bounded_int(request.form.get("overwrite"))
    return act(lambda: services.accept_suggestion(suggestion, current_user, overwrite=overwrite),
               success=_("The suggestion is accepted and saved as a revision by its author."),
               to=_url(practice), error_to=url_for(".suggestions", slug=slug))


@bp.route("/<slug>/suggestions/<int:suggestion_id>/reject", methods=["POST"])
@login_required
def reject_suggestion(slug, suggestion_id):
    practice = _get(slug)
    require(can_edit_practice(current_user, practice))
    suggestion = _suggestion(practice, suggestion_id)
    form = RejectForm()
    # Back to the queue's page the reader was on (the form's URL carries it).
    queue = url_for(".suggestions", slug=slug, page=page_arg() if page_arg() > 1 else None)
    if not form.validate_on_submit():
        flash(_("Say why you reject this suggestion."), "error")
        return redirect(queue)
    return act(lambda: services.reject_suggestion(suggestion, current_user, form.reason.data),
               success=_("The suggestion is rejected."), to=queue)


@bp.route("/<slug>/suggestions/<int:suggestion_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_suggestion(slug, suggestion_id):
    """GET: the confirmation page; POST: its author takes the suggestion back."""
    practice = _get(slug)
    suggestion = _suggestion(practice, suggestion_id)
    if suggestion.author_id != current_user.id:
        abort(404)  # another's suggestion: as if it did not exist
    if request.method == "GET" and not suggestion.is_pending:  # decided or withdrawn meanwhile
        flash(_("This suggestion has already been decided."), "info")
        return redirect(_url(practice))
    if request.method == "GET":
        return confirm_page(_("Withdraw your suggested edit to “%(title)s”?", title=practice.title),
                            _("Withdraw the suggestion"), _url(practice), back_label=_("Keep the suggestion"))
    return act(lambda: services.withdraw_suggestion(suggestion, current_user),
               success=_("Your suggestion is withdrawn."), to=_url(practice))


@bp.route("/<slug>/adapt", methods=["GET", "POST"])
@login_required
def adapt(slug):
    parent = _get(slug, _FULL)
    require(can_adapt_practice(current_user, parent))
    form = AdaptForm()
    if request.method == "GET" and current_user.country:
        form.country.data = current_user.country  # most adapt to their own country
    if not form.validate_on_submit():
        return render_template("knowledge/adapt.html", form=form, practice=parent), (
            400 if form.errors else 200)
    existing = None if form.again.data else services.own_adaptation(parent, current_user, form.country.data)
    if existing is not None:  # adapting twice to one country is most often a second click or tab
        form.again.data = "1"
        return render_template("knowledge/adapt.html", form=form, practice=parent, existing=existing), 409
    return act(lambda: services.adapt_practice(parent, current_user, form.country.data,
                                               form.context.data, form.rationale.data),
               success=_("Your adaptation is a draft: edit it for your context, then publish it."),
               to=_url, form=form, template="knowledge/adapt.html", context={"practice": parent})


@bp.route("/<slug>/original-changes")
def original_changes(slug):
    """The three-way view: the original then → now, beside the adaptation, per changed field."""
    practice = _get(slug)
    parent = practice.parent
    if parent is None or not can_view_practice(current_user, parent):
        abort(404)
    changes = services.parent_changes(practice) or []
    return render_template("knowledge/original_changes.html", practice=practice, parent=parent,
                           rows=services.three_way(practice, changes),
                           then=practice.review.reviewed_revision if practice.review else None,
                           now=parent.current_revision,
                           can_review=can_review_parent_changes(current_user, practice))


@bp.route("/<slug>/original-changes/reviewed", methods=["POST"])
@login_required
def mark_reviewed(slug):
    practice = _get(slug)
    require(can_review_parent_changes(current_user, practice))
    return act(lambda: services.mark_parent_reviewed(practice, current_user),
               success=_("The original's changes are marked as reviewed."), to=_url(practice),
               error_to=url_for(".original_changes", slug=slug))


@bp.route("/<slug>/endorse", methods=["POST"])
@login_required
def endorse(slug):
    practice = _get(slug)
    require(can_endorse_practice(current_user, practice))
    form = EndorseForm()
    if not form.validate_on_submit():
        flash(_("Choose how you endorse it."), "error")
        return redirect(_url(practice))
    return act(lambda: services.endorse(practice, current_user, form.kind.data, form.comment.data),
               success=_("Thank you for endorsing this practice."), to=_url(practice))


@bp.route("/<slug>/unendorse", methods=["POST"])
@login_required
def unendorse(slug):
    practice = _get(slug)
    return act(lambda: services.unendorse(practice, current_user),
               success=_("Your endorsement is withdrawn."), to=_url(practice))

