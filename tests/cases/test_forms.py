"""The case-study form: bad input is a field error with a clear message, never a 500."""

import pytest

from marketplace.cases.models import CaseStudy
from marketplace.extensions import db


@pytest.fixture
def author(client, auth, make_user, make_metric_definition):
    make_metric_definition("budget-execution-rate")
    make_metric_definition("response-time-days", "lower")
    user = make_user()
    auth.login(user.email)
    return user


def post(client, **fields):
    data = {"title": "A case", "language": "en", "status": "draft", "country": "KE"}
    data.update(fields)
    return client.post("/cases/new", data=data)


def row(n=0, **values):
    return {f"metrics-{n}-{k}": v for k, v in values.items()}


@pytest.mark.parametrize("bad", ["abc", "12..5", "1e999", "NaN", "inf", "1,2,3,4.5.6", "--3"])
def test_bad_numbers_are_field_errors(client, author, bad):
    response = post(client, **row(definition="budget-execution-rate", baseline=bad, result="5"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter a number, for example 12.5." in html
    assert f'value="{bad}"' in html  # what the user typed is kept for correction
    assert db.session.query(CaseStudy).count() == 0


def test_values_without_a_metric_and_a_metric_without_values(client, author):
    response = post(client, **row(0, baseline="3", result="4"),
                    **row(1, definition="response-time-days", baseline="9"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose the metric measured." in html
    assert "Enter a number." in html


def test_same_metric_twice_is_refused(client, author):
    response = post(client, **row(0, definition="budget-execution-rate", baseline="1", result="2"),
                    **row(1, definition="budget-execution-rate", baseline="3", result="4"))
    assert response.status_code == 422
    assert "Report each metric only once." in response.get_data(as_text=True)


def test_period_end_before_start(client, author):
    response = post(client, period_start="2024-05-01", period_end="2023-01-01")
    assert response.status_code == 422
    assert "cannot end before it starts" in response.get_data(as_text=True)


def test_unknown_practice_and_coauthor(client, author):
    response = post(client, practices="no-such-practice")
    assert response.status_code == 422
    assert "No practice is published at" in response.get_data(as_text=True)
    response = post(client, coauthors="ghost@example.org")
    assert response.status_code == 422
    assert "No account uses ghost@example.org" in response.get_data(as_text=True)


def test_organization_of_someone_else_is_refused(client, author):
    from marketplace.accounts.models import Organization

    db.session.add(Organization(name="Not mine", slug="not-mine", type="ngo"))
    db.session.commit()
    org_id = db.session.query(Organization).one().id
    response = post(client, organization_id=str(org_id))
    assert response.status_code == 400  # not among the choices offered to this user
    assert db.session.query(CaseStudy).count() == 0


def test_grouped_and_negative_numbers_are_accepted(client, author):
    response = post(client, **row(definition="budget-execution-rate", baseline="1,234.5",
                                  result="-2", target=""))
    assert response.status_code == 302
    metric = db.session.query(CaseStudy).one().metrics[0]
    assert (metric.baseline, metric.result, metric.target) == (1234.5, -2.0, None)


def test_add_row_rerenders_with_one_more_row(client, author):
    response = post(client, add_row="1", **row(definition="budget-execution-rate",
                                               baseline="1", result="2"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="metrics-3-baseline"' in html and 'name="metrics-4-baseline"' not in html
    assert db.session.query(CaseStudy).count() == 0


def test_edit_with_an_error_rerenders_and_changes_nothing(client, author, make_case_study):
    case = make_case_study(owner=author, title="Before", metrics={"budget-execution-rate": (1, 2)})
    response = client.post(f"/cases/{case.slug}/edit", data={
        "title": "After", "language": "en", "status": "published", "country": "KE",
        "period_start": "2024-01-01", "period_end": "2020-01-01",
        **row(definition="budget-execution-rate", baseline="1", result="3")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "cannot end before it starts" in html and 'value="After"' in html
    db.session.expire_all()
    case = db.session.get(CaseStudy, case.id)
    assert case.title == "Before" and case.metrics[0].result == 2
    assert len(case.revisions) == 1


def test_edit_form_is_prefilled_in_the_readers_locale(client, author, make_case_study):
    case = make_case_study(owner=author, metrics={"budget-execution-rate": (71.5, 84)})
    html = client.get(f"/cases/{case.slug}/edit").get_data(as_text=True)
    assert 'value="71.5"' in html
    client.set_cookie("lang", "fr")
    html = client.get(f"/cases/{case.slug}/edit").get_data(as_text=True)
    assert 'value="71,5"' in html
    response = client.post(f"/cases/{case.slug}/edit", data={
        "title": case.title, "language": "en", "status": "published", "country": "KE",
        **row(definition="budget-execution-rate", baseline="71,5", result="85,25")})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseStudy, case.id).metrics[0].result == 85.25


@pytest.mark.parametrize("field", ["source_url", "evidence_url"])
def test_links_must_be_web_addresses_in_the_service_too(author, make_metric_definition, field):
    from marketplace.cases import services
    from marketplace.errors import InvalidInput

    make_metric_definition("attendance")
    link = "javascript://example.org/%0aalert(1)"  # WTForms' URL() lets this one through
    metric = services.MetricInput("attendance", 1.0, 2.0, evidence_url=link if field == "evidence_url" else "")
    data = services.CaseInput(title="T", source_url=link if field == "source_url" else "", metrics=[metric])
    with pytest.raises(InvalidInput, match="http:// or https://"):
        services.create_case_study(author, data)



@pytest.mark.parametrize("huge", ["99999999999999999999999", "-1e16", "1,000,000,000,000,001"])
def test_numbers_beyond_the_bounds_are_field_errors(client, author, huge):
    response = post(client, **row(definition="budget-execution-rate", baseline=huge, result="5"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter a number between -1,000,000,000,000,000 and 1,000,000,000,000,000." in html
    assert f'value="{huge}"' in html
    assert db.session.query(CaseStudy).count() == 0


def test_a_huge_value_stored_before_the_bounds_still_opens_the_edit_page(client, author, make_case_study):
    from sqlalchemy import update

    from marketplace.cases.models import Metric

    case = make_case_study(owner=author, metrics={"budget-execution-rate": (3.0, 5.0)})
    db.session.execute(update(Metric).values(baseline=1e23))
    db.session.commit()
    response = client.get(f"/cases/{case.slug}/edit")
    assert response.status_code == 200
    assert 'value="1e+23"' in response.get_data(as_text=True)
