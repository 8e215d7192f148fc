"""Project pages: permission matrix (with IDOR), forms and money errors, anonymity, discover."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.projects.models import Project, ProjectState
from tests.queries import count_queries


def _form(**overrides):
    data = {"title": "Open school budgets", "kind": "project", "summary": "Publish budgets.",
            "description": "**Why** it matters", "currency": "EUR", "goal": "25000.50",
            "funding_model": "all_or_nothing",
            "deadline": (utcnow() + timedelta(days=30)).date().isoformat(),
            "countries": ["KE"], "themes": ["education"], "organization": "0"}
    data.update(overrides)
    return data


def test_propose_project_creates_a_draft(client, auth, make_user):
    owner = make_user(email="owner@example.org")
    auth.login("owner@example.org")
    response = client.post("/projects/new", data=_form())
    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assert (project.owner_id, project.state, project.goal_minor) == (owner.id, "draft", 2500050)
    assert project.countries == ["KE"] and project.themes == ["education"]
    assert "<strong>Why</strong>" in project.description_html


@pytest.mark.parametrize("goal", ["10.005", "-5", "1e3", "abc", "", "1" + "0" * 20, "10 USD"])
def test_bad_goal_gives_a_field_error_and_saves_nothing(client, auth, make_user, goal):
    make_user(email="owner@example.org")
    auth.login("owner@example.org")
    response = client.post("/projects/new", data=_form(goal=goal))
    assert response.status_code in (400, 422)
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_bad_budget_amount_gives_a_field_error(client, auth, make_project):
    project = make_project()
    auth.login(project.owner.email)
    response = client.post(f"/projects/{project.slug}/budget", data={"item": "Venue",
                                                                    "amount": "12.345"})
    assert response.status_code == 422
    assert "at most 2 decimals" in response.get_data(as_text=True)
    assert project.budget_lines == []


def test_draft_is_invisible_to_others(client, auth, make_project, make_user):
    project = make_project()
    assert client.get(f"/projects/{project.slug}").status_code == 404
    make_user(email="other@example.org")
    auth.login("other@example.org")
    for path in ("", "/transparency", "/transparency.csv", "/edit", "/objectives"):
        assert client.get(f"/projects/{project.slug}{path}").status_code == 404, path
    assert project.title not in client.get("/projects/").get_data(as_text=True)


def test_owner_and_moderator_see_the_draft(client, auth, make_project, make_user):
    project = make_project()
    auth.login(project.owner.email)
    assert client.get(f"/projects/{project.slug}").status_code == 200
    auth.logout()
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    assert client.get(f"/projects/{project.slug}").status_code == 200


def test_editing_someone_elses_open_project_is_forbidden(client, auth, make_project, make_user):
    project = make_project(state="open")
    make_user(email="other@example.org")
    auth.login("other@example.org")
    assert client.get(f"/projects/{project.slug}/edit").status_code == 403
    response = client.post(f"/projects/{project.slug}/edit", data=_form(title="Hijacked"))
    assert response.status_code == 403
    db.session.refresh(project)
    assert project.title != "Hijacked"
    assert client.post(f"/projects/{project.slug}/reports/new",
                       data={"body": "fake"}).status_code == 403


def test_moderator_cannot_edit_but_may_cancel(client, auth, make_project, make_user):
    project = make_project(state="open")
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    assert client.get(f"/projects/{project.slug}/edit").status_code == 403
    response = client.post(f"/projects/{project.slug}/cancel", data={"reason": "Fraud"})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.state == ProjectState.CANCELLED


def test_only_moderators_approve_via_the_queue(client, auth, make_project, make_user):
    project = make_project(state="pending_review")
    auth.login(project.owner.email)
    assert client.get("/projects/review").status_code == 403
    assert client.post(f"/projects/{project.slug}/approve").status_code == 403
    auth.logout()
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    assert project.title in client.get("/projects/review").get_data(as_text=True)
    client.post(f"/projects/{project.slug}/approve")
    db.session.refresh(project)
    assert project.state == ProjectState.OPEN


def test_reject_with_reason_shows_it_to_the_owner(client, auth, make_project, make_user):
    project = make_project(state="pending_review")
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    client.post(f"/projects/{project.slug}/reject", data={"reason": "Cite your baseline."})
    auth.logout()
    auth.login(project.owner.email)
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "Cite your baseline." in page


def test_only_reviewers_and_moderators_verify(client, auth, make_project, make_user,
                                              make_donor, pledge):
    from marketplace.projects import services

    project = make_project(state="open", goal_minor=10_000, tranche_minor=5000)
    pledge(make_donor(), project, "100")
    objective = project.objectives[0]
    services.post_progress_report(project.owner, project, "", {objective.id: (80.0, "")})
    db.session.commit()
    url = f"/projects/{project.slug}/objectives/{objective.id}/verify"
    for email in (project.owner.email, "stranger@example.org"):
        if email.startswith("stranger"):
            make_user(email=email)
        auth.login(email)
        assert client.post(url).status_code == 403
        auth.logout()
    reviewer = make_user(email="reviewer@example.org")
    services.set_reviewers(project, [reviewer])
    db.session.commit()
    auth.login("reviewer@example.org")
    assert client.post(url).status_code == 302
    db.session.refresh(project)
    assert project.released_minor == 5000
    page = client.get(f"/projects/{project.slug}/transparency").get_data(as_text=True)
    assert "Teachers" not in page and "Objective 1" in page


def test_anonymous_donor_stays_anonymous(client, make_project, make_donor, pledge):
    project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(name="Visible Donor"), project, "20")
    pledge(make_donor(name="Secret Donor"), project, "30", is_anonymous=True)
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "Visible Donor" in page and "Anonymous" in page and "Secret Donor" not in page
    page = client.get(f"/projects/{project.slug}/transparency").get_data(as_text=True)
    assert "Secret Donor" not in page and "Anonymous" in page
    body = client.get(f"/projects/{project.slug}/transparency.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert ["contribution", "Anonymous", "30.00", "EUR"] in [r[1:] for r in rows]
    assert "Secret Donor" not in body


def test_transparency_csv_totals_are_in_the_readers_language(client, make_project, make_donor, pledge):
    project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(), project, "20")
    client.set_cookie("lang", "fr")
    body = client.get(f"/projects/{project.slug}/transparency.csv").get_data(as_text=True)
    totals = [r[2] for r in csv.reader(io.StringIO(body)) if r and r[0] == ""]
    assert totals == ["contribué", "versé", "remboursé", "solde"]


def test_transparency_csv_neutralises_formulas(client, make_project, make_donor, pledge):
    project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(name="=HYPERLINK(\"http://evil\")"), project, "20")
    body = client.get(f"/projects/{project.slug}/transparency.csv").get_data(as_text=True)
    cells = [c for row in csv.reader(io.StringIO(body)) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "'=HYPERLINK(\"http://evil\")" in cells


def test_project_page_shows_money_budget_objectives_and_event(client, make_project):
    project = make_project(state="open", goal_minor=2_500_000, kind="event",
                           starts_at=utcnow() + timedelta(days=40), place="Dakar",
                           is_online=False)
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "€25,000.00" in page and "<progress" in page
    assert "Dakar" in page and "Objective 1" in page and "On track" in page
    page = client.get(f"/projects/{project.slug}", headers={"Accept-Language": "fr"})
    assert "25\u202f000,00\u00a0€" in page.get_data(as_text=True)


def test_progress_report_form(client, auth, make_project):
    project = make_project(state="open")
    objective = project.objectives[0]
    auth.login(project.owner.email)
    response = client.post(f"/projects/{project.slug}/reports/new", data={
        "body": "Good term.", f"actual_{objective.id}": "not a number"})
    assert response.status_code == 400
    response = client.post(f"/projects/{project.slug}/reports/new", data={
        "body": "Good term.", f"actual_{objective.id}": "60",
        f"evidence_{objective.id}": "https://example.org/report.pdf"})
    assert response.status_code == 302
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "Achieved" in page and "https://example.org/report.pdf" in page


def test_discover_ranks_by_documented_score(client, make_project, make_user, make_practice):
    from marketplace.projects import services
    from marketplace.projects.ranking import score

    strong_owner = make_user(name="Strong owner")
    # A completed earlier project with a verified objective gives a track record.
    old = make_project(owner=strong_owner, state="open")
    old.objectives[0].status = "verified"
    old.state = ProjectState.COMPLETED.value
    practice = make_practice()
    practice.endorsement_count, practice.adaptation_count = 3, 2
    weak = make_project(title="Weak evidence", state="open")
    strong = make_project(title="Strong evidence", owner=strong_owner, state="open")
    services.update_project(strong, practice_ids=[practice.id])
    db.session.commit()
    page = client.get("/projects/").get_data(as_text=True)
    assert page.index("Strong evidence") < page.index("Weak evidence")
    assert "score = 2 × log₂(1 + E) + 10 × T" in page
    assert f"Score {score(7, 1, 0, 0):.2f}" in page  # E = 3 + 2×2, T = 2/3
    assert f"Score {score(0, 0, 0, 0):.2f}" in page  # a newcomer: T = 0.5
    # Every public project is listed, the open ones first; ?status=open lists only those.
    assert page.index("Weak evidence") < page.index(f">{old.title}<")
    open_only = client.get("/projects/?status=open").get_data(as_text=True)
    assert weak.title in open_only and f">{old.title}<" not in open_only
    completed = client.get("/projects/?status=completed").get_data(as_text=True)
    assert f">{old.title}<" in completed and weak.title not in completed


def test_score_formula(app):
    from marketplace.projects.ranking import score

    assert score(0, 0, 0, 0) == pytest.approx(5.0)
    assert score(1, 0, 0, 0) == pytest.approx(7.0)
    assert score(0, 2, 0, 0) == pytest.approx(7.5)
    assert score(0, 0, 0, 2) == pytest.approx(2.5)


def test_discover_filters(client, make_project):
    make_project(title="Kenya education", state="open", themes=["education"], countries=["KE"])
    make_project(title="Senegal health", state="open", themes=["health"], countries=["SN"],
                 funding_model="keep_what_you_raise")
    page = client.get("/projects/?theme=health").get_data(as_text=True)
    assert "Senegal health" in page and "Kenya education" not in page
    page = client.get("/projects/?country=ke").get_data(as_text=True)
    assert "Kenya education" in page and "Senegal health" not in page
    page = client.get("/projects/?funding_model=keep_what_you_raise").get_data(as_text=True)
    assert "Senegal health" in page and "Kenya education" not in page
    assert "Senegal health" not in client.get("/projects/?kind=event").get_data(as_text=True)


def test_project_for_a_community_the_owner_belongs_to(client, auth, make_user, make_community):
    owner = make_user(email="owner@example.org")
    mine = make_community(name="Budget people", members=[owner])
    other = make_community(name="Strangers")
    auth.login("owner@example.org")
    response = client.post("/projects/new", data=_form(community=str(other.id)))
    assert response.status_code == 400  # not a member: not a choice
    assert db.session.scalar(select(func.count(Project.id))) == 0
    client.post("/projects/new", data=_form(title="Second", community=str(mine.id)))
    project = db.session.scalar(select(Project).where(Project.title == "Second"))
    assert project.community_id == mine.id
    assert "Budget people" in client.get(f"/projects/{project.slug}").get_data(as_text=True)


def test_objectives_page_add_edit_delete(client, auth, make_project):
    project = make_project(objectives=0, goal_minor=10_000)
    auth.login(project.owner.email)
    due = (utcnow() + timedelta(days=20)).date().isoformat()
    data = {"title": "Clinics open", "indicator": "clinics", "unit": "", "baseline": "2",
            "target": "5", "due_at": due, "tranche": "150"}
    response = client.post(f"/projects/{project.slug}/objectives", data=data)
    assert response.status_code == 422  # the tranche exceeds the goal of 100.00
    assert "cannot exceed the funding goal" in response.get_data(as_text=True)
    assert client.post(f"/projects/{project.slug}/objectives",
                       data={**data, "tranche": "40"}).status_code == 302
    objective = project.objectives[0]
    assert objective.tranche_minor == 4000
    url = f"/projects/{project.slug}/objectives/{objective.id}/edit"
    assert "40.00" in client.get(url).get_data(as_text=True)
    client.post(url, data={**data, "title": "Clinics opened", "tranche": "50"})
    db.session.refresh(objective)
    assert (objective.title, objective.tranche_minor) == ("Clinics opened", 5000)
    client.post(f"/projects/{project.slug}/objectives/{objective.id}/delete")
    db.session.expire_all()
    assert project.objectives == []


def test_pages_do_not_run_n_plus_one_queries(client, auth, make_project):
    from marketplace.projects import services

    def count(path: str) -> int:
        return count_queries(client.get, path)

    small = make_project(state="open", objectives=1)
    big = make_project(state="open", objectives=5)
    for project in (small, big):
        values = {o.id: (20.0, "https://example.org/e") for o in project.objectives}
        for _ in range(3):
            services.post_progress_report(project.owner, project, "Report", values)
    db.session.commit()
    for suffix in ("", "/transparency"):
        assert count(f"/projects/{big.slug}{suffix}") == count(f"/projects/{small.slug}{suffix}")
    first = count("/projects/")
    make_project(state="open", objectives=3)
    make_project(state="open", objectives=3)
    assert count("/projects/") == first


def test_case_studies_that_improved_add_evidence(app, make_project, make_practice,
                                                 make_metric_definition, make_case_study):
    from marketplace.projects import ranking, services

    practice = make_practice()
    make_metric_definition(slug="attendance", direction="higher")
    make_metric_definition(slug="wait-days", direction="lower")
    make_case_study(practice_slugs=[practice.slug], metrics={"attendance": (10.0, 30.0)})
    make_case_study(practice_slugs=[practice.slug], metrics={"wait-days": (20.0, 12.0)})
    make_case_study(practice_slugs=[practice.slug], metrics={"attendance": (30.0, 10.0)})
    make_case_study(practice_slugs=[practice.slug], status="draft",
                    metrics={"attendance": (1.0, 9.0)})
    project = make_project(state="open")
    services.update_project(project, practice_ids=[practice.id])
    db.session.commit()
    practice_points = practice.endorsement_count + 2 * practice.adaptation_count
    # Two published cases improved on their baseline (one falling metric where lower is better).
    assert ranking.scores_for([project])[project.id].evidence == practice_points + 3 * 2


def test_donors_appoint_reviewers(client, auth, make_project, make_donor, make_user, pledge):
    project = make_project(state="open", goal_minor=10_000)
    donor = make_donor(email="donor@example.org")
    pledge(donor, project, "10")
    make_user(email="reviewer@example.org", name="Rev Iewer")
    make_user(email="stranger@example.org")
    auth.login("stranger@example.org")
    url = f"/projects/{project.slug}/reviewers"
    assert client.post(url, data={"email": "reviewer@example.org"}).status_code == 403
    auth.logout()
    auth.login("donor@example.org")
    assert client.post(url, data={"email": "reviewer@example.org"}).status_code == 302
    db.session.refresh(project)
    assert [r.display_name for r in project.reviewers] == ["Rev Iewer"]
    client.post(url, data={"email": project.owner.email})  # owners never review themselves
    db.session.refresh(project)
    assert len(project.reviewers) == 1


def test_a_french_owner_writes_the_goal_the_french_way(client, auth, make_user):
    make_user(email="owner@example.org")
    auth.login("owner@example.org")
    client.set_cookie("lang", "fr")
    assert client.post("/projects/new", data=_form(goal="25 000,50")).status_code == 302
    project = db.session.scalar(select(Project))
    assert project.goal_minor == 2_500_050
    edit = client.get(f"/projects/{project.slug}/edit").get_data(as_text=True)
    assert 'value="25000,50"' in edit  # pre-filled as it is typed, so a save keeps the amount


def _appoint(client, auth, project, appointer_email, reviewer_email):
    auth.login(appointer_email)
    response = client.post(f"/projects/{project.slug}/reviewers", data={"email": reviewer_email})
    auth.logout()
    db.session.refresh(project)
    return response.status_code, sorted(r.email for r in project.reviewers)


@pytest.mark.parametrize("money", ["unpaid", "cancelled", "refunded"])
def test_donors_whose_money_did_not_stay_appoint_no_reviewer(client, auth, make_project, make_donor,
                                                             make_user, pledge, money):
    from marketplace.projects import services as projects
    from marketplace.sponsorship import services as sponsorship

    project = make_project(state="open", goal_minor=10_000)
    donor = make_donor(email="donor@example.org")
    make_user(email="reviewer@example.org")
    given = pledge(donor, project, "0.01", provider="instant" if money == "refunded" else "manual")
    if money == "cancelled":
        sponsorship.cancel_pledge(given, donor)
    if money == "refunded":
        projects.cancel_project(project.owner, project)
    db.session.commit()
    assert given.status != "confirmed"
    assert _appoint(client, auth, project, "donor@example.org", "donor@example.org") == (403, [])
    assert _appoint(client, auth, project, "donor@example.org", "reviewer@example.org") == (403, [])


def test_a_contributor_appoints_others_but_never_themselves_nor_the_owner(client, auth, make_project,
                                                                          make_donor, make_user, pledge):
    project = make_project(state="open", goal_minor=10_000)
    donor = make_donor(email="donor@example.org")
    pledge(donor, project, "0.01", provider="instant")
    make_user(email="reviewer@example.org")
    assert _appoint(client, auth, project, "donor@example.org", "donor@example.org") == (302, [])
    assert _appoint(client, auth, project, "donor@example.org", project.owner.email) == (302, [])
    assert _appoint(client, auth, project, "donor@example.org", "reviewer@example.org") == (
        302, ["reviewer@example.org"])


def test_appointing_permissions(make_project, make_donor, make_user, pledge):
    from marketplace.accounts import permissions as perm

    project = make_project(state="open", goal_minor=10_000)
    paid, unpaid = make_donor(), make_donor()
    pledge(paid, project, "5", provider="instant")
    pledge(unpaid, project, "5", provider="manual")
    moderator, stranger = make_user(roles=["moderator"]), make_user()
    assert [perm.can_appoint_reviewers(u, project) for u in (paid, unpaid, moderator, stranger, None)] == [
        True, False, True, False, False]
    suspended = make_user(is_suspended=True)
    assert [perm.can_be_appointed_reviewer(paid, project, u)
            for u in (paid, project.owner, suspended, stranger, moderator)] == [False, False, False, True, True]


def test_approval_and_rejection_notify_the_owner(client, auth, make_project, make_user):
    from marketplace.notifications.models import Notification

    approved = make_project(state="pending_review")
    rejected = make_project(state="pending_review")
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    client.post(f"/projects/{approved.slug}/approve")
    client.post(f"/projects/{rejected.slug}/reject", data={"reason": "Add a baseline."})
    notes = {n.recipient_id: n.message for n in db.session.scalars(select(Notification))}
    assert approved.title in notes[approved.owner_id]
    assert "Add a baseline." in notes[rejected.owner_id]


def test_verify_button_only_once_money_can_be_released(client, auth, make_project, make_user,
                                                       make_donor, pledge):
    from marketplace.projects import services

    project = make_project(state="open", goal_minor=10_000, tranche_minor=5000)
    objective = project.objectives[0]
    services.post_progress_report(project.owner, project, "", {objective.id: (80.0, "")})
    db.session.commit()
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "Verify and release tranche" not in page  # all or nothing: not funded yet
    pledge(make_donor(), project, "100")
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "Verify and release tranche" in page and "Received" in page


def test_search_finds_open_projects_but_not_drafts(make_project, make_user, search_results):
    draft = make_project(title="Mangrove nursery draft")
    project = make_project(title="Mangrove nursery cooperative", state="open")
    assert search_results("mangrove") == [f"project:{project.id}"]
    moderator = make_user(roles=["moderator"])
    assert set(search_results("mangrove", viewer=moderator)) == {
        f"project:{project.id}", f"project:{draft.id}"}
    assert f"project:{draft.id}" in search_results("mangrove", viewer=draft.owner)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "abc"])
def test_non_finite_report_values_are_refused(client, auth, make_project, value):
    project = make_project(state="open")
    objective = project.objectives[0]
    auth.login(project.owner.email)
    response = client.post(f"/projects/{project.slug}/reports/new", data={
        "body": "x", f"actual_{objective.id}": value})
    assert response.status_code in (400, 422)
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert project.reports == []
