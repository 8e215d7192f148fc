"""Demo fiscal host, donors (several countries, individuals and organizations), pledges on open
projects, and a reconciled bank statement.

"hosting" runs before the "projects" seeder (its EUR projects name the host); "sponsorship" runs
after it, which already funded (and released tranches of) its funded and completed projects
through the same services. Every money movement goes through the real services: record_pledge,
then the host's MT940 statement (import_statement) whose proposed matches a treasurer confirms
(confirm_lines -> confirm_pledge); one credit stays unmatched, one proposal awaits confirmation.
"""

import uuid
from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import Organization, OrganizationMember, User
from marketplace.database import utcnow
from marketplace.errors import attempt
from marketplace.extensions import db
from marketplace.ledger.money import plain_minor
from marketplace.projects.demo import HOST
from marketplace.projects.models import Project
from marketplace.sponsorship import hosting, services
from marketplace.sponsorship.models import BankLine, BankStatement, Pledge, PledgeStatus

TREASURER = "ingrid.berg@example.org"
# A standard test IBAN (valid check digits and German format) and its bank's BIC.
HOST_IBAN, HOST_BIC = "DE89 3704 0044 0532 0130 00", "COBADEFFXXX"
HOST_INSTRUCTIONS = (
    "Pay by SEPA transfer in EUR to the account below and quote your pledge's payment reference "
    "(it starts with RF) as the remittance information, exactly as shown on your pledge page. Our "
    "treasurer matches the bank statement every Monday and records your payment; you then get a "
    "receipt. From outside the SEPA area, add the BIC; the sender pays the bank charges.")

# email, kind, organization name, anonymous by default, country, themes, focus countries, tax id
DONORS = [
    ("lars.nielsen@example.org", "organization", "Nordic Governance Foundation", False, "DK",
     ["governance", "anti-corruption"], ["KE", "UA", "CO"], "DK-CVR 12345678"),
    ("hiroshi.tanaka@example.org", "organization", "Tanaka Manufacturing Social Fund", False, "JP",
     ["disaster-risk-reduction", "education"], ["JP", "IN", "SN"], "JP-T1234567890123"),
    ("sofia.garcia@example.org", "individual", None, True, "ES", ["participation"], ["CO", "BR"], ""),
    ("david.okafor@example.org", "individual", None, False, "NG", ["public-finance"], ["KE", "NG"], ""),
]

CABO_VERDE = "Participatory budgeting scale-up in Cabo Verde municipalities"
# project title, donor email, amount (major units), provider, anonymous, message
PLEDGES = [
    ("Open school budgets in 40 Kenyan counties", "lars.nielsen@example.org", "600000", "instant", False,
     "For the county data officers."),
    ("Open school budgets in 40 Kenyan counties", "hiroshi.tanaka@example.org", "250000", "instant", False,
     "Parents should see where the capitation grant goes."),
    ("Open school budgets in 40 Kenyan counties", "sofia.garcia@example.org", "150000", "manual", True, ""),
    ("Community policing exchange Medellín–Cali", "david.okafor@example.org", "500", "instant", False,
     "Lagos has the same problem; please share the action plans."),
    ("Community policing exchange Medellín–Cali", "lars.nielsen@example.org", "2000", "manual", False, ""),
    ("Webinar series: digital health records for states", "hiroshi.tanaka@example.org", "50000", "instant",
     False, "Please record the sessions."),
    ("Webinar series: digital health records for states", "david.okafor@example.org", "20000", "manual",
     False, ""),
    # The hosted project: paid by bank transfer to the host, reconciled from its statement below.
    (CABO_VERDE, "lars.nielsen@example.org", "5000", "manual", False, "Glad to see the toolkit travel."),
    (CABO_VERDE, "sofia.garcia@example.org", "1500", "manual", True, ""),
    (CABO_VERDE, "david.okafor@example.org", "750", "manual", False, "For the Fogo facilitators."),
    (CABO_VERDE, "hiroshi.tanaka@example.org", "2000", "manual", False, ""),  # not paid yet
]

# On the host's statement: (donor email, confirmed by the treasurer); the fourth pledge is not paid.
STATEMENT_PAYERS = [("lars.nielsen@example.org", True), ("sofia.garcia@example.org", True),
                    ("david.okafor@example.org", False)]
UNMATCHED = ("320,00", "Donation governance projects", "M. Rossi")  # no reference: stays listed


def seed_host() -> None:
    """The multilateral partnership becomes a fiscal host with a treasurer and a EUR account."""
    org = db.session.scalar(select(Organization).where(Organization.name == HOST))
    if org is None or org.is_fiscal_host:
        return
    treasurer = db.session.scalar(select(User).where(User.email == TREASURER))
    if treasurer is not None:
        member = next((m for m in org.members if m.user_id == treasurer.id), None)
        if member is None:
            org.members.append(OrganizationMember(user=treasurer, role="treasurer"))
        elif not member.is_admin:
            member.role = "treasurer"
    hosting.update_host_settings(org, is_fiscal_host=True, payment_instructions=HOST_INSTRUCTIONS,
                                 bank_account_holder=org.name, iban=HOST_IBAN, bic=HOST_BIC)


def seed() -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    for email, kind, org, anonymous, country, themes, focus, tax in DONORS:
        if email in users:
            services.save_donor_profile(
                users[email], kind=kind, organization=orgs.get(org), is_anonymous_by_default=anonymous,
                focus_themes=themes, focus_countries=focus, country=country, tax_identifier=tax)
    projects = {p.title: p for p in db.session.scalars(select(Project))}
    for title, email, amount, provider, anonymous, message in PLEDGES:
        project, donor = projects.get(title), users.get(email)
        if project is None or donor is None or project.state != "open":
            continue
        # A DomainError means the project's demo goal changed: skip rather than fail the seed.
        attempt(services.record_pledge, donor, project, amount,
                idempotency_key=f"demo-{uuid.uuid4().hex}", provider=provider,
                is_anonymous=anonymous, message=message)
    db.session.flush()
    host = orgs.get(HOST)
    if host is not None and host.is_fiscal_host and CABO_VERDE in projects:
        _reconcile(host, projects[CABO_VERDE], users)


def statement_for(project: Project, users: dict[str, User], booked: date) -> bytes:
    """The host's MT940 statement: a credit quoting each payer's pledge reference, plus one credit
    nobody can match (no reference, no pledge of that amount)."""
    credits = []
    for n, (email, _confirm) in enumerate(STATEMENT_PAYERS, start=1):
        pledge = _awaiting(project, users.get(email))
        if pledge is None:
            continue
        name = pledge.donor_name or pledge.donor.display_name
        credits.append((plain_minor(pledge.amount_minor, "EUR").replace(".", ","), f"DEMO{n:04d}",
                        f"/REMI/{hosting.display_reference(pledge.id)}/NAME/{name}"))
    amount, remittance, payer = UNMATCHED
    credits.append((amount, "DEMO0099", f"/REMI/{remittance}/NAME/{payer}"))
    day = booked.strftime("%y%m%d")
    total = sum(int(a.replace(",", "")) for a, _ref, _details in credits)
    out = [":20:DEMO-STATEMENT", f":25:{HOST_IBAN.replace(' ', '')}", ":28C:00001/001",
           f":60F:C{day}EUR0,00"]
    for amount, bank_ref, details in credits:
        out += [f":61:{day}{day[2:]}C{amount}NTRFNONREF//{bank_ref}", f":86:{details}"]
    out.append(f":62F:C{day}EUR{total // 100},{total % 100:02d}")
    return ("\r\n".join(out) + "\r\n").encode()


def _awaiting(project: Project, donor: User | None) -> Pledge | None:
    if donor is None:
        return None
    return db.session.scalar(select(Pledge).where(
        Pledge.project_id == project.id, Pledge.donor_id == donor.id,
        Pledge.status == PledgeStatus.PLEDGED.value).order_by(Pledge.id).limit(1))


def _reconcile(host: Organization, project: Project, users: dict[str, User]) -> None:
    """Upload the statement once and confirm the matches of the payers marked to confirm."""
    if db.session.scalar(select(BankStatement.id).where(BankStatement.host_id == host.id).limit(1)):
        return
    treasurer = users.get(TREASURER) or users["admin@example.org"]
    to_confirm = {users[e].id for e, confirm in STATEMENT_PAYERS if confirm and e in users}
    data = statement_for(project, users, utcnow().date())
    statement = hosting.import_statement(host, treasurer, data, "mt940", filename="demo-statement.sta")
    line_ids = [line.id for line in db.session.scalars(select(BankLine).where(
        BankLine.statement_id == statement.id, BankLine.pledge_id.is_not(None)))
        if db.session.get(Pledge, line.pledge_id).donor_id in to_confirm]
    hosting.confirm_lines(host, treasurer, line_ids)
    db.session.flush()


def fund_in_full(project: Project, donors: list[User]) -> None:
    """Pledge a project's whole goal, split between two donors, paid at once (the projects seeder
    calls it for its funded and completed demo projects)."""
    half = project.goal_minor // 2
    for donor, amount in zip(donors, (half, project.goal_minor - half), strict=True):
        text = plain_minor(amount, project.currency)
        services.record_pledge(donor, project, text, idempotency_key=f"demo-{uuid.uuid4().hex}",
                               provider="instant", is_anonymous=donor is donors[-1])
    db.session.refresh(project)
