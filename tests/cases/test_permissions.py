"""Drafts stay with their authors and moderators, everywhere; only they edit; no IDOR."""

import pytest

from marketplace.cases.models import CaseStudy
from marketplace.extensions import db


@pytest.fixture
def people(make_user):
    return {"owner": make_user(email="owner@example.org"),
            "coauthor": make_user(email="co@example.org"),
            "other": make_user(email="other@example.org"),
            "moderator": make_user(email="mod@example.org", roles=["moderator"])}


@pytest.fixture
def draft(people, make_metric_definition, make_case_study):
    make_metric_definition("budget-execution-rate")
    make_case_study(title="Public case", metrics={"budget-execution-rate": (50, 60)})
    return make_case_study(owner=people["owner"], title="Secret draft", status="draft",
                           coauthor_emails=["co@example.org"],
                           metrics={"budget-execution-rate": (50, 99)})


PAGES = ["/cases/{slug}", "/cases/{slug}/history", "/cases/{slug}/diff?from=1&to=1"]


@pytest.mark.parametrize("who", [None, "other"])
def test_draft_pages_are_404_for_others(client, auth, people, draft, who):
    if who:
        auth.login(people[who].email)
    for url in PAGES:
        assert client.get(url.format(slug=draft.slug)).status_code == 404
    assert "Secret draft" not in client.get("/cases/").get_data(as_text=True)
    assert "Secret draft" not in client.get("/cases/?status=draft").get_data(as_text=True)
    bench = client.get("/benchmarks/budget-execution-rate").get_data(as_text=True)
    assert "Secret draft" not in bench and "N = 1" in bench
    assert "Secret draft" not in client.get(
        f"/benchmarks/budget-execution-rate?case={draft.slug}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["owner", "coauthor", "moderator"])
def test_draft_is_visible_to_authors_and_moderators(client, auth, people, draft, who):
    auth.login(people[who].email)
    for url in PAGES:
        assert client.get(url.format(slug=draft.slug)).status_code == 200
    assert "Secret draft" in client.get("/cases/").get_data(as_text=True)
    assert client.get(f"/cases/{draft.slug}/edit").status_code == 200
    # still never counted among benchmark peers
    bench = client.get("/benchmarks/budget-execution-rate").get_data(as_text=True)
    assert "Secret draft" not in bench and "N = 1" in bench
    # but its own page says where it would stand: best of 2
    assert "rank 1 of N = 2" in client.get(f"/cases/{draft.slug}").get_data(as_text=True)


def test_other_member_cannot_edit_or_revert_a_published_case(client, auth, people,
                                                             make_case_study):
    case = make_case_study(owner=people["owner"], title="Mine")
    auth.login(people["other"].email)
    assert client.get(f"/cases/{case.slug}/edit").status_code == 403
    response = client.post(f"/cases/{case.slug}/edit", data={"title": "Hijacked",
                                                             "language": "en"})
    assert response.status_code == 403
    assert client.post(f"/cases/{case.slug}/revert/1").status_code == 403
    db.session.expire_all()
    assert db.session.get(CaseStudy, case.id).title == "Mine"


def test_anonymous_is_sent_to_login(client, people, make_case_study):
    case = make_case_study(owner=people["owner"])
    assert client.get(f"/cases/{case.slug}/edit").status_code == 302
    assert client.get("/cases/new").status_code == 302


def test_moderator_edits_any_case(client, auth, people, make_case_study):
    case = make_case_study(owner=people["owner"], title="Mine")
    auth.login(people["moderator"].email)
    response = client.post(f"/cases/{case.slug}/edit", data={
        "title": "Mine, corrected", "language": "en", "status": "published", "country": "KE"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseStudy, case.id).title == "Mine, corrected"


def test_only_moderators_manage_metric_definitions(client, auth, people,
                                                  make_metric_definition):
    make_metric_definition("budget-execution-rate")
    auth.login(people["other"].email)
    assert client.get("/benchmarks/new").status_code == 403
    assert client.post("/benchmarks/new", data={"slug": "x", "name": "X",
                                                "direction": "higher"}).status_code == 403
    assert client.get("/benchmarks/budget-execution-rate/edit").status_code == 403
    auth.logout()
    auth.login(people["moderator"].email)
    response = client.post("/benchmarks/new", data={
        "slug": "waiting-days", "name": "Waiting days", "unit": "days", "direction": "lower"})
    assert response.status_code == 302
    page = client.get("/benchmarks/").get_data(as_text=True)
    assert "Waiting days" in page and "Lower is better" in page


def test_metric_definition_slug_is_unique_and_stable(client, auth, people,
                                                     make_metric_definition):
    make_metric_definition("budget-execution-rate", name="Budget execution")
    auth.login(people["moderator"].email)
    response = client.post("/benchmarks/new", data={
        "slug": "budget-execution-rate", "name": "Again", "direction": "higher"})
    assert response.status_code == 422
    assert "already uses this slug" in response.get_data(as_text=True)
    response = client.post("/benchmarks/budget-execution-rate/edit", data={
        "slug": "renamed", "name": "Budget execution (share)", "direction": "higher"})
    assert response.status_code == 302
    assert client.get("/benchmarks/budget-execution-rate").status_code == 200
    assert client.get("/benchmarks/renamed").status_code == 404


def test_an_author_cannot_link_their_own_draft_practice(client, auth, people, make_practice,
                                                        make_case_study):
    from marketplace.cases import services
    from marketplace.errors import InvalidInput
    from marketplace.knowledge.services import set_coauthors_by_email

    draft_practice = make_practice(owner=people["owner"], title="Unpublished method",
                                   status="draft")
    set_coauthors_by_email(draft_practice, "co@example.org")  # the case's co-author may see it
    case = make_case_study(owner=people["owner"], title="Public case",
                           coauthor_emails=["co@example.org"])
    with pytest.raises(InvalidInput, match="No practice is published at"):
        services.update_case_study(case, people["coauthor"], services.CaseInput(
            title="Public case", status="published", practice_slugs=[draft_practice.slug]))
    db.session.rollback()
    auth.login(people["coauthor"].email)
    response = client.post("/cases/new", data={"title": "T", "language": "en", "status": "published",
                                               "practices": draft_practice.slug})
    assert response.status_code == 422
    assert "No practice is published at" in response.get_data(as_text=True)


def _link_as_before_the_fix(case, practice, author):
    """Case studies saved before drafts were refused may still name one, in a revision too."""
    from marketplace.cases import services

    case.practices.append(practice)
    db.session.flush()
    services.record_revision(case, author, "linked a draft")
    db.session.commit()


def test_a_draft_practice_linked_to_a_published_case_stays_hidden(client, auth, people,
                                                                  make_practice,
                                                                  make_case_study):
    draft_practice = make_practice(owner=people["owner"], title="Unpublished method",
                                   status="draft")
    case = make_case_study(owner=people["owner"], title="Public case",
                           coauthor_emails=["co@example.org"])
    _link_as_before_the_fix(case, draft_practice, people["owner"])
    pages = [f"/cases/{case.slug}", f"/cases/{case.slug}/history", f"/cases/{case.slug}/diff?from=1&to=2",
             f"/api/v1/case-studies/{case.slug}", "/api/v1/case-studies", "/open-data/case-studies.csv",
             "/open-data/case-studies.jsonl"]

    def leaks():
        bodies = [client.get(url).get_data(as_text=True).lower() for url in pages]
        return [url for url, body in zip(pages, bodies, strict=True)
                if "unpublished method" in body or draft_practice.slug in body]

    assert client.get(pages[2]).status_code == 200
    assert leaks() == []
    auth.login(people["coauthor"].email)  # co-author of the case, not of the practice
    assert leaks() == []
    edit = client.get(f"/cases/{case.slug}/edit").get_data(as_text=True)
    assert draft_practice.slug not in edit
    auth.logout()
    auth.login(people["owner"].email)
    assert "Unpublished method" in client.get(f"/cases/{case.slug}").get_data(as_text=True)
    assert draft_practice.slug in client.get(pages[2]).get_data(as_text=True)
