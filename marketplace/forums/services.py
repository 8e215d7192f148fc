"""Forum verbs: categories, threads, replies, edits, reactions, answers, reading and watching.

Approval of new accounts: an account younger than FORUMS_NEW_ACCOUNT_HOURS (24) whose author
has fewer than FORUMS_TRUSTED_AFTER_POSTS (2) approved posts has its posts wait for a moderator
(status "pending"), and may put at most FORUMS_NEW_ACCOUNT_MAX_LINKS (2) links in a post.
Community and site moderators are never held. Watchers and mentioned people are notified when
a post becomes visible (at once, or when a moderator approves it).
"""

import re
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from marketplace import links, policy
from marketplace.accounts import mentions as account_mentions
from marketplace.accounts.models import Role, User, UserRole
from marketplace.accounts.permissions import can_moderate_community
from marketplace.communities.models import Community, CommunityMember
from marketplace.communities.services import community_created, moderators_of
from marketplace.database import lock_row, utcnow
from marketplace.errors import InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.forums import mentions
from marketplace.forums.models import (
    HIDDEN,
    PENDING,
    QUESTION,
    REACTIONS,
    SUBJECT_TYPES,
    SYSTEM_CATEGORIES,
    THREAD_KINDS,
    VISIBLE,
    Category,
    Post,
    PostRevision,
    Reaction,
    Thread,
    ThreadRead,
    Watch,
)
from marketplace.i18n import force_locale
from marketplace.knowledge import revisions
from marketplace.notifications import kinds
from marketplace.notifications.services import notify
from marketplace.slugs import parse_tags, slugify
from marketplace.text import MENTION

PER_PAGE = 20
# Links to other sites (a new account's spam risk); @mentions link to profiles here, by path.
_LINK = re.compile(r"<a\s[^>]*href=\"(?!/)", re.IGNORECASE)


def _cfg(key: str, default):
    return current_app.config.get(key, default)


# --- categories ------------------------------------------------------------------------------

DEFAULT_CATEGORIES = ("general", "questions")  # keys of models.SYSTEM_CATEGORIES


def connect_signals() -> None:
    """Called once by create_app; connecting the same receiver again is a no-op."""
    community_created.connect(_add_default_categories)


def _add_default_categories(community: Community) -> None:
    for position, key in enumerate(DEFAULT_CATEGORIES):
        # stored in English (slug and search), shown in the reader's language (Category.label)
        with force_locale("en"):
            name = str(SYSTEM_CATEGORIES[key])
        create_category(community, name, position=position, system_key=key)


def community_page(viewer, community: Community) -> dict:
    """What the community page shows of its forum: recent threads, categories, read marks."""
    recent = db.session.scalars(
        select(Thread).options(joinedload(Thread.category),
                               joinedload(Thread.last_poster).lazyload(User.roles))
        .where(Thread.community_id == community.id,
               policy.clause(viewer, "thread", Thread, container=False))
        .order_by(Thread.last_post_at.desc()).limit(10)).all()
    return dict(recent=recent, categories=categories_of(community),
                read_marks=last_read(viewer, [t.id for t in recent]))


def create_category(community: Community, name: str, description: str = "",
                    position: int | None = None, system_key: str = "") -> Category:
    base = slugify(name, 100)
    taken = set(db.session.scalars(select(Category.slug).where(
        Category.community_id == community.id)))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    if position is None:
        position = len(taken)
    category = Category(community_id=community.id, name=name.strip(), slug=slug,
                        description=description.strip()[:500], position=position,
                        system_key=system_key)
    db.session.add(category)
    db.session.flush()
    return category


def categories_of(community: Community) -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.community_id == community.id)
                                   .order_by(Category.position, Category.id)))


# --- links for notifications -----------------------------------------------------------------


def page_of(number: int) -> int:
    return (number - 1) // PER_PAGE + 1


def post_url(post: Post) -> str:
    return links.path("forums.thread", thread_id=post.thread_id, page=page_of(post.number),
                   _anchor=f"post-{post.number}")


# --- new accounts ----------------------------------------------------------------------------


def is_new_account(user: User) -> bool:
    hours = _cfg("FORUMS_NEW_ACCOUNT_HOURS", 24)
    return user.created_at > utcnow() - timedelta(hours=hours)


def _needs_approval(user: User, community: Community) -> bool:
    if can_moderate_community(user, community) or not is_new_account(user):
        return False
    approved = db.session.scalar(select(func.count(Post.id)).where(
        Post.author_id == user.id, Post.status == VISIBLE))
    return approved < _cfg("FORUMS_TRUSTED_AFTER_POSTS", 2)


def render_post(body: str, community: Community) -> str:
    """A post's HTML: Markdown with the community members it @mentions linked to their profiles
    (also what the preview shows)."""
    members = members_of(community) if MENTION.search(body or "") else []
    return account_mentions.render(body, members)


def _render_body(user: User, body: str, community: Community) -> str:
    if not (body or "").strip():
        raise InvalidInput("body", _("Write something first."))
    html = render_post(body, community)
    limit = _cfg("FORUMS_NEW_ACCOUNT_MAX_LINKS", 2)
    if is_new_account(user) and len(_LINK.findall(html)) > limit:
        raise InvalidInput("body", _("New accounts may put at most %(n)d links in a post.",
                                     n=limit))
    return html


# --- threads and posts -----------------------------------------------------------------------


def start_thread(author: User, category: Category, *, title: str, body: str, kind: str,
                 tags: str | list[str] = "", subject: tuple[str, int] | None = None) -> Thread:
    """A new thread with its first post; held for approval when the author is new."""
    if kind not in THREAD_KINDS:
        raise InvalidInput("kind", _("Choose one of the offered options."))
    if not title.strip():
        raise InvalidInput("title", _("Give the thread a title."))
    community = category.community
    html = _render_body(author, body, community)
    held = _needs_approval(author, community)
    thread = Thread(
        community_id=community.id, category_id=category.id, author_id=author.id,
        title=title.strip()[:200], kind=kind, status=PENDING if held else VISIBLE,
        tags=parse_tags(tags) if isinstance(tags, str) else list(tags),
        last_poster_id=author.id)
    if subject is not None:
        if subject[0] not in SUBJECT_TYPES:
            raise InvalidInput(None, _("This cannot be discussed."))
        thread.subject_type, thread.subject_id = subject
    db.session.add(thread)
    db.session.flush()
    post = _add_post(thread, author, body, html, PENDING if held else VISIBLE)
    watch_thread(author, thread)
    if held:
        announce_held(post)
    else:
        count_thread(category, +1)
        announce_post(post)
    return thread


REPEAT_WINDOW = timedelta(minutes=2)  # the same reply again within it is the same reply


def reply(author: User, thread: Thread, body: str) -> Post:
    # The thread's row lock (which numbering takes anyway) orders two sends at once: a double
    # click or a resent form finds the first reply and returns it instead of posting it twice.
    db.session.execute(select(Thread.id).where(Thread.id == thread.id).with_for_update())
    repeated = db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.author_id == author.id,
                           Post.created_at >= utcnow() - REPEAT_WINDOW)
        .order_by(Post.id.desc()).limit(1))
    if repeated is not None and repeated.body_source == body and not repeated.is_deleted:
        return repeated
    html = _render_body(author, body, thread.community)
    held = _needs_approval(author, thread.community)
    post = _add_post(thread, author, body, html, PENDING if held else VISIBLE)
    watch_thread(author, thread)
    if held:
        announce_held(post)
    else:
        announce_post(post)
    return post


def _add_post(thread: Thread, author: User, source: str, html: str, status: str) -> Post:
    # The row lock taken by this UPDATE serialises numbering; UNIQUE(thread, number) backs it.
    number = db.session.execute(
        update(Thread).where(Thread.id == thread.id)
        .values(post_count=Thread.post_count + 1).returning(Thread.post_count)
    ).scalar_one()
    post = Post(thread_id=thread.id, number=number, author_id=author.id, body_source=source,
                body_html=html, status=status)
    db.session.add(post)
    db.session.flush()
    db.session.refresh(thread, ["post_count"])
    _read_own_post(author, thread, number)
    return post


def _read_own_post(author: User, thread: Thread, number: int) -> None:
    """One's own post is never "new since your last visit" to oneself; posts others wrote
    before it and the author has not seen stay new."""
    seen = last_read(author, [thread.id]).get(thread.id, 0)
    if seen >= number - 1:
        mark_read(author, thread, number)


def count_thread(category: Category, delta: int) -> None:
    db.session.execute(update(Category).where(Category.id == category.id)
                       .values(thread_count=Category.thread_count + delta))


def announce_post(post: Post) -> None:
    """A post became visible: bump the thread, notify mentioned people and watchers."""
    thread = post.thread
    thread.last_post_at, thread.last_poster_id = post.created_at or utcnow(), post.author_id
    author = post.author
    link = post_url(post)
    mentioned = mentions.resolve(post.body_source, members_of(thread.community))
    for user in mentioned:
        notify(user, kinds.MENTION, _l("%(name)s mentioned you in “%(title)s”",
               name=author.display_name, title=thread.title), link, actor=author)
    skip = {u.id for u in mentioned} | {post.author_id}
    for user in watchers_of(thread):
        if user.id not in skip:
            notify(user, kinds.REPLY, _l("%(name)s posted in “%(title)s”",
                   name=author.display_name, title=thread.title), link, actor=author)
    db.session.flush()


def moderators_to_tell(community: Community) -> list[User]:
    """Who hears of flags and held posts: the community's owners and moderators, then the site's
    moderators and admins (each once; not deleted or suspended accounts)."""
    site = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role.in_((Role.MODERATOR.value, Role.ADMIN.value)),
        User.is_deleted.is_(False), User.is_suspended.is_(False)).order_by(User.id))
    people = {u.id: u for u in [*moderators_of(community), *site]}
    return [u for u in people.values() if not (u.is_deleted or u.is_suspended)]


def announce_held(post: Post) -> None:
    """A new account's post waits for approval: its moderators hear of it (in-app, and by mail
    or digest as each prefers)."""
    thread = post.thread
    link = links.path("moderation.community_queue", slug=thread.community.slug)
    for moderator in moderators_to_tell(thread.community):
        notify(moderator, kinds.MODERATION, _l("A post by %(name)s in “%(title)s” waits for approval",
               name=post.author.display_name, title=thread.title), link, actor=post.author)


def members_of(community: Community) -> list[User]:
    return list(db.session.scalars(select(User).join(
        CommunityMember, CommunityMember.user_id == User.id).where(
        CommunityMember.community_id == community.id, User.is_deleted.is_(False))))


def watchers_of(thread: Thread) -> list[User]:
    """Watchers of the thread or its category who may still read it (members, if private)."""
    watcher_ids = select(Watch.user_id).where(
        (Watch.thread_id == thread.id) | (Watch.category_id == thread.category_id))
    query = select(User).where(User.id.in_(watcher_ids), User.is_deleted.is_(False))
    return [u for u in db.session.scalars(query) if policy.visible(u, "thread", thread)]


def edit_post(editor: User, post: Post, body: str, base_revision: int | None = None) -> None:
    """Keep the previous text as a revision anyone can read, then save the new one.
    `base_revision`: the post's revision_count when the form was opened; when someone edited it
    since, a save that changes its text is an EditConflict (nothing saved)."""
    lock_row(db.session, post)
    if revisions.same(body, post.body_source):
        return
    if base_revision is not None and base_revision < post.revision_count:
        _check_base(post, body, base_revision)
        return
    html = _render_body(post.author or editor, body, post.thread.community)
    db.session.add(PostRevision(post_id=post.id, editor_id=editor.id,
                                body_source=post.body_source, body_html=post.body_html))
    post.body_source, post.body_html = body, html
    post.edited_at = utcnow()
    post.revision_count += 1
    db.session.flush()


def _check_base(post: Post, body: str, base: int) -> None:
    """A save of a form opened on version `base` of a post edited since: nothing to do when
    the text typed is the text it showed, else an EditConflict."""
    history = revisions_of(post)
    if base < len(history) and revisions.same(body, history[base].body_source):
        return
    names = dict.fromkeys(r.editor.public_name if r.editor else _("a former member")
                          for r in history[base:])
    raise revisions.edit_conflict([revisions.conflict_field("body", _l("Message"), body, post.body_source)],
                                  list(names), post.revision_count)


def edit_thread_title(editor: User, thread: Thread, title: str, tags: str) -> None:
    if not title.strip():
        raise InvalidInput("title", _("Give the thread a title."))
    thread.title = title.strip()[:200]
    thread.tags = parse_tags(tags)
    db.session.flush()


def delete_post(user: User, post: Post) -> None:
    post.is_deleted = True
    if post.thread.accepted_post_id == post.id:
        post.thread.accepted_post_id = None
    db.session.flush()


def revisions_of(post: Post) -> list[PostRevision]:
    return list(db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                   .order_by(PostRevision.id)))


def toggle_reaction(user: User, post: Post, kind: str) -> bool:
    """Add the reaction, or take it back if it was there; returns whether it is now on."""
    if kind not in REACTIONS:
        raise InvalidInput("kind", _("Choose one of the offered options."))
    removed = db.session.execute(delete(Reaction).where(
        Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind))
    if not removed.rowcount:  # type: ignore[attr-defined]
        db.session.add(Reaction(post_id=post.id, user_id=user.id, kind=kind))
    counter = _COUNTERS[kind]
    delta = -1 if removed.rowcount else 1  # type: ignore[attr-defined]
    db.session.execute(update(Post).where(Post.id == post.id)
                       .values({counter: getattr(Post, counter) + delta}))
    db.session.flush()
    db.session.refresh(post, [counter])
    return not removed.rowcount  # type: ignore[attr-defined]


_COUNTERS = {"helpful": "helpful_count", "thanks": "thanks_count"}


def reaction_summary(posts: Sequence[Post], user) -> tuple[dict, set]:
    """({post_id: {kind: count}}, {(post_id, kind) the user gave}); one query, for a reader."""
    counts = {p.id: {kind: getattr(p, attr) for kind, attr in _COUNTERS.items()} for p in posts}
    mine: set[tuple[int, str]] = set()
    if posts and getattr(user, "is_authenticated", False):
        mine = set(db.session.execute(select(Reaction.post_id, Reaction.kind).where(
            Reaction.post_id.in_([p.id for p in posts]), Reaction.user_id == user.id)).all())
    return counts, mine


def accept_answer(user: User, thread: Thread, post: Post) -> None:
    if thread.kind != QUESTION or thread.author_id != user.id:
        raise PermissionDenied(_("Only the person who asked can accept an answer."))
    if post.thread_id != thread.id or post.number == 1 or not policy.is_public("post", post):
        raise InvalidInput(None, _("Choose a visible reply in this thread."))
    thread.accepted_post_id = post.id
    db.session.flush()
    if post.author is not None:
        notify(post.author, kinds.ACCEPTED_ANSWER, _l("Your answer to “%(title)s” was accepted",
               title=thread.title), post_url(post), actor=user)


def unaccept_answer(user: User, thread: Thread) -> None:
    if thread.author_id != user.id:
        raise PermissionDenied(_("Only the person who asked can accept an answer."))
    thread.accepted_post_id = None
    db.session.flush()


# --- reading and watching --------------------------------------------------------------------


def mark_read(user: User, thread: Thread, number: int) -> None:
    row = db.session.scalar(select(ThreadRead).where(
        ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id))
    if row is None:
        db.session.add(ThreadRead(user_id=user.id, thread_id=thread.id, last_read_number=number))
    elif number > row.last_read_number:
        row.last_read_number, row.read_at = number, utcnow()
    else:
        return
    db.session.flush()


def last_read(user, thread_ids: list[int]) -> dict[int, int]:
    if not getattr(user, "is_authenticated", False) or not thread_ids:
        return {}
    return dict(db.session.execute(select(ThreadRead.thread_id, ThreadRead.last_read_number)
                                   .where(ThreadRead.user_id == user.id,
                                          ThreadRead.thread_id.in_(thread_ids))).all())


def is_watching(user, *, thread: Thread | None = None, category: Category | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    where = (Watch.thread_id == thread.id) if thread else (Watch.category_id == category.id)
    return db.session.scalar(select(Watch.id).where(Watch.user_id == user.id, where)) is not None


def watch_thread(user: User, thread: Thread) -> None:
    if not is_watching(user, thread=thread):
        db.session.add(Watch(user_id=user.id, thread_id=thread.id))
        db.session.flush()


def unwatch(user: User, *, thread: Thread | None = None, category: Category | None = None) -> None:
    where = (Watch.thread_id == thread.id) if thread else (Watch.category_id == category.id)
    db.session.execute(delete(Watch).where(Watch.user_id == user.id, where))


def watch_category(user: User, category: Category) -> None:
    if not is_watching(user, category=category):
        db.session.add(Watch(user_id=user.id, category_id=category.id))
        db.session.flush()


# --- queries for pages -----------------------------------------------------------------------


def listed_post_filter(viewer):
    """Posts of an already readable thread listed on its page: those the policy lets `viewer`
    see, and the places of hidden and deleted ones (the page shows them without their body)."""
    return policy.clause(viewer, "post", Post, container=False) | (Post.status == HIDDEN) | (
        Post.is_deleted.is_(True) & (Post.status != PENDING))


def threads_about(viewer, subject_type: str, subject_id: int) -> list[Thread]:
    return list(db.session.scalars(
        select(Thread).options(joinedload(Thread.community))
        .where(Thread.subject_type == subject_type, Thread.subject_id == subject_id,
               policy.clause(viewer, "thread", Thread))
        .order_by(Thread.created_at)))


def postable_categories(user: User) -> list[Category]:
    mine = select(CommunityMember.community_id).where(CommunityMember.user_id == user.id)
    return list(db.session.scalars(
        select(Category).options(joinedload(Category.community))
        .where(Category.community_id.in_(mine)).order_by(Category.community_id,
                                                         Category.position)))
