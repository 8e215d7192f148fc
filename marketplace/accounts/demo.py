"""Demo people and organizations in several countries and roles."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from marketplace.accounts.models import (
    Organization,
    OrganizationMember,
    User,
    UserExpertise,
    UserRole,
)
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.slugs import unique_slug
from marketplace.text import render_markdown

# email, name, country, languages, roles, expertise, bio
PEOPLE = [
    ("amina.wanjiru@example.org", "Amina Wanjiru", "KE", ["en", "sw"], [],
     ["participatory budgeting", "local government"],
     "Programme lead at a Nairobi NGO working with county assemblies on open budgets."),
    ("joao.silva@example.org", "João Silva", "BR", ["pt", "es", "en"], [],
     ["participatory budgeting", "municipal finance"],
     "Ran the participatory budgeting office of a Brazilian city for eight years."),
    ("marie.dubois@example.org", "Marie Dubois", "FR", ["fr", "en"], ["moderator"],
     ["public administration", "evaluation"],
     "Evaluator of public reform programmes; moderates the governance communities."),
    ("oksana.kovalenko@example.org", "Oksana Kovalenko", "UA", ["uk", "en", "ru"], [],
     ["anti-corruption", "e-procurement"],
     "Reform officer in a ministry; worked on open public procurement."),
    ("carlos.mendoza@example.org", "Carlos Mendoza", "CO", ["es", "en"], [],
     ["security-sector reform", "community policing"],
     "Advises municipalities on community policing and violence prevention."),
    ("priya.raman@example.org", "Priya Raman", "IN", ["en", "hi", "ta"], [],
     ["digital public services", "health"],
     "Designs digital public services for state health departments."),
    ("lars.nielsen@example.org", "Lars Nielsen", "DK", ["da", "en"], ["donor"],
     ["philanthropy", "governance"],
     "Programme officer at a foundation funding governance innovation."),
    ("fatou.diop@example.org", "Fatou Diop", "SN", ["fr", "wo", "en"], [],
     ["education", "local government"],
     "Works with school management committees across Senegal."),
    ("hiroshi.tanaka@example.org", "Hiroshi Tanaka", "JP", ["ja", "en"], ["donor"],
     ["disaster risk reduction", "corporate giving"],
     "Leads the social investment programme of a manufacturing company."),
    ("sofia.garcia@example.org", "Sofía García", "ES", ["es", "ca", "en"], [],
     ["open data", "transparency"],
     "Open data lead for a regional government."),
    ("david.okafor@example.org", "David Okafor", "NG", ["en", "yo"], [],
     ["public finance", "anti-corruption"],
     "Researcher in public financial management at a Lagos university."),
    ("admin@example.org", "Site Admin", "GB", ["en", "fr"], ["admin", "moderator"],
     ["community management"], "Keeps the platform running."),
    ("ingrid.berg@example.org", "Ingrid Berg", "CH", ["de", "fr", "en"], [],
     ["fiscal hosting", "financial management"],
     "Treasurer of a multilateral partnership that holds and pays out the money of the projects "
     "it hosts."),
]

# name, type, country, website, description, member emails (first is admin)
ORGANIZATIONS = [
    ("Open Budget Kenya", "ngo", "KE", "https://example.org/obk",
     "Citizens' oversight of county budgets.", ["amina.wanjiru@example.org"]),
    ("Porto Alegre City Hall", "government", "BR", "https://example.org/poa",
     "Municipal government; pioneer of participatory budgeting.", ["joao.silva@example.org"]),
    ("Institut d'évaluation des politiques publiques", "academic", "FR", "https://example.org/iepp",
     "Research institute on public policy evaluation.", ["marie.dubois@example.org"]),
    ("Ministry of Economy — Procurement Reform Unit", "government", "UA", "https://example.org/pru",
     "Unit in charge of the open e-procurement system.", ["oksana.kovalenko@example.org"]),
    ("Fundación Convivencia", "ngo", "CO", "https://example.org/convivencia",
     "Violence prevention with municipalities.", ["carlos.mendoza@example.org"]),
    ("State Health Digital Mission", "government", "IN", "https://example.org/shdm",
     "Digital services for public health.", ["priya.raman@example.org"]),
    ("Nordic Governance Foundation", "foundation", "DK", "https://example.org/ngf",
     "Funds governance innovation worldwide.", ["lars.nielsen@example.org"]),
    ("Réseau des comités de gestion scolaire", "ngo", "SN", "https://example.org/rcgs",
     "Network of school management committees.", ["fatou.diop@example.org"]),
    ("Tanaka Manufacturing Social Fund", "private", "JP", "https://example.org/tmsf",
     "Corporate foundation for disaster resilience.", ["hiroshi.tanaka@example.org"]),
    ("Regional Open Data Office", "government", "ES", "https://example.org/rodo",
     "Open data for a regional government.", ["sofia.garcia@example.org"]),
    ("Centre for Public Finance Studies", "academic", "NG", "https://example.org/cpfs",
     "University research centre on public finance.", ["david.okafor@example.org"]),
    ("Interfaith Peace Council", "faith", "NG", "https://example.org/ipc",
     "Faith leaders working on local peacebuilding.", ["david.okafor@example.org"]),
    ("Partnership for Governance (multilateral)", "multilateral", "CH", "https://example.org/pfg",
     "A multilateral partnership for governance reform.", ["admin@example.org",
                                                           "marie.dubois@example.org",
                                                           "ingrid.berg@example.org"]),
]


def demo_password() -> str:
    """MARKETPLACE_DEMO_PASSWORD, or a random one kept in instance/demo-password.txt."""
    if os.environ.get("MARKETPLACE_DEMO_PASSWORD"):
        return os.environ["MARKETPLACE_DEMO_PASSWORD"]
    path = Path(current_app.instance_path) / "demo-password.txt"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12) + "-Demo")
        path.chmod(0o600)
    return path.read_text().strip()



# Demo people have been members for a while: a brand-new account's posts wait for a moderator
# (forums), which would hold every post a visitor tries with a demo account for a day.
DEMO_ACCOUNT_AGE = timedelta(days=365)


def seed() -> None:
    password_hash = generate_password_hash(demo_password())
    users = {u.email: u for u in db.session.scalars(select(User))}
    for email, name, country, langs, roles, tags, bio in PEOPLE:
        if email in users:
            continue
        user = User(email=email, display_name=name, password_hash=password_hash, country=country,
                    languages=langs, bio_source=bio, bio_html=render_markdown(bio),
                    email_confirmed_at=utcnow(), created_at=utcnow() - DEMO_ACCOUNT_AGE)
        user.roles = [UserRole(role=r) for r in roles]
        user.expertise = [UserExpertise(tag=t) for t in tags]
        db.session.add(user)
        users[email] = user
    db.session.flush()
    existing = set(db.session.scalars(select(Organization.name)))
    for name, type_, country, website, description, emails in ORGANIZATIONS:
        if name in existing:
            continue
        org = Organization(name=name, slug=unique_slug(Organization, name), type=type_,
                           country=country, website=website, description_source=description,
                           description_html=render_markdown(description))
        org.members = [OrganizationMember(user=users[e], role="admin" if i == 0 else "member")
                       for i, e in enumerate(emails)]
        db.session.add(org)
        db.session.flush()
