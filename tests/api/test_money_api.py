"""Projects and pledges through the API, with idempotency keys."""

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.sponsorship.models import Pledge
from tests.api.test_core import make_token


def test_pledge_with_idempotency_key_and_replay(client, make_open_project, make_donor, make_user):
    project = make_open_project(goal_minor=10_000)
    donor = make_donor()
    headers = {**make_token(donor, ["pledge"]), "Idempotency-Key": "key-00000001"}
    first = client.post(f"/api/v1/projects/{project.slug}/pledges", headers=headers, json={"amount": "25.50"})
    assert first.status_code == 201, first.json
    assert first.json["amount"] == "25.50" and first.json["currency"] == "EUR"
    replay = client.post(f"/api/v1/projects/{project.slug}/pledges", headers=headers, json={"amount": "25.50"})
    assert replay.status_code == 200 and replay.json["id"] == first.json["id"]
    other = client.post(f"/api/v1/projects/{project.slug}/pledges", headers=headers, json={"amount": "30"})
    assert other.status_code == 409 and other.headers["Content-Type"] == "application/problem+json"
    assert db.session.scalar(select(func.count(Pledge.id))) == 1
    from marketplace.notifications.models import Notification

    # The owner hears of it as from the page, once (not again for the replay).
    notes = db.session.scalars(select(Notification).where(Notification.recipient_id == project.owner_id)).all()
    assert len(notes) == 1 and "25.50" in notes[0].message
    assert client.get(f"/api/v1/pledges/{first.json['id']}", headers=headers).json["status"] in ("confirmed", "pledged")
    stranger = make_token(make_user(), ["pledge"])
    assert client.get(f"/api/v1/pledges/{first.json['id']}", headers=stranger).status_code == 404


def test_replaying_the_pledge_that_reached_the_goal_returns_its_first_result(app, client, make_open_project,
                                                                            make_donor):
    app.config["PAYMENT_PROVIDER"] = "instant"
    project = make_open_project(goal_minor=10_000)
    headers = {**make_token(make_donor(), ["pledge"]), "Idempotency-Key": "key-goal-0001"}
    url = f"/api/v1/projects/{project.slug}/pledges"
    first = client.post(url, headers=headers, json={"amount": "100"})
    assert (first.status_code, first.json["status"]) == (201, "confirmed")
    db.session.refresh(project)
    assert project.state == "funded"
    replay = client.post(url, headers=headers, json={"amount": "100"})
    assert replay.status_code == 200 and replay.json == first.json
    other_body = client.post(url, headers=headers, json={"amount": "50"})
    assert other_body.status_code == 409 and other_body.headers["Content-Type"] == "application/problem+json"
    new_key = client.post(url, headers={**headers, "Idempotency-Key": "key-goal-0002"}, json={"amount": "1"})
    assert (new_key.status_code, new_key.json["code"]) == (409, "project_funded")  # issue 11: not 403
    assert db.session.scalar(select(func.count(Pledge.id))) == 1


def test_pledge_errors(client, make_open_project, make_donor, make_user):
    project = make_open_project(goal_minor=10_000)
    headers = {**make_token(make_donor(), ["pledge"]), "Idempotency-Key": "key-00000002"}
    url = f"/api/v1/projects/{project.slug}/pledges"
    for amount in ("10.005", "-5", "1e3", "abc", "100000000000000000000"):
        response = client.post(url, headers=headers, json={"amount": amount})
        assert response.status_code == 422, amount
        assert response.json["errors"][0]["field"] == "amount"
    assert client.post(url, headers=headers, json={"amount": "10", "currency": "USD"}).status_code == 422
    no_key = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    assert client.post(url, headers=no_key, json={"amount": "10"}).status_code == 422
    not_donor = {**make_token(make_user(), ["pledge"]), "Idempotency-Key": "key-00000003"}
    assert client.post(url, headers=not_donor, json={"amount": "10"}).status_code == 403
    too_much = client.post(url, headers={**headers, "Idempotency-Key": "key-00000004"}, json={"amount": "101"})
    assert too_much.status_code == 409
    assert db.session.scalar(select(func.count(Pledge.id))) == 0


def test_project_detail_and_list(client, make_project):
    open_project = make_project(state="open", title="Open budget schools")
    draft = make_project(state="draft", title="Not yet")
    listing = client.get("/api/v1/projects").json
    assert [p["slug"] for p in listing["items"]] == [open_project.slug]
    detail = client.get(f"/api/v1/projects/{open_project.slug}").json
    assert detail["objectives"][0]["status"] == "on_track" and detail["goal"] == "1000.00"
    assert client.get(f"/api/v1/projects/{draft.slug}").status_code == 404


def test_a_projects_reports_come_latest_first_and_a_page_at_a_time(client, make_open_project):
    from marketplace.projects.services import post_progress_report

    project = make_open_project(title="Wells")
    for n in range(1, 13):
        post_progress_report(project.owner, project, f"Report {n}", {})
    db.session.commit()
    body = client.get(f"/api/v1/projects/{project.slug}").json
    assert body["report_count"] == 12
    assert [r["body_html"] for r in body["reports"]][:2] == ["<p>Report 12</p>\n", "<p>Report 11</p>\n"]
    assert len(body["reports"]) == 10
    pages = client.get(body["reports_url"] + "?per_page=5&page=3").json
    assert pages["total"] == 12 and [r["body_html"] for r in pages["items"]] == ["<p>Report 2</p>\n",
                                                                                "<p>Report 1</p>\n"]
    assert client.get("/api/v1/projects/no-such/reports").status_code == 404
