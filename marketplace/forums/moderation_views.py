"""Moderation pages: the community queue and audit log, the global queue, and the actions."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts import permissions as perm
from marketplace.accounts.models import AuditEvent, User
from marketplace.communities.views import load as load_community
from marketplace.extensions import db
from marketplace.forums import moderation, services
from marketplace.forums.forms import HideForm, MoveForm, SuspendForm
from marketplace.forums.models import Category, Flag, Post, Thread
from marketplace.forums.views import load_post, load_thread
from marketplace.web import act, client_ip, page_arg, paginate, require, safe_next

bp = Blueprint("moderation", __name__)

QUEUE_PER_PAGE = 20  # flags, and posts waiting for approval: each its own page (flags_page, posts_page)
LOG_PER_PAGE = 50  # the community's moderation log (log_page)


def _queues(community_id: int | None) -> dict:
    """Both queues, oldest first, a page each. A moderator's action comes back to the page's
    address (its `next`), so to the same pages, or the last ones if the action emptied them."""
    flags = paginate(moderation.open_flags(community_id).options(
        joinedload(Flag.reporter),
        joinedload(Flag.post).joinedload(Post.thread).joinedload(Thread.community),
        joinedload(Flag.post).joinedload(Post.author)), QUEUE_PER_PAGE, page_arg("flags_page"))
    pending = paginate(moderation.pending_posts(community_id).options(
        joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.community)),
        QUEUE_PER_PAGE, page_arg("posts_page"))
    return {"flags": flags, "pending": pending, "hide_form": HideForm()}


@bp.route("/communities/<slug>/moderation")
@login_required
def community_queue(slug: str):
    community = load_community(slug)
    require(perm.can_moderate_community(current_user, community))
    events = paginate(moderation.audit_log(community.id).options(selectinload(AuditEvent.actor)),
                      LOG_PER_PAGE, page_arg("log_page"))
    return render_template("forums/moderation.html", community=community, events=events,
                           **_queues(community.id))


@bp.route("/moderation/")
@login_required
def global_queue():
    require(perm.is_moderator(current_user))
    return render_template("forums/moderation.html", community=None, events=None,
                           **_queues(None))


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _act(post_or_thread_community, action, success: str, default: str):
    """Run a moderation action (a callable) with the standard permission."""
    require(perm.can_moderate_community(current_user, post_or_thread_community))
    return act(action, success=success, to=_back(default))


@bp.post("/posts/<int:post_id>/<any(hide, restore, approve, reject):action>")
@login_required
def post_action(post_id: int, action: str):
    post = load_post(post_id)
    verbs = {
        "hide": lambda: moderation.hide_post(current_user, post, request.form.get("reason", ""),
                                             client_ip()),
        "restore": lambda: moderation.restore_post(current_user, post, client_ip()),
        "approve": lambda: moderation.approve_post(current_user, post, client_ip()),
        "reject": lambda: moderation.reject_post(current_user, post, client_ip()),
    }
    messages = {"hide": _("Post hidden; its author was told."), "restore": _("Post restored."),
                "approve": _("Post approved and published."), "reject": _("Post rejected.")}
    return _act(post.thread.community, verbs[action], messages[action], services.post_url(post))


@bp.post("/flags/<int:flag_id>/dismiss")
@login_required
def dismiss_flag(flag_id: int):
    flag = db.get_or_404(Flag, flag_id)
    post = load_post(flag.post_id)
    return _act(post.thread.community,
                lambda: moderation.dismiss_flag(current_user, flag, client_ip()),
                _("Flag dismissed."), url_for("moderation.community_queue",
                                              slug=post.thread.community.slug))


@bp.post("/threads/<int:thread_id>/<any(lock, unlock, pin, unpin):action>")
@login_required
def thread_action(thread_id: int, action: str):
    thread = load_thread(thread_id)
    verbs = {
        "lock": lambda: moderation.set_locked(current_user, thread, True, client_ip()),
        "unlock": lambda: moderation.set_locked(current_user, thread, False, client_ip()),
        "pin": lambda: moderation.set_pinned(current_user, thread, True, client_ip()),
        "unpin": lambda: moderation.set_pinned(current_user, thread, False, client_ip()),
    }
    messages = {"lock": _("Thread locked."), "unlock": _("Thread unlocked."),
                "pin": _("Thread pinned."), "unpin": _("Thread unpinned.")}
    return _act(thread.community, verbs[action], messages[action],
                url_for("forums.thread", thread_id=thread.id))


@bp.post("/threads/<int:thread_id>/move")
@login_required
def move(thread_id: int):
    thread = load_thread(thread_id)
    form = MoveForm()
    form.category.choices = [(c.id, c.label) for c in services.categories_of(thread.community)]
    require(perm.can_moderate_community(current_user, thread.community))
    if not form.validate_on_submit():
        abort(400)
    category = db.get_or_404(Category, form.category.data)
    return _act(thread.community,
                lambda: moderation.move_thread(current_user, thread, category, client_ip()),
                _("Thread moved."), url_for("forums.thread", thread_id=thread.id))


@bp.post("/users/<int:user_id>/<any(suspend, unsuspend):action>")
@login_required
def suspend(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    require(perm.can_suspend_user(current_user, user))
    form = SuspendForm()
    if not form.validate_on_submit():
        abort(400)
    return act(lambda: moderation.suspend_user(current_user, user, action == "suspend", client_ip(),
                                               reason=form.reason.data or ""),
               success=_("Account suspended: it can no longer sign in.") if action == "suspend"
               else _("Account reinstated."), to=_back(url_for("accounts.profile", user_id=user.id)))
