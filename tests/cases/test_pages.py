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
