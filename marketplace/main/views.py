"""Home page and cross-feature read-only pages."""

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import policy, worldmap
from marketplace.accounts.models import Organization, User
from marketplace.communities.models import Community
from marketplace.extensions import db
from marketplace.knowledge import queries as practice_queries
from marketplace.knowledge.models import Practice
from marketplace.projects.models import Project, ProjectState

bp = Blueprint("main", __name__)


def _stats(countries: int) -> dict:
    published = select(Practice.id).where(Practice.status == "published")
    return {
        "people": db.session.scalar(select(func.count(User.id)).where(User.is_deleted.is_(False))),
        "organizations": db.session.scalar(select(func.count(Organization.id))),
        "practices": db.session.scalar(select(func.count()).select_from(published.subquery())),
        "countries": countries,
    }


def _showcase() -> dict:
    """What a visitor should see first: new practices, projects to fund, lively communities."""
    practices = db.session.scalars(
        select(Practice).where(Practice.status == "published")
        .options(selectinload(Practice.countries), selectinload(Practice.themes))
        .order_by(Practice.published_at.desc(), Practice.id.desc()).limit(4)).all()
    projects = db.session.scalars(
        select(Project).where(Project.state == ProjectState.OPEN.value)
        .options(selectinload(Project.country_links))
        .order_by(Project.deadline.asc(), Project.id).limit(3)).all()
    communities = db.session.scalars(
        select(Community).where(policy.clause(None, "community", Community))
        .order_by(Community.member_count.desc(), Community.id).limit(3)).all()
    return {"practices": practices, "projects": projects, "communities": communities}


@bp.route("/")
def home():
    countries = len(worldmap.counts("practice", practice_queries.country_counts))
    return render_template("main/home.html", stats=_stats(countries), **_showcase(),
                           world=worldmap.render("practice", practice_queries.country_counts))
