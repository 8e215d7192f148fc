"""Demo case studies sharing metric definitions, so every benchmark page has ≥ 5 cases.

Runs after the knowledge seeder: cases link to its demo practices by title; a practice that
is not there (or not published) is skipped.
"""

from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import Organization, User
from marketplace.cases import services
from marketplace.cases.models import CaseStudy, MetricDefinition
from marketplace.extensions import db
from marketplace.knowledge.models import Practice

DEFINITIONS = [
    ("procurement-savings-pct", "Procurement savings", "% of estimated cost", "higher",
     "Money saved against the estimated contract value, as a share of it: lower prices paid "
     "for the same goods and services."),
    ("citizen-participation-rate", "Citizen participation rate", "% of adult residents",
     "higher", "Share of adult residents who took part in the process at least once a year."),
    ("budget-execution-rate", "Budget execution rate", "% of approved budget", "higher",
     "Share of the approved capital budget actually spent in the fiscal year."),
    ("school-attendance-rate", "School attendance rate", "% of school days", "higher",
     "Average share of school days that enrolled pupils attended."),
    ("response-time-days", "Response time", "days", "lower",
     "Median days between a citizen's request or report and the public body's response."),
]

# The demo metrics' names and units in French and Spanish (MetricDefinition.translations); the
# migration that added the column fills the same for databases seeded before it.
DEFINITION_TRANSLATIONS = {
    "procurement-savings-pct": {
        "fr": {"name": "Économies sur les achats publics", "unit": "% du coût estimé"},
        "es": {"name": "Ahorro en compras públicas", "unit": "% del coste estimado"}},
    "citizen-participation-rate": {
        "fr": {"name": "Taux de participation citoyenne", "unit": "% des résidents adultes"},
        "es": {"name": "Tasa de participación ciudadana", "unit": "% de residentes adultos"}},
    "budget-execution-rate": {
        "fr": {"name": "Taux d’exécution budgétaire", "unit": "% du budget approuvé"},
        "es": {"name": "Tasa de ejecución presupuestaria", "unit": "% del presupuesto aprobado"}},
    "school-attendance-rate": {
        "fr": {"name": "Taux de fréquentation scolaire", "unit": "% des jours d’école"},
        "es": {"name": "Tasa de asistencia escolar", "unit": "% de días lectivos"}},
    "response-time-days": {
        "fr": {"name": "Délai de réponse", "unit": "jours"},
        "es": {"name": "Tiempo de respuesta", "unit": "días"}},
}

# title, owner email, organization, country, (start, end), practice titles, co-authors, status,
# (context, implementation, results, lessons), {metric: (baseline, result, target, period)}
CASES = [
    ("Participatory budgeting in Porto Alegre's districts", "joao.silva@example.org",
     "Porto Alegre City Hall", "BR", (2017, 2021),
     ["Participatory budgeting in district assemblies"], ["amina.wanjiru@example.org"],
     "published",
     ("District assemblies had lost their audience after years of unfunded promises.",
      "We tied every approved project to a published **delivery date** and a public tracker, "
      "and moved assemblies to evenings with childcare.",
      "Participation rose sevenfold and more of the capital budget was actually spent.",
      "Publish what happened to last year's votes before asking people to vote again."),
     {"citizen-participation-rate": (1.2, 8.5, 10, "2017–2021"),
      "budget-execution-rate": (71, 88, 90, "FY2017–FY2021")}),
    ("County budget hearings in Makueni", "amina.wanjiru@example.org", "Open Budget Kenya",
     "KE", (2018, 2022), ["Simplified citizens' budgets"], [], "published",
     ("County budget hearings were announced late and held only in the county seat.",
      "Ward-level hearings, SMS announcements two weeks ahead and a simplified citizens' budget "
      "in Kiswahili.",
      "Attendance grew in every ward; projects chosen in hearings were funded first.",
      "Local radio mattered more than any website."),
     {"citizen-participation-rate": (0.8, 6.1, None, "2018–2022"),
      "budget-execution-rate": (64, 79, 85, "FY2018–FY2022")}),
    ("Open e-procurement in Ukrainian ministries", "oksana.kovalenko@example.org",
     "Ministry of Economy — Procurement Reform Unit", "UA", (2016, 2020), ["Open e-procurement with public monitoring"],
     ["david.okafor@example.org"], "published",
     ("Tenders were paper-based, slow and open to collusion.",
      "Every tender above a threshold moved to an open electronic system with public bids and "
      "a monitoring portal for civil society.",
      "More bidders per tender, lower prices and faster complaint handling.",
      "Open data let journalists and NGOs do the monitoring we could not afford."),
     {"procurement-savings-pct": (2, 11.5, 10, "2016–2020"),
      "response-time-days": (45, 21, 15, "2016–2020"),
      "budget-execution-rate": (80, 86, None, "FY2016–FY2020")}),
    ("Community policing councils in Medellín", "carlos.mendoza@example.org",
     "Fundación Convivencia", "CO", (2015, 2019), ["Neighbourhood security councils"], [], "published",
     ("Residents of hillside neighbourhoods did not report crimes to the police.",
      "Monthly neighbourhood councils with the local station chief and a shared case log.",
      "Police answered reports twice as fast and more residents joined the councils.",
      "The same officers must come every month; rotation undid trust."),
     {"response-time-days": (18, 9, 7, "2015–2019"),
      "citizen-participation-rate": (2, 4.5, None, "2015–2019")}),
    ("Digital appointment booking in Tamil Nadu clinics", "priya.raman@example.org",
     "State Health Digital Mission", "IN", (2019, 2022), ["Digital appointment booking for public clinics"], [],
     "published",
     ("Patients queued from dawn for primary-care appointments.",
      "Booking by SMS and a simple web form, with walk-in slots kept for those without phones.",
      "Waiting time for an appointment fell from twelve days to three.",
      "Keep the walk-in slots: the digital channel must add capacity, not gatekeep it."),
     {"response-time-days": (12, 3, 5, "2019–2022")}),
    ("School management committees in Thiès", "fatou.diop@example.org",
     "Réseau des comités de gestion scolaire", "SN", (2016, 2021),
     ["School management committees with grant budgets"], [],
     "published",
     ("Schools received grants late and parents had no say in how they were spent.",
      "Elected committees of parents and teachers with a small grant and a public noticeboard.",
      "Attendance rose and grants were spent within the school year.",
      "Train the committee treasurer first."),
     {"school-attendance-rate": (78, 89, 90, "2016–2021"),
      "budget-execution-rate": (55, 74, None, "2016–2021")}),
    ("Open procurement data in a Spanish region", "sofia.garcia@example.org",
     "Regional Open Data Office", "ES", (2018, 2022),
     ["Open procurement monitoring on an existing platform",
      "A regional open data portal with user requests"],
     [], "published",
     ("Regional contracts were published as scanned PDFs, months late.",
      "Contracts published as open data within a week, following the Open Contracting "
      "Data Standard.",
      "Savings grew as more firms bid; complaints were answered faster.",
      "Publish in a standard format or nobody will build tools on it."),
     {"procurement-savings-pct": (1, 6, None, "2018–2022"),
      "response-time-days": (30, 14, None, "2018–2022")}),
    ("Public expenditure tracking in Lagos schools", "david.okafor@example.org",
     "Centre for Public Finance Studies", "NG", (2017, 2020),
     ["Public expenditure tracking in schools"], [], "published",
     ("Funds for schools leaked between the state treasury and the classroom.",
      "Quarterly expenditure tracking surveys, published per school.",
      "More of the budget reached schools; attendance rose slightly.",
      "Surveys work when head teachers see their own results first."),
     {"school-attendance-rate": (70, 76, None, "2017–2020"),
      "budget-execution-rate": (58, 61, 70, "2017–2020"),
      "procurement-savings-pct": (0, 4.2, None, "2017–2020")}),
    ("School meals and attendance in Kisumu", "amina.wanjiru@example.org", "Open Budget Kenya",
     "KE", (2019, 2022), [], [], "published",
     ("Many pupils missed school in the weeks before harvest.",
      "A county-funded midday meal sourced from local farmers, with a public budget line.",
      "Attendance rose by nine points.",
      "Buying locally kept the programme popular with the county assembly."),
     {"school-attendance-rate": (81, 90, None, "2019–2022")}),
    ("Joint procurement of school supplies in Recife", "joao.silva@example.org",
     "Porto Alegre City Hall", "BR", (2018, 2020), ["Open e-procurement with public monitoring"], [],
     "published",
     ("Each school bought its own supplies at retail prices.",
      "A framework agreement for the whole network, ordered through one catalogue.",
      "Prices fell and supplies arrived before the school year began.",
      "Schools need a small budget of their own for urgent needs."),
     {"procurement-savings-pct": (3, 14, 12, "2018–2020"),
      "school-attendance-rate": (84, 86, None, "2018–2020")}),
    ("Citizen report cards in Pune", "priya.raman@example.org", "State Health Digital Mission",
     "IN", (2020, 2023), ["Community scorecards for health posts"], [], "published",
     ("The city did not know how residents rated its services.",
      "Yearly report cards on water, waste and clinics, discussed in ward meetings.",
      "More residents took part, but response times got worse as requests grew.",
      "Staff the complaint desk before you invite more complaints."),
     {"citizen-participation-rate": (0.5, 3.2, None, "2020–2023"),
      "response-time-days": (21, 25, 14, "2020–2023")}),
    ("Evaluation-led budgeting in French municipalities", "marie.dubois@example.org",
     "Institut d'évaluation des politiques publiques", "FR", (2016, 2020),
     ["Evaluation-led budgeting in municipalities"], [], "published",
     ("Municipal budgets renewed programmes without asking whether they worked.",
      "Every programme above a threshold evaluated once per council term, results published.",
      "Budgets were executed slightly better; participation did not change.",
      "Evaluation changes budgets only when the council debates it."),
     {"budget-execution-rate": (90, 93, None, "2016–2020"),
      "citizen-participation-rate": (3, 3, None, "2016–2020"),
      "procurement-savings-pct": (2, 5, None, "2016–2020")}),
    ("Mother-tongue early grades in Senegal", "fatou.diop@example.org",
     "Réseau des comités de gestion scolaire", "SN", (2018, 2022), ["Mother-tongue instruction in early grades"], [],
     "published",
     ("Young pupils dropped out when lessons started in a language they did not speak.",
      "Reading taught in Wolof in the first two grades, with a bridge to French.",
      "Attendance rose in the early grades.",
      "Parents' support depended on showing French results too."),
     {"school-attendance-rate": (74, 83, None, "2018–2022")}),
    # Three adaptations of participatory budgeting (Kenya, Senegal, Colombia) report their
    # results: the original's page rolls them up as evidence across the lineage.
    ("Ward participatory budgeting in Makueni", "amina.wanjiru@example.org", "Open Budget Kenya",
     "KE", (2019, 2023), ["Participatory budgeting in county wards"], [], "published",
     ("Ward development funds were allocated by the county executive alone.",
      "Ward forums announced by SMS chose projects for a fixed share of the development budget.",
      "More residents took part each year and more of the development budget was spent.",
      "Announce the forums on local radio as well as by SMS."),
     {"citizen-participation-rate": (1.0, 5.8, 8, "2019–2023"),
      "budget-execution-rate": (62, 81, 85, "FY2019–FY2023")}),
    ("Commune budget assemblies in Kaffrine", "fatou.diop@example.org",
     "Réseau des comités de gestion scolaire", "SN", (2019, 2022),
     ["Participatory budgeting in rural communes"], [], "published",
     ("Commune investment budgets were decided without the villages.",
      "Village meetings in Wolof, a separate session for women's groups, then a commune vote.",
      "Participation grew, especially among women; more of the investment budget was spent.",
      "Hold the women's session first, or their priorities are never heard."),
     {"citizen-participation-rate": (0.6, 4.9, None, "2019–2022"),
      "budget-execution-rate": (48, 70, 75, "2019–2022")}),
    ("Comuna budgets in Medellín", "carlos.mendoza@example.org", "Fundación Convivencia", "CO",
     (2018, 2022), ["Participatory budgeting in urban comunas"], [], "published",
     ("Comuna budgets were captured by a few neighbourhood leaders.",
      "A separate youth vote and a public map of every funded project.",
      "Turnout rose, young people above all; execution improved a little.",
      "The public map made unfinished projects impossible to ignore."),
     {"citizen-participation-rate": (2.1, 7.4, None, "2018–2022"),
      "budget-execution-rate": (77, 85, None, "2018–2022")}),
    ("Faith leaders mediating land disputes in Plateau", "david.okafor@example.org",
     "Interfaith Peace Council", "NG", (2021, 2023), ["Interfaith mediation of land disputes"], [], "draft",
     ("Land disputes took months in court and sometimes turned violent.",
      "Joint mediation by a pastor and an imam, with agreements registered at the local court.",
      "Disputes were settled much faster; the evaluation is not finished.",
      "Registering agreements made them stick."),
     {"response-time-days": (90, 40, None, "2021–2023")}),
]


def _practice_slugs(titles: list[str], practices: dict[str, str]) -> list[str]:
    """Slugs of the demo practices with these titles; missing ones are skipped."""
    return [practices[t] for t in titles if t in practices]


def _definitions() -> None:
    existing = set(db.session.scalars(select(MetricDefinition.slug)))
    for slug, name, unit, direction, description in DEFINITIONS:
        if slug not in existing:
            services.create_metric_definition(slug=slug, name=name, unit=unit,
                                              direction=direction, description=description,
                                              translations=DEFINITION_TRANSLATIONS.get(slug))


def _case_input(spec, users, orgs, practices) -> services.CaseInput:
    (title, _owner, org, country, (start, end), practice_titles, coauthors, status, sections,
     metrics) = spec
    return services.CaseInput(
        title=title, summary=sections[2], organization_id=orgs[org].id if org in orgs else None,
        country=country, period_start=date(start, 1, 1), period_end=date(end, 12, 31),
        context=sections[0], implementation=sections[1], results=sections[2],
        lessons=sections[3], status=status, language="en",
        practice_slugs=_practice_slugs(practice_titles, practices),
        coauthor_emails=[e for e in coauthors if e in users],
        metrics=[services.MetricInput(slug, baseline, result, target, period)
                 for slug, (baseline, result, target, period) in metrics.items()],
    )


def seed() -> None:
    _definitions()
    users = {u.email: u for u in db.session.scalars(select(User))}
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    practices = dict(db.session.execute(
        select(Practice.title, Practice.slug).where(Practice.status == "published")).all())
    titles = set(db.session.scalars(select(CaseStudy.title)))
    for spec in CASES:
        owner = users.get(spec[1])
        if owner is None or spec[0] in titles:
            continue
        data = _case_input(spec, users, orgs, practices)
        lessons, data.lessons = data.lessons, ""
        case = services.create_case_study(owner, data, "First version")
        data.lessons = lessons  # a second revision, so history and diff have something to show
        services.update_case_study(case, owner, data, "Added lessons learned")
    db.session.flush()
