"""Demo communities: a bilateral Kenya–Brazil community on participatory budgeting, a
multinational one on procurement, a private donor roundtable (their threads: forums/demo.py).
Runs after "cases"; demo notifications show in the bell, but their emails are dropped rather
than sent."""

from contextlib import contextmanager

from flask import current_app
from sqlalchemy import delete, func, select

from marketplace.accounts.models import User
from marketplace.communities import services
from marketplace.communities.models import Community
from marketplace.extensions import db
from marketplace.notifications.models import EmailOutbox

# name, slug, owner, members, countries, themes, private, description
COMMUNITIES = [
    ("Participatory budgeting: Kenya–Brazil exchange", "pb-kenya-brazil", "amina.wanjiru",
     ["joao.silva", "fatou.diop", "david.okafor", "marie.dubois", "sofia.garcia"], ["KE", "BR"],
     "participatory budgeting, local government", False,
     "County officers and NGOs in **Kenya** and city staff in **Brazil** compare how they run "
     "participatory budgeting: assemblies, project tracking, turnout and budget literacy."),
    ("Open procurement practitioners", "open-procurement", "oksana.kovalenko",
     ["carlos.mendoza", "sofia.garcia", "david.okafor"], ["UA", "CO", "ES", "NG"],
     "e-procurement, anti-corruption, open data", False,
     "Reform teams that opened up public procurement: e-procurement systems, open contracting "
     "data, and the indicators that convinced finance ministries."),
    ("Digital health services", "digital-health", "priya.raman", ["fatou.diop", "sofia.garcia"],
     ["IN"], "digital public services, health", False,
     "Designing digital public services for health departments: enrolment, appointments, "
     "records, and reaching people without smartphones."),
    ("Donor roundtable on governance innovation", "donor-roundtable", "lars.nielsen",
     ["hiroshi.tanaka", "marie.dubois", "admin"], [], "philanthropy, governance", True,
     "A private space for funders to coordinate calls, co-funding and evaluation rules."),
]

def seed() -> None:
    with quiet_seeding():
        _seed()


@contextmanager
def quiet_seeding():
    """Treat demo accounts as trusted, drop the emails they queue."""
    hours = current_app.config.get("FORUMS_NEW_ACCOUNT_HOURS")
    current_app.config["FORUMS_NEW_ACCOUNT_HOURS"] = 0  # demo accounts are just created
    first_email = db.session.scalar(select(func.max(EmailOutbox.id))) or 0
    try:
        yield
    finally:
        current_app.config["FORUMS_NEW_ACCOUNT_HOURS"] = hours if hours is not None else 24
    db.session.execute(delete(EmailOutbox).where(EmailOutbox.id > first_email))
    db.session.flush()


def _user(users: dict, key: str) -> User:
    return users[f"{key}@example.org"]


def _seed() -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    for name, slug, owner, members, countries, themes, private, description in COMMUNITIES:
        if db.session.scalar(select(Community.id).where(Community.slug == slug)):
            continue
        community = services.create_community(
            _user(users, owner), name=name, slug=slug, description=description, themes=themes,
            countries=countries, is_private=private)
        for key in members:
            services.add_member(community, _user(users, key))
