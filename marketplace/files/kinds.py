"""The parents a file can be attached to, registered from create_app._connect_layers(); the
higher features hand in what only they know (a practice records a revision for each change)."""

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace import links, policy
from marketplace.accounts.permissions import (
    can_edit_case_study,
    can_edit_post,
    can_edit_practice,
    can_edit_project,
    can_reply_to_thread,
)
from marketplace.files.parents import Parent, register


def _post_url(post) -> str:
    return links.path("forums.thread", thread_id=post.thread_id, _anchor=f"post-{post.number}")


def _thread_posts(post):
    Post = policy.mapped("Post")
    return select(Post.id).where(Post.thread_id == post.thread_id)


def register_all(practice_changed: Callable | None = None, case_changed: Callable | None = None) -> None:
    register(Parent("practice", "Practice", "practice", can_edit_practice,
                    url=lambda p: links.path("knowledge.show", slug=p.slug),
                    title=lambda p: p.title, changed=practice_changed))
    register(Parent("case", "CaseStudy", "case", can_edit_case_study,
                    url=lambda c: links.path("cases.show", slug=c.slug),
                    title=lambda c: c.title, changed=case_changed))
    register(Parent("project", "Project", "project", can_edit_project,
                    url=lambda p: links.path("projects.show", slug=p.slug), title=lambda p: p.title))
    # A progress report's files are the evidence for the objectives it reports on.
    register(Parent("report", "ProgressReport", "project",
                    lambda user, r: can_edit_project(user, r.project),
                    url=lambda r: links.path("projects.show", slug=r.project.slug, _anchor=f"report-{r.id}"),
                    title=lambda r: _("Progress report of %(title)s", title=r.project.title),
                    policy_object=lambda r: r.project))
    # Images in a reply being written belong to the thread (the reply does not exist yet).
    register(Parent("thread", "Thread", "thread", can_reply_to_thread,
                    url=lambda t: links.path("forums.thread", thread_id=t.id), title=lambda t: t.title))
    # A person's avatar: only they may change it; everyone who may see the profile sees it.
    register(Parent("profile", "User", "profile", lambda user, person: user.id == person.id,
                    url=lambda u: links.path("accounts.profile", user_id=u.id),
                    title=lambda u: u.display_name))
    register(Parent("post", "Post", "post", can_edit_post, url=_post_url, siblings=_thread_posts,
                    title=lambda p: _("Post %(n)d in %(title)s", n=p.number, title=p.thread.title)))
