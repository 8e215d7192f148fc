"""Moderation verbs: flags, hide/restore, approve held posts, lock, pin, move, suspend.

Every action is recorded with record_audit(..., community_id=…) so the community's moderation
page can list it; the author of a hidden, restored or approved post is notified.
"""


from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace import links
from marketplace.accounts.models import AuditEvent, User
from marketplace.accounts.services import end_all_login_sessions, record_audit
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.forums.models import (
    FLAG_CATEGORIES,
    FLAG_OTHER,
    HIDDEN,
    PENDING,
    VISIBLE,
    Category,
    Flag,
    Post,
    Thread,
)
from marketplace.forums.services import announce_post, count_thread, moderators_to_tell, post_url
from marketplace.notifications import kinds
from marketplace.notifications.services import notify, queue_templated_email


def _audit(action: str, moderator: User, target, community_id: int, ip: str | None, **detail):
    record_audit(action, moderator, target, ip, community_id=community_id, **detail)


def flag_post(reporter: User, post: Post, reason: str, category: str = FLAG_OTHER,
              ip: str | None = None) -> Flag:
    """Flag a post for its moderators (category: a FLAG_CATEGORIES key; words needed for "other")."""
    reason = (reason or "").strip()
    if category not in FLAG_CATEGORIES:
        raise InvalidInput("category", _("Choose one of the offered options."))
    if category == FLAG_OTHER and not reason:
        raise InvalidInput("reason", _("Say what is wrong with this post."))
    already = db.session.scalar(select(Flag.id).where(
        Flag.post_id == post.id, Flag.reporter_id == reporter.id, Flag.status == "open"))
    if already:
        raise Conflict(_("You already flagged this post; moderators will look at it."))
    thread = post.thread
    flag = Flag(post_id=post.id, community_id=thread.community_id, reporter_id=reporter.id,
                category=category, reason=reason[:1000])
    db.session.add(flag)
    db.session.flush()
    _audit("forum.flag", reporter, post, thread.community_id, ip, flag_id=flag.id,
           category=category, reason=reason[:300], thread_id=thread.id)
    link = links.path("moderation.community_queue", slug=thread.community.slug)
    label = FLAG_CATEGORIES[category]  # stored lazily: each moderator reads it in their language
    for moderator in moderators_to_tell(thread.community):
        if reason:
            message = _l("A post in “%(title)s” was flagged (%(category)s): %(reason)s",
                         title=thread.title, category=label, reason=reason[:120])
        else:
            message = _l("A post in “%(title)s” was flagged (%(category)s)", title=thread.title,
                         category=label)
        notify(moderator, kinds.MODERATION, message, link, actor=reporter)
    return flag


def _resolve_flags(post: Post, moderator: User, resolution: str) -> None:
    db.session.execute(update(Flag).where(Flag.post_id == post.id, Flag.status == "open").values(
        status="resolved", resolution=resolution, resolved_by_id=moderator.id,
        resolved_at=utcnow()))


def hide_post(moderator: User, post: Post, reason: str = "", ip: str | None = None) -> None:
    if post.status == HIDDEN:
        raise Conflict(_("This post is already hidden."))
    post.status = HIDDEN
    thread = post.thread
    if post.number == 1 and thread.status == VISIBLE:
        thread.status = HIDDEN
        count_thread(thread.category, -1)
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    _resolve_flags(post, moderator, "hidden")
    _audit("forum.post.hide", moderator, post, thread.community_id, ip, reason=reason[:300],
           thread_id=thread.id)
    if post.author is not None:
        message = _l("A moderator hid your post in “%(title)s”", title=thread.title)
        if reason:
            message = _l("A moderator hid your post in “%(title)s”: %(reason)s",
                         title=thread.title, reason=reason[:200])
        notify(post.author, kinds.MODERATION, message, post_url(post), actor=moderator)
    db.session.flush()


def restore_post(moderator: User, post: Post, ip: str | None = None) -> None:
    if post.status != HIDDEN:
        raise Conflict(_("This post is not hidden."))
    post.status = VISIBLE
    thread = post.thread
    if post.number == 1 and thread.status == HIDDEN:
        thread.status = VISIBLE
        count_thread(thread.category, +1)
    _audit("forum.post.restore", moderator, post, thread.community_id, ip, thread_id=thread.id)
    if post.author is not None:
        notify(post.author, kinds.MODERATION, _l("A moderator restored your post in “%(title)s”",
               title=thread.title), post_url(post), actor=moderator)
    db.session.flush()


def approve_post(moderator: User, post: Post, ip: str | None = None) -> None:
    """Publish a held post (and its thread, for a first post), then notify as if just posted."""
    if post.status != PENDING:
        raise Conflict(_("This post is not waiting for approval."))
    post.status = VISIBLE
    thread = post.thread
    if thread.status == PENDING:
        thread.status = VISIBLE
        count_thread(thread.category, +1)
    _audit("forum.post.approve", moderator, post, thread.community_id, ip, thread_id=thread.id)
    announce_post(post)
    if post.author is not None:
        notify(post.author, kinds.MODERATION, _l("Your post in “%(title)s” was approved",
               title=thread.title), post_url(post), actor=moderator)


def reject_post(moderator: User, post: Post, ip: str | None = None) -> None:
    if post.status != PENDING:
        raise Conflict(_("This post is not waiting for approval."))
    post.status = HIDDEN
    if post.number == 1:
        post.thread.status = HIDDEN
    _audit("forum.post.reject", moderator, post, post.thread.community_id, ip,
           thread_id=post.thread_id)
    if post.author is not None:
        notify(post.author, kinds.MODERATION, _l("A moderator did not approve your post in "
               "“%(title)s”", title=post.thread.title), post_url(post), actor=moderator)
    db.session.flush()


def dismiss_flag(moderator: User, flag: Flag, ip: str | None = None) -> None:
    if flag.status != "open":
        raise Conflict(_("This flag was already handled."))
    flag.status, flag.resolution = "resolved", "dismissed"
    flag.resolved_by_id, flag.resolved_at = moderator.id, utcnow()
    _audit("forum.flag.dismiss", moderator, flag.post, flag.community_id, ip, flag_id=flag.id)
    db.session.flush()


def set_locked(moderator: User, thread: Thread, locked: bool, ip: str | None = None) -> None:
    thread.is_locked = locked
    _audit("forum.thread.lock" if locked else "forum.thread.unlock", moderator, thread,
           thread.community_id, ip)
    db.session.flush()


def set_pinned(moderator: User, thread: Thread, pinned: bool, ip: str | None = None) -> None:
    thread.is_pinned = pinned
    _audit("forum.thread.pin" if pinned else "forum.thread.unpin", moderator, thread,
           thread.community_id, ip)
    db.session.flush()


def move_thread(moderator: User, thread: Thread, category: Category, ip: str | None = None) -> None:
    if category.community_id != thread.community_id:
        raise InvalidInput("category", _("Choose a category of this community."))
    if category.id == thread.category_id:
        return
    old = thread.category
    if thread.status == VISIBLE:
        count_thread(old, -1)
        count_thread(category, +1)
    thread.category_id = category.id
    thread.category = category
    _audit("forum.thread.move", moderator, thread, thread.community_id, ip,
           from_category=old.slug, to_category=category.slug)
    db.session.flush()


def suspend_user(admin: User, user: User, suspended: bool, ip: str | None = None,
                 reason: str = "") -> None:
    """Suspend (a reason is required) or reinstate an account. A suspended account cannot sign in
    and every one of its sessions ends at once; the person is told by mail and in-app."""
    if not admin.is_admin or admin.id == user.id:
        raise InvalidInput(None, _("Only administrators suspend accounts, and not their own."))
    reason = (reason or "").strip()
    if suspended and not reason:
        raise InvalidInput("reason", _("Say why the account is suspended; the person is told."))
    if user.is_suspended == suspended:
        raise Conflict(_("This account is already suspended.") if suspended
                       else _("This account is not suspended."))
    user.is_suspended, user.suspension_reason = suspended, reason[:500]
    if suspended:
        end_all_login_sessions(user)
        # Sent whatever the person's notification settings: they can no longer sign in to read it.
        queue_templated_email(user, _l("Your account is suspended"), "email/account_suspended.txt",
                              reason=reason)
        message = _l("Your account was suspended: %(reason)s", reason=reason[:300])
    else:
        message = _l("Your account is reinstated. Welcome back.")
    record_audit("account.suspend" if suspended else "account.unsuspend", admin, user, ip,
                 reason=reason[:300])
    notify(user, kinds.MODERATION, message, links.path("accounts.profile", user_id=user.id),
           actor=admin)
    db.session.flush()


# --- queues ----------------------------------------------------------------------------------


def open_flags(community_id: int | None = None):
    """The open flags, oldest first (a queue)."""
    query = select(Flag).where(Flag.status == "open").order_by(Flag.created_at, Flag.id)
    return query.where(Flag.community_id == community_id) if community_id else query


def pending_posts(community_id: int | None = None):
    """The posts waiting for approval, oldest first (a queue)."""
    query = select(Post).join(Thread, Post.thread_id == Thread.id).where(
        Post.status == PENDING, Post.is_deleted.is_(False)).order_by(Post.created_at, Post.id)
    return query.where(Thread.community_id == community_id) if community_id else query


def audit_log(community_id: int):
    """The community's moderation log, latest first (the page shows it a page at a time)."""
    return (select(AuditEvent)
            .where(AuditEvent.detail["community_id"].as_integer() == community_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
