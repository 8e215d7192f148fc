"""Demo projects and events in every state, each with its own budget, objectives and reports.

Every project carries objectives that fit its subject (indicator, unit, baseline, target, tranche)
and, where it is under way, progress reports with measured values. The funded and completed
projects get their money here (instant pledges from the demo donors, tranches released when a
reviewer verifies an objective, the remainder refunded on completion) so that their state matches
the ledger; the "sponsorship" seeder adds the other pledges, donors and the host's bank statement.
The EUR projects name the demo fiscal host (set up by the "hosting" seeder, which runs first).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Organization, User
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.knowledge.models import Practice, PracticeTheme, Status
from marketplace.projects import services
from marketplace.projects.models import Project

DAY = timedelta(days=1)
HOST = "Partnership for Governance (multilateral)"  # the demo fiscal host (EUR account)
MODERATOR = "marie.dubois@example.org"
REVIEWER = "admin@example.org"  # verifies objectives (the moderator approves projects)
FUNDERS = ("lars.nielsen@example.org", "hiroshi.tanaka@example.org")


@dataclass
class Goal:
    """An objective: title, indicator, unit, baseline, target, due in days, tranche (% of goal)."""
    title: str
    indicator: str
    unit: str
    baseline: float
    target: float
    due_in: int
    share: int


@dataclass
class Report:
    """A progress report `days_ago`, with measured values by objective position."""
    days_ago: int
    body: str
    values: dict[int, float]


@dataclass
class Demo:
    title: str
    owner: str
    kind: str
    state: str
    currency: str
    goal: int  # major units
    model: str
    countries: list[str]
    themes: list[str]
    summary: str
    why: str
    budget: list[tuple[str, int]]  # item, percent of the goal
    objectives: list[Goal]
    reports: list[Report] = field(default_factory=list)
    verify: list[int] = field(default_factory=list)  # objective positions verified by the reviewer
    hosted: bool = False
    extra: dict = field(default_factory=dict)


PROJECTS = [
    Demo("Open school budgets in 40 Kenyan counties", "amina.wanjiru@example.org", "project", "open",
         "KES", 2_500_000, "all_or_nothing", ["KE"], ["education", "public-finance"],
         "County education offices publish every secondary school's budget and boards of "
         "management learn to read them, so parents can ask where the capitation grant went.",
         "Only 3 of Kenya's 47 counties publish school-level budgets. Where they do (Makueni, "
         "Elgeyo-Marakwet), parents' budget questions doubled and stalled classroom works restarted.",
         [("County data officers (40 counties, 6 months)", 45), ("Board of management trainings", 35),
          ("Budget hotline and SMS replies", 20)],
         [Goal("County school budgets published online", "counties publishing every secondary "
               "school's budget", "counties", 3, 40, 240, 45),
          Goal("Boards of management trained to read budgets", "board members trained", "people",
               0, 1_200, 300, 35),
          Goal("Parents' budget questions answered", "citizen budget queries answered within 30 "
               "days", "%", 22, 75, 300, 20)],
         reports=[Report(20, "The first eight county education offices signed the publication "
                         "agreement; 260 board members took the one-day course.",
                         {0: 11, 1: 260, 2: 31})]),
    Demo("Participatory budgeting toolkit for small towns", "joao.silva@example.org", "project",
         "funded", "EUR", 12_000, "all_or_nothing", ["BR", "CO"], ["participation"],
         "An open toolkit (guides, assembly scripts, a voting app) for towns under 50,000 "
         "inhabitants that want to run a participatory budgeting cycle without consultants.",
         "Porto Alegre's method works but was built for a city of a million. Small towns drop out "
         "after the first cycle because the process costs too much staff time.",
         [("Toolkit writing and translation (pt, es)", 50), ("Coaching of pilot towns", 35),
          ("Voting app hosting, two years", 15)],
         [Goal("Towns pilot the toolkit", "towns completing a full budgeting cycle with the toolkit",
               "towns", 0, 6, 90, 40),
          Goal("Residents vote on investment priorities", "residents voting in the pilot towns' "
               "budget rounds", "residents", 900, 5_000, 200, 35),
          Goal("More of the capital budget decided by residents", "share of the pilot towns' "
               "capital budget allocated by vote", "%", 2, 10, 300, 25)],
         reports=[Report(60, "Four towns (two in Rio Grande do Sul, two in Antioquia) held their "
                         "first assemblies.", {0: 4, 1: 1_450}),
                  Report(10, "Seven towns completed the cycle; the Colombian towns added SMS voting.",
                         {0: 7, 1: 2_350, 2: 4.5})],
         verify=[0], hosted=True),
    Demo("School management committee training in Thiès", "fatou.diop@example.org", "project",
         "completed", "XOF", 6_000_000, "keep_what_you_raise", ["SN"], ["education"],
         "Five-day training of school management committees in the Thiès region on budgeting, "
         "procurement and posting accounts, followed by a year of coaching visits.",
         "Committees manage the school grant but few members were ever trained; accounts posted at "
         "the school gate were the exception, and parents distrusted the committees.",
         [("Trainers and coaching visits", 55), ("Course materials in French and Wolof", 15),
          ("Venues, transport and meals", 30)],
         [Goal("Committees trained in budget oversight", "school management committees completing "
               "the five-day course", "committees", 0, 120, 180, 40),
          Goal("Schools post their annual accounts", "schools displaying their accounts at the "
               "school gate", "schools", 18, 90, 240, 30),
          Goal("Fewer pupils drop out", "drop-out rate in grades 1 to 6", "%", 11.5, 8.0, 300, 30)],
         reports=[Report(200, "First cohort trained in Tivaouane and Mbour.", {0: 64, 1: 41}),
                  Report(40, "All cohorts trained; accounts are posted in 97 schools. Drop-out fell, "
                         "but less than planned: the harvest season kept older pupils away.",
                         {0: 126, 1: 97, 2: 9.4})],
         verify=[0, 1]),
    Demo("Community policing exchange Medellín–Cali", "carlos.mendoza@example.org", "event",
         "open", "USD", 8_000, "keep_what_you_raise", ["CO"], ["security-sector-reform"],
         "A week-long exchange in which police officers and neighbourhood leaders from Cali learn "
         "Medellín's quadrant policing and co-sign action plans for their own neighbourhoods.",
         "Medellín's quadrant model cut homicides where residents and police planned together; Cali "
         "wants to copy it, but its officers have never seen it work.",
         [("Travel and lodging for 40 participants", 70), ("Facilitation and follow-up", 30)],
         [Goal("Officers and leaders complete the exchange", "participants completing the "
               "exchange week", "participants", 0, 40, 60, 50),
          Goal("Joint neighbourhood plans adopted", "neighbourhood action plans co-signed by "
               "police and residents", "plans", 2, 12, 150, 50)],
         extra={"place": "Medellín, Colombia", "starts_in": 45}),
    Demo("Webinar series: digital health records for states", "priya.raman@example.org", "event",
         "open", "INR", 400_000, "all_or_nothing", ["IN"], ["digital-services", "health"],
         "Six webinars for state health officials on moving clinic records to the national "
         "FHIR-based standard, with a template adoption plan.",
         "States keep building incompatible record systems; officials ask for concrete examples "
         "of the migration from the two states that finished it.",
         [("Speakers and moderation", 40), ("Platform, captioning in Hindi and Tamil", 35),
          ("Adoption-plan clinics", 25)],
         [Goal("State officials complete the series", "officials attending at least 4 of the 6 "
               "webinars", "officials", 0, 300, 60, 60),
          Goal("States adopt the records standard", "states with a signed adoption plan", "states",
               1, 6, 180, 40)],
         extra={"is_online": True, "starts_in": 20}),
    Demo("Open contracting dashboard for regions", "oksana.kovalenko@example.org", "project",
         "pending_review", "EUR", 30_000, "all_or_nothing", ["UA"], ["anti-corruption"],
         "A public dashboard of every regional contract in the Open Contracting Data Standard, "
         "with red flags for single-bidder tenders and late amendments.",
         "The national e-procurement system is open, but regional administrations still publish "
         "scanned PDFs; journalists cannot see which tenders draw a single bidder.",
         [("Data engineering (OCDS pipeline)", 55), ("Training of regional procurement units", 30),
          ("Hosting and maintenance", 15)],
         [Goal("Regions publish contracts in OCDS", "regions publishing at least 90% of their "
               "contracts in OCDS", "regions", 4, 18, 270, 50),
          Goal("Fewer single-bidder tenders", "share of regional tenders with a single bidder", "%",
               38, 25, 365, 50)],
         hosted=True),
    Demo("Budget literacy radio programme", "david.okafor@example.org", "project", "draft",
         "NGN", 5_000_000, "keep_what_you_raise", ["NG"], ["public-finance"],
         "A weekly Yoruba- and Pidgin-language radio show that explains the state budget ward by "
         "ward, with call-in questions answered by budget officers.",
         "Surveys in Oyo State show that fewer than one listener in ten can name a single budget "
         "line for their ward, although radio is how most of them follow public affairs.",
         [("Production and presenters, 40 episodes", 60), ("Airtime on three stations", 40)],
         [Goal("Listeners reached every week", "weekly listeners (station audience survey)",
               "listeners", 0, 250_000, 300, 40),
          Goal("Listeners who know their ward's budget", "surveyed listeners who can name one "
               "budget line for their ward", "%", 7, 25, 365, 60)]),
    Demo("Regional open data hackathon", "sofia.garcia@example.org", "event", "cancelled", "EUR",
         15_000, "all_or_nothing", ["ES"], ["governance"],
         "Two days in which civil servants and developers turn the region's most requested "
         "datasets into services, with six months of mentoring for the best prototypes.",
         "Freedom-of-information requests keep asking for the same twenty datasets; opening them "
         "together with the people who need them is faster than answering each request.",
         [("Venue and catering", 45), ("Mentoring of prototypes", 40), ("Prizes", 15)],
         [Goal("Requested datasets opened", "datasets published on the regional portal during the "
               "event", "datasets", 0, 30, 90, 50),
          Goal("Prototypes kept alive", "prototypes still maintained six months later",
               "prototypes", 0, 5, 240, 50)],
         hosted=True, extra={"place": "Valencia, Spain", "starts_in": 60}),
    Demo("Flood early-warning volunteers network", "hiroshi.tanaka@example.org", "project",
         "expired", "JPY", 3_000_000, "all_or_nothing", ["JP"], ["disaster-risk-reduction"],
         "Neighbourhood volunteers relay river-level warnings door to door to elderly residents "
         "who do not use smartphones.",
         "In the 2018 floods most victims were elderly people at home; sirens and apps did not "
         "reach them in time.",
         [("Volunteer training and drills", 60), ("Radios and megaphones", 40)],
         [Goal("Volunteers trained to relay warnings", "volunteers trained and on the call list",
               "volunteers", 40, 400, 180, 50),
          Goal("Households reached in a drill", "households reached within 15 minutes in a drill",
               "%", 35, 90, 240, 50)]),
    Demo("Participatory budgeting scale-up in Cabo Verde municipalities", "joao.silva@example.org",
         "project", "open", "EUR", 20_000, "all_or_nothing", ["CV"], ["participation"],
         "The small-town toolkit, already piloted in Brazil and Colombia, adapted with the "
         "national association of municipalities for Cabo Verde's island councils.",
         "Two councils (Praia, São Domingos) already ran a participatory cycle; the others lack "
         "facilitators and a method that fits island populations of a few thousand.",
         [("Adaptation of the toolkit and Crioulo materials", 30), ("Facilitators on 8 islands", 50),
          ("Evaluation", 20)],
         [Goal("Councils run a participatory budgeting cycle", "municipal councils completing a "
               "full cycle", "councils", 2, 10, 300, 50),
          Goal("Women take part as much as men", "share of assembly participants who are women",
               "%", 31, 50, 300, 50)],
         reports=[Report(5, "Toolkit adapted and facilitators hired on Santiago and Fogo; Santa "
                         "Catarina ran its first assembly.", {0: 3, 1: 38})],
         hosted=True),
]


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User))}


def _host_id() -> int | None:
    return db.session.scalar(select(Organization.id).where(Organization.name == HOST,
                                                          Organization.is_fiscal_host))


def _practices_for(themes: list[str]) -> list[int]:
    return list(db.session.scalars(
        select(Practice.id).join(PracticeTheme, PracticeTheme.practice_id == Practice.id)
        .where(PracticeTheme.theme.in_(themes), Practice.status == Status.PUBLISHED)
        .order_by(Practice.endorsement_count.desc()).limit(2)))


def _create(owner: User, d: Demo, host_id: int | None) -> Project:
    now = utcnow()
    goal_minor = services.parse_money("goal", str(d.goal), d.currency)
    fields = dict(title=d.title, summary=d.summary,
                  description=f"## Why\n\n{d.why}\n\n## What we will do\n\n{d.summary}\n\n"
                              "## How we will measure it\n\nEach objective below names its indicator, "
                              "baseline and target; its tranche is released when a reviewer verifies "
                              "the reported value.",
                  kind=d.kind, currency=d.currency, goal_minor=goal_minor, funding_model=d.model,
                  deadline=now + 40 * DAY, countries=d.countries, themes=d.themes,
                  practice_ids=_practices_for(d.themes), host_id=host_id if d.hosted else None)
    if d.kind == "event":
        starts = now + d.extra.get("starts_in", 30) * DAY
        fields.update(starts_at=starts, ends_at=starts + DAY, place=d.extra.get("place", ""),
                      is_online=d.extra.get("is_online", False))
    project = services.propose_project(owner, **fields)
    left = goal_minor
    for i, (item, percent) in enumerate(d.budget):
        amount = left if i == len(d.budget) - 1 else goal_minor * percent // 100
        services.add_budget_line(project, item, amount)
        left -= amount
    for g in d.objectives:
        services.add_objective(project, title=g.title, indicator=g.indicator, unit=g.unit,
                               baseline=float(g.baseline), target=float(g.target),
                               due_at=now + g.due_in * DAY, tranche_minor=goal_minor * g.share // 100)
    return project


def _report(project: Project, d: Demo) -> None:
    """Post the reports oldest first, dated `days_ago` (the measured values of an under-way project)."""
    now = utcnow()
    for r in sorted(d.reports, key=lambda r: -r.days_ago):
        values = {project.objectives[i].id: (float(v), f"https://example.org/evidence/"
                                                       f"{project.slug}/{r.days_ago}.pdf")
                  for i, v in r.values.items()}
        report = services.post_progress_report(project.owner, project, r.body, values)
        report.created_at = now - r.days_ago * DAY
    db.session.flush()


Fund = Callable[[Project, list[User]], None]


def seed(fund: Fund) -> None:
    """`fund(project, donors)` pledges a project's whole goal (sponsorship's, a layer above)."""
    users = _users()
    existing = set(db.session.scalars(select(Project.title)))
    host_id = _host_id()
    for d in PROJECTS:
        if d.title in existing:
            continue
        project = _create(users[d.owner], d, host_id)
        donors = [users[e] for e in FUNDERS if users[e].id != project.owner_id]
        _advance(project, d, users[MODERATOR], users[REVIEWER], donors, fund)
    db.session.flush()


def _advance(project: Project, d: Demo, moderator: User, reviewer: User, donors: list[User],
             fund: Fund) -> None:
    if d.state == "draft":
        return
    services.submit_for_review(project)
    if d.state == "pending_review":
        return
    services.approve_project(moderator, project)
    if d.state in ("funded", "completed"):
        fund(project, donors if len(donors) == 2 else donors * 2)
    if d.state in ("open", "funded", "completed"):
        _report(project, d)
        services.set_reviewers(project, [reviewer])
        for i in d.verify:  # the verification releases the tranche through the ledger
            services.verify_objective(reviewer, project.objectives[i])
    if d.state == "completed":
        for objective in project.objectives:
            if objective.status != "verified":
                objective.due_at = utcnow() - DAY  # ran out of time before reaching its target
        services.refresh_statuses(project)
        services.complete_project(project)  # the unreleased remainder goes back to the donors
    if d.state == "cancelled":
        services.cancel_project(project.owner, project, "The venue fell through.")
    if d.state == "expired":  # an all-or-nothing project that found no donor before its deadline
        project.deadline = utcnow() - 3 * DAY
        for objective in project.objectives:
            objective.due_at = utcnow() - DAY
        project.state = "expired"
        services.refresh_statuses(project)
