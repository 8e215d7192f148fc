"""Who may see what: one `Rule` per kind, read three ways.

    visible(user, kind, obj)   the Python predicate (views, API, feeds, templates via `can_see`)
    clause(user, kind[, M])    the SQL criterion on the kind's model (lists, exports, counts)
    tokens(kind, obj)          the visibility of the object's search document
    viewer_tokens(user)        the search tokens a searcher holds

A rule's `public`/`own` conditions are written once against `M`, which is either the model class
(they build SQL) or one row (they compute a bool): that is what keeps the three readings equal.
Models are found by class name in SQLAlchemy's registry (`db.Model.registry.mappers`), so this
module imports no feature package; an unmapped model raises LookupError.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import false, select, true
from sqlalchemy.orm import object_session
from sqlalchemy.sql import ClauseElement

from marketplace.extensions import db

PUBLIC = "public"
COMMUNITY_MODERATING_ROLES = ("owner", "moderator")


# --- roles (the lowest rules; accounts/permissions.py re-exports them) -----------------------


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_moderator(user) -> bool:
    return is_signed_in(user) and user.is_moderator


# --- conditions that read as SQL on a class and as a bool on a row ---------------------------


def _sql(value) -> bool:
    return isinstance(value, ClauseElement) or hasattr(value, "__clause_element__")


def negate(value):
    return ~value if _sql(value) else not value


def one_of(value, choices: tuple):
    return value.in_(choices) if _sql(value) else value in choices


def always(M):
    return True if isinstance(M, db.Model) else true()


def never(M):
    return False if isinstance(M, db.Model) else false()


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    kind: str
    column: str  # foreign key on this kind's model
    relation: str  # relationship to the container's row


@dataclass(frozen=True)
class Rule:
    model: str  # class name in the SQLAlchemy registry
    public: Callable  # M -> condition: every reader of the container sees it
    owners: tuple[str, ...] = ()  # columns holding a user id who sees it while `own` holds
    link: tuple[str, str, str] | None = None  # (table, column -> this row, user column): more owners
    own: Callable = always
    container: Container | None = None  # the thing that must be readable first
    community_moderators: bool = False  # the community's owners and moderators see it all
    site_moderators: bool = True  # site moderators and admins see it all
    restricted_token: str = "authors"  # "authors" (the owners') or "community" (this row's id)


_VISIBLE, _PENDING = "visible", "pending"

RULES: dict[str, Rule] = {
    # Drafts are seen by their owner, co-authors and moderators; archived ones stay readable.
    "practice": Rule("Practice", lambda M: M.status != "draft", owners=("owner_id",),
                     link=("practice_author", "practice_id", "user_id")),
    "case": Rule("CaseStudy", lambda M: M.status != "draft", owners=("owner_id",),
                 link=("case_study_author", "case_study_id", "user_id")),
    # Drafts and projects pending review: their owner and moderators.
    "project": Rule("Project", lambda M: negate(one_of(M.state, ("draft", "pending_review"))),
                    owners=("owner_id",)),
    # A private community's threads, posts and member list: its members.
    "community": Rule("Community", lambda M: negate(M.is_private),
                      link=("community_member", "community_id", "user_id"),
                      restricted_token="community"),
    # Pending threads and posts: their author and the community's moderators; hidden ones and
    # deleted posts: the community's moderators only.
    "thread": Rule("Thread", lambda M: M.status == _VISIBLE, owners=("author_id",),
                   own=lambda M: M.status == _PENDING, community_moderators=True,
                   container=Container("community", "community_id", "community")),
    "post": Rule("Post", lambda M: (M.status == _VISIBLE) & negate(M.is_deleted),
                 owners=("author_id",), own=lambda M: (M.status == _PENDING) & negate(M.is_deleted),
                 container=Container("thread", "thread_id", "thread"), community_moderators=True),
    # A mentorship's conversation: the two people in it, nobody else.
    "mentorship": Rule("Mentorship", never, owners=("mentor_id", "mentee_id"),
                       site_moderators=False),
    "profile": Rule("User", lambda M: negate(M.is_deleted), site_moderators=False),
}


def model(kind: str):
    """The mapped class of `kind` (LookupError if that feature's models are not imported)."""
    return mapped(RULES[kind].model)


def mapped(name: str):
    """A model class by name from SQLAlchemy's registry: rules read higher features' rows without
    importing them. LookupError when no such model is mapped (its feature is not installed)."""
    for mapper in db.Model.registry.mappers:  # type: ignore[attr-defined]
        if mapper.class_.__name__ == name:
            return mapper.class_
    raise LookupError(f"policy: no mapped model {name!r}")


def _table(name: str):
    return db.metadata.tables[name]  # KeyError: the feature owning it is not installed


# --- Python predicate -------------------------------------------------------------------------


def _real(user):
    """The user behind Flask-Login's `current_user` proxy: resolved once, not per attribute."""
    resolve = getattr(user, "_get_current_object", None)
    return resolve() if resolve is not None else user


def visible(user, kind: str, obj) -> bool:
    """May `user` (possibly anonymous or None) see `obj` of `kind`?"""
    if obj is None:
        return False
    user, rule = _real(user), RULES[kind]
    if rule.container and not visible(user, rule.container.kind,
                                      getattr(obj, rule.container.relation)):
        return False
    return _visible_in_container(user, kind, rule, obj)


def visible_among(user, kind: str, objs) -> set[int]:
    """The ids of those `objs` (all of `kind`) that `user` may see: what `visible` answers for
    each, with each distinct container (a page's thread, say) checked once."""
    user, rule = _real(user), RULES[kind]
    containers: dict[int, bool] = {}
    shown = set()
    for obj in objs:
        if rule.container:
            parent = getattr(obj, rule.container.relation)
            if id(parent) not in containers:
                containers[id(parent)] = visible(user, rule.container.kind, parent)
            if not containers[id(parent)]:
                continue
        if _visible_in_container(user, kind, rule, obj):
            shown.add(obj.id)
    return shown


def _visible_in_container(user, kind: str, rule: "Rule", obj) -> bool:
    if rule.site_moderators and is_moderator(user):
        return True
    if rule.public(obj):
        return True
    if not is_signed_in(user):
        return False
    if rule.community_moderators and community_role(user, community_id(kind, obj)) in \
            COMMUNITY_MODERATING_ROLES:
        return True
    return bool(rule.own(obj)) and _is_owner(rule, obj, user)


def _is_owner(rule: Rule, obj, user) -> bool:
    if any(getattr(obj, c) == user.id for c in rule.owners):
        return True
    if rule.link is None:
        return False
    table, column, user_column = rule.link
    if table == "community_member":  # membership is the role, cached for the request
        return community_role(user, obj.id) is not None
    t = _table(table)
    return (object_session(obj) or db.session).scalar(select(t.c[column]).where(
        t.c[column] == obj.id, t.c[user_column] == user.id).limit(1)) is not None


def owner_ids(kind: str, obj) -> set[int]:
    rule = RULES[kind]
    ids = {getattr(obj, c) for c in rule.owners} - {None}
    if rule.link is not None:
        table, column, user_column = rule.link
        t = _table(table)
        session = object_session(obj) or db.session  # the search indexer has its own session
        ids.update(session.scalars(select(t.c[user_column]).where(t.c[column] == obj.id)))
    return ids


def community_id(kind: str, obj) -> int:
    while kind != "community":
        container = RULES[kind].container
        kind, obj = container.kind, getattr(obj, container.relation)
    return obj.id


def community_role(user, community_id: int) -> str | None:
    """The user's role in a community, or None; cached for the app context (request).
    Membership, not permission: a suspended member keeps their role (rules check is_signed_in)."""
    if user is None or not user.is_authenticated:
        return None
    cache = g.setdefault("community_roles", {}) if has_app_context() else {}
    key = (community_id, user.id)
    if key not in cache:
        t = _table("community_member")
        cache[key] = db.session.scalar(select(t.c.role).where(
            t.c.community_id == community_id, t.c.user_id == user.id))
    return cache[key]


# --- SQL clause --------------------------------------------------------------------------------


def clause(user, kind: str, M=None, *, container: bool = True):
    """SQL criterion on `M` (the kind's model, or an alias of it): the rows `user` may see.
    `container=False` when the caller has already checked the container (the thread of a page)."""
    user = _real(user)
    if not is_signed_in(user) and (M is None or isinstance(M, type)):
        return _anonymous_clause(kind, M if M is not None else model(kind), container)
    return _clause(user, kind, M if M is not None else model(kind), container)


_ANONYMOUS: dict[tuple, ClauseElement] = {}


def _anonymous_clause(kind: str, M, container: bool):
    """What a reader who is not signed in may see depends on nothing else: built once per model
    (clause elements are immutable), not on every anonymous page view."""
    key = (kind, M, container)
    if key not in _ANONYMOUS:
        _ANONYMOUS[key] = _clause(None, kind, M, container)
    return _ANONYMOUS[key]


def _clause(user, kind: str, M, container: bool):
    rule = RULES[kind]
    if rule.site_moderators and is_moderator(user):
        own_rows = true()
    else:
        own_rows = rule.public(M)
        if is_signed_in(user):
            own_rows = own_rows | _owned(rule, M, user.id)
            if rule.community_moderators:
                own_rows = own_rows | _in_communities(kind, M, _moderated_by(user.id))
    if rule.container is None or not container:
        return own_rows
    parent = model(rule.container.kind)
    return own_rows & getattr(M, rule.container.column).in_(
        select(parent.id).where(_clause(user, rule.container.kind, parent, True)))


def _owned(rule: Rule, M, user_id: int):
    owned = [getattr(M, c) == user_id for c in rule.owners]
    if rule.link is not None:
        table, column, user_column = rule.link
        t = _table(table)
        owned.append(M.id.in_(select(t.c[column]).where(t.c[user_column] == user_id)))
    if not owned:
        return false()
    either = owned[0]
    for condition in owned[1:]:
        either = either | condition
    return rule.own(M) & either


def _moderated_by(user_id: int):
    t = _table("community_member")
    return select(t.c.community_id).where(t.c.user_id == user_id,
                                          t.c.role.in_(COMMUNITY_MODERATING_ROLES))


def _in_communities(kind: str, M, community_ids):
    """Rows of `kind` (model or alias `M`) inside one of the communities selected."""
    if kind == "community":
        return M.id.in_(community_ids)
    container = RULES[kind].container
    parent = model(container.kind)
    return getattr(M, container.column).in_(
        select(parent.id).where(_in_communities(container.kind, parent, community_ids)))


def public_clause(kind: str, M=None):
    """SQL criterion: rows every reader of their community sees (a community's privacy is not
    part of it: search expresses that with tokens)."""
    rule, M = RULES[kind], M if M is not None else model(kind)
    if rule.container is None or rule.container.kind == "community":
        return rule.public(M)
    parent = model(rule.container.kind)
    return rule.public(M) & getattr(M, rule.container.column).in_(
        select(parent.id).where(public_clause(rule.container.kind, parent)))


def is_public(kind: str, obj) -> bool:
    """The row-level `public_clause`, for one row."""
    rule = RULES[kind]
    if not rule.public(obj):
        return False
    if rule.container is None or rule.container.kind == "community":
        return True
    return is_public(rule.container.kind, getattr(obj, rule.container.relation))


# --- search tokens -----------------------------------------------------------------------------


def community_token(community_id: int) -> str:
    return f"community:{community_id}"


def authors_token(user_ids) -> str:
    return "authors:" + " ".join(str(i) for i in sorted(set(user_ids)))


def tokens(kind: str, obj) -> str:
    """The visibility of `obj`'s search document: PUBLIC, "community:<id>" or "authors:<ids>"."""
    rule = RULES[kind]
    if not rule.public(obj):
        if rule.restricted_token == "community":
            return community_token(obj.id)
        return authors_token(owner_ids(kind, obj))
    if rule.container is not None:
        return tokens(rule.container.kind, getattr(obj, rule.container.relation))
    return PUBLIC


def index_tokens(visibility: str) -> list[str]:
    """The terms a document's visibility is indexed as (a viewer matches one of them)."""
    if visibility == PUBLIC:
        return [PUBLIC]
    scope, _, rest = visibility.partition(":")
    if scope == "community":
        return ["restricted", f"community:{rest}"]
    return ["restricted", "draft", *(f"user:{u}" for u in rest.split())]


def viewer_tokens(user) -> set[str]:
    """Restricted-visibility tokens this viewer may read ("*": all; public is always readable)."""
    if not is_signed_in(user):
        return set()
    if is_moderator(user):
        return {"*"}
    held = {f"user:{user.id}"}
    if "community_member" in db.metadata.tables:  # communities not installed: no such token
        t = _table("community_member")
        held.update(community_token(i) for i in db.session.scalars(
            select(t.c.community_id).where(t.c.user_id == user.id)))
    return held

