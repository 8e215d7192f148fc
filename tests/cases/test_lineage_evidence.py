"""Evidence across the lineage: a practice's page and API roll up the case studies of its
adaptations (countries, who reports measured results, median and range per metric), counting
only what the reader may see."""

import lxml.html
from sqlalchemy import select

from marketplace.accounts import demo as accounts_demo
from marketplace.cases import demo as cases_demo
from marketplace.cases.lineage import lineage_evidence
from marketplace.extensions import db
from marketplace.knowledge import demo as knowledge_demo
from marketplace.knowledge import services
from marketplace.knowledge.models import Practice


def _adapt(app, parent, user, country, publish=True):
    with app.test_request_context():
        child = services.adapt_practice(parent, user, country, "Context", "Rationale")
        if publish:
            services.publish_practice(child)
        db.session.commit()
    return child


def _lineage(app, make_practice, make_user, make_metric_definition, make_case_study):
    make_metric_definition("budget-execution-rate", "higher", name="Budget execution", unit="%")
    make_metric_definition("response-time-days", "lower", name="Response time", unit="days")
    root = make_practice(title="Open budgets")
    ke = _adapt(app, root, make_user(), "KE")
    sn = _adapt(app, root, make_user(), "SN")
    co = _adapt(app, ke, make_user(), "CO")  # an adaptation of an adaptation
    silent = _adapt(app, root, make_user(), "MD")
    drafter = make_user()
    draft = _adapt(app, root, drafter, "UA", publish=False)
    make_case_study(title="Root case", practice_slugs=[root.slug],
                    metrics={"budget-execution-rate": (50, 60)})
    make_case_study(title="Kenya case", practice_slugs=[ke.slug],
                    metrics={"budget-execution-rate": (60, 80), "response-time-days": (30, 10)})
    make_case_study(title="Senegal case", practice_slugs=[sn.slug, ke.slug],  # counted once
                    metrics={"budget-execution-rate": (40, 45)})
    make_case_study(title="Colombia case", practice_slugs=[co.slug],
                    metrics={"response-time-days": (20, 25)})
    make_case_study(title="Draft case", status="draft", practice_slugs=[silent.slug],
                    metrics={"budget-execution-rate": (0, 100)})
    return root, ke, sn, co, silent, draft, drafter


def test_rollup_counts_only_what_the_reader_may_see(app, make_practice, make_user,
                                                    make_metric_definition, make_case_study):
    root, ke, sn, co, silent, draft, drafter = _lineage(
        app, make_practice, make_user, make_metric_definition, make_case_study)
    found = lineage_evidence(root, None)
    assert found.countries == ["CO", "KE", "MD", "SN"]
    assert [a.slug for a in found.reporting] == [ke.slug, sn.slug, co.slug]
    assert [a.slug for a in found.silent] == [silent.slug]  # its only case is a draft
    metrics = {m.slug: m for m in found.metrics}
    budget = metrics["budget-execution-rate"]
    # improvements: root +10, Kenya +20, Senegal +5 (one case linked twice counts once)
    assert (budget.cases, budget.median, budget.low, budget.high) == (3, 10, 5, 20)
    response = metrics["response-time-days"]
    # lower is better: Kenya 30→10 is +20, Colombia 20→25 is −5
    assert (response.cases, response.median, response.low, response.high) == (2, 7.5, -5, 20)

    assert draft.id not in {a.id for a in found.adaptations + found.silent}
    mine = lineage_evidence(root, drafter)  # the draft's author sees their draft adaptation
    assert draft.id in {a.id for a in mine.silent} and "UA" in mine.countries


def test_panel_on_the_practice_page_and_the_api(app, client, make_practice, make_user,
                                                make_metric_definition, make_case_study):
    root, ke, sn, co, silent, *_ = _lineage(
        app, make_practice, make_user, make_metric_definition, make_case_study)
    page = lxml.html.fromstring(client.get(f"/practices/{root.slug}").get_data(as_text=True))
    panel = page.xpath("//section[contains(@class, 'lineage-evidence')]")[0]
    text = " ".join(panel.text_content().split())
    assert "Adapted in 4 countries." in text
    assert "3 of 4 adaptations report measured results." in text
    rows = [[" ".join(c.text_content().split()) for c in tr.xpath("th|td")]
            for tr in panel.xpath(".//tbody/tr")]
    assert rows == [["Budget execution (%)", "3", "+10", "+5 to +20"],
                    ["Response time (days)", "2", "+7.5", "-5 to +20"]]
    assert panel.xpath(".//ul/li/a/@href") == [f"/practices/{silent.slug}"]

    body = client.get(f"/api/v1/practices/{root.slug}/evidence").get_json()
    assert body["adaptations"] == 4 and body["countries"] == ["CO", "KE", "MD", "SN"]
    assert [a["slug"] for a in body["silent"]] == [silent.slug]
    assert body["metrics"][0] == {
        "metric": "budget-execution-rate", "name": "Budget execution", "unit": "%",
        "direction": "higher", "cases": 3, "median_improvement": 10.0, "min_improvement": 5.0,
        "max_improvement": 20.0}
    assert client.get("/api/v1/practices/no-such/evidence").status_code == 404


def test_demo_practice_with_three_adaptations_reporting_metrics(app, client, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", "demo-Password-for-tests-1")
    accounts_demo.seed()
    knowledge_demo.seed()
    cases_demo.seed()
    db.session.commit()
    pb = db.session.scalar(select(Practice).where(
        Practice.title == "Participatory budgeting in district assemblies"))
    found = lineage_evidence(pb, None)
    assert len(found.reporting) >= 3 and found.countries == ["CO", "KE", "SN"]
    assert {m.slug: m.cases for m in found.metrics}["citizen-participation-rate"] == 4
    page = client.get(f"/practices/{pb.slug}").get_data(as_text=True)
    assert "Evidence across the lineage" in page
    cases_demo.seed()  # idempotent
    db.session.commit()
    assert len(lineage_evidence(pb, None).metrics) == len(found.metrics)
