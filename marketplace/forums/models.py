"""Categories, threads, posts (with revisions and reactions), read marks, watches and flags.

A thread's body is its first post (number 1), so that it is edited with history, reacted to
and flagged like any reply. Posts are numbered 1, 2, … within their thread; pages and read
marks use these numbers, so "new since your last visit" is `post_count - last_read_number`.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.communities.models import Community
from marketplace.database import TimestampMixin, utcnow
from marketplace.extensions import db

DISCUSSION, QUESTION = "discussion", "question"
THREAD_KINDS = {DISCUSSION: _l("Discussion"), QUESTION: _l("Question")}
VISIBLE, PENDING, HIDDEN = "visible", "pending", "hidden"
HELPFUL, THANKS = "helpful", "thanks"
REACTIONS = {HELPFUL: _l("Helpful"), THANKS: _l("Thanks")}
SUBJECT_TYPES = ("practice", "case", "project")
FLAG_OTHER = "other"
FLAG_CATEGORIES = {"spam": _l("Spam or advertising"), "abusive": _l("Abusive or harassing"),
                   "off_topic": _l("Off-topic"), FLAG_OTHER: _l("Something else")}


# The categories every new community starts with: stored by key, named in the reader's language.
SYSTEM_CATEGORIES = {"general": _l("General"), "questions": _l("Questions and answers")}


class Category(db.Model):
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    thread_count: Mapped[int] = mapped_column(default=0)
    # A seeded category ("general", "questions"): its name is shown translated; "" for one a
    # moderator made, whose `name` is shown as written.
    system_key: Mapped[str] = mapped_column(String(20), default="", server_default="")

    community: Mapped[Community] = relationship()

    @property
    def label(self) -> str:
        """The name to show: a seeded category's in the reader's language."""
        system = SYSTEM_CATEGORIES.get(self.system_key)
        return str(system) if system is not None else self.name

    def __repr__(self) -> str:
        return f"<Category {self.community_id}/{self.slug}>"


class Thread(TimestampMixin, db.Model):
    __table_args__ = (
        Index("ix_thread_category_list", "category_id", "is_pinned", "last_post_at"),
        Index("ix_thread_community_last", "community_id", "last_post_at"),
        Index("ix_thread_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default=DISCUSSION)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=VISIBLE)  # visible|pending|hidden
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="SET NULL", use_alter=True))
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None]
    post_count: Mapped[int] = mapped_column(default=0)  # highest post number given out
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    community: Mapped[Community] = relationship()
    category: Mapped[Category] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title[:30]!r}>"

    @property
    def is_question(self) -> bool:
        return self.kind == QUESTION

    @property
    def kind_label(self) -> str:
        return str(THREAD_KINDS.get(self.kind, self.kind))

    @property
    def reply_count(self) -> int:
        return max(0, self.post_count - 1)


class Post(TimestampMixin, db.Model):
    __table_args__ = (UniqueConstraint("thread_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=VISIBLE, index=True)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    edited_at: Mapped[datetime | None]
    revision_count: Mapped[int] = mapped_column(default=0)
    # Reaction counts kept beside the post, so a thread page needs no aggregate query.
    helpful_count: Mapped[int] = mapped_column(default=0)
    thanks_count: Mapped[int] = mapped_column(default=0)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Post {self.id} thread={self.thread_id} #{self.number} {self.status}>"

    @property
    def is_visible(self) -> bool:
        return self.status == VISIBLE and not self.is_deleted


class PostRevision(db.Model):
    """The text a post had before an edit (its earlier versions, oldest first)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when it was replaced

    editor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PostRevision {self.id} post={self.post_id}>"


class Reaction(db.Model):
    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Reaction {self.kind} post={self.post_id} user={self.user_id}>"


class ThreadRead(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    last_read_number: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ThreadRead u={self.user_id} t={self.thread_id} #{self.last_read_number}>"


class Watch(db.Model):
    """A user watches a thread or a whole category: new posts there notify them."""

    __table_args__ = (
        UniqueConstraint("user_id", "thread_id"),
        UniqueConstraint("user_id", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="CASCADE"), index=True)

    def __repr__(self) -> str:
        return f"<Watch u={self.user_id} t={self.thread_id} c={self.category_id}>"


class Flag(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20), default=FLAG_OTHER)  # a FLAG_CATEGORIES key
    reason: Mapped[str] = mapped_column(String(1000))  # the reporter's words (may be empty)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open|resolved
    resolution: Mapped[str] = mapped_column(String(20), default="")  # hidden|dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])

    def __repr__(self) -> str:
        return f"<Flag {self.id} post={self.post_id} {self.status}>"

    @property
    def category_label(self) -> str:
        return str(FLAG_CATEGORIES.get(self.category, FLAG_CATEGORIES[FLAG_OTHER]))
