"""Open data exports: CSV/JSONL of public practices and case studies, and IATI 2.03 XML."""

import csv
import importlib.util
import io
import json
from pathlib import Path

import pytest
from lxml import etree

from marketplace.extensions import db


def iati_schema():
    spec = importlib.util.find_spec("iati")  # pyIATI ships the XSDs; we never import it
    if spec is None:
        pytest.fail("pyIATI is not installed (make install adds it with --no-deps)")
    base = Path(spec.submodule_search_locations[0]) / "resources/standard/2-03/schemas"
    return etree.XMLSchema(etree.parse(str(base / "iati-activities-schema.xsd")))


def test_practice_exports_public_only_and_formula_safe(client, make_practice):
    make_practice(title="=HYPERLINK(\"http://evil\")", summary="+cmd|' /C calc'!A0", licence="CC-BY-SA-4.0")
    make_practice(title="Hidden draft", status="draft")
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/practices.csv").get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"http://evil\")"]
    assert rows[0]["summary"].startswith("'+") and rows[0]["licence"] == "CC-BY-SA-4.0"
    lines = client.get("/open-data/practices.jsonl").get_data(as_text=True).splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 1 and records[0]["licence"] == "CC-BY-SA-4.0"
    assert records[0]["title"].startswith("=")  # JSON is data, not a spreadsheet: kept verbatim


def test_case_study_exports_carry_metrics(client, app, make_case_study):
    case = make_case_study(title="Open contracting in Kyiv")
    make_case_study(title="Unpublished", status="draft")
    records = [json.loads(x) for x in client.get("/open-data/case-studies.jsonl").get_data(as_text=True).splitlines()]
    assert [r["title"] for r in records] == ["Open contracting in Kyiv"]
    assert records[0]["metrics"] == [
        {"metric": m.definition.slug, "name": m.definition.name, "unit": m.definition.unit,
         "direction": m.definition.direction, "baseline": m.baseline, "result": m.result,
         "target": m.target, "period": m.period_label, "evidence_url": m.evidence_url} for m in case.metrics]
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/case-studies.csv").get_data(as_text=True))))
    assert rows[0]["licence"] == "CC-BY-4.0" and rows[0]["title"] == "Open contracting in Kyiv"


def test_iati_activity_validates_and_carries_money_and_results(client, app, make_open_project, make_donor,
                                                               pledge, make_objective, make_user):
    from marketplace.projects.services import post_progress_report, verify_objective

    project = make_open_project(goal_minor=10_000)
    objective = make_objective(project, tranche_minor=4_000, baseline=0.0, target=10.0)
    pledge(make_donor(name="Named Donor"), project, "60")
    pledge(make_donor(name="Secret Donor", anonymous=True), project, "40", is_anonymous=True)
    reviewer = make_user(roles=["moderator"])
    with app.test_request_context():
        post_progress_report(project.owner, project, "Done", {objective.id: (12.0, "https://example.org/e")})
        verify_objective(reviewer, objective)
        db.session.commit()
    response = client.get(f"/open-data/projects/{project.slug}/iati.xml")
    assert response.status_code == 200
    doc = etree.fromstring(response.data)
    schema = iati_schema()
    assert schema.validate(doc), schema.error_log
    assert doc.find(".//budget/value").text == "100.00"
    transactions = [(t.find("transaction-type").get("code"), t.find("value").text) for t in doc.iter("transaction")]
    assert sorted(transactions) == [("1", "40.00"), ("1", "60.00"), ("3", "40.00")]
    assert doc.find(".//result/indicator/period/actual").get("value") == "12"
    assert doc.find(".//result/indicator/period/target").get("value") == "10"
    text = response.get_data(as_text=True)
    assert "Secret Donor" not in text and "Anonymous" in text


def test_iati_hidden_for_unapproved_projects(client, make_open_project):
    project = make_open_project(state="draft")
    assert client.get(f"/open-data/projects/{project.slug}/iati.xml").status_code == 404


def test_open_data_page_links_everything(client):
    page = client.get("/open-data/").get_data(as_text=True)
    for href in ("/open-data/practices.csv", "/open-data/case-studies.jsonl", "/feeds/practices.atom",
                 "/api/v1/docs"):
        assert href in page
    assert 'rel="alternate" type="application/atom+xml"' in client.get("/").get_data(as_text=True)
