"""Read-side queries for practice pages: browse filters and the practice page's context.

Each page runs a fixed number of queries whatever the number of revisions, endorsements or
adaptations (tests/knowledge/test_queries.py counts them).
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload, selectinload

from marketplace import policy
from marketplace.accounts.models import ORGANIZATION_TYPE_LABELS, Organization, User
from marketplace.accounts.permissions import (
    can_edit_practice,
    can_endorse_practice,
    can_review_parent_changes,
    can_view_practice,
    is_signed_in,
)
from marketplace.extensions import db
from marketplace.i18n import m49_countries, translated
from marketplace.knowledge import services
from marketplace.knowledge.models import (
    ENDORSEMENT_LABELS,
    LEVEL_LABELS,
    SECTION_LABELS,
    STATUS_LABELS,
    THEMES,
    EditSuggestion,
    Endorsement,
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
from marketplace.knowledge.revisions import plain_text
from marketplace.paging import Page, last_page

PER_PAGE = 20
RECENT_ENDORSEMENTS = 10
# The practice page's own row (:slug) and its many-to-one neighbours; page_context() reads
# the rest.
PAGE_QUERY = select(Practice).where(Practice.slug == bindparam("slug")).options(
    joinedload(Practice.owner).lazyload(User.roles), joinedload(Practice.parent),
    joinedload(Practice.current_revision).load_only(Revision.number),
)


def browse(viewer, form, page: int) -> Page:
    """A page of practices the viewer may see, filtered and sorted by the FilterForm, as Cards
    (columns, not entities: a card shows none of the Markdown)."""
    query = _browse_select(viewer, {f.name: f.data for f in form if f.data})
    total = db.session.scalar(query.with_only_columns(func.count()).order_by(None))
    page = min(page, last_page(total, PER_PAGE))
    rows = db.session.execute(query.with_only_columns(*_CARD_COLUMNS)
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    facts = practice_facts(*(r.id for r in rows), query=_CARD_FACTS) if rows else {}
    cards = [Card(*row, facts[row.id].countries, facts[row.id].themes) for row in rows]  # type: ignore[call-arg]
    return Page(cards, page, PER_PAGE, total)


class Card(NamedTuple):
    """A practice as a list shows it (templates/knowledge/index.html): _CARD_COLUMNS, then
    countries and themes."""

    id: int
    slug: str
    title: str
    summary: str
    level: str
    status: str
    parent_id: int | None
    endorsement_count: int
    adaptation_count: int
    countries: list[str]
    themes: list[str]


_CARD_COLUMNS = (Practice.id, Practice.slug, Practice.title, Practice.summary, Practice.level,
                 Practice.status, Practice.parent_id, Practice.endorsement_count,
                 Practice.adaptation_count)


def browse_query(viewer, args: dict):
    """The browse query for filter arguments (region, country, theme, org_type, level, language,
    status, sort), with countries and themes; the JSON API's list."""
    return _browse_select(viewer, args).options(selectinload(Practice.countries),
                                                selectinload(Practice.themes))


def _browse_select(viewer, args: dict):
    status = args.get("status") if args.get("status") in ("draft", "archived") else "published"
    query = select(Practice).where(Practice.status == status,
                                   policy.clause(viewer, "practice", Practice))
    query = _filter(query, args)
    sort = args.get("sort", "newest")
    if sort == "endorsed":
        order: tuple = (Practice.endorsement_count.desc(), Practice.id.desc())
    elif sort == "adapted":
        order = (Practice.adaptation_count.desc(), Practice.id.desc())
    elif status == "published":
        order = (Practice.published_at.desc(), Practice.id.desc())
    else:
        order = (Practice.id.desc(),)
    return query.order_by(*order)


def _filter(query, args: dict):
    # IN (subquery) rather than correlated EXISTS: the database reads the (indexed) matches
    # once instead of probing per practice, which is what the page count needs.
    if args.get("country"):
        query = query.where(Practice.id.in_(select(PracticeCountry.practice_id).where(
            PracticeCountry.country == args["country"])))
    if args.get("region"):  # a UN M49 sub-region: any of its countries
        query = query.where(Practice.id.in_(select(PracticeCountry.practice_id).where(
            PracticeCountry.country.in_(m49_countries(args["region"])))))
    if args.get("theme"):
        query = query.where(Practice.id.in_(select(PracticeTheme.practice_id).where(
            PracticeTheme.theme == args["theme"])))
    if args.get("org_type"):
        query = query.where(Practice.id.in_(
            select(PracticeOrganization.practice_id).join(Organization)
            .where(Organization.type == args["org_type"])))
    if args.get("level"):
        query = query.where(Practice.level == args["level"])
    if args.get("language"):
        query = query.where(Practice.language == args["language"])
    return query


def page_context(practice: Practice, viewer) -> dict:
    """Everything the practice page shows besides the practice itself."""
    ancestry = services.ancestors(practice, viewer)
    root = ancestry[0] if ancestry else practice
    # Anonymous readers see no tree under a root without published adaptations: skip the query.
    has_tree = ancestry or root.adaptation_count or is_signed_in(viewer)
    parent = practice.parent if practice.parent and can_view_practice(viewer, practice.parent) \
        else None
    facts = practice_facts(practice.id, *([parent.id] if parent else []))
    can_edit = can_edit_practice(viewer, practice)
    return {
        "practice": practice,
        "current_revision": practice.current_revision,
        "facts": facts[practice.id],
        "endorsements": _recent_endorsements(practice),
        "my_endorsement": _my_endorsement(practice, viewer),
        "adaptation_countries": _adaptation_countries(practice),
        "ancestry": ancestry,
        "lineage": _tree(root, viewer) if has_tree else [],
        "parent": parent,
        "parent_diff": _changes(parent, practice, facts) if parent else [],
        "parent_changes": services.parent_changes(practice) if parent else None,
        "can_review_parent": can_review_parent_changes(viewer, practice),
        "pending_suggestions": _pending_count(practice) if can_edit else 0,
        "can_edit": can_edit,
        "can_endorse": can_endorse_practice(viewer, practice),
        "sections": list(SECTION_LABELS.items()),
        "labels": labels(),
    }


@dataclass
class Facts:
    """A practice's countries, themes, tags, organizations (rows: id, slug, name, type) and
    co-authors (rows: id, name), in the order of the Practice relationships."""

    countries: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    organizations: list = field(default_factory=list)
    coauthors: list = field(default_factory=list)

    def snapshot(self) -> dict:
        """The related fields of services.practice_data()."""
        return {"countries": self.countries, "themes": self.themes, "tags": self.tags,
                "organizations": [o.id for o in self.organizations]}


def _facts_branch(kind: str, link, a, id_=cast(null(), Integer), b=cast(null(), String),
                  c=cast(null(), String)):  # typed NULLs: PostgreSQL matches UNION column types
    return select(literal_column(f"'{kind}'").label("kind"), link.practice_id, id_.label("id"),
                  a.label("a"), b.label("b"), c.label("c")) \
        .where(link.practice_id.in_(bindparam("ids", expanding=True)))


# (kind, practice_id, id, a, b, c) rows for the practices in :ids; built once, since building
# these statements cost more than running them.
_FACTS = {
    "countries": _facts_branch("countries", PracticeCountry, PracticeCountry.country),
    "themes": _facts_branch("themes", PracticeTheme, PracticeTheme.theme),
    "tags": _facts_branch("tags", PracticeTag, PracticeTag.tag),
    "organizations": _facts_branch("organizations", PracticeOrganization, Organization.slug,
                                   Organization.id, Organization.name, Organization.type)
    .join_from(PracticeOrganization, Organization),
    "coauthors": _facts_branch("coauthors", PracticeAuthor, User.display_name, User.id,
                               case((User.is_deleted, "deleted"), else_=""))
    .join_from(PracticeAuthor, User),
}
# In the order of the Practice relationships: codes, slugs and tags by value, organizations
# and co-authors by id (in the database's collation, as the relationships sorted them).
_FACTS_ORDER: tuple = (column("kind"), column("id"), column("a"))
_PAGE_FACTS = union_all(*_FACTS.values()).order_by(*_FACTS_ORDER)
_CARD_FACTS = union_all(_FACTS["countries"], _FACTS["themes"]).order_by(*_FACTS_ORDER)


def practice_facts(*practice_ids: int, query=_PAGE_FACTS) -> dict[int, Facts]:
    """Facts for each practice, in one plain query: five relationship loads cost ~1 ms of ORM
    work on the practice page."""
    out = {i: Facts() for i in practice_ids}
    for kind, practice_id, id_, a, b, c in db.session.execute(query, {"ids": list(practice_ids)}).all():
        facts = out[practice_id]
        if kind == "organizations":
            facts.organizations.append(_Organization(id_, a, b, c))
        elif kind == "coauthors":
            facts.coauthors.append(_Person(id_, a, b == "deleted"))
        else:
            getattr(facts, kind).append(a)
    return out


@dataclass(frozen=True)
class _Organization:
    id: int
    slug: str
    name: str
    type: str


@dataclass(frozen=True)
class _Person:
    """What templates/_macros/people.html needs of a user."""

    id: int
    display_name: str
    is_deleted: bool


@dataclass(frozen=True)
class _Endorsement:
    user: _Person
    kind: str
    comment: str


def _changes(parent: Practice, practice: Practice, facts: dict[int, Facts]) -> list:
    """What an adaptation changed from its parent (the fields that differ)."""
    old = services.practice_data(parent, related=facts[parent.id].snapshot())
    new = services.practice_data(practice, related=facts[practice.id].snapshot())
    return [d for d in services.diff(old, new) if d.changed]


# The practice page's statements are built once, with :practice_id as a parameter: building
# them cost about as much as running them.
_RECENT_ENDORSEMENTS = (
    select(Endorsement.user_id, User.display_name.label("display_name"), User.is_deleted,
           Endorsement.kind, Endorsement.comment)
    .join(User, Endorsement.user_id == User.id)
    .where(Endorsement.practice_id == bindparam("practice_id"))
    .order_by(Endorsement.created_at.desc(), Endorsement.id.desc())
    .limit(RECENT_ENDORSEMENTS)
)
_ADAPTATION_COUNTRIES = (
    select(Practice.adaptation_country).distinct()
    .where(Practice.parent_id == bindparam("practice_id"),
           Practice.status == Status.PUBLISHED.value, Practice.adaptation_country.is_not(None))
    .order_by(Practice.adaptation_country)
)


def _recent_endorsements(practice: Practice) -> list[_Endorsement]:
    """The latest endorsements, each with its author."""
    rows = db.session.execute(_RECENT_ENDORSEMENTS, {"practice_id": practice.id}).all()
    return [_Endorsement(_Person(r.user_id, r.display_name, r.is_deleted), r.kind, r.comment)
            for r in rows]


def _my_endorsement(practice: Practice, viewer) -> Endorsement | None:
    if not is_signed_in(viewer):
        return None
    return db.session.scalar(select(Endorsement).where(
        Endorsement.practice_id == practice.id, Endorsement.user_id == viewer.id))


def _adaptation_countries(practice: Practice) -> list[str]:
    if not practice.adaptation_count:
        return []
    return list(db.session.scalars(_ADAPTATION_COUNTRIES, {"practice_id": practice.id}))


def _pending_count(practice: Practice) -> int:
    return db.session.scalar(select(func.count()).select_from(EditSuggestion).where(
        EditSuggestion.practice_id == practice.id,
        EditSuggestion.status == SuggestionStatus.PENDING.value))


def _tree(root: Practice, viewer) -> list[tuple[int, Practice]]:
    """The root and its visible descendants as (depth, practice), depth-first."""
    children: dict[int, list[Practice]] = {}
    for p in services.descendants(root.id, viewer):
        children.setdefault(p.parent_id, []).append(p)
    out: list[tuple[int, Practice]] = []

    def walk(node: Practice, depth: int) -> None:
        out.append((depth, node))
        for child in children.get(node.id, []):
            walk(child, depth + 1)

    walk(root, 0)
    return out if len(out) > 1 else []


def pending_suggestions(practice: Practice):
    """The practice's pending suggestions, oldest first (a queue), with their authors."""
    return (select(EditSuggestion).where(EditSuggestion.practice_id == practice.id,
                                         EditSuggestion.status == SuggestionStatus.PENDING.value)
            .options(joinedload(EditSuggestion.author), joinedload(EditSuggestion.base_revision))
            .order_by(EditSuggestion.id))


def my_pending_suggestions(practice: Practice, user) -> list[EditSuggestion]:
    """`user`'s suggestions to the practice that wait for the authors, oldest first."""
    if not user.is_authenticated:
        return []
    return list(db.session.scalars(
        select(EditSuggestion).where(EditSuggestion.practice_id == practice.id,
                                     EditSuggestion.author_id == user.id,
                                     EditSuggestion.status == SuggestionStatus.PENDING.value)
        .order_by(EditSuggestion.id)))


class QueuedSuggestion(NamedTuple):
    suggestion: EditSuggestion
    changes: list  # FieldDiff of the fields it changes: current text -> proposed
    stale: list[tuple[str, str]]  # (label, current text) of those the authors changed since


def with_diffs(practice: Practice, page: Page) -> Page:
    """A page of suggestions with the diff from the current text to what each proposes (only
    the fields the suggester changed) and the fields changed since it was made, computed for
    this page only."""
    current = services.practice_data(practice)
    shown = services.display_data(current)

    def queued(s: EditSuggestion) -> QueuedSuggestion:
        proposed = {**current, **services.suggested_changes(s, current)}
        return QueuedSuggestion(s, [d for d in services.diff(current, proposed) if d.changed],
                                [(str(services.FIELD_LABELS[f]), plain_text(shown[f]))
                                 for f in services.stale_fields(s, current)])
    return page.map(queued)


def labels() -> dict:
    """Theme, level, status, organization-type and endorsement labels in the request's
    language (translated once per locale, not once per card or row)."""
    return {"themes": translated(THEMES), "levels": translated(LEVEL_LABELS),
            "statuses": translated(STATUS_LABELS), "org_types": translated(ORGANIZATION_TYPE_LABELS),
            "endorsements": translated(ENDORSEMENT_LABELS)}


# The world map on the list and home pages: what the unfiltered list shows to anyone (published,
# public), one GROUP BY. A practice counts once per country it lists.
_COUNTRY_COUNTS = (
    select(PracticeCountry.country, func.count())
    .join(Practice, Practice.id == PracticeCountry.practice_id)
    .where(Practice.status == Status.PUBLISHED.value, policy.clause(None, "practice", Practice))
    .group_by(PracticeCountry.country)
)


def country_counts(viewer=None, args: dict | None = None) -> dict[str, int]:
    """Published practices anyone may see, per ISO country code; with the list's filter
    arguments, the practices the filtered list shows this viewer (the same query, grouped by
    country)."""
    if not args:
        return dict(db.session.execute(_COUNTRY_COUNTS).all())
    listed = _browse_select(viewer, args).with_only_columns(Practice.id).order_by(None)
    return dict(db.session.execute(
        select(PracticeCountry.country, func.count())
        .where(PracticeCountry.practice_id.in_(listed))
        .group_by(PracticeCountry.country)).all())
