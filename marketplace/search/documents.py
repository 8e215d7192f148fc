"""Index documents: one builder per kind, mapping a database row to a plain dict.

To make a new kind searchable, add a builder and one `KINDS` entry (and, if rows of other
tables change what the document says, a `RELATED` entry). That is all: change tracking,
reindex and `search check` read these tables.

    def project(p) -> dict:
        return doc("project", p.id, title=p.title, summary=p.summary, body=p.description_source,
                   countries=[p.country], language=p.language, date=p.created_at,
                   visibility=PUBLIC, url=("projects.show", {"project_id": p.id}))

    KINDS["project"] = Kind(Project, project, where=lambda P: P.status != "draft")

Builders receive objects loaded in the indexer's own session; they may follow relationships.
`where` must select exactly the rows whose builder returns a document, so `search check`
can compare the index with the database; the builder still returns None for anything it
does not want indexed (defence in depth). Search sits above every feature in the layer order:
it imports their models directly (a typo is an ImportError at start-up, never a kind silently
left out of the index), and no feature imports search.

Visibility comes from marketplace.policy (`policy.tokens(kind, row)`): PUBLIC; community(id)
for a private community's content (its members see it); authors(ids) for drafts (the authors see
them); site moderators see everything.
`parent` (space-separated doc ids) lets a deletion of the parent remove its children from the
index even when the database cascaded the rows away (a thread's posts).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import object_session, selectinload

from marketplace import policy
from marketplace.accounts.models import Organization, OrganizationMember, User, UserExpertise
from marketplace.cases.models import CaseStudy, case_study_author
from marketplace.communities.models import Community
from marketplace.files.models import TEXT_DONE, Attachment
from marketplace.forums.models import Post, Thread
from marketplace.forums.services import page_of
from marketplace.knowledge.models import (
    SECTIONS,
    THEMES,
    Endorsement,
    Practice,
    PracticeAuthor,
    PracticeCountry,
    PracticeOrganization,
    PracticeTag,
    PracticeTheme,
)
from marketplace.policy import PUBLIC
from marketplace.policy import authors_token as authors
from marketplace.policy import community_token as community
from marketplace.projects.models import Objective, ProgressReport, Project, ProjectCountry, ProjectTheme
from marketplace.slugs import slugify

__all__ = ["PUBLIC", "authors", "community"]  # the visibility encodings, re-exported


@dataclass(frozen=True)
class Kind:
    model: type  # the mapped class
    build: Callable[[Any], dict | None]
    where: Callable[[Any], Any] | None = None  # model class -> SQL criterion of indexed rows
    options: Callable[[Any], list] = field(default=lambda model: [])  # eager loads for reindex

    def model_class(self):
        return self.model


def doc(kind: str, id: int, *, title: str, visibility: str, url: tuple[str, dict],
        summary: str = "", body: str = "", tags: Iterable[str] = (), countries: Iterable[str] = (),
        themes: Iterable[str] = (), org_type: str | None = None, language: str | None = "en",
        author: str = "", date: datetime | None = None, endorsements: int = 0,
        parent: str = "", work: str = "") -> dict:
    return {
        "doc_id": f"{kind}:{id}", "kind": kind, "title": title or "", "summary": summary or "",
        "body": body or "", "tags": [t for t in tags if t], "countries": [c for c in countries if c],
        "themes": [t for t in themes if t], "org_type": org_type or "", "language": language or "",
        "author": author or "", "date": date, "endorsements": endorsements or 0,
        "visibility": visibility, "url": url, "parent": parent, "work": work,
    }


# --- builders ---------------------------------------------------------------------------


CONTRIBUTIONS = 30  # newest public practices and case studies a person's document quotes


def person(user) -> dict | None:
    """A person: name, bio, expertise (tags), and the titles and summaries of the public practices
    and case studies they wrote, so the expert directory finds them by what they worked on."""
    if user.is_deleted:
        return None
    org_types = {m.organization.type for m in user.memberships}
    return doc("person", user.id, title=user.display_name, summary=user.bio_source[:600],
               work="\n\n".join(_contributions(user)),
               tags=[e.tag for e in user.expertise], countries=[user.country],
               org_type=next(iter(sorted(org_types)), None), language=user.locale or "en",
               date=user.created_at, visibility=PUBLIC,
               url=("accounts.profile", {"user_id": user.id}))


def _contributions(user) -> list[str]:
    s = object_session(user)
    out = []
    for model, link in ((Practice, PracticeAuthor.__table__), (CaseStudy, case_study_author)):
        column = link.c.practice_id if model is Practice else link.c.case_study_id
        rows = s.execute(select(model.title, model.summary).where(
            policy.public_clause("practice" if model is Practice else "case", model),
            or_(model.owner_id == user.id,
                model.id.in_(select(column).where(link.c.user_id == user.id))))
            .order_by(model.id.desc()).limit(CONTRIBUTIONS))
        out += [f"{title}. {summary or ''}" for title, summary in rows]
    return out


def taxonomy_themes(values: Iterable[str]) -> list[str]:
    """The values that are themes of the taxonomy (knowledge.THEMES), as slugs ("Local
    government" -> "local-government"); the Theme facet shows only these."""
    return [slugify(v) for v in values if v and slugify(v) in THEMES]


def free_tags(values: Iterable[str]) -> list[str]:
    """The values that are not taxonomy themes: they are tags (their own facet)."""
    return [v for v in values if v and slugify(v) not in THEMES]


def organization(o) -> dict | None:
    return doc("organization", o.id, title=o.name, summary=o.description_source,
               countries=[o.country], org_type=o.type, language=o.language or "en", date=o.created_at,
               visibility=PUBLIC,
               url=("organizations.show", {"slug": o.slug}))


def community_doc(c) -> dict | None:
    """A community: public ones for everybody, a private one for its members (policy)."""
    themes = c.themes or []
    return doc("community", c.id, title=c.name, summary=c.description_source,
               tags=free_tags(themes), countries=c.countries or [], themes=taxonomy_themes(themes),
               date=c.created_at, visibility=policy.tokens("community", c),
               url=("communities.show", {"slug": c.slug}))


def _org_type(organizations) -> str | None:
    return next((o.type for o in organizations if o is not None), None)


def _names(*users) -> str:
    return ", ".join(u.display_name for u in users if u is not None and not u.is_deleted)


def files_text(row, *parents: tuple[str, Any]) -> str:
    """The extracted text of the files attached to these parents ((kind, id) pairs), indexed with
    the parent's document (the files' visibility is the parent's)."""
    wanted = [(kind, i) for kind, i in parents if i is not None]
    if not wanted:
        return ""
    session = object_session(row)
    rows = session.scalars(select(Attachment).where(
        or_(*((Attachment.parent_kind == kind) & (Attachment.parent_id == i) for kind, i in wanted)),
        Attachment.removed_at.is_(None), Attachment.text_status == TEXT_DONE).order_by(Attachment.id))
    return "\n\n".join(a.text for a in rows)


def _with_files(body: str, row, *parents: tuple[str, Any]) -> str:
    text = files_text(row, *parents)
    return f"{body}\n\n{text}" if text else body


def practice(p) -> dict | None:
    body = _with_files("\n\n".join(getattr(p, f"{s}_source") or "" for s in SECTIONS), p, ("practice", p.id))
    return doc("practice", p.id, title=p.title, summary=p.summary, body=body,
               tags=p.tag_names, countries=p.country_codes, themes=p.theme_slugs,
               org_type=_org_type(p.organizations), language=p.language,
               author=_names(p.owner, *(link.user for link in p.coauthor_links)),
               date=p.published_at or p.created_at, endorsements=p.endorsement_count,
               visibility=policy.tokens("practice", p), url=("knowledge.show", {"slug": p.slug}))


def case(c) -> dict | None:
    body = _with_files("\n\n".join((c.context_source, c.implementation_source, c.results_source,
                                    c.lessons_source)), c, ("case", c.id))
    themes = {t for p in c.practices if policy.is_public("practice", p) for t in p.theme_slugs}
    return doc("case", c.id, title=c.title, summary=c.summary, body=body,
               countries=[c.country], themes=sorted(themes),
               org_type=c.organization.type if c.organization else None, language=c.language,
               author=_names(c.owner, *c.coauthors), date=c.published_at or c.created_at,
               visibility=policy.tokens("case", c), url=("cases.show", {"slug": c.slug}))


def thread(t) -> dict | None:
    if not policy.is_public("thread", t):
        return None
    first = object_session(t).scalar(select(Post).where(Post.thread_id == t.id, Post.number == 1))
    body = _with_files(first.body_source, t, ("post", first.id)) \
        if first is not None and policy.is_public("post", first) else ""
    return doc("thread", t.id, title=t.title, body=body, tags=t.tags or [],
               countries=t.community.countries or [],
               themes=taxonomy_themes(t.community.themes or []),
               author=_names(t.author), date=t.created_at,
               visibility=policy.tokens("thread", t), parent=community_key(t.community_id),
               url=("forums.thread", {"thread_id": t.id}))


def post(p) -> dict | None:
    """Replies; the first post is the thread's own body, indexed with the thread."""
    t = p.thread
    if p.number == 1 or not policy.is_public("post", p):
        return None
    return doc("post", p.id, title=t.title, body=_with_files(p.body_source, p, ("post", p.id)), tags=t.tags or [],
               countries=t.community.countries or [],
               themes=taxonomy_themes(t.community.themes or []),
               author=_names(p.author), date=p.created_at,
               visibility=policy.tokens("post", p),
               parent=f"thread:{t.id} {community_key(t.community_id)}",
               url=("forums.thread", {"thread_id": t.id, "page": page_of(p.number),
                                      "_anchor": f"post-{p.number}"}))


def community_key(community_id: int) -> str:
    return f"community:{community_id}"


def _thread_rows(Thread):
    return policy.public_clause("thread", Thread)


def _post_rows(Post):
    return (Post.number > 1) & policy.public_clause("post", Post)


def _community_docs(c) -> list[str]:
    """A community's privacy, themes and countries show in its threads' and posts' documents:
    re-index them all.

    Applying "community:<id>" rebuilds the community's own document, or, when the community is
    gone, deletes it and every document whose `parent` names it (its threads and replies, which
    the database cascaded away); the thread and post ids listed after it are rebuilt.
    """
    state = inspect(c)
    if not state.deleted and not any(getattr(state.attrs, a).history.has_changes()
                                     for a in ("is_private", "themes", "countries")):
        return []
    conn = state.session.connection()
    threads = conn.execute(select(Thread.id).where(Thread.community_id == c.id)).scalars().all()
    posts = conn.execute(select(Post.id).where(Post.thread_id.in_(threads))).scalars().all()
    return [community_key(c.id), *(f"thread:{i}" for i in threads), *(f"post:{i}" for i in posts)]


def _contribution_people(link: str, column: str):
    """A practice's or case study's title, summary or status shows in its authors' person
    documents (the expert directory searches them): re-index the owner (old and new) and the
    co-authors (`link` table, its `column` naming the row)."""
    def people(row) -> list[str]:
        state = inspect(row)
        if not (state.deleted or any(getattr(state.attrs, a).history.has_changes()
                                     for a in ("title", "summary", "status", "owner_id"))):
            return []
        owners = state.attrs.owner_id.history
        ids = {row.owner_id, *(owners.deleted or ())}
        if not state.deleted:
            table = row.metadata.tables[link]
            ids.update(state.session.connection().execute(
                select(table.c.user_id).where(table.c[column] == row.id)).scalars())
        return [f"person:{i}" for i in sorted(ids - {None})]
    return people


def _organization_people(o) -> list[str]:
    """An organization's type is its members' `org_type`."""
    state = inspect(o)
    if state.deleted or not state.attrs.type.history.has_changes():
        return []
    ids = state.session.connection().execute(
        select(OrganizationMember.user_id).where(OrganizationMember.organization_id == o.id))
    return [f"person:{i}" for i in ids.scalars()]


def _thread_docs(t) -> list[str]:
    """A thread's title and status show in its replies' documents."""
    state = inspect(t)
    if state.deleted:
        return []  # the posts' documents go with the thread's (their `parent`)
    if not (state.attrs.title.history.has_changes() or state.attrs.status.history.has_changes()
            or state.attrs.community_id.history.has_changes()):
        return []
    ids = state.session.connection().execute(select(Post.id).where(Post.thread_id == t.id))
    return [f"post:{i}" for i in ids.scalars()]


def _user_docs(u) -> list[str]:
    """A member's name is the `author` of what they wrote: a new name or a deleted account
    re-indexes their practices, case studies, threads, replies and projects."""
    state = inspect(u)
    if state.deleted or not (state.attrs.stored_name.history.has_changes()
                             or state.attrs.is_deleted.history.has_changes()):
        return []
    conn, out = state.session.connection(), []
    for kind, model, *authorship in _AUTHORED:
        clauses = [model.__table__.c[authorship[0]] == u.id]
        if len(authorship) > 1:  # (link table, its document column, its user column)
            table = model.metadata.tables[authorship[1]]
            clauses.append(model.id.in_(select(table.c[authorship[2]])
                                        .where(table.c[authorship[3]] == u.id)))
        ids = conn.execute(select(model.id).where(or_(*clauses))).scalars()
        out += [f"{kind}:{i}" for i in ids]
    return out


# kind, model, author column[, link table, its document column, its user column]
_AUTHORED: list[tuple] = [
    ("practice", Practice, "owner_id", "practice_author", "practice_id", "user_id"),
    ("case", CaseStudy, "owner_id", "case_study_author", "case_study_id", "user_id"),
    ("thread", Thread, "author_id"),
    ("post", Post, "author_id"),
    ("project", Project, "owner_id"),
]


def _not_deleted(User):
    return User.is_deleted.is_(False)


def _practice_loads(Practice):
    return [selectinload(Practice.countries), selectinload(Practice.themes),
            selectinload(Practice.tags), selectinload(Practice.owner),
            selectinload(Practice.organization_links), selectinload(Practice.coauthor_links)]


KINDS: dict[str, Kind] = {
    "person": Kind(User, person, where=_not_deleted),
    "practice": Kind(Practice, practice, options=_practice_loads),
    "case": Kind(CaseStudy, case),
    "thread": Kind(Thread, thread, where=_thread_rows),
    "post": Kind(Post, post, where=_post_rows),
    "organization": Kind(Organization, organization),
    "community": Kind(Community, community_doc),
}

# Rows whose change alters other documents: model class -> obj -> doc ids (also for kinds).
RELATED: dict[type, Callable[[Any], Iterable[str]]] = {
    UserExpertise: lambda e: [f"person:{e.user_id}"],
    OrganizationMember: lambda m: [f"person:{m.user_id}"],
    PracticeCountry: lambda r: [f"practice:{r.practice_id}"],
    PracticeTheme: lambda r: [f"practice:{r.practice_id}"],
    PracticeTag: lambda r: [f"practice:{r.practice_id}"],
    PracticeAuthor: lambda r: [f"practice:{r.practice_id}", f"person:{r.user_id}"],
    PracticeOrganization: lambda r: [f"practice:{r.practice_id}"],
    Endorsement: lambda r: [f"practice:{r.practice_id}"],
    Community: _community_docs,
    Thread: _thread_docs,
    Post: lambda p: [f"thread:{p.thread_id}"] if p.number == 1 else [],
    User: _user_docs,
    Practice: _contribution_people("practice_author", "practice_id"),
    CaseStudy: _contribution_people("case_study_author", "case_study_id"),
    Organization: _organization_people,
}


def split_id(doc_id: str) -> tuple[str, int]:
    kind, _, key = doc_id.partition(":")
    return kind, int(key)


# --- projects and events ---------------------------------------------------------------------


def project(p) -> dict | None:
    """Doc id "project:<id>" for projects and events alike; the kind facet tells them apart.

    Drafts and projects pending review are visible only to their owner (moderators see
    everything); donors never appear in the document, so anonymity cannot leak through search."""
    visibility = policy.tokens("project", p)
    place = "" if not p.is_event else ("online" if p.is_online else p.place)
    body = "\n\n".join(filter(None, [
        p.description_source, place,
        *(f"{o.title}: {o.indicator}" for o in p.objectives),
        files_text(p, ("project", p.id), *(("report", r.id) for r in p.reports)),
    ]))
    out = doc("project", p.id, title=p.title, summary=p.summary, body=body,
              countries=p.countries, themes=p.themes,
              org_type=p.organization.type if p.organization else None,
              author=p.owner.display_name if not p.owner.is_deleted else "",
              date=p.approved_at or p.created_at, visibility=visibility,
              url=("projects.show", {"slug": p.slug}))
    out["kind"] = "event" if p.is_event else "project"
    return out


def _attachment_docs(a) -> list[str]:
    """A file's extracted text is part of its parent's document."""
    if a.parent_kind in ("practice", "case", "project"):
        return [f"{a.parent_kind}:{a.parent_id}"]
    conn = inspect(a).session.connection()
    if a.parent_kind == "report":
        project_id = conn.scalar(select(ProgressReport.project_id).where(ProgressReport.id == a.parent_id))
        return [f"project:{project_id}"] if project_id else []
    if a.parent_kind == "post":
        row = conn.execute(select(Post.thread_id, Post.number).where(Post.id == a.parent_id)).first()
        if row is None:
            return []
        return [f"thread:{row.thread_id}"] if row.number == 1 else [f"post:{a.parent_id}"]
    return []


def _project_loads(Project) -> list:
    return [selectinload(Project.country_links), selectinload(Project.theme_links),
            selectinload(Project.objectives), selectinload(Project.owner),
            selectinload(Project.organization)]


KINDS["project"] = Kind(Project, project, options=_project_loads)
RELATED.update({
    ProjectCountry: lambda r: [f"project:{r.project_id}"],
    ProjectTheme: lambda r: [f"project:{r.project_id}"],
    Objective: lambda r: [f"project:{r.project_id}"],
    Attachment: _attachment_docs,
})
