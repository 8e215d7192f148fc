"""Atom feeds: practices (all, per theme, per country), a public community's new threads, and a
project's progress reports. Only public content: drafts, private communities and projects not yet
approved never appear."""

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app, make_response
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import links, policy
from marketplace.communities.models import Community
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.forums.models import Post, Thread
from marketplace.gate import xml_text
from marketplace.i18n import country_name, is_country
from marketplace.knowledge.models import THEMES, Practice, PracticeCountry, PracticeTheme
from marketplace.projects.models import ProgressReport, Project

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
LIMIT = 50


def _feed(feed_id: str, title: str, page_url: str, entries, summary_type: str = "html") -> object:
    """entries: (id, title, url, updated, summary, author) tuples, newest first; the summary is
    sanitised HTML (`summary_type="html"`) or plain text (`"text"`, e.g. a practice's summary)."""
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(f"{title} · {current_app.config['SITE_NAME']}")
    fg.link(href=page_url, rel="alternate")
    fg.link(href=links.absolute(_endpoint(), **_view_args()), rel="self")
    fg.language(str(get_locale() or "en").replace("_", "-"))  # the language the titles are in
    newest = None
    for entry_id, entry_title, url, updated, summary, author in reversed(list(entries)):
        fe = fg.add_entry()
        fe.id(entry_id)
        fe.title(xml_text(entry_title))
        fe.link(href=url)
        fe.updated(updated)
        fe.author({"name": xml_text(author) or _("deleted user")})
        if summary:
            fe.summary(xml_text(summary), type=summary_type)
        newest = max(newest or updated, updated)
    fg.updated(newest or utcnow())
    response = make_response(fg.atom_str(pretty=True))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


def _endpoint() -> str:
    from flask import request

    return request.endpoint


def _view_args() -> dict:
    from flask import request

    return dict(request.view_args or {})


def _practices(**where):
    query = (select(Practice).where(Practice.status == "published",
                                    policy.clause(None, "practice", Practice))
             .options(selectinload(Practice.owner))
             .order_by(Practice.updated_at.desc()).limit(LIMIT))
    if "theme" in where:
        query = query.where(Practice.id.in_(select(PracticeTheme.practice_id)
                                            .where(PracticeTheme.theme == where["theme"])))
    if "country" in where:
        query = query.where(Practice.id.in_(select(PracticeCountry.practice_id)
                                            .where(PracticeCountry.country == where["country"])))
    for p in db.session.scalars(query):
        url = links.absolute("knowledge.show", slug=p.slug)
        yield (url, p.title, url, p.updated_at, p.summary, p.owner.public_name if p.owner else None)


@bp.get("/practices.atom")
def practices():
    return _feed(links.absolute("feeds.practices"), _("New and updated practices"),
                 links.absolute("knowledge.index"), _practices(), summary_type="text")


@bp.get("/practices/theme/<theme>.atom")
def practices_by_theme(theme):
    if theme not in THEMES:
        abort(404)
    return _feed(links.absolute("feeds.practices_by_theme", theme=theme),
                 _("Practices on %(theme)s", theme=THEMES[theme]),
                 links.absolute("knowledge.index", theme=theme), _practices(theme=theme),
                 summary_type="text")


@bp.get("/practices/country/<code>.atom")
def practices_by_country(code):
    code = code.upper()
    if not is_country(code):
        abort(404)
    return _feed(links.absolute("feeds.practices_by_country", code=code),
                 _("Practices in %(country)s", country=country_name(code)),
                 links.absolute("knowledge.index", country=code), _practices(country=code),
                 summary_type="text")


@bp.get("/communities/<slug>/threads.atom")
def community_threads(slug):
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if not policy.visible(None, "community", community):  # feeds are read anonymously
        abort(404)
    threads = db.session.scalars(
        select(Thread).where(Thread.community_id == community.id,
                             policy.clause(None, "thread", Thread, container=False))
        .options(selectinload(Thread.author)).order_by(Thread.created_at.desc()).limit(LIMIT)).all()
    first_posts = {p.thread_id: p for p in db.session.scalars(
        select(Post).where(Post.thread_id.in_([t.id for t in threads]), Post.number == 1))}

    def entries():
        for t in threads:
            url = links.absolute("forums.thread", thread_id=t.id)
            post = first_posts.get(t.id)
            body = post.body_html if policy.visible(None, "post", post) else ""
            yield (url, t.title, url, t.created_at, body, t.author.public_name if t.author else None)

    return _feed(links.absolute("feeds.community_threads", slug=slug),
                 _("New threads in %(name)s", name=community.name),
                 links.absolute("communities.show", slug=slug), entries())


@bp.get("/projects/<slug>/reports.atom")
def project_reports(slug):
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if not policy.visible(None, "project", project):
        abort(404)
    reports = db.session.scalars(
        select(ProgressReport).where(ProgressReport.project_id == project.id)
        .options(selectinload(ProgressReport.author))
        .order_by(ProgressReport.created_at.desc()).limit(LIMIT)).all()
    page = links.absolute("projects.show", slug=slug)

    def entries():
        for r in reports:
            yield (f"{page}#report-{r.id}", _("Progress report of %(date)s", date=r.created_at.date().isoformat()),
                   f"{page}#report-{r.id}", r.created_at, r.body_html,
                   r.author.public_name if r.author else None)

    return _feed(links.absolute("feeds.project_reports", slug=slug),
                 _("Progress reports: %(title)s", title=project.title), page, entries())
