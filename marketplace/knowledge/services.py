"""Practice verbs: create, edit (a revision per save), publish/archive, revert, suggested
edits, adaptations and endorsements. Services add and flush; the caller commits.

`data` dicts carry the editable fields (EDITABLE_FIELDS); `clean_data` validates them.
"""


from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, select, update
from sqlalchemy.orm import load_only

from marketplace import links, policy
from marketplace.accounts import mentions as account_mentions
from marketplace.accounts.models import Organization, User
from marketplace.accounts.services import record_audit
from marketplace.database import lock_row, utcnow
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.i18n import country_name, is_country, is_language
from marketplace.knowledge import revisions
from marketplace.knowledge.models import (
    SECTION_LABELS,
    SECTIONS,
    THEMES,
    AdaptationReview,
    EditSuggestion,
    Endorsement,
    EndorsementKind,
    Level,
    Practice,
    PracticeAuthor,
    PracticeCountry,
    PracticeOrganization,
    PracticeTag,
    PracticeTheme,
    Revision,
    Status,
    SuggestionStatus,
)
from marketplace.notifications import kinds
from marketplace.notifications.services import notify
from marketplace.slugs import parse_tags, unique_slug
from marketplace.text import is_web_url

# Field -> label, in the order the diff shows them. These are what a revision snapshots.
FIELD_LABELS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    **SECTION_LABELS,
    "countries": _l("Countries"),
    "themes": _l("Themes"),
    "tags": _l("Tags"),
    "level": _l("Level"),
    "language": _l("Language"),
    "organizations": _l("Organizations"),
    "licence": _l("Licence"),
    "source_url": _l("Source URL"),
    "adaptation_country": _l("Adapted for"),
    "adaptation_context": _l("Adaptation context"),
    "adaptation_rationale": _l("What changed and why"),
}
EDITABLE_FIELDS = tuple(FIELD_LABELS)
SCALAR_FIELDS = ("title", "summary", "level", "language", "licence", "source_url",
                 "adaptation_country", "adaptation_context", "adaptation_rationale")

# Fields whose values form a set: compared as sets, stored sorted (one canonical order), so
# the order a form or an importer sends them in is never a change.
SET_FIELDS = ("countries", "themes", "tags", "organizations")

DEFAULTS = {
    "summary": "", **{s: "" for s in SECTIONS}, "countries": [], "themes": [], "tags": [],
    "level": Level.NATIONAL.value, "language": "en", "organizations": [],
    "licence": "CC-BY-4.0", "source_url": None, "adaptation_country": None,
    "adaptation_context": "", "adaptation_rationale": "",
}


# --- data: validation, snapshots, application ---------------------------------------------


def clean_data(data: dict) -> dict:
    """A complete, validated copy of `data` (missing keys take DEFAULTS). Raises InvalidInput."""
    out = {**DEFAULTS, **{k: v for k, v in data.items() if k in FIELD_LABELS}}
    out["title"] = " ".join((out.get("title") or "").split())[:200]
    if not out["title"]:
        raise InvalidInput("title", _("A title is required."))
    out["summary"] = (out["summary"] or "").strip()[:600]
    for section in SECTIONS:
        out[section] = out[section] or ""
    out["countries"] = _codes(out["countries"], is_country, "countries", str.upper)
    out["themes"] = list(dict.fromkeys(out["themes"] or []))
    if any(t not in THEMES for t in out["themes"]):
        raise InvalidInput("themes", _("Choose themes from the list."))
    tags = out["tags"]
    out["tags"] = parse_tags(tags) if isinstance(tags, str) else parse_tags(",".join(tags or []))
    if out["level"] not in {level.value for level in Level}:
        raise InvalidInput("level", _("Choose a level from the list."))
    if not is_language(out["language"]):
        raise InvalidInput("language", _("Choose a language from the list."))
    out["language"] = out["language"].lower()
    out["organizations"] = _organization_ids(out["organizations"])
    out["licence"] = (out["licence"] or "CC-BY-4.0").strip()[:40]
    out["source_url"] = _url(out["source_url"])
    country = out["adaptation_country"]
    if country and not is_country(country):
        raise InvalidInput("adaptation_country", _("Choose a country from the list."))
    out["adaptation_country"] = country.upper() if country else None
    return canonical(out)


def canonical(data: dict) -> dict:
    """`data` with each set field sorted and without repeats (other fields as they are)."""
    out = dict(data)
    for field in SET_FIELDS:
        if isinstance(out.get(field), list | tuple):
            out[field] = sorted(set(out[field]))
    return out


def _codes(values, valid, field: str, norm) -> list[str]:
    codes = [norm(v.strip()) for v in (values or []) if v and v.strip()]
    if any(not valid(c) for c in codes):
        raise InvalidInput(field, _("Choose countries from the list."))
    return list(dict.fromkeys(codes))


def _organization_ids(values) -> list[int]:
    ids = list(dict.fromkeys(int(v) for v in (values or [])))
    if ids:
        found = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(ids))))
        if found != set(ids):
            raise InvalidInput("organizations", _("Choose organizations from the list."))
    return ids


def _url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not is_web_url(value) or len(value) > 1000:
        raise InvalidInput("source_url", _("Give a web address starting with http:// or https://."))
    return value


def practice_data(practice: Practice, related: dict | None = None) -> dict:
    """The snapshot of a practice's editable fields, as stored in a revision. `related` gives
    countries, themes, tags and organizations (ids) already read, instead of the relationships."""
    data = revisions.snapshot(practice, SCALAR_FIELDS)
    data.update({s: getattr(practice, f"{s}_source") for s in SECTIONS})
    if related is None:
        related = {"countries": practice.country_codes, "themes": practice.theme_slugs,
                   "tags": practice.tag_names,
                   "organizations": [link.organization_id for link in practice.organization_links]}
    data.update(related)
    return canonical(data)


def _check_source_url(practice: Practice, url: str | None) -> None:
    """source_url is unique: another practice's URL is a field error, not an IntegrityError."""
    taken = select(Practice.id).where(Practice.source_url == url)
    if practice.id is not None:
        taken = taken.where(Practice.id != practice.id)
    if url is not None and db.session.scalar(taken.limit(1)) is not None:
        raise InvalidInput("source_url", _("Another practice already cites this source URL."))


def _apply(practice: Practice, data: dict) -> None:
    _check_source_url(practice, data["source_url"])
    for field in SCALAR_FIELDS:
        setattr(practice, field, data[field])
    for section, html in render_sections(data).items():
        setattr(practice, f"{section}_source", data[section])
        setattr(practice, f"{section}_html", html)
    _sync(practice.countries, data["countries"], "country", PracticeCountry)
    _sync(practice.themes, data["themes"], "theme", PracticeTheme)
    _sync(practice.tags, data["tags"], "tag", PracticeTag)
    _sync(practice.organization_links, data["organizations"], "organization_id",
          PracticeOrganization)


def render_sections(data: dict) -> dict[str, str]:
    """Section -> safe HTML, with @mentions of people linked to their profiles (the page and
    the preview render the same way)."""
    people = account_mentions.everyone("\n".join(data.get(s) or "" for s in SECTIONS))
    return {s: account_mentions.render(data.get(s) or "", people) for s in SECTIONS}


def _sync(rows: list, wanted: list, attr: str, model) -> None:
    """Make the association rows match `wanted`, keeping rows that stay."""
    current = {getattr(row, attr): row for row in rows}
    for value, row in current.items():
        if value not in wanted:
            rows.remove(row)
    for value in wanted:
        if value not in current:
            rows.append(model(**{attr: value}))


def display_data(data: dict) -> dict:
    """A snapshot with codes and ids replaced by names, for readable diffs."""
    out = dict(data)
    out["countries"] = [country_name(c) for c in data.get("countries") or []]
    out["themes"] = [str(THEMES.get(t, t)) for t in data.get("themes") or []]
    ids = data.get("organizations") or []
    names = dict(db.session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    ).all()) if ids else {}
    out["organizations"] = [names.get(i, "?") for i in ids]
    out["adaptation_country"] = country_name(data.get("adaptation_country"))
    return out


def diff(old: dict, new: dict) -> list[revisions.FieldDiff]:
    """Field by field; set fields compare as sets (a stored order is never a change)."""
    return revisions.diff_snapshots(display_data(canonical(old)), display_data(canonical(new)),
                                    FIELD_LABELS)


# --- create, edit, publish ----------------------------------------------------------------


def create_practice(owner: User, data: dict, message: str = "", *,
                    status: Status = Status.DRAFT, parent: Practice | None = None,
                    coauthors: str = "") -> Practice:
    data = clean_data(data)
    practice = Practice(slug=unique_slug(Practice, data["title"]), owner_id=owner.id,
                        status=Status.DRAFT.value, parent=parent)
    _apply(practice, data)
    db.session.add(practice)
    db.session.flush()
    if coauthors:
        set_coauthors_by_email(practice, coauthors)
    _record(practice, owner, message, message_key="" if message else "created",
            notify_adaptations=False)
    if status == Status.PUBLISHED:
        publish_practice(practice)
    return practice


def _record(practice: Practice, author: User | None, message: str, *,
            reverted_from: Revision | None = None, notify_adaptations: bool = True,
            message_key: str = "") -> Revision:
    revision = revisions.record_revision(
        practice_data(practice), author, message, practice_id=practice.id,
        reverted_from=reverted_from, message_key=message_key,
    )
    practice.current_revision_id = revision.id
    practice.updated_at = utcnow()
    if notify_adaptations:
        _notify_adaptation_owners(practice, author)
    db.session.flush()
    return revision


def update_practice(practice: Practice, editor: User, data: dict, message: str = "", *,
                    coauthors: str | None = None, base_revision: int | None = None) -> Revision | None:
    """Save an edit as a new revision (None if only the co-authors changed); InvalidInput if
    nothing changed. `coauthors`: comma-separated emails, or None to leave them. Fields missing
    from `data` keep their current value (a form that does not show a field cannot blank it).
    `base_revision`: the revision the form was opened on; what others saved since is merged
    field by field, and a field both changed differently is an EditConflict (nothing saved)."""
    lock_row(db.session, practice)
    if base_revision is not None:
        data = _rebase(practice, base_revision, data)
    data = clean_data({**practice_data(practice), **data})
    authors_changed = coauthors is not None and set_coauthors_by_email(practice, coauthors)
    if data == practice_data(practice):
        if authors_changed:
            return None
        raise InvalidInput(None, _("Nothing changed."))
    _apply(practice, data)
    return _record(practice, editor, message)


def _rebase(practice: Practice, base_number: int, data: dict) -> dict:
    """`data`, typed on revision `base_number`, merged with what was saved since (see
    revisions.merge_fields); raises EditConflict on a field both changed."""
    stale = revisions.stale_base(base_number, practice_id=practice.id)
    if stale is None:
        return data
    base_revision, latest = stale
    base = canonical({**DEFAULTS, **base_revision.data})
    mine = clean_data({**base, **data})
    theirs = practice_data(practice)
    merge = revisions.merge_fields(base, theirs, {f: mine[f] for f in data if f in mine})
    if merge.conflicts:
        shown_mine, shown_theirs = display_data(mine), display_data(theirs)
        raise revisions.edit_conflict(
            [revisions.conflict_field(f, FIELD_LABELS[f], shown_mine[f], shown_theirs[f])
             for f in merge.conflicts],
            revisions.editors_since(base_number, practice_id=practice.id), latest)
    return merge.data


def set_coauthors(practice: Practice, user_ids: list[int]) -> bool:
    """Make these users the co-authors; True if that changed anything."""
    wanted = [i for i in dict.fromkeys(user_ids) if i != practice.owner_id]
    if set(wanted) == set(practice.coauthor_ids):
        return False
    _sync(practice.coauthor_links, wanted, "user_id", PracticeAuthor)
    db.session.flush()
    return True


def set_coauthors_by_email(practice: Practice, emails: str) -> bool:
    wanted = [e.strip().lower() for e in (emails or "").split(",") if e.strip()]
    users = {u.email.lower(): u for u in db.session.scalars(
        select(User).where(func.lower(User.email).in_(wanted), User.is_deleted.is_(False)))}
    missing = [e for e in wanted if e not in users]
    if missing:
        raise InvalidInput("coauthors", _("No account uses %(email)s.", email=missing[0]))
    return set_coauthors(practice, [users[e].id for e in wanted])


def coauthor_emails(practice: Practice) -> str:
    return ", ".join(link.user.email for link in practice.coauthor_links)


def publish_practice(practice: Practice) -> None:
    if practice.is_published:
        raise Conflict(_("This practice is already published."))
    practice.status = Status.PUBLISHED.value
    practice.published_at = practice.published_at or utcnow()
    db.session.flush()
    _refresh_adaptation_count(practice.parent_id)


def delete_draft(practice: Practice, actor: User) -> None:
    """Delete a draft never published, with its revisions (its author changed their mind, or
    adapted the same practice twice). A published practice is archived instead."""
    if not practice.is_unpublished_draft:
        raise Conflict(_("Only a draft that was never published can be deleted; archive it instead."))
    record_audit("practice.delete_draft", actor, None, None, practice_id=practice.id, title=practice.title)
    parent_id = practice.parent_id
    db.session.delete(practice)
    db.session.flush()
    _refresh_adaptation_count(parent_id)


def own_adaptation(parent: Practice, user: User, country: str) -> Practice | None:
    """`user`'s latest adaptation of `parent` for `country` that is not archived, if any."""
    return db.session.scalar(
        select(Practice).where(Practice.parent_id == parent.id, Practice.owner_id == user.id,
                               Practice.adaptation_country == (country or "").upper(),
                               Practice.status != Status.ARCHIVED.value)
        .order_by(Practice.id.desc()).limit(1))


def archive_practice(practice: Practice) -> None:
    if not practice.is_published:
        raise Conflict(_("Only a published practice can be archived."))
    practice.status = Status.ARCHIVED.value
    db.session.flush()
    _refresh_adaptation_count(practice.parent_id)


def _refresh_adaptation_count(parent_id: int | None) -> None:
    """adaptation_count counts published adaptations (drafts are private)."""
    if parent_id is None:
        return
    count = (
        select(func.count()).select_from(Practice)
        .where(Practice.parent_id == parent_id, Practice.status == Status.PUBLISHED.value)
        .scalar_subquery()
    )
    db.session.execute(update(Practice).where(Practice.id == parent_id)
                       .values(adaptation_count=count).execution_options(synchronize_session=False))
    parent = db.session.get(Practice, parent_id)
    db.session.refresh(parent, ["adaptation_count"])


# --- revisions ------------------------------------------------------------------------------


def revert_to(practice: Practice, revision: Revision, user: User) -> Revision:
    if revision.practice_id != practice.id:
        raise InvalidInput(None, _("That revision belongs to another practice."))
    lock_row(db.session, practice)
    data = clean_data({**DEFAULTS, **revision.data})
    if data == practice_data(practice):
        raise InvalidInput(None, _("The practice already has this content."))
    _apply(practice, data)
    return _record(practice, user, "", message_key=f"reverted:{revision.number}",
                   reverted_from=revision)


def _notify_adaptation_owners(practice: Practice, actor: User | None) -> None:
    owner_ids = select(Practice.owner_id).where(Practice.parent_id == practice.id)
    owners = db.session.scalars(select(User).where(User.id.in_(owner_ids))).all()
    for owner in owners:
        notify(owner, kinds.ORIGINAL_CHANGED,
               _l("The original changed since you adapted it: %(title)s", title=practice.title),
               links.path("knowledge.show", slug=practice.slug), actor=actor)


# --- suggested edits ----------------------------------------------------------------------


def suggest_edit(practice: Practice, user: User, data: dict, message: str = "", *,
                 base_revision: int | None = None) -> EditSuggestion:
    """`base_revision`: the revision the suggester's form showed (default: the current one);
    accepting applies only what they changed from it."""
    if not practice.is_published:
        raise PermissionDenied(_("Only published practices take suggestions."))
    base = revisions.get_revision(base_revision, practice_id=practice.id) \
        if base_revision is not None else None
    seen = canonical({**DEFAULTS, **base.data}) if base is not None else practice_data(practice)
    data = clean_data({**seen, **data})
    if data == seen:
        raise InvalidInput(None, _("Nothing changed."))
    _check_source_url(practice, data["source_url"])
    suggestion = EditSuggestion(practice=practice, author_id=user.id, data=data,
                                message=(message or "")[:300],
                                base_revision_id=base.id if base is not None
                                else practice.current_revision_id)
    db.session.add(suggestion)
    db.session.flush()
    _notify_authors(practice, user, _l("%(name)s suggested an edit to %(title)s",
                                       name=user.display_name, title=practice.title))
    return suggestion


def _notify_authors(practice: Practice, actor: User, message: str) -> None:
    link = links.path("knowledge.suggestions", slug=practice.slug)
    for author in db.session.scalars(select(User).where(User.id.in_(practice.author_ids))):
        notify(author, kinds.EDIT_SUGGESTION, message, link, actor=actor)


def _pending(suggestion: EditSuggestion) -> None:
    if not suggestion.is_pending:
        raise Conflict(_("This suggestion has already been decided."))


def _lock_pending(suggestion: EditSuggestion) -> None:
    """Hold the practice's row (as every edit and decision on it does), then check the suggestion
    afresh: of an accept and a withdrawal at the same moment, the second sees the first."""
    lock_row(db.session, suggestion.practice)
    db.session.refresh(suggestion, ["status"])
    _pending(suggestion)


def suggested_changes(suggestion: EditSuggestion, current: dict) -> dict:
    """The fields the suggester changed (against the revision they saw), with their values."""
    base = canonical(suggestion.base_revision.data if suggestion.base_revision else {})
    return {f: v for f, v in canonical(suggestion.data).items()
            if f in current and not revisions.same(v, base.get(f, current[f]))}


def stale_fields(suggestion: EditSuggestion, current: dict) -> list[str]:
    """Fields the suggestion changes that the authors have changed too since it was made, to
    another value: accepting it would replace their newer text."""
    base = canonical({**DEFAULTS, **suggestion.base_revision.data}) if suggestion.base_revision else None
    if base is None:
        return []
    return [f for f, v in suggested_changes(suggestion, current).items()
            if not revisions.same(base.get(f), current[f]) and not revisions.same(v, current[f])]


def accept_suggestion(suggestion: EditSuggestion, decider: User, *,
                      overwrite: int | None = None) -> Revision:
    """Apply the fields the suggester changed (relative to their base) as their revision. When
    the authors changed one of those fields since, the decider must confirm (`overwrite`: the
    current revision number they saw the newer text at); otherwise a Conflict."""
    practice = suggestion.practice
    _lock_pending(suggestion)
    current = practice_data(practice)
    stale = stale_fields(suggestion, current)
    number = practice.current_revision.number if practice.current_revision else 0
    if stale and overwrite != number:
        raise Conflict(_("%(fields)s changed since this suggestion was made (now revision "
                         "#%(n)d): confirm that the suggestion replaces the newer text.",
                         fields=", ".join(f"“{FIELD_LABELS[f]}”" for f in stale), n=number))
    _apply(practice, clean_data({**current, **suggested_changes(suggestion, current)}))
    suggestion.status = SuggestionStatus.ACCEPTED.value
    suggestion.decided_by_id, suggestion.decided_at = decider.id, utcnow()
    revision = _record(practice, suggestion.author, suggestion.message,
                       message_key="" if suggestion.message else "suggested")
    _notify_suggester(suggestion, decider, _l("Your suggested edit to %(title)s was accepted.",
                                              title=practice.title))
    return revision


def reject_suggestion(suggestion: EditSuggestion, decider: User, reason: str) -> None:
    _pending(suggestion)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", _("Say why you reject this suggestion."))
    suggestion.status = SuggestionStatus.REJECTED.value
    suggestion.reason = reason[:500]
    suggestion.decided_by_id, suggestion.decided_at = decider.id, utcnow()
    db.session.flush()
    _notify_suggester(suggestion, decider, _l("Your suggested edit to %(title)s was declined: "
                                              "%(reason)s", title=suggestion.practice.title,
                                              reason=suggestion.reason))


def withdraw_suggestion(suggestion: EditSuggestion, user: User) -> None:
    """Its author takes back a suggestion the authors have not decided on yet."""
    if suggestion.author_id != user.id:
        raise PermissionDenied(_("Only its author can withdraw a suggestion."))
    _lock_pending(suggestion)
    suggestion.status = SuggestionStatus.WITHDRAWN.value
    suggestion.decided_by_id, suggestion.decided_at = user.id, utcnow()
    db.session.flush()


def _notify_suggester(suggestion: EditSuggestion, decider: User, message: str) -> None:
    if suggestion.author is not None:
        notify(suggestion.author, kinds.EDIT_SUGGESTION, message,
               links.path("knowledge.show", slug=suggestion.practice.slug), actor=decider)


# --- adaptation -----------------------------------------------------------------------------


def adapt_practice(parent: Practice, user: User, country: str, context: str,
                   rationale: str) -> Practice:
    """A draft copy of `parent` owned by `user`, for `country`, linked to its parent."""
    if not parent.is_published:
        raise PermissionDenied(_("Only published practices can be adapted."))
    if not is_country(country):
        raise InvalidInput("country", _("Choose a country from the list."))
    if not (rationale or "").strip():
        raise InvalidInput("rationale", _("Say what changed and why."))
    if not (context or "").strip():
        raise InvalidInput("context", _("Describe the context you adapt it to."))
    # The adapter's organizations, never the original's (their ministry is not ours).
    data = {**practice_data(parent), "countries": [country.upper()], "source_url": None,
            "organizations": [m.organization_id for m in user.memberships],
            "adaptation_country": country.upper(), "adaptation_context": context.strip(),
            "adaptation_rationale": rationale.strip(),
            "title": _("%(title)s (%(country)s)", title=parent.title,
                       country=country_name(country))}
    child = create_practice(user, data, _("Adapted from %(title)s", title=parent.title),
                            parent=parent)
    child.review = AdaptationReview(based_on_revision_id=parent.current_revision_id,
                                    reviewed_revision_id=parent.current_revision_id)
    db.session.flush()
    return child


def parent_changes(practice: Practice) -> list[revisions.FieldDiff] | None:
    """What changed in the original since the adaptation's authors last reviewed it: the fields
    of the diff (reviewed revision → parent's current one) that changed, or None when the parent
    has no revision past the reviewed one. A revert to the reviewed content is no change."""
    parent = practice.parent
    reviewed = practice.review.reviewed_revision if practice.review is not None else None
    if parent is None or reviewed is None or parent.current_revision_id in (None, reviewed.id):
        return None
    current = parent.current_revision
    if current is None or current.number <= reviewed.number:
        return None
    changed = [d for d in diff(reviewed.data, current.data) if d.changed]
    return changed or None


def three_way(practice: Practice, changes: list[revisions.FieldDiff]) -> list[tuple]:
    """(the original's change, the adaptation's current text) per changed field."""
    mine = display_data(practice_data(practice))
    return [(change, revisions.plain_text(mine.get(change.field))) for change in changes]


def mark_parent_reviewed(practice: Practice, user: User) -> None:
    """The adaptation's authors have compared it with the original's current revision."""
    if user.id not in practice.author_ids:
        raise PermissionDenied(_("Only the adaptation's authors can mark the original's changes "
                                 "as reviewed."))
    parent = practice.parent
    if parent is None or parent.current_revision_id is None:
        raise Conflict(_("This practice is not an adaptation of another practice."))
    if practice.review is None:
        practice.review = AdaptationReview()
    if parent.current_revision_id == practice.review.reviewed_revision_id:
        raise Conflict(_("You have already reviewed the original's latest revision."))
    practice.review.reviewed_revision_id = parent.current_revision_id
    db.session.flush()


# Lineage lists show titles and countries: loading every node's Markdown columns cost more.
_LINEAGE = load_only(Practice.parent_id, Practice.slug, Practice.title, Practice.status,
                     Practice.adaptation_country, Practice.adaptation_count)


def _lineage_query(start, step, order):
    """Practices reached from the rows matching `start` by repeating `step(cte)`, in
    `order(cte)`: a recursive CTE, built once (building it cost more than running it)."""
    cte = select(Practice.id, Practice.parent_id, literal(0).label("depth")) \
        .where(start).cte(recursive=True)
    cte = cte.union_all(select(Practice.id, Practice.parent_id, cte.c.depth + 1)
                        .where(step(cte), cte.c.depth < 50))
    return select(Practice).join(cte, Practice.id == cte.c.id).options(_LINEAGE) \
        .order_by(order(cte))


_ANCESTORS = _lineage_query(Practice.id == bindparam("start"),
                            lambda up: Practice.id == up.c.parent_id, lambda up: up.c.depth.desc())
_DESCENDANTS = _lineage_query(Practice.parent_id == bindparam("start"),
                              lambda down: Practice.parent_id == down.c.id, lambda down: Practice.id)


def ancestors(practice: Practice, viewer=None) -> list[Practice]:
    """The chain from the root down to the parent of `practice` that `viewer` may see (one
    query)."""
    if practice.parent_id is None:
        return []
    return list(db.session.scalars(_ANCESTORS.where(policy.clause(viewer, "practice", Practice)),
                                   {"start": practice.parent_id}))


def descendants(root_id: int, viewer=None) -> list[Practice]:
    """Every practice adapted (transitively) from `root_id` that `viewer` may see (one query).
    A draft's own adaptations stay listed under it only for those who see the draft."""
    return list(db.session.scalars(_DESCENDANTS.where(policy.clause(viewer, "practice", Practice)),
                                   {"start": root_id}))


# --- endorsements ---------------------------------------------------------------------------


def endorse(practice: Practice, user: User, kind: str, comment: str = "") -> Endorsement:
    if not practice.is_published:
        raise PermissionDenied(_("Only published practices can be endorsed."))
    if user.id in practice.author_ids:
        raise PermissionDenied(_("You cannot endorse your own practice."))
    if kind not in {k.value for k in EndorsementKind}:
        raise InvalidInput("kind", _("Choose how you endorse it."))
    exists = db.session.scalar(select(Endorsement.id).where(
        Endorsement.practice_id == practice.id, Endorsement.user_id == user.id))
    if exists is not None:
        raise Conflict(_("You have already endorsed this practice."))
    endorsement = Endorsement(practice_id=practice.id, user_id=user.id, kind=kind,
                              comment=(comment or "").strip()[:500])
    db.session.add(endorsement)
    db.session.flush()
    _bump_endorsements(practice, +1)
    return endorsement


def unendorse(practice: Practice, user: User) -> None:
    endorsement = db.session.scalar(select(Endorsement).where(
        Endorsement.practice_id == practice.id, Endorsement.user_id == user.id))
    if endorsement is None:
        raise Conflict(_("You have not endorsed this practice."))
    db.session.delete(endorsement)
    db.session.flush()
    _bump_endorsements(practice, -1)


def _bump_endorsements(practice: Practice, delta: int) -> None:
    db.session.execute(update(Practice).where(Practice.id == practice.id)
                       .values(endorsement_count=Practice.endorsement_count + delta)
                       .execution_options(synchronize_session=False))
    db.session.refresh(practice, ["endorsement_count"])


# --- files ------------------------------------------------------------------------------------


def record_file_change(practice: Practice, user: User | None, message: str) -> int:
    """A file was attached to, replaced on or removed from the practice: a revision says so (its
    content unchanged), so the history shows when. Returns the revision's number."""
    return _record(practice, user, message, notify_adaptations=False).number
