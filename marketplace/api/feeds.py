"""Atom feeds: practices (all, per theme, per country), a public community's new threads, and a
project's progress reports. Only public content: drafts, private communities and projects not yet
approved never appear."""

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app, make_response, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.gate import xml_text
from marketplace.i18n import country_name, is_country

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
LIMIT = 50


def _feed(feed_id: str, title: str, page_url: str, entries) -> object:
    """entries: (id, title, url, updated, summary_html, author) tuples, newest first."""
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(f"{title} · {current_app.config['SITE_NAME']}")
    fg.link(href=page_url, rel="alternate")
    fg.link(href=url_for(_endpoint(), _external=True, **_view_args()), rel="self")
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
            fe.summary(xml_text(summary), type="html")
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
    from marketplace.knowledge.models import Practice, PracticeCountry, PracticeTheme

    query = (select(Practice).where(Practice.status == "published")
             .options(selectinload(Practice.owner))
             .order_by(Practice.updated_at.desc()).limit(LIMIT))
    if "theme" in where:
        query = query.where(Practice.id.in_(select(PracticeTheme.practice_id)
                                            .where(PracticeTheme.theme == where["theme"])))
    if "country" in where:
        query = query.where(Practice.id.in_(select(PracticeCountry.practice_id)
                                            .where(PracticeCountry.country == where["country"])))
    for p in db.session.scalars(query):
        url = url_for("knowledge.show", slug=p.slug, _external=True)
        yield (url, p.title, url, p.updated_at, p.summary, p.owner.public_name if p.owner else None)


@bp.get("/practices.atom")
def practices():
    return _feed(url_for(".practices", _external=True), _("New and updated practices"),
                 url_for("knowledge.index", _external=True), _practices())


@bp.get("/practices/theme/<theme>.atom")
def practices_by_theme(theme):
    from marketplace.knowledge.models import THEMES

    if theme not in THEMES:
        abort(404)
    return _feed(url_for(".practices_by_theme", theme=theme, _external=True),
                 _("Practices on %(theme)s", theme=THEMES[theme]),
                 url_for("knowledge.index", theme=theme, _external=True), _practices(theme=theme))


@bp.get("/practices/country/<code>.atom")
def practices_by_country(code):
    code = code.upper()
    if not is_country(code):
        abort(404)
    return _feed(url_for(".practices_by_country", code=code, _external=True),
                 _("Practices in %(country)s", country=country_name(code)),
                 url_for("knowledge.index", country=code, _external=True), _practices(country=code))


@bp.get("/communities/<slug>/threads.atom")
def community_threads(slug):
    from marketplace.communities.models import Community
    from marketplace.forums.models import VISIBLE, Post, Thread

    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or community.is_private:
        abort(404)
    threads = db.session.scalars(
        select(Thread).where(Thread.community_id == community.id, Thread.status == VISIBLE)
        .options(selectinload(Thread.author)).order_by(Thread.created_at.desc()).limit(LIMIT)).all()
    first_posts = {p.thread_id: p for p in db.session.scalars(
        select(Post).where(Post.thread_id.in_([t.id for t in threads]), Post.number == 1))}

    def entries():
        for t in threads:
            url = url_for("forums.thread", thread_id=t.id, _external=True)
            post = first_posts.get(t.id)
            body = post.body_html if post is not None and post.is_visible else ""
            yield (url, t.title, url, t.created_at, body, t.author.public_name if t.author else None)

    return _feed(url_for(".community_threads", slug=slug, _external=True),
                 _("New threads in %(name)s", name=community.name),
                 url_for("communities.show", slug=slug, _external=True), entries())


@bp.get("/projects/<slug>/reports.atom")
def project_reports(slug):
    from marketplace.projects.models import ProgressReport, Project

    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None or not project.is_public:
        abort(404)
    reports = db.session.scalars(
        select(ProgressReport).where(ProgressReport.project_id == project.id)
        .options(selectinload(ProgressReport.author))
        .order_by(ProgressReport.created_at.desc()).limit(LIMIT)).all()
    page = url_for("projects.show", slug=slug, _external=True)

    def entries():
        for r in reports:
            yield (f"{page}#report-{r.id}", _("Progress report of %(date)s", date=r.created_at.date().isoformat()),
                   f"{page}#report-{r.id}", r.created_at, r.body_html,
                   r.author.public_name if r.author else None)

    return _feed(url_for(".project_reports", slug=slug, _external=True),
                 _("Progress reports: %(title)s", title=project.title), page, entries())
