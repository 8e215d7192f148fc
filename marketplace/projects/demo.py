"""Demo projects and events in every state, with budgets, objectives and progress reports.

The funded and completed projects get their money here (instant pledges from the demo donors,
tranches released on verification) so that their state matches the ledger; the "sponsorship"
seeder adds the other pledges and donors.
"""

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.knowledge.models import Practice, PracticeTheme, Status
from marketplace.projects import services
from marketplace.projects.models import Project

DAY = timedelta(days=1)

# title, owner, kind, state, currency, goal (major units), model, countries, themes, extra
PROJECTS = [
    ("Open school budgets in 40 Kenyan counties", "amina.wanjiru@example.org", "project",
     "open", "KES", 2_500_000, "all_or_nothing", ["KE"], ["education", "public-finance"], {}),
    ("Participatory budgeting toolkit for small towns", "joao.silva@example.org", "project",
     "funded", "EUR", 12_000, "all_or_nothing", ["BR", "CO"], ["participation"], {}),
    ("School management committee training in Thiès", "fatou.diop@example.org", "project",
     "completed", "XOF", 6_000_000, "keep_what_you_raise", ["SN"], ["education"], {}),
    ("Community policing exchange Medellín–Cali", "carlos.mendoza@example.org", "event",
     "open", "USD", 8_000, "keep_what_you_raise", ["CO"], ["security-sector-reform"],
     {"place": "Medellín, Colombia", "starts_in": 45}),
    ("Webinar series: digital health records for states", "priya.raman@example.org", "event",
     "open", "INR", 400_000, "all_or_nothing", ["IN"], ["digital-services", "health"],
     {"is_online": True, "starts_in": 20}),
    ("Open contracting dashboard for regions", "oksana.kovalenko@example.org", "project",
     "pending_review", "EUR", 30_000, "all_or_nothing", ["UA"], ["anti-corruption"], {}),
    ("Budget literacy radio programme", "david.okafor@example.org", "project",
     "draft", "NGN", 5_000_000, "keep_what_you_raise", ["NG"], ["public-finance"], {}),
    ("Regional open data hackathon", "sofia.garcia@example.org", "event",
     "cancelled", "EUR", 15_000, "all_or_nothing", ["ES"], ["governance"],
     {"place": "Valencia, Spain", "starts_in": 60}),
    ("Flood early-warning volunteers network", "hiroshi.tanaka@example.org", "project",
     "expired", "JPY", 3_000_000, "all_or_nothing", ["JP"], ["disaster-risk-reduction"], {}),
]

# title, indicator, unit, baseline, target, due in days, share of goal as tranche (percent)
OBJECTIVES = [
    ("Schools publish their budgets", "schools publishing budgets", "schools", 12, 200, 120, 50),
    ("Parents attend budget meetings", "average attendance per meeting", "people", 8, 30, 200,
     30),
]


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User))}


def _practices_for(themes: list[str]) -> list[int]:
    return list(db.session.scalars(
        select(Practice.id).join(PracticeTheme, PracticeTheme.practice_id == Practice.id)
        .where(PracticeTheme.theme.in_(themes), Practice.status == Status.PUBLISHED)
        .order_by(Practice.endorsement_count.desc()).limit(2)))


def _create(owner, title, kind, currency, goal, model, countries, themes, extra) -> Project:
    now = utcnow()
    goal_minor = services.parse_money("goal", str(goal), currency)
    fields = dict(title=title, summary=f"{title}: a funded step towards measurable results.",
                  description=f"## Why\n\n{title} builds on what worked elsewhere.\n\n"
                              "## How we will measure it\n\nSee the objectives below.",
                  kind=kind, currency=currency, goal_minor=goal_minor, funding_model=model,
                  deadline=now + 40 * DAY, countries=countries, themes=themes,
                  practice_ids=_practices_for(themes))
    if kind == "event":
        starts = now + extra.get("starts_in", 30) * DAY
        fields.update(starts_at=starts, ends_at=starts + DAY, place=extra.get("place", ""),
                      is_online=extra.get("is_online", False))
    project = services.propose_project(owner, **fields)
    services.add_budget_line(project, "Staff and trainers", goal_minor * 6 // 10)
    services.add_budget_line(project, "Materials and venues", goal_minor - goal_minor * 6 // 10)
    for name, indicator, unit, base, target, due, share in OBJECTIVES:
        services.add_objective(project, title=name, indicator=indicator, unit=unit,
                               baseline=float(base), target=float(target), due_at=now + due * DAY,
                               tranche_minor=goal_minor * share // 100)
    return project


def _open(project: Project, moderator: User) -> None:
    services.submit_for_review(project)
    services.approve_project(moderator, project)


def _report_and_verify(project: Project, reviewer: User, verify: bool) -> None:
    first = project.objectives[0]
    services.post_progress_report(
        project.owner, project,
        "First term done: budgets are now posted on school notice boards and online.",
        {first.id: (first.target + 10, "https://example.org/evidence/term-1.pdf")})
    if verify:
        services.verify_objective(reviewer, first)


Fund = Callable[[Project, list[User]], None]


def seed(fund: Fund) -> None:
    """`fund(project, donors)` pledges a project's whole goal (sponsorship's, a layer above)."""
    users = _users()
    moderator = users["marie.dubois@example.org"]
    donors = [users["lars.nielsen@example.org"], users["hiroshi.tanaka@example.org"]]
    existing = set(db.session.scalars(select(Project.title)))
    for title, owner, kind, state, currency, goal, model, countries, themes, extra in PROJECTS:
        if title in existing:
            continue
        project = _create(users[owner], title, kind, currency, goal, model, countries, themes,
                          extra)
        _advance(project, state, moderator, [d for d in donors if d.id != project.owner_id], fund)
    db.session.flush()


def _advance(project: Project, state: str, moderator: User, donors: list[User], fund: Fund) -> None:
    if state == "draft":
        return
    if state == "pending_review":
        services.submit_for_review(project)
        return
    _open(project, moderator)
    if state in ("funded", "completed"):
        fund(project, donors if len(donors) == 2 else donors * 2)
        _report_and_verify(project, moderator, verify=True)
    if state == "open" and project.kind == "project":
        _report_and_verify(project, moderator, verify=False)
    if state == "completed":
        for objective in project.objectives[1:]:
            objective.due_at = utcnow() - DAY  # the second objective ran out of time: missed
        services.refresh_statuses(project)
        services.complete_project(project)
    if state == "cancelled":
        services.cancel_project(project.owner, project, "The venue fell through.")
    if state == "expired":  # an all-or-nothing project that found no donor before its deadline
        project.deadline = utcnow() - 3 * DAY
        project.state = "expired"
