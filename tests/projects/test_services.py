"""Project life cycle, approval rules, objectives and their status, progress reports."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.projects import services
from marketplace.projects.models import Objective, ObjectiveStatus, ProjectState


def _objective(baseline, target, due_days=30):
    return Objective(title="o", indicator="i", baseline=baseline, target=target,
                     due_at=utcnow() + timedelta(days=due_days), status="on_track")


@pytest.mark.parametrize("baseline,target,latest,due_days,expected", [
    (10, 50, None, 30, "on_track"),
    (10, 50, 30, 30, "on_track"),
    (10, 50, 50, 30, "achieved"),     # reaching the target exactly counts
    (10, 50, 70, -1, "achieved"),     # achieved even once past due
    (10, 50, 49.9, -1, "missed"),
    (10, 50, None, -1, "missed"),
    (40, 5, 5, 30, "achieved"),       # lower is better: target below baseline
    (40, 5, 6, 30, "on_track"),
    (40, 5, 30, -1, "missed"),
])
def test_objective_status_follows_direction_and_due_date(
        app, baseline, target, latest, due_days, expected):
    objective = _objective(baseline, target, due_days)
    assert services.objective_status(objective, latest, utcnow()) == expected


def test_verified_objective_stays_verified(app):
    objective = _objective(10, 50, -5)
    objective.status = ObjectiveStatus.VERIFIED.value
    assert services.objective_status(objective, None, utcnow()) == "verified"


def test_state_machine_draft_to_open(make_project, make_user):
    moderator = make_user(roles=["moderator"])
    project = make_project()
    assert project.state == ProjectState.DRAFT
    services.submit_for_review(project)
    assert project.state == ProjectState.PENDING_REVIEW
    with pytest.raises(Conflict):
        services.submit_for_review(project)
    services.approve_project(moderator, project)
    db.session.commit()
    assert project.state == ProjectState.OPEN
    assert project.approved_by_id == moderator.id and project.approved_at is not None
    with pytest.raises(Conflict):
        services.approve_project(moderator, project)


def test_only_moderators_approve(make_project, make_user):
    project = make_project(state="pending_review")
    with pytest.raises(PermissionDenied):
        services.approve_project(make_user(), project)
    assert project.state == ProjectState.PENDING_REVIEW


def test_approval_needs_an_objective(make_project, make_user):
    project = make_project(objectives=0)
    project.state = ProjectState.PENDING_REVIEW.value
    with pytest.raises(InvalidInput, match="objective"):
        services.approve_project(make_user(roles=["moderator"]), project)


def test_approval_needs_a_future_deadline(make_project, make_user):
    project = make_project(state="pending_review")
    project.deadline = utcnow() - timedelta(days=1)
    with pytest.raises(InvalidInput, match="deadline"):
        services.approve_project(make_user(roles=["moderator"]), project)
    assert project.state == ProjectState.PENDING_REVIEW


def test_reject_sends_back_to_draft_with_reason(make_project, make_user):
    project = make_project(state="pending_review")
    moderator = make_user(roles=["moderator"])
    with pytest.raises(InvalidInput):
        services.reject_project(moderator, project, "  ")
    services.reject_project(moderator, project, "Add a baseline source.")
    assert project.state == ProjectState.DRAFT
    assert project.review_note == "Add a baseline source."


def test_propose_rejects_bad_fields(make_user):
    owner = make_user()
    base = dict(title="T", summary="s", currency="EUR", goal_minor=100,
                deadline=utcnow() + timedelta(days=3))
    cases = [({"currency": "XXZ"}, "currency"), ({"goal_minor": 0}, "goal"),
             ({"countries": ["ZZ"]}, "countries"), ({"themes": ["nope"]}, "themes"),
             ({"deadline": utcnow() - timedelta(days=1)}, "deadline"),
             ({"kind": "event", "is_online": False, "starts_at": utcnow()}, "place"),
             ({"kind": "event"}, "starts_at")]
    for override, field in cases:
        with pytest.raises(InvalidInput) as err:
            services.propose_project(owner, **{**base, **override})
        assert err.value.field == field


def test_money_fields_lock_once_pledged(make_project):
    project = make_project(state="open")
    services.update_project(project, goal_minor=200_000)  # nobody pledged yet: allowed
    project.raised_minor = 1000
    with pytest.raises(InvalidInput) as err:
        services.update_project(project, goal_minor=300_000)
    assert err.value.field == "goal"
    with pytest.raises(InvalidInput):
        services.update_project(project, currency="USD")
    services.update_project(project, title="New title", goal_minor=200_000)
    assert project.title == "New title"


def test_objectives_fixed_once_open_and_tranches_within_goal(make_project):
    project = make_project(goal_minor=10_000, objectives=0)
    due = utcnow() + timedelta(days=10)
    services.add_objective(project, title="a", indicator="x", unit="", baseline=0.0, target=1.0,
                           due_at=due, tranche_minor=6000)
    with pytest.raises(InvalidInput) as err:
        services.add_objective(project, title="b", indicator="x", unit="", baseline=0.0,
                               target=1.0, due_at=due, tranche_minor=5000)
    assert err.value.field == "tranche"
    with pytest.raises(InvalidInput):
        services.add_objective(project, title="c", indicator="x", unit="", baseline=1.0,
                               target=1.0, due_at=due, tranche_minor=0)
    project.state = ProjectState.OPEN.value
    with pytest.raises(Conflict):
        services.add_objective(project, title="d", indicator="x", unit="", baseline=0.0,
                               target=1.0, due_at=due, tranche_minor=0)


def test_budget_warning_when_lines_differ_from_goal(make_project):
    project = make_project(goal_minor=10_000)
    assert services.budget_warning(project) is None
    services.add_budget_line(project, "Trainers", 6000)
    assert services.budget_warning(project)
    services.add_budget_line(project, "Venue", 4000)
    assert services.budget_warning(project) is None
    assert project.budget_total_minor == 10_000


def test_progress_report_sets_status_and_notifies_sponsors(
        make_project, make_donor, pledge):
    from marketplace.notifications.models import Notification

    project = make_project(state="open")
    donor = make_donor()
    pledge(donor, project, "10")
    objective = project.objectives[0]
    services.post_progress_report(project.owner, project, "We trained people.",
                                  {objective.id: (55.0, "https://example.org/evidence")})
    db.session.commit()
    assert objective.status == ObjectiveStatus.ACHIEVED
    notes = db.session.scalars(select(Notification).where(Notification.kind == "progress_report"))
    assert [n.recipient_id for n in notes] == [donor.id]


def test_progress_report_rejects_bad_evidence_link(make_project):
    project = make_project(state="open")
    objective = project.objectives[0]
    with pytest.raises(InvalidInput):
        services.post_progress_report(project.owner, project, "x",
                                      {objective.id: (20.0, "javascript:alert(1)")})


def test_verify_releases_the_tranche(make_project, make_donor, pledge, make_user, ledger_clean):
    project = make_project(state="open", goal_minor=10_000, tranche_minor=4000)
    donor = make_donor()
    pledge(donor, project, "100")  # instant provider: confirmed at once, fills the goal
    db.session.refresh(project)
    assert project.state == ProjectState.FUNDED
    objective = project.objectives[0]
    reviewer = make_user(roles=["moderator"])
    with pytest.raises(Conflict):  # nothing reported yet
        services.verify_objective(reviewer, objective)
    services.post_progress_report(project.owner, project, "", {objective.id: (60.0, "")})
    services.verify_objective(reviewer, objective)
    db.session.commit()
    db.session.refresh(project)
    assert objective.status == ObjectiveStatus.VERIFIED
    assert project.released_minor == 4000
    assert ledger_clean() == []


def test_cancel_refunds_unreleased_money(make_project, make_donor, pledge, ledger_clean):
    from marketplace.ledger.services import project_totals

    project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(), project, "30")
    services.cancel_project(project.owner, project, "No venue")
    db.session.commit()
    assert project.state == ProjectState.CANCELLED
    assert project_totals(project.id)["refunded"] == 3000
    assert ledger_clean() == []
    with pytest.raises(Conflict):
        services.cancel_project(project.owner, project)


def test_a_cancellation_and_its_refunds_share_one_transaction(make_project, make_donor, pledge):
    """Sponsorship refunds through a signal, synchronously: a rollback undoes both together."""
    from marketplace.ledger.services import project_totals

    project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(), project, "30")
    services.cancel_project(project.owner, project, "No venue")
    db.session.flush()
    assert project_totals(project.id)["refunded"] == 3000  # written before the caller commits
    db.session.rollback()
    db.session.refresh(project)
    assert project.state == ProjectState.OPEN
    assert project_totals(project.id)["refunded"] == 0


def test_without_sponsorship_connected_a_cancellation_with_money_is_refused(
        make_project, make_donor, pledge):
    """Money never silently stays in escrow because nothing listened for the cancellation."""
    from marketplace.projects import signals
    from marketplace.sponsorship import services as sponsorship

    project = make_project(state="open", goal_minor=10_000)
    pledge(make_donor(), project, "30")
    signals.project_closed.disconnect(sponsorship._refund_closed_project)
    try:
        with pytest.raises(RuntimeError, match="project-closed"):
            services.cancel_project(project.owner, project, "No venue")
    finally:
        sponsorship.connect_signals()
    db.session.rollback()


def test_complete_needs_funding_and_objectives_settled(make_project):
    project = make_project(state="open")
    with pytest.raises(Conflict):
        services.complete_project(project)
    project.state = ProjectState.FUNDED.value
    with pytest.raises(Conflict, match="objective"):
        services.complete_project(project)
    project.objectives[0].due_at = utcnow() - timedelta(days=1)
    services.complete_project(project)
    assert project.state == ProjectState.COMPLETED


@pytest.mark.parametrize("text,field", [
    ("10.005", "goal"), ("-5", "goal"), ("1e3", "goal"), ("abc", "goal"), ("", "goal"),
    (str(10**20), "goal"), ("10 USD", "goal"),
])
def test_parse_money_rejects_bad_input(app, text, field):
    with pytest.raises(InvalidInput) as err:
        services.parse_money("goal", text, "EUR")
    assert err.value.field == field and err.value.message


def test_parse_money_uses_currency_precision(app):
    assert services.parse_money("goal", "1500.50", "EUR") == 150050
    assert services.parse_money("goal", "1500", "JPY") == 1500
    with pytest.raises(InvalidInput):
        services.parse_money("goal", "1500.5", "JPY")


def test_project_path_matches_the_route(app, make_project):
    from flask import url_for

    project = make_project()
    with app.test_request_context():
        assert services.project_path(project) == url_for("projects.show", slug=project.slug)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_objective_numbers_must_be_finite(make_project, bad):
    project = make_project(objectives=0)
    with pytest.raises(InvalidInput) as err:
        services.add_objective(project, title="a", indicator="x", unit="", baseline=bad,
                               target=1.0, due_at=utcnow() + timedelta(days=3), tranche_minor=0)
    assert err.value.field == "baseline"


def test_completion_refunds_tranches_never_released(make_project, make_donor, pledge, make_user,
                                                    ledger_clean):
    from marketplace.ledger.services import project_totals

    project = make_project(state="open", goal_minor=10_000, objectives=2, tranche_minor=4000)
    pledge(make_donor(), project, "100")
    db.session.refresh(project)
    first, second = project.objectives
    services.post_progress_report(project.owner, project, "", {first.id: (60.0, "")})
    services.verify_objective(make_user(roles=["moderator"]), first)
    second.due_at = utcnow() - timedelta(days=1)  # missed
    services.complete_project(project)
    db.session.commit()
    totals = project_totals(project.id)
    assert (totals["released"], totals["refunded"], totals["balance"]) == (4000, 6000, 0)
    assert project.state == ProjectState.COMPLETED
    assert ledger_clean() == []


def test_only_published_practices_can_be_linked(app, make_user, make_practice):
    owner = make_user()
    published, draft = make_practice(), make_practice(owner=owner, status="draft")
    with app.test_request_context():
        with pytest.raises(InvalidInput) as err:
            services.propose_project(owner, title="Kiosks", currency="EUR", goal_minor=100_00,
                                     practice_ids=[published.id, draft.id])
        assert err.value.field == "practices"
        project = services.propose_project(owner, title="Kiosks", currency="EUR",
                                           goal_minor=100_00, practice_ids=[published.id])
        assert project.practices == [published]
