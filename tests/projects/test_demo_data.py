"""Demo data that demonstrates: its own objectives per project, a fiscal host with a reconciled
statement, a completed project whose measured results show on a donor's ROI dashboard."""

import pytest
from schwifty import IBAN
from sqlalchemy import func, select

from marketplace import demo
from marketplace.accounts.models import Organization, User
from marketplace.extensions import db
from marketplace.projects import demo as projects_demo
from marketplace.projects import ranking, services
from marketplace.projects.models import Objective, Project
from marketplace.sponsorship import demo as sponsorship_demo
from marketplace.sponsorship import hosting
from marketplace.sponsorship.models import BankLine, BankStatement, Pledge, TrancheRelease

DEMO_PASSWORD = "qa-demo-Password-2026"


def row_counts() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in db.metadata.tables.items()}


@pytest.fixture
def seeded(app, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", DEMO_PASSWORD)
    demo.run_all()


def _project(title: str) -> Project:
    return db.session.scalar(select(Project).where(Project.title == title))


def test_every_demo_project_has_its_own_objectives(seeded):
    titles = list(db.session.scalars(select(Objective.title)))
    assert len(titles) == len(set(titles)) >= 2 * len(projects_demo.PROJECTS)
    indicators = list(db.session.scalars(select(Objective.indicator)))
    assert len(indicators) == len(set(indicators))
    for project in db.session.scalars(select(Project)):
        assert len(project.objectives) >= 2
        assert all(o.unit and o.target != o.baseline for o in project.objectives)
        assert sum(o.tranche_minor for o in project.objectives) <= project.goal_minor
        assert project.budget_total_minor == project.goal_minor
        assert project.title not in project.summary  # no "<title>: a funded step…" boilerplate
    # projects under way report measured values
    for title in ("Open school budgets in 40 Kenyan counties",
                  "Participatory budgeting toolkit for small towns",
                  "School management committee training in Thiès",
                  sponsorship_demo.CABO_VERDE):
        project = _project(title)
        assert project.reports and any(r.values for r in project.reports)


def test_completed_project_shows_its_measured_change_on_the_donors_dashboard(seeded, auth, client):
    completed = db.session.scalar(select(Project).where(Project.state == "completed"))
    verified = [o for o in completed.objectives if o.status == "verified"]
    assert len(verified) == 2
    for objective in verified:
        latest = services.latest_value(objective).actual
        assert latest != objective.baseline
        # moved from the baseline towards (here: past) the target
        assert abs(objective.target - latest) < abs(objective.target - objective.baseline)
    released = db.session.scalar(select(func.sum(TrancheRelease.amount_minor))
                                 .where(TrancheRelease.project_id == completed.id))
    assert released == completed.released_minor == sum(o.tranche_minor for o in verified)
    missed = [o for o in completed.objectives if o.status == "missed"]
    assert missed and services.latest_value(missed[0]).actual != missed[0].baseline
    assert completed.raised_minor == completed.released_minor  # the remainder was refunded

    donor = db.session.scalar(select(User).where(User.email == "lars.nielsen@example.org"))
    assert db.session.scalar(select(Pledge.id).where(Pledge.project_id == completed.id,
                                                     Pledge.donor_id == donor.id))
    assert auth.login(donor.email, DEMO_PASSWORD).status_code == 302
    page = client.get("/sponsorship/dashboard").get_data(as_text=True)
    assert "Committees trained in budget oversight" in page
    assert "0 → 126 committees" in page  # baseline → latest measured value
    assert "18 → 97 schools" in page
    assert "per 1,000 XOF" in page

    # the public transparency page shows the released tranches and the measured values
    transparency = client.get(f"/projects/{completed.slug}/transparency")
    assert transparency.status_code == 200
    text = transparency.get_data(as_text=True)
    assert "Committees trained in budget oversight" in text and ">126 on " in text


def test_host_with_a_treasurer_and_a_reconciled_statement(seeded, auth, client):
    host = db.session.scalar(select(Organization).where(Organization.name == projects_demo.HOST))
    assert host.is_fiscal_host and host.payment_instructions and host.bic
    assert IBAN(host.iban).compact == host.iban
    treasurers = [m.user.email for m in host.members if m.is_treasurer]
    assert treasurers == [sponsorship_demo.TREASURER]
    hosted = hosting.hosted_projects(host)
    assert len(hosted) >= 3 and {p.state for p in hosted} >= {"open", "funded"}

    statement = db.session.scalar(select(BankStatement).where(BankStatement.host_id == host.id))
    lines = list(db.session.scalars(select(BankLine).where(BankLine.statement_id == statement.id)))
    by_status = sorted(line.status for line in lines)
    assert by_status == ["confirmed", "confirmed", "proposed", "unmatched"]
    for line in lines:
        if line.status != "unmatched":
            assert line.match_reason == "reference"
            assert hosting.pledge_ids_in(line.details) == [line.pledge_id]
    confirmed = [db.session.get(Pledge, line.pledge_id) for line in lines if line.status == "confirmed"]
    assert all(p.status == "confirmed" and p.provider_reference.startswith("bank:") for p in confirmed)
    awaiting = hosting.awaiting_pledges(host)
    assert len(awaiting) == 2  # one proposed on the statement, one not paid yet

    # The treasurer's page lists the unmatched credit; an awaiting pledge shows its reference.
    assert auth.login(sponsorship_demo.TREASURER, DEMO_PASSWORD).status_code == 302
    page = client.get(f"/hosts/{host.slug}").get_data(as_text=True)
    assert "M. Rossi" in page
    auth.logout()
    pledge = awaiting[0]
    assert auth.login(pledge.donor.email, DEMO_PASSWORD).status_code == 302
    page = client.get(f"/sponsorship/pledges/{pledge.id}").get_data(as_text=True)
    assert hosting.display_reference(pledge.id) in page
    assert "DE89 3704 0044 0532 0130 00" in page


def test_ranking_tells_owners_apart(seeded):
    projects, scores = ranking.discover({})
    open_ones = [p for p in projects if p.state == "open"]
    track = {p.title: scores[p.id].track_record for p in open_ones}
    # João's toolkit has a verified objective: his new project ranks on that track record.
    assert track[sponsorship_demo.CABO_VERDE] > track["Open school budgets in 40 Kenyan counties"]
    assert len({round(scores[p.id].value, 3) for p in open_ones}) > 1
    assert open_ones[0].title == sponsorship_demo.CABO_VERDE


def test_seeding_again_adds_nothing_and_the_ledger_stays_clean(seeded, app, ledger_clean):
    assert ledger_clean() == []
    before = row_counts()
    demo.run_all()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    # the seeders themselves skip what exists, even if their demo_seed row were lost
    projects_demo.seed(fund=sponsorship_demo.fund_in_full)
    sponsorship_demo.seed_host()
    db.session.commit()
    assert row_counts() == before
    assert ledger_clean() == []
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
