"""Demo donors (several countries, individuals and organizations) and pledges on open projects.

Runs after the "projects" seeder, which already funded (and released a tranche of) its funded
and completed projects through the same services.
"""

import uuid

from sqlalchemy import select

from marketplace.accounts.models import Organization, User
from marketplace.errors import attempt
from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.sponsorship import services

# email, kind, organization name, anonymous by default, country, themes, focus countries, tax id
DONORS = [
    ("lars.nielsen@example.org", "organization", "Nordic Governance Foundation", False, "DK",
     ["governance", "anti-corruption"], ["KE", "UA", "CO"], "DK-CVR 12345678"),
    ("hiroshi.tanaka@example.org", "organization", "Tanaka Manufacturing Social Fund", False, "JP",
     ["disaster-risk-reduction", "education"], ["JP", "IN", "SN"], "JP-T1234567890123"),
    ("sofia.garcia@example.org", "individual", None, True, "ES", ["participation"], ["CO", "BR"], ""),
    ("david.okafor@example.org", "individual", None, False, "NG", ["public-finance"], ["KE", "NG"], ""),
]

# project title, donor email, amount (major units), provider, anonymous
PLEDGES = [
    ("Open school budgets in 40 Kenyan counties", "lars.nielsen@example.org", "600000", "instant", False),
    ("Open school budgets in 40 Kenyan counties", "hiroshi.tanaka@example.org", "250000", "instant", False),
    ("Open school budgets in 40 Kenyan counties", "sofia.garcia@example.org", "150000", "manual", True),
    ("Community policing exchange Medellín–Cali", "david.okafor@example.org", "500", "instant", False),
    ("Community policing exchange Medellín–Cali", "lars.nielsen@example.org", "2000", "manual", False),
    ("Webinar series: digital health records for states", "hiroshi.tanaka@example.org", "50000", "instant",
     False),
    ("Webinar series: digital health records for states", "david.okafor@example.org", "20000", "manual", False),
]


def seed() -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    for email, kind, org, anonymous, country, themes, focus, tax in DONORS:
        if email in users:
            services.save_donor_profile(
                users[email], kind=kind, organization=orgs.get(org), is_anonymous_by_default=anonymous,
                focus_themes=themes, focus_countries=focus, country=country, tax_identifier=tax)
    projects = {p.title: p for p in db.session.scalars(select(Project))}
    for title, email, amount, provider, anonymous in PLEDGES:
        project, donor = projects.get(title), users.get(email)
        if project is None or donor is None or project.state != "open":
            continue
        # A DomainError means the project's demo goal changed: skip rather than fail the seed.
        attempt(services.record_pledge, donor, project, amount,
                idempotency_key=f"demo-{uuid.uuid4().hex}", provider=provider,
                is_anonymous=anonymous, message="Glad to support measurable results.")
    db.session.flush()
