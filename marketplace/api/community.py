"""API: communities, their threads and posts. Private communities exist only for members."""

from datetime import datetime

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import links, policy
from marketplace.accounts.permissions import can_read_community, can_reply_to_thread
from marketplace.api.auth import require_scope, viewer
from marketplace.api.knowledge import PROBLEMS
from marketplace.api.problems import ApiProblem
from marketplace.api.spec import Page, spec
from marketplace.api.views import bp, link_header, page_args, page_envelope
from marketplace.communities.models import Community
from marketplace.extensions import db
from marketplace.forums import services as forums
from marketplace.forums.models import Post, Thread
from marketplace.web import paginate


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(20, ge=1, le=100)


class CommunityOut(BaseModel):
    slug: str
    name: str
    description_html: str
    themes: list[str]
    countries: list[str]
    is_private: bool
    members: int
    url: str


class CommunityList(Page):
    items: list[CommunityOut]


class ThreadOut(BaseModel):
    id: int
    title: str
    kind: str
    tags: list[str]
    category: str
    author: str | None
    is_pinned: bool
    is_locked: bool
    accepted_post: int | None
    posts: int
    last_post_at: datetime
    url: str


class ThreadList(Page):
    items: list[ThreadOut]


class PostOut(BaseModel):
    number: int
    status: str  # "pending" while a new account's post waits for approval
    author: str | None
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    is_accepted: bool


class PostList(Page):
    thread: ThreadOut
    items: list[PostOut]


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=50000)


def _community(c: Community) -> dict:
    return {"slug": c.slug, "name": c.name, "description_html": c.description_html, "themes": list(c.themes or []),
            "countries": list(c.countries or []), "is_private": c.is_private, "members": c.member_count,
            "url": links.absolute("communities.show", slug=c.slug)}


def _thread(t: Thread) -> dict:
    return {"id": t.id, "title": t.title, "kind": t.kind, "tags": list(t.tags or []), "category": t.category.name,
            "author": t.author.display_name if t.author else None, "is_pinned": t.is_pinned,
            "is_locked": t.is_locked, "accepted_post": t.accepted_post_id, "posts": t.post_count,
            "last_post_at": t.last_post_at, "url": links.absolute("forums.thread", thread_id=t.id)}


def _readable_community(slug: str) -> Community:
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not can_read_community(viewer(), community):
        raise ApiProblem(404, "Not Found", _("No such community."))
    return community


def _readable_thread(thread_id: int, who) -> Thread:
    """The thread if `who` may read it (viewer() for reads, the writer for writes)."""
    thread = db.session.scalar(select(Thread).where(Thread.id == thread_id)
                               .options(selectinload(Thread.community), selectinload(Thread.category),
                                        selectinload(Thread.author)))
    if thread is None or not policy.visible(who, "thread", thread):
        raise ApiProblem(404, "Not Found", _("No such thread."))
    return thread


@bp.get("/communities")
@spec.validate(query=PageQuery, resp=Response(HTTP_200=CommunityList, **PROBLEMS), tags=["communities"])
def list_communities(query: PageQuery):
    """Public communities, and the private ones the caller belongs to."""
    page, per_page = page_args()
    found = paginate(select(Community).where(policy.clause(viewer(), "community", Community))
                     .order_by(Community.name), per_page, page)
    envelope = page_envelope(found.map(_community))
    return CommunityList(**envelope), 200, link_header(envelope)


@bp.get("/communities/<slug>")
@spec.validate(resp=Response(HTTP_200=CommunityOut, **PROBLEMS), tags=["communities"])
def get_community(slug: str):
    return CommunityOut(**_community(_readable_community(slug)))


@bp.get("/communities/<slug>/threads")
@spec.validate(query=PageQuery, resp=Response(HTTP_200=ThreadList, **PROBLEMS), tags=["communities"])
def list_threads(slug: str, query: PageQuery):
    """Visible threads of a community, latest activity first."""
    community = _readable_community(slug)
    page, per_page = page_args()
    q = (select(Thread).where(Thread.community_id == community.id, policy.public_clause("thread", Thread))
         .options(selectinload(Thread.category), selectinload(Thread.author))
         .order_by(Thread.last_post_at.desc(), Thread.id.desc()))
    envelope = page_envelope(paginate(q, per_page, page).map(_thread))
    return ThreadList(**envelope), 200, link_header(envelope)


@bp.get("/threads/<int:thread_id>/posts")
@spec.validate(query=PageQuery, resp=Response(HTTP_200=PostList, **PROBLEMS), tags=["communities"])
def list_posts(thread_id: int, query: PageQuery):
    """A thread and a page of its visible posts, oldest first."""
    thread = _readable_thread(thread_id, viewer())
    page, per_page = page_args()
    q = (select(Post).where(Post.thread_id == thread.id, policy.public_clause("post", Post))
         .options(selectinload(Post.author)).order_by(Post.number))
    envelope = page_envelope(paginate(q, per_page, page).map(lambda p: {
        "number": p.number, "status": p.status, "author": p.author.display_name if p.author else None,
        "body_html": p.body_html, "created_at": p.created_at, "edited_at": p.edited_at,
        "is_accepted": p.id == thread.accepted_post_id}))
    return PostList(thread=ThreadOut(**_thread(thread)), **envelope), 200, link_header(envelope)


@bp.post("/threads/<int:thread_id>/posts")
@spec.validate(json=PostIn, resp=Response(HTTP_201=PostOut, **PROBLEMS), tags=["communities"],
               security={"bearerAuth": []})
def create_post(thread_id: int, json: PostIn):
    """Reply to a thread (members only; new accounts' posts may wait for approval). Scope: write."""
    user = require_scope("write")
    thread = _readable_thread(thread_id, user)
    if not can_reply_to_thread(user, thread):
        raise ApiProblem(403, "Forbidden", _("Only members can reply, and not in locked threads."))
    post = forums.reply(user, thread, json.body)
    db.session.commit()
    return PostOut(number=post.number, status=post.status, author=user.display_name, body_html=post.body_html,
                   created_at=post.created_at, edited_at=None, is_accepted=False), 201
