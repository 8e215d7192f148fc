"""The case page and the benchmark page run a fixed number of queries as peers grow."""

import pytest

from marketplace.extensions import db
from tests.queries import QueryCounter

METRICS = ["budget-execution-rate", "citizen-participation-rate", "response-time-days"]


def count(client, path):
    db.session.expire_all()
    with QueryCounter(db.engine) as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count


@pytest.fixture
def grow(make_user, make_metric_definition, make_case_study):
    from marketplace.accounts.models import Organization

    for slug in METRICS:
        make_metric_definition(slug, "lower" if "time" in slug else "higher")
    orgs = []
    for i in range(3):
        orgs.append(Organization(name=f"Org {i}", slug=f"org-{i}", type="ngo", country="KE"))
        db.session.add(orgs[-1])
    db.session.commit()
    countries = ["KE", "BR", "FR", "IN", "CO"]

    def factory(n):
        for i in range(n):
            make_case_study(title=f"Peer {i}", country=countries[i % 5],
                            organization_id=orgs[i % 3].id,
                            coauthor_emails=[make_user().email],
                            metrics={slug: (10 + i, 20 + i) for slug in METRICS})

    return factory


@pytest.mark.parametrize("signed_in", [False, True])
def test_case_and_benchmark_pages_do_not_grow(client, auth, make_user, make_case_study,
                                              make_practice, grow, signed_in):
    owner = make_user()
    practices = [make_practice(title=f"Practice {i}").slug for i in range(3)]
    grow(1)
    case = make_case_study(owner=owner, title="Ours", practice_slugs=practices,
                           coauthor_emails=[make_user().email, make_user().email],
                           metrics={slug: (5, 9) for slug in METRICS})
    if signed_in:
        auth.login(owner.email)
    pages = [f"/cases/{case.slug}", "/benchmarks/response-time-days", "/cases/",
             "/benchmarks/", f"/benchmarks/budget-execution-rate?region=africa&case={case.slug}"]
    small = [count(client, p) for p in pages]
    grow(30)
    big = [count(client, p) for p in pages]
    assert big == small
    assert max(small) <= 12
