"""The demo seeder gives every benchmark page at least five published case studies."""

import re

from sqlalchemy import func, select

from marketplace.cases import demo
from marketplace.cases.models import CaseStudy, Metric, MetricDefinition
from marketplace.extensions import db


def test_demo_cases_make_meaningful_benchmarks(app, client, monkeypatch):
    from marketplace.accounts import demo as accounts_demo
    from marketplace.knowledge import demo as knowledge_demo

    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", "demo-Password-for-tests-1")
    with app.test_request_context():
        accounts_demo.seed()
        knowledge_demo.seed()
        demo.seed()
    db.session.commit()
    published = db.session.scalar(
        select(func.count(CaseStudy.id)).where(CaseStudy.status == "published"))
    assert published >= 10
    cases = db.session.scalars(select(CaseStudy)).all()
    assert all(len(c.revisions) == 2 for c in cases)
    assert sum(1 for c in cases if c.practices) >= 12  # linked to the knowledge demo
    page = client.get("/cases/open-procurement-data-in-a-spanish-region").get_data(as_text=True)
    assert "A regional open data portal with user requests" in page
    for definition in db.session.scalars(select(MetricDefinition)):
        page = client.get(f"/benchmarks/{definition.slug}").get_data(as_text=True)
        n = int(re.search(r"N = (\d+)", page).group(1))
        assert n >= 5, definition.slug

    before = db.session.scalar(select(func.count(Metric.id)))
    demo.seed()  # idempotent: nothing twice
    assert db.session.scalar(select(func.count(Metric.id))) == before
