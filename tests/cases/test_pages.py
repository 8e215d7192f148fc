"""Case-study pages as a reader and as an author sees them."""

from marketplace.cases.models import CaseStudy
from marketplace.extensions import db


def test_case_page_shows_sections_and_where_each_metric_stands(client, make_metric_definition,
                                                               make_case_study):
    make_metric_definition("response-time-days", "lower", unit="days")
    make_case_study(title="Slow city", metrics={"response-time-days": (30, 28)})
    make_case_study(title="Fast city", metrics={"response-time-days": (30, 10)})
    case = make_case_study(title="Our city", context="We had **long** queues.",
                           metrics={"response-time-days": (30, 20)})
    page = client.get(f"/cases/{case.slug}").get_data(as_text=True)
    assert "<strong>long</strong>" in page
    assert "Percentile 50" in page
    assert "rank 2 of N = 3" in page
    assert f"/benchmarks/response-time-days?case={case.slug}" in page
    assert "+10" in page


def test_browse_lists_published_and_filters_by_country(client, make_case_study):
    make_case_study(title="Kenyan case", country="KE")
    make_case_study(title="Brazilian case", country="BR")
    page = client.get("/cases/?country=BR").get_data(as_text=True)
    assert "Brazilian case" in page and "Kenyan case" not in page
    assert "Kenyan case" in client.get("/cases/").get_data(as_text=True)


def test_create_case_study_with_metrics(client, auth, make_user, make_metric_definition):
    make_metric_definition("school-attendance-rate")
    user = make_user()
    auth.login(user.email)
    assert client.get("/cases/new").status_code == 200
    response = client.post("/cases/new", data={
        "title": "Attendance in Thiès", "country": "SN", "language": "fr", "status": "published",
        "context": "Context", "metrics-0-definition": "school-attendance-rate",
        "metrics-0-baseline": "71.5", "metrics-0-result": "84", "metrics-0-target": "90",
        "metrics-0-period_label": "2019–2022", "message": "First version",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.query(CaseStudy).one()
    assert case.owner_id == user.id and case.status == "published"
    assert [(m.baseline, m.result, m.target) for m in case.metrics] == [(71.5, 84.0, 90.0)]
    assert [r.number for r in case.revisions] == [1]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Attendance in Thiès" in page and "71.5" in page


def test_practice_links_theme_filter_and_practice_include(app, client, make_user, make_practice,
                                                          make_case_study):
    from flask import render_template_string
    from flask_login import login_user

    health = make_practice(title="Clinic booking", themes=["health"])
    schools = make_practice(title="School committees", themes=["education"])
    owner = make_user()
    make_case_study(title="Booking in Chennai", practice_slugs=[health.slug])
    make_case_study(owner=owner, title="Secret school draft", status="draft",
                    practice_slugs=[schools.slug])
    make_case_study(title="Committees in Thiès", practice_slugs=[schools.slug])

    page = client.get("/cases/?theme=education").get_data(as_text=True)
    assert "Committees in Thiès" in page and "Booking in Chennai" not in page
    assert "Secret school draft" not in page
    case_page = client.get("/cases/booking-in-chennai").get_data(as_text=True)
    assert f'href="/practices/{health.slug}"' in case_page and "Clinic booking" in case_page

    include = '{% include "cases/_for_practice.html" %}'
    with app.test_request_context("/"):
        html = render_template_string(include, practice=schools)
        assert "Committees in Thiès" in html and "Secret school draft" not in html
    with app.test_request_context("/"):
        login_user(owner)
        html = render_template_string(include, practice=schools)
        assert "Secret school draft" in html


def test_draft_practice_of_someone_else_cannot_be_linked(client, auth, make_user, make_practice):
    hidden = make_practice(title="Hidden", status="draft")
    auth.login(make_user().email)
    response = client.post("/cases/new", data={"title": "T", "language": "en", "status": "draft",
                                               "practices": hidden.slug})
    assert response.status_code == 422
    assert "No practice is published at" in response.get_data(as_text=True)
    shown = make_practice(title="Shown")
    response = client.post("/cases/new", data={
        "title": "T", "language": "en", "status": "draft",
        "practices": f"https://example.org/practices/{shown.slug}/\n\n{shown.slug}"})
    assert response.status_code == 302
    assert [p.title for p in db.session.query(CaseStudy).one().practices] == ["Shown"]
