"""Home page and cross-feature read-only pages."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, User
from marketplace.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    stats = {
        "people": db.session.scalar(select(func.count(User.id)).where(User.is_deleted.is_(False))),
        "organizations": db.session.scalar(select(func.count(Organization.id))),
        "countries": db.session.scalar(
            select(func.count(func.distinct(Organization.country)))
        ),
    }
    return render_template("main/home.html", stats=stats)


@bp.route("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
