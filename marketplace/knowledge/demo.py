"""Demo practices: ~30 entries across 12 countries and every organization type, with
adaptations (participatory budgeting Brazil -> Kenya -> Senegal ...), endorsements and
several revisions. Runs after the accounts seeder; adds and flushes, never commits."""

from sqlalchemy import select

from marketplace.accounts.models import Organization, User
from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import Endorsement, Practice, Status

# key, title, owner email, organization, countries, themes, level, tags, summary,
# (problem, context, approach, results, lessons)
PRACTICES = [
    ("pb-porto-alegre", "Participatory budgeting in district assemblies", "joao.silva@example.org",
     "Porto Alegre City Hall", ["BR"], ["participation", "public-finance", "local-government"],
     "local", "participatory budgeting, assemblies",
     "Residents decide part of the city's capital budget in district assemblies.",
     ("Investment went to central neighbourhoods; poorer districts had no say.",
      "A city of 1.4 million with 17 districts and a history of clientelist spending.",
      "Each district holds **open assemblies** every spring, elects delegates and ranks "
      "priorities; a weighting formula favours districts with the greatest need.",
      "Sewerage coverage in poor districts rose sharply within a decade; attendance peaked "
      "above 30,000 people a year.",
      "Publish what happened to last year's votes before asking people to vote again.")),
    ("open-contracting-ua", "Open e-procurement with public monitoring", "oksana.kovalenko@example.org",
     "Ministry of Economy — Procurement Reform Unit", ["UA"], ["anti-corruption", "public-finance",
                                                            "digital-services"],
     "national", "e-procurement, open data, monitoring",
     "All public tenders above a threshold run on one open system that anyone can monitor.",
     ("Paper tenders were slow, opaque and open to collusion.",
      "A post-2014 reform coalition of government, business and civil society.",
      "One central database with commercial marketplaces on top; every bid, award and "
      "contract is published as open data; a monitoring portal lets NGOs flag risky tenders.",
      "More bidders per tender and measurable savings against estimated prices.",
      "Civil-society monitors need training and a channel that obliges auditors to answer.")),
    ("community-policing-co", "Neighbourhood security councils", "carlos.mendoza@example.org",
     "Fundación Convivencia", ["CO"], ["security-sector-reform", "local-government", "participation"],
     "local", "community policing, violence prevention",
     "Monthly councils where police, residents and youth workers agree on local priorities.",
     ("Residents did not report crimes because they distrusted the police.",
      "Medium-sized Colombian cities with high youth violence.",
      "Each quadrant has a named police team that meets residents monthly and reports back "
      "on the three priorities chosen at the previous meeting.",
      "Reporting rose and response times fell in pilot quadrants.",
      "Keep the same officers in a quadrant for at least two years.")),
    ("digital-appointments-in", "Digital appointment booking for public clinics",
     "priya.raman@example.org", "State Health Digital Mission", ["IN"],
     ["health", "digital-services"], "regional", "appointments, SMS, clinics",
     "Patients book clinic slots by SMS or phone instead of queuing from dawn.",
     ("Patients queued for hours and many left without being seen.",
      "District hospitals serving rural populations with basic phones.",
      "An SMS and interactive-voice booking line, with walk-in slots kept for emergencies.",
      "Average waiting time fell from four hours to under one.",
      "Keep a walk-in share: not everyone can or will book.")),
    ("school-committees-sn", "School management committees with grant budgets",
     "fatou.diop@example.org", "Réseau des comités de gestion scolaire", ["SN"],
     ["education", "participation", "local-government"], "national",
     "school governance, grants",
     "Parents and teachers manage a small annual grant and publish how it was spent.",
     ("Schools waited years for repairs decided in the capital.",
      "Primary schools in rural regions with active parent associations.",
      "Each committee receives a small grant, adopts a school plan in a public meeting and "
      "posts receipts at the school gate.",
      "Attendance and parent participation improved in committee schools.",
      "Training treasurers matters more than the size of the grant.")),
    ("open-data-portal-es", "A regional open data portal with user requests",
     "sofia.garcia@example.org", "Regional Open Data Office", ["ES"],
     ["governance", "digital-services"], "regional", "open data, transparency",
     "A portal that publishes datasets on request and tracks every request publicly.",
     ("Departments published what was easy, not what people needed.",
      "A regional government with 40 departments.",
      "A public request queue: anyone asks for a dataset; the office answers within 30 days "
      "with the data or a reason.",
      "Most requested datasets were published within two months.",
      "Publishing the refusal reasons created pressure to fix them.")),
    ("pets-ng", "Public expenditure tracking in schools", "david.okafor@example.org",
     "Centre for Public Finance Studies", ["NG"], ["public-finance", "education",
                                                   "anti-corruption"],
     "regional", "PETS, audits", "Following school funds from the treasury to the classroom.",
     ("Funds for schools arrived late or not at all.",
      "State-level education budgets with several intermediaries.",
      "Researchers survey what each level received and compare it with releases; results "
      "are published school by school.",
      "Leakage fell once schools knew what they were owed.",
      "Publish entitlements at the school gate; that alone changes behaviour.")),
    ("peace-councils-ng", "Interfaith mediation of land disputes", "david.okafor@example.org",
     "Interfaith Peace Council", ["NG"], ["justice", "security-sector-reform"], "local",
     "mediation, faith leaders",
     "Joint panels of faith leaders mediate land disputes before they turn violent.",
     ("Land disputes between farmers and herders escalated into violence.",
      "Plateau state communities with mixed faiths.",
      "Standing panels of one Christian and one Muslim leader with a surveyor; agreements are "
      "written and witnessed.",
      "Most mediated disputes held after a year.",
      "Involve women's groups early: they know where boundaries really are.")),
    ("evaluation-budgeting-fr", "Evaluation-led budgeting in municipalities",
     "marie.dubois@example.org", "Institut d'évaluation des politiques publiques", ["FR"],
     ["governance", "public-finance"], "local", "evaluation, budgeting",
     "Each budget line is reviewed against a short evaluation every three years.",
     ("Budgets grew by habit; nobody knew which programmes worked.",
      "Mid-sized French municipalities.",
      "A rolling three-year evaluation calendar; each review ends with one of keep, change "
      "or stop, debated in council.",
      "About a tenth of spending was redirected in the first cycle.",
      "Short, frequent evaluations beat long, rare ones.")),
    ("disaster-drills-jp", "Company-community disaster drills", "hiroshi.tanaka@example.org",
     "Tanaka Manufacturing Social Fund", ["JP"], ["disaster-risk-reduction",
                                                  "economic-development"],
     "local", "drills, corporate volunteering",
     "Factories and neighbourhoods run joint evacuation drills twice a year.",
     ("Factory workers and residents had separate, conflicting evacuation plans.",
      "Industrial towns on the coast.",
      "Shared drills with the neighbourhood association; the factory opens its grounds as a "
      "shelter and trains staff as volunteers.",
      "Evacuation times in drills halved.",
      "Drill at night at least once a year.")),
    ("citizen-budget-ke", "Simplified citizens' budgets", "amina.wanjiru@example.org",
     "Open Budget Kenya", ["KE"], ["public-finance", "participation"], "regional",
     "citizens budget, plain language",
     "A 12-page plain-language version of the county budget, in Kiswahili and English.",
     ("The budget was 400 pages long and nobody outside the treasury read it.",
      "Counties after devolution.",
      "Treasury and NGOs co-write a short citizens' budget with pictures, read out on radio.",
      "Questions at budget hearings became specific.",
      "Radio reached more people than print.")),
    ("grievance-sms-in", "SMS grievance redress for health services", "priya.raman@example.org",
     "State Health Digital Mission", ["IN"], ["health", "governance", "digital-services"],
     "regional", "grievances, SMS", "Complaints by SMS with a tracked, time-bound response.",
     ("Complaints disappeared into paper registers.",
      "Public health facilities in a large state.",
      "A short code receives complaints; each gets a number and a deadline; overdue ones "
      "escalate automatically.",
      "Most complaints were closed within the deadline after six months.",
      "Escalation must reach someone with a budget.")),
    ("mother-tongue-sn", "Mother-tongue instruction in early grades", "fatou.diop@example.org",
     "Réseau des comités de gestion scolaire", ["SN"], ["education"], "national",
     "literacy, language", "Children learn to read first in the language they speak at home.",
     ("Children learned to read in a language they did not speak.",
      "Early grades in rural schools.",
      "Bilingual readers and teacher training; French is introduced progressively.",
      "Reading scores improved by the end of grade 2.",
      "Parents need to see that French is not abandoned.")),
    ("open-council-dk", "Open council meetings streamed with agendas",
     "lars.nielsen@example.org", "Nordic Governance Foundation", ["DK"], ["governance",
                                                                      "participation"],
     "local", "transparency, councils", "Council meetings streamed with linked documents.",
     ("Few residents knew what their council decided.",
      "Small municipalities.",
      "Stream every meeting, publish agenda papers a week ahead and index decisions.",
      "Viewers exceeded attendance by two orders of magnitude.",
      "Index decisions, not videos: people search for topics.")),
    ("asset-declarations-ua", "Public asset declarations for officials",
     "oksana.kovalenko@example.org", "Ministry of Economy — Procurement Reform Unit", ["UA"],
     ["anti-corruption", "governance"], "national", "asset declarations",
     "Officials declare assets online; declarations are public and machine-readable.",
     ("Illicit enrichment went unchecked.", "Central and local officials.",
      "An online declaration system with automatic cross-checks against registries.",
      "Thousands of discrepancies referred for verification.",
      "Verification capacity must grow with publication.")),
    ("gender-budgeting-co", "Gender budget tagging", "carlos.mendoza@example.org",
     "Fundación Convivencia", ["CO"], ["gender-equality", "public-finance"], "local",
     "gender budgeting", "Tagging budget lines by their effect on women and men.",
     ("Programmes for women were invisible in the budget.", "Municipal budgets.",
      "A simple three-level tag on every line, reviewed with women's organisations.",
      "Spending on gender-responsive lines became visible and debated.",
      "Keep the tag simple or nobody applies it.")),
    ("youth-councils-br", "Youth councils in municipal planning", "joao.silva@example.org",
     "Porto Alegre City Hall", ["BR"], ["participation", "local-government"], "local",
     "youth", "Elected youth councils advise on the city plan.",
     ("Young people were absent from planning.", "Large Brazilian cities.",
      "Schools elect delegates to a youth council with a small budget and a seat in planning "
      "hearings.", "Several youth proposals entered the city plan.",
      "Give them a real budget, however small.")),
    ("climate-adaptation-ke", "Ward climate adaptation funds", "amina.wanjiru@example.org",
     "Open Budget Kenya", ["KE"], ["environment", "local-government", "participation"],
     "local", "climate, devolved funds",
     "Wards choose and run small climate adaptation investments.",
     ("Drought investments were chosen far from the people affected.", "Arid counties.",
      "A county fund with ward committees choosing water and pasture projects.",
      "Water points stayed functional longer than centrally chosen ones.",
      "Maintenance money must be part of the grant.")),
    ("one-stop-shop-ng", "One-stop shops for business registration",
     "david.okafor@example.org", "Centre for Public Finance Studies", ["NG"],
     ["economic-development", "digital-services"], "national", "business registration",
     "One office and one form to register a business.",
     ("Registering a business took weeks and many offices.", "Federal and state agencies.",
      "Co-located desks and a shared online form.",
      "Registration time fell to days.", "Agencies must share data, not just a building.")),
    ("flood-warnings-jp", "Community flood early warning", "hiroshi.tanaka@example.org",
     "Tanaka Manufacturing Social Fund", ["JP"], ["disaster-risk-reduction", "environment"],
     "local", "early warning", "River gauges and neighbourhood messengers.",
     ("Warnings reached elderly residents too late.", "River towns.",
      "Low-cost gauges, a phone tree and named neighbours for each elderly resident.",
      "No flood deaths in pilot towns over five seasons.", "Test the phone tree monthly.")),
    ("court-users-fr", "Court user surveys", "marie.dubois@example.org",
     "Institut d'évaluation des politiques publiques", ["FR"], ["justice", "governance"],
     "national", "courts, surveys", "Short surveys of court users drive service changes.",
     ("Courts did not know what users struggled with.", "First-instance courts.",
      "Exit surveys with five questions, published quarterly with responses.",
      "Waiting areas and information desks improved.", "Publish the response, not just data.")),
    ("service-standard-gb", "A service standard for digital services", "admin@example.org",
     "Partnership for Governance (multilateral)", ["GB", "CH"], ["digital-services",
                                                                  "governance"],
     "global", "service design, assessments",
     "Every public digital service is assessed against a short standard before launch.",
     ("Digital projects launched without talking to users.", "Central governments.",
      "A short standard (user needs, iteration, open code) with peer assessments at each "
      "phase.", "Fewer failed launches; better completion rates.",
      "Assessors must be practitioners from other teams.")),
    ("procurement-training-ch", "Regional training for procurement monitors",
     "marie.dubois@example.org", "Partnership for Governance (multilateral)", ["CH", "UA", "KE"],
     ["anti-corruption"], "global", "training, monitoring",
     "A shared curriculum for civil-society procurement monitors.",
     ("Monitors in each country reinvented the same training.", "Several countries.",
      "Open curriculum, trainer exchanges and a shared red-flag list.",
      "Trained monitors filed better-documented complaints.", "Translate the red flags.")),
    ("scorecards-sn", "Community scorecards for health posts", "fatou.diop@example.org",
     "Réseau des comités de gestion scolaire", ["SN"], ["health", "participation"], "local",
     "scorecards", "Users and staff score services together and agree on fixes.",
     ("Health post users had no way to give feedback.", "Rural health posts.",
      "Separate scoring by users and staff, then a joint meeting to agree on three fixes.",
      "Opening hours and drug availability improved.", "Go back after three months.")),
    ("land-registry-in", "Digitised land records with public access",
     "priya.raman@example.org", "State Health Digital Mission", ["IN"], ["governance",
                                                                     "digital-services"],
     "regional", "land records", "Land records online, searchable by plot.",
     ("Land records were held by intermediaries who charged for access.", "A large state.",
      "Scanned and verified records, online search and printed copies at kiosks.",
      "Fewer disputes reached court.", "Verification before digitisation.")),
    ("participatory-planning-es", "Participatory planning of public spaces",
     "sofia.garcia@example.org", "Regional Open Data Office", ["ES"], ["participation",
                                                                    "environment"],
     "local", "urban planning", "Residents co-design squares and parks.",
     ("Redesigned squares went unused.", "Regional towns.",
      "Walks, models and a vote between three designs.", "New spaces were used and cared for.",
      "Show costs next to every design.")),
]

# parent key, adapter email, country, context, rationale, title
ADAPTATIONS = [
    ("pb-porto-alegre", "amina.wanjiru@example.org", "KE",
     "Makueni county, Kenya: wards with 20,000–60,000 people and a devolved development budget.",
     "Ward-level forums instead of district assemblies; SMS announcements; a fixed share of the "
     "county development budget rather than a weighting formula.",
     "Participatory budgeting in county wards"),
    ("pb-porto-alegre", "fatou.diop@example.org", "SN",
     "Rural communes in Senegal with small investment budgets.",
     "Village meetings in Wolof; women's groups hold a separate session first.",
     "Participatory budgeting in rural communes"),
    ("open-contracting-ua", "sofia.garcia@example.org", "ES",
     "A Spanish region that already publishes tenders but not contracts.",
     "We kept the monitoring portal but plugged it into the existing national platform.",
     "Open procurement monitoring on an existing platform"),
    ("digital-appointments-in", "david.okafor@example.org", "NG",
     "Teaching hospitals in Lagos.", "USSD instead of SMS; slots released daily at 6 am.",
     "USSD appointment booking in teaching hospitals"),
    ("community-policing-co", "david.okafor@example.org", "NG",
     "Local government areas in Plateau state.",
     "Councils are co-chaired by a traditional leader; meetings in Hausa and English.",
     "Community safety councils with traditional leaders"),
]
ADAPTATION_OF_ADAPTATION = ("Participatory budgeting in county wards", "carlos.mendoza@example.org",
                            "CO", "Comunas in Medellín.",
                            "Youth get a separate vote; results shown on a public map.",
                            "Participatory budgeting in urban comunas")

# practice key, edits as (field, new value, message, editor email or None for the owner)
EDITS = [
    ("pb-porto-alegre", "results", "Sewerage coverage in poor districts rose from under half to "
     "most households within a decade; attendance peaked above 30,000 people a year.",
     "Add figures to the results", None),
    ("pb-porto-alegre", "lessons", "Publish what happened to last year's votes before asking "
     "people to vote again. Keep the rules stable for several years.", "Second lesson", None),
    ("open-contracting-ua", "summary", "All public tenders above a threshold run on one open "
     "system that businesses, journalists and NGOs can monitor.", "Clarify summary", None),
    ("citizen-budget-ke", "approach", "Treasury and NGOs co-write a short citizens' budget with "
     "pictures, read out on community radio in several languages.", "Mention languages", None),
    ("school-committees-sn", "results", "Attendance and parent participation improved in "
     "committee schools; repairs were done within the school year.", "Results update", None),
]

# Edits made after the adaptations: their pages show "the original has changed" (same shape).
LATER_EDITS = [
    ("pb-porto-alegre", "approach", "Each district holds **open assemblies** every spring, "
     "elects delegates and ranks priorities; a weighting formula favours districts with the "
     "greatest need. A council of delegates follows every approved project until it is built.",
     "Delegates follow projects to completion", None),
]

ENDORSEMENTS = [
    ("pb-porto-alegre", ["amina.wanjiru@example.org", "fatou.diop@example.org",
                         "marie.dubois@example.org", "lars.nielsen@example.org",
                         "carlos.mendoza@example.org", "sofia.garcia@example.org"]),
    ("open-contracting-ua", ["david.okafor@example.org", "sofia.garcia@example.org",
                             "marie.dubois@example.org", "admin@example.org"]),
    ("community-policing-co", ["david.okafor@example.org", "amina.wanjiru@example.org"]),
    ("digital-appointments-in", ["david.okafor@example.org", "hiroshi.tanaka@example.org",
                                 "fatou.diop@example.org"]),
    ("citizen-budget-ke", ["joao.silva@example.org", "david.okafor@example.org"]),
    ("service-standard-gb", ["priya.raman@example.org", "sofia.garcia@example.org"]),
    ("evaluation-budgeting-fr", ["lars.nielsen@example.org"]),
    ("disaster-drills-jp", ["carlos.mendoza@example.org"]),
    ("pets-ng", ["oksana.kovalenko@example.org", "amina.wanjiru@example.org"]),
]


def seed() -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    existing = set(db.session.scalars(select(Practice.title)))
    by_key: dict[str, Practice] = {}
    for (key, title, owner, org, countries, themes, level, tags, summary, sections) in PRACTICES:
        if title in existing:
            by_key[key] = db.session.scalar(select(Practice).where(Practice.title == title))
            continue
        data = {"title": title, "summary": summary, "countries": countries, "themes": themes,
                "level": level, "tags": tags, "organizations": [orgs[org].id] if org in orgs else [],
                **dict(zip(("problem", "context", "approach", "results", "lessons"), sections,
                           strict=True))}
        by_key[key] = services.create_practice(users[owner], data, status=Status.PUBLISHED)
    _edits(by_key, users)
    _adaptations(by_key, users)
    _edits(by_key, users, LATER_EDITS)
    _endorsements(by_key, users)
    db.session.flush()


def _edits(by_key: dict, users: dict, edits: list = EDITS) -> None:
    for key, field, value, message, editor in edits:
        practice = by_key[key]
        data = services.practice_data(practice)
        if data[field] != value:
            services.update_practice(practice, users[editor] if editor else practice.owner,
                                     {**data, field: value}, message)


def _adapt(parent: Practice, user: User, country: str, context: str, rationale: str,
           title: str) -> Practice:
    found = db.session.scalar(select(Practice).where(Practice.title == title))
    if found is not None:
        return found
    child = services.adapt_practice(parent, user, country, context, rationale)
    services.update_practice(child, user, {**services.practice_data(child), "title": title},
                             "Title for the local version")
    services.publish_practice(child)
    return child


def _adaptations(by_key: dict, users: dict) -> None:
    children = {}
    for parent_key, email, country, context, rationale, title in ADAPTATIONS:
        children[title] = _adapt(by_key[parent_key], users[email], country, context, rationale,
                                 title)
    parent_title, email, country, context, rationale, title = ADAPTATION_OF_ADAPTATION
    _adapt(children[parent_title], users[email], country, context, rationale, title)


def _endorsements(by_key: dict, users: dict) -> None:
    done = set(db.session.execute(select(Endorsement.practice_id, Endorsement.user_id)).all())
    for i, (key, emails) in enumerate(ENDORSEMENTS):
        practice = by_key[key]
        for j, email in enumerate(emails):
            if (practice.id, users[email].id) not in done:
                services.endorse(practice, users[email], "applied" if (i + j) % 2 else "recommend",
                                 "We used this in our own programme." if j == 0 else "")
