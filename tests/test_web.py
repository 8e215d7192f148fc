"""The view plumbing in marketplace/web.py and marketplace/paging.py: the action helper,
refusals that commit nothing, and page numbers that never reach the database unbounded."""

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from marketplace.accounts.models import AuditEvent, Organization
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.paging import MAX_PAGE, Page, page_number, per_page_number
from marketplace.web import act, require


class NameForm(FlaskForm):
    name = StringField("Name")


def _org(name: str) -> Organization:
    org = Organization(name=name, slug=name.lower(), type="ngo", country="KE")
    db.session.add(org)
    db.session.flush()
    return org


def _orgs(name: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Organization)
                             .where(Organization.name == name))


@pytest.fixture
def routes(app):
    """Three views built on act() and require(), on the test's app."""

    def save():
        form = NameForm()
        name = form.name.data or ""

        def run():
            _org(name)
            if name == "Taken":
                raise Conflict("That name is taken.", "name")
            if name == "Odd":
                raise InvalidInput(None, "Something is odd.")
            return name

        return act(run, success=lambda n: f"Saved {n}.", to="/organizations/", form=form,
                   template="organizations/form.html", context={"org": None})

    def flash_only():
        return act(lambda: (_org("Flashed"), _raise()), to="/organizations/")

    def refuse():
        _org("Pending")  # in the session, not committed
        require(False)

    def _raise():
        raise Conflict("Nope.")

    app.add_url_rule("/_t/save", "t_save", save, methods=["POST"])
    app.add_url_rule("/_t/flash", "t_flash", flash_only, methods=["POST"])
    app.add_url_rule("/_t/refuse", "t_refuse", refuse, methods=["POST"])


def test_act_commits_once_flashes_and_redirects(client, routes):
    response = client.post("/_t/save", data={"name": "Kijani"})
    assert response.status_code == 302 and response.location.endswith("/organizations/")
    assert _orgs("Kijani") == 1
    with client.session_transaction() as session:
        assert ("success", "Saved Kijani.") in session["_flashes"]


def test_act_puts_a_domain_error_on_its_field_with_its_status(client, routes):
    response = client.post("/_t/save", data={"name": "Taken"})
    assert response.status_code == 409
    assert "That name is taken." in response.get_data(as_text=True)
    assert _orgs("Taken") == 0  # rolled back


def test_act_puts_a_fieldless_error_on_the_form(client, routes):
    response = client.post("/_t/save", data={"name": "Odd"})
    assert response.status_code == 422
    assert "Something is odd." in response.get_data(as_text=True)
    assert _orgs("Odd") == 0


def test_act_without_a_form_flashes_the_error(client, routes):
    response = client.post("/_t/flash")
    assert response.status_code == 302
    assert _orgs("Flashed") == 0
    with client.session_transaction() as session:
        assert ("error", "Nope.") in session["_flashes"]


def test_a_refusal_commits_nothing_but_is_audited(client, auth, routes, make_user):
    user = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/_t/refuse")
    assert response.status_code == 403
    db.session.rollback()
    assert _orgs("Pending") == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "authz.denied"))
    assert event.actor_id == user.id
    assert event.detail["path"] == "/_t/refuse" and event.detail["method"] == "POST"


@pytest.mark.parametrize("raw, expected", [
    (None, 1), ("", 1), ("abc", 1), ("0", 1), ("-1", 1), ("2", 2), (" 3 ", 3), ("1.5", 1),
    ("99999999999999999999", MAX_PAGE),
])
def test_page_numbers_are_bounded(raw, expected):
    assert page_number(raw) == expected


def test_per_page_is_bounded():
    assert [per_page_number(v, 20, 100) for v in (None, "x", "0", "-5", "50", "100000")] == [
        20, 20, 1, 1, 50, 100]


def test_page_shape_for_the_pagination_macro():
    page = Page(list(range(5)), 2, 5, 12)
    assert (page.pages, page.has_prev, page.has_next, page.prev_num, page.next_num) == (
        3, True, True, 1, 3)
    assert Page([], 1, 20, 0).pages == 1 and not Page([], 1, 20, 0).has_next
    assert page.map(str).items == ["0", "1", "2", "3", "4"] and page.map(str).total == 12


LISTS = ["/communities/", "/organizations/", "/practices/", "/cases/", "/projects/",
         "/mentoring/experts", "/search?q=water"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999"])
def test_no_page_number_breaks_a_list(client, make_practice, indexed, path, page):
    make_practice(title="Water kiosks")
    indexed()  # the search page needs its index
    sep = "&" if "?" in path else "?"
    assert client.get(f"{path}{sep}page={page}").status_code == 200


def test_a_page_past_the_end_shows_the_last_page(client, make_community):
    for n in range(3):
        make_community(name=f"Group {n}")
    body = client.get("/communities/?page=99999999999999999999").get_data(as_text=True)
    assert "Group 0" in body


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=99999999999999999999",
                                   "per_page=100000", "per_page=abc"])
def test_api_pages_never_fail_with_500(client, query):
    response = client.get(f"/api/v1/practices?{query}")
    assert response.status_code in (200, 422), response.status_code


def test_api_envelope_links(client, make_practice):
    for _ in range(3):
        make_practice()
    body = client.get("/api/v1/practices?per_page=2").get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 3)
    assert body["links"]["prev"] is None and "page=2" in body["links"]["next"]


def test_this_url_keeps_the_query_and_the_script_root(app):
    from marketplace.web import this_url

    with app.test_request_context("/moderation/flags?flags_page=2&x=%3C", base_url="http://localhost/mounted"):
        assert this_url() == "/mounted/moderation/flags?flags_page=2&x=%3C"
    with app.test_request_context("/projects/mine"):
        assert this_url() == "/projects/mine"
