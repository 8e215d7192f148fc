"""Forum pages: categories, threads with their posts, replying, editing, reactions, Discuss."""

from collections.abc import Sequence
from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import defer, joinedload

from marketplace import policy
from marketplace.accounts import permissions as perm
from marketplace.accounts.models import User
from marketplace.communities.views import load as load_community
from marketplace.extensions import db, limiter
from marketplace.files import services as files_services
from marketplace.forums import moderation, services, subjects
from marketplace.forums.forms import (
    CategoryForm,
    DiscussForm,
    EditPostForm,
    FlagForm,
    MoveForm,
    ReplyForm,
    ThreadEditForm,
    ThreadForm,
)
from marketplace.forums.models import REACTIONS, Category, Post, Thread
from marketplace.paging import Page
from marketplace.security import action_limit
from marketplace.web import (
    act,
    base_revision,
    client_ip,
    is_preview,
    keep_conflict,
    page_arg,
    paginate,
    preview_response,
    require,
)

bp = Blueprint("forums", __name__)


def _post_limit() -> str:
    return current_app.config.get("FORUMS_POST_RATELIMIT", "6 per minute;60 per hour")


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else client_ip() or ""


post_rate_limit = limiter.limit(_post_limit, key_func=_user_key, methods=["POST"],
                                exempt_when=is_preview)


def _labels(lazy: dict) -> dict:
    """Translate lazy labels once per page rather than once per post."""
    return {key: str(label) for key, label in lazy.items()}


def _category(slug: str, category_slug: str) -> Category:
    community = load_community(slug)
    category = db.one_or_404(select(Category).where(
        Category.community_id == community.id, Category.slug == category_slug))
    require(perm.can_read_community(current_user, community))
    return category


# Built once (construction and its cache key cost about as much as running it).
_THREAD = select(Thread).options(joinedload(Thread.community), joinedload(Thread.category)).where(
    Thread.id == bindparam("thread_id"))


def load_thread(thread_id: int) -> Thread:
    thread = db.session.execute(_THREAD, {"thread_id": thread_id}).scalar_one_or_none()
    if thread is None:
        abort(404)
    require(perm.can_read_community(current_user, thread.community))
    if not policy.visible(current_user, "thread", thread):
        abort(404)
    return thread


def load_post(post_id: int) -> Post:
    """The post, or 404 for whoever the policy does not let see it (hidden, pending, deleted)."""
    post = db.get_or_404(Post, post_id)
    load_thread(post.thread_id)
    if not policy.visible(current_user, "post", post):
        abort(404)
    return post


@bp.route("/communities/<slug>/c/<category_slug>/")
def category(slug: str, category_slug: str):
    category = _category(slug, category_slug)
    community = category.community
    query = (select(Thread).options(joinedload(Thread.last_poster).lazyload(User.roles))
             .where(Thread.category_id == category.id,
                    policy.clause(current_user, "thread", Thread, container=False))
             .order_by(Thread.is_pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc()))
    page = paginate(query, per_page=services.PER_PAGE, total=category.thread_count)
    return render_template(
        "forums/category.html", community=community, category=category, page=page,
        read_marks=services.last_read(current_user, [t.id for t in page.items]),
        watching=services.is_watching(current_user, category=category),
        can_post=perm.can_post_in_community(current_user, community))


@bp.route("/communities/<slug>/categories/new", methods=["GET", "POST"])
@login_required
def new_category(slug: str):
    community = load_community(slug)
    require(perm.can_moderate_community(current_user, community))
    form = CategoryForm()
    if not form.validate_on_submit():
        return render_template("forums/category_form.html", form=form, community=community)
    return act(lambda: services.create_category(community, form.name.data, form.description.data or ""),
               success=_("Category created."),
               to=lambda category: url_for("forums.category", slug=slug, category_slug=category.slug),
               form=form, template="forums/category_form.html", context={"community": community})


@bp.route("/communities/<slug>/c/<category_slug>/new", methods=["GET", "POST"])
@login_required
@post_rate_limit
def new_thread(slug: str, category_slug: str):
    category = _category(slug, category_slug)
    require(perm.can_post_in_community(current_user, category.community))
    form = ThreadForm()
    ctx = {"community": category.community, "category": category}
    if is_preview():
        return preview_response("forums/thread_form.html", _preview(form, category.community),
                                form=form, **ctx)
    if not form.validate_on_submit():
        return render_template("forums/thread_form.html", form=form, **ctx), (
            400 if form.errors else 200)
    return _create_thread(form, category, None, "forums/thread_form.html", ctx)


def _create_thread(form, category: Category, subject, template: str, ctx: dict):
    return act(lambda: services.start_thread(
        current_user, category, title=form.title.data, body=form.body.data,
        kind=form.kind.data, tags=form.tags.data or "", subject=subject),
        success=lambda thread: _pending_note(thread.status),
        to=lambda thread: url_for("forums.thread", thread_id=thread.id),
        form=form, template=template, context=ctx)


def _preview(form, community) -> str:
    return services.render_post(form.body.data or "", community)


def _pending_note(status: str) -> str | None:
    if status != "pending":
        return None
    return _("Thanks! New members' first posts are read by a moderator before they appear.")


@bp.route("/threads/<int:thread_id>")
def thread(thread_id: int):
    thread = load_thread(thread_id)
    pages = max(1, services.page_of(max(thread.post_count, 1)))
    page = min(page_arg(), pages)
    first, last = (page - 1) * services.PER_PAGE + 1, page * services.PER_PAGE
    posts = db.session.scalars(_page_of_posts(current_user),
                               {"thread_id": thread.id, "first": first, "last": last}).all()
    counts, mine = services.reaction_summary(posts, current_user)
    read_mark = services.last_read(current_user, [thread.id]).get(thread.id)
    can_reply = perm.can_reply_to_thread(current_user, thread)
    can_moderate = perm.can_moderate_community(current_user, thread.community)
    post_view = SimpleNamespace(  # what each post's macro needs, looked up once per page
        thread=thread, perm=perm, user=current_user._get_current_object(), counts=counts,
        shown=policy.visible_among(current_user, "post", posts),
        files=files_services.by_parent("post", [p.id for p in posts]),  # one query for the page
        mine=mine, labels=_labels(REACTIONS), can_reply=can_reply, can_moderate=can_moderate,
        signed_in=current_user.is_authenticated,
        profile_prefix=url_for("accounts.profile", user_id=1)[:-1])
    html = render_template(
        "forums/thread.html", thread=thread, community=thread.community, posts=posts,
        post_view=post_view, read_mark=read_mark, can_moderate=can_moderate,
        pagination=Page(posts, page, services.PER_PAGE, thread.post_count), can_reply=can_reply,
        reply_form=ReplyForm() if can_reply and page == pages else None,
        move_form=_move_form(thread),
        watching=services.is_watching(current_user, thread=thread))
    _record_read(thread, posts, read_mark)  # after rendering: its commit expires the objects
    return html


_READERS_PAGE: dict[str, Select] = {}


def _page_of_posts(viewer) -> Select:
    """The statement for one page of a thread's posts. A reader who is not signed in sees what
    every such reader sees: that statement is built once."""
    if policy.is_signed_in(viewer):
        return _posts_statement(viewer)
    if "anonymous" not in _READERS_PAGE:
        _READERS_PAGE["anonymous"] = _posts_statement(viewer)
    return _READERS_PAGE["anonymous"]


def _posts_statement(viewer) -> Select:
    return (select(Post).options(defer(Post.body_source), joinedload(Post.author).load_only(
        User.stored_name, User.email, User.is_deleted).lazyload(User.roles))  # User.display_name reads both
        .where(Post.thread_id == bindparam("thread_id"),
               Post.number.between(bindparam("first"), bindparam("last")),
               services.listed_post_filter(viewer))
        .order_by(Post.number))


def _move_form(thread: Thread) -> MoveForm | None:
    if not perm.can_moderate_community(current_user, thread.community):
        return None
    form = MoveForm(category=thread.category_id)
    form.category.choices = [(c.id, c.label) for c in services.categories_of(thread.community)]
    return form


def _record_read(thread: Thread, posts: Sequence[Post], before: int | None) -> None:
    if current_user.is_authenticated and posts and (before is None or posts[-1].number > before):
        services.mark_read(current_user, thread, posts[-1].number)
        db.session.commit()


@bp.route("/threads/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
@post_rate_limit
def reply(thread_id: int):
    thread = load_thread(thread_id)
    require(perm.can_reply_to_thread(current_user, thread))
    form = ReplyForm()
    if is_preview():
        return preview_response("forums/reply.html", _preview(form, thread.community), form=form,
                                thread=thread, community=thread.community)
    if not form.validate_on_submit():
        if not form.is_submitted():
            form.body.data = _quote(request.args.get("quote", type=int), thread)
        return render_template("forums/reply.html", form=form, thread=thread,
                               community=thread.community), 400 if form.errors else 200
    return act(lambda: services.reply(current_user, thread, form.body.data),
               success=lambda post: _pending_note(post.status), to=services.post_url, form=form,
               template="forums/reply.html",
               context={"thread": thread, "community": thread.community})


def _quote(post_id: int | None, thread: Thread) -> str:
    post = db.session.get(Post, post_id) if post_id else None
    if post is None or post.thread_id != thread.id or not policy.is_public("post", post):
        return ""
    name = post.author.public_name if post.author else _("deleted user")
    # the attribution is a paragraph of its own, so it never runs into the quoted text
    lines = [_("%(name)s wrote:", name=name), ""] + post.body_source.splitlines()
    return "\n".join(("> " + line).rstrip() for line in lines) + "\n\n"


@bp.route("/threads/<int:thread_id>/edit", methods=["GET", "POST"])
@login_required
def edit_thread(thread_id: int):
    thread = load_thread(thread_id)
    first = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    require(first is not None and perm.can_edit_post(current_user, first))
    form = ThreadEditForm(obj=thread, tags=", ".join(thread.tags))
    if not form.validate_on_submit():
        return render_template("forums/thread_edit.html", form=form, thread=thread,
                               community=thread.community)
    return act(lambda: services.edit_thread_title(current_user, thread, form.title.data,
                                                  form.tags.data or ""),
               to=url_for("forums.thread", thread_id=thread.id), form=form,
               template="forums/thread_edit.html",
               context={"thread": thread, "community": thread.community})


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@post_rate_limit
def edit_post(post_id: int):
    post = load_post(post_id)
    require(perm.can_edit_post(current_user, post))
    form = EditPostForm(body=post.body_source, base_revision=str(post.revision_count))
    ctx = {"post": post, "thread": post.thread, "community": post.thread.community}
    if is_preview():
        return preview_response("forums/post_edit.html", _preview(form, post.thread.community),
                                form=form, **ctx)
    if not form.validate_on_submit():
        return render_template("forums/post_edit.html", form=form, **ctx)
    base = base_revision(form)
    return act(lambda: services.edit_post(current_user, post, form.body.data, base),
               success=_("Your changes are saved; earlier versions stay in the history."),
               to=services.post_url(post), form=form, template="forums/post_edit.html", context=ctx,
               on_error=keep_conflict(form, ctx))


@bp.route("/posts/<int:post_id>/history")
def post_history(post_id: int):
    post = load_post(post_id)
    return render_template("forums/history.html", post=post, thread=post.thread,
                           community=post.thread.community, revisions=services.revisions_of(post))


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id: int):
    """GET: the confirmation page (works without JavaScript); POST: delete."""
    post = load_post(post_id)
    require(perm.can_delete_post(current_user, post))
    if request.method == "GET":
        return render_template("_partials/confirm.html", question=_("Delete this post?"),
                               detail=_("Readers will see that a post was deleted here."),
                               quote=post.body_html, button=_("Delete the post"),
                               action=request.path, cancel_url=services.post_url(post))
    return act(lambda: services.delete_post(current_user, post), success=_("Post deleted."),
               to=services.post_url(post))


@bp.post("/posts/<int:post_id>/react/<kind>")
@login_required
def react(post_id: int, kind: str):
    post = load_post(post_id)
    require(perm.can_react_to_post(current_user, post))
    if kind not in REACTIONS:
        abort(400)
    return act(lambda: services.toggle_reaction(current_user, post, kind),
               to=lambda _none: _reactions(post) if request.headers.get("HX-Request")
               else services.post_url(post))


def _reactions(post: Post):
    counts, mine = services.reaction_summary([post], current_user)
    return make_response(render_template(
        "forums/_reactions.html", post=post, counts=counts, mine=mine,
        reaction_labels=_labels(REACTIONS), can_react=True, fragment=True))


@bp.post("/posts/<int:post_id>/accept")
@login_required
def accept(post_id: int):
    post = load_post(post_id)
    require(perm.can_accept_answer(current_user, post.thread))
    return act(lambda: services.accept_answer(current_user, post.thread, post),
               success=_("Answer accepted. Thank you for closing the loop!"),
               to=services.post_url(post))


@bp.post("/threads/<int:thread_id>/unaccept")
@login_required
def unaccept(thread_id: int):
    thread = load_thread(thread_id)
    require(perm.can_accept_answer(current_user, thread))
    return act(lambda: services.unaccept_answer(current_user, thread),
               to=url_for("forums.thread", thread_id=thread.id))


@bp.post("/threads/<int:thread_id>/<any(watch, unwatch):action>")
@login_required
def watch_thread(thread_id: int, action: str):
    thread = load_thread(thread_id)
    watch = action == "watch"
    return act(lambda: services.watch_thread(current_user, thread) if watch
               else services.unwatch(current_user, thread=thread),
               success=_("You will be notified of new posts.") if watch
               else _("You no longer follow this thread."),
               to=url_for("forums.thread", thread_id=thread.id))


@bp.post("/categories/<int:category_id>/<any(watch, unwatch):action>")
@login_required
def watch_category(category_id: int, action: str):
    category = db.get_or_404(Category, category_id)
    require(perm.can_read_community(current_user, category.community))
    watch = action == "watch"
    return act(lambda: services.watch_category(current_user, category) if watch
               else services.unwatch(current_user, category=category),
               success=_("You will be notified of new posts.") if watch
               else _("You no longer follow this category."),
               to=url_for("forums.category", slug=category.community.slug,
                          category_slug=category.slug))


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@action_limit("flag")
@login_required
def flag(post_id: int):
    post = load_post(post_id)
    require(perm.can_flag_post(current_user, post))
    form = FlagForm()
    ctx = {"post": post, "thread": post.thread, "community": post.thread.community}
    if is_preview():
        return preview_response("forums/post_edit.html", _preview(form, post.thread.community),
                                form=form, **ctx)
    if not form.validate_on_submit():
        return render_template("forums/flag.html", form=form, **ctx), 400 if form.errors else 200
    return act(lambda: moderation.flag_post(current_user, post, form.reason.data,
                                            form.category.data, client_ip()),
               success=_("Thank you. The moderators will look at this post."),
               to=services.post_url(post), form=form, template="forums/flag.html", context=ctx)


@bp.route("/discuss/<subject_type>/<int:subject_id>", methods=["GET", "POST"])
@post_rate_limit
def discuss(subject_type: str, subject_id: int):
    """Open the thread about a practice, case study or project, or start one."""
    subject = subjects.load(subject_type, subject_id)
    if subject is None or not subjects.can_view(current_user, subject_type, subject):
        abort(404)
    threads = services.threads_about(current_user, subject_type, subject_id)
    if len(threads) == 1 and request.method == "GET" and "new" not in request.args:
        return redirect(url_for("forums.thread", thread_id=threads[0].id))
    if not current_user.is_authenticated:
        return render_template("forums/discuss.html", subject=subject, threads=threads,
                               subject_type=subject_type, form=None, subject_url=subjects.url(
                                   subject_type, subject))
    return _discuss_form(subject_type, subject, threads)


def _discuss_form(subject_type: str, subject, threads: list[Thread]):
    form, pick = ThreadForm(title=subject.title), DiscussForm()
    pick.category.choices = [(c.id, f"{c.community.name} — {c.label}")
                             for c in services.postable_categories(current_user)]
    ctx = {"subject": subject, "threads": threads, "subject_type": subject_type, "pick": pick,
           "subject_url": subjects.url(subject_type, subject)}
    if not (form.validate_on_submit() and pick.validate()):
        return render_template("forums/discuss.html", form=form, **ctx), (
            400 if form.errors or pick.errors else 200)
    category = db.get_or_404(Category, pick.category.data)
    require(perm.can_post_in_community(current_user, category.community))
    return _create_thread(form, category, (subject_type, subject.id), "forums/discuss.html", ctx)

