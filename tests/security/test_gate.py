"""Issue 11: the input gate and the errors it gives, one regression test per hole seen on main."""

import json
import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes
from lxml import etree
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.gate import FlaskForm, bounded_int, text_problem
from marketplace.knowledge.models import Practice
from marketplace.mail import outbox, send_mail
from marketplace.projects.forms import ProjectForm
from tests.security.hostile import all_form_classes

ROOT = Path(__file__).resolve().parents[2]


def _practice_form(**overrides):
    data = {"title": "Community scorecards", "summary": "Citizens rate services.",
            "problem": "Clinics ignore complaints.", "approach": "Quarterly scorecards.",
            "countries": ["KE"], "themes": ["health"], "level": "local", "language": "en",
            "licence": "CC-BY-4.0", "tags": "clinics, feedback", "message": ""}
    return {**data, **overrides}


@pytest.mark.parametrize("title, message", [
    ("Budget\x00leak", "control characters"),
    ("Budget\x0bleak", "control characters"),
    ("Budget\r\nBcc: x@example.org", "single line"),
    ("\u200b\u200b\u200b", "visible text"),
    ("\u202egnp.exe", "text-direction override"),
])
def test_practice_title_refuses_hostile_text_with_a_field_message(client, auth, make_user, title, message):
    auth.login(make_user().email)
    response = client.post("/practices/new", data=_practice_form(title=title))
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Practice)) == 0


def test_the_refusal_page_is_rendered_in_the_readers_language(client, auth, make_user):
    auth.login(make_user().email)
    client.set_cookie("lang", "fr")
    response = client.post("/practices/new", data=_practice_form(title="a\x00b"))
    assert response.status_code in (400, 422)
    assert "lang=\"fr\"" in response.get_data(as_text=True)


def test_text_is_stored_in_nfc(client, auth, make_user):
    auth.login(make_user().email)
    assert client.post("/practices/new", data=_practice_form(title="Cafe\u0301 budgets")).status_code == 302
    assert db.session.scalar(select(Practice.title)) == "Caf\u00e9 budgets"


def test_display_name_with_nul_is_refused_not_a_500(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    response = client.post("/settings/profile", data={"display_name": "Ana\x00", "bio": ""})
    assert response.status_code in (400, 422)
    db.session.refresh(user)
    assert "\x00" not in user.display_name


def test_mentor_id_superscript_two_is_no_500(client, auth, make_user):
    auth.login(make_user().email)
    response = client.post("/mentoring/request", data={"mentor_id": "²", "topic": "budgets", "goal": "learn"})
    assert response.status_code == 302
    assert bounded_int("²") is None and bounded_int("99999999999") is None and bounded_int("12") == 12


def test_api_filter_with_nul_is_a_problem_not_a_500(client):
    response = client.get("/api/v1/practices?org_type=a%00b")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["errors"][0]["field"] == "org_type"


def test_api_ids_beyond_integer_are_refused(client):
    response = client.get("/practices/x/diff?a=99999999999999999999&b=1")
    assert response.status_code == 422


def test_json_nested_1000_deep_is_a_400_problem(client):
    body = "[" * 1000 + "]" * 1000
    response = client.post("/api/v1/practices", data=body, content_type="application/json",
                           headers={"Authorization": "Bearer nope"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "nested too deeply" in response.json["detail"]


def test_json_strings_with_controls_are_refused(client):
    response = client.post("/api/v1/practices", data=json.dumps({"title": "a\u0000b"}),
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "title"


def test_invalid_date_says_so_not_field_required(app):
    with app.test_request_context(method="POST", data={"deadline": "2024-02-30"}):
        form = ProjectForm()
        form.validate()
        assert form.deadline.errors == ["Not a valid date value."]


def test_text_rules():
    assert text_problem("tab\tand\nline", multiline=True) is None
    assert text_problem("tab\tand", multiline=False)
    assert text_problem("\x85", multiline=True)  # C1
    assert text_problem("שלום", multiline=False) is None and text_problem("😀", multiline=False) is None


# --- stored text that predates the gate must still be served ---------------------------------

def test_feeds_and_iati_survive_a_stored_vertical_tab(client, make_practice, make_project):
    make_practice(title="Budget\x0bleak")
    project = make_project(state="open", title="Water\x0bpumps")
    response = client.get("/feeds/practices.atom")
    assert response.status_code == 200
    etree.fromstring(response.get_data())
    response = client.get(f"/open-data/projects/{project.slug}/iati.xml")
    assert response.status_code == 200
    etree.fromstring(response.get_data())


def test_mail_subject_with_crlf_is_delivered_on_one_line(app):
    send_mail("ana@example.org", "New reply: evil\r\nBcc: x@example.org", "body")
    msg = outbox()[-1]
    assert msg["Subject"] == "New reply: evil Bcc: x@example.org" and msg["Bcc"] is None


# --- one gate that a new form cannot bypass --------------------------------------------------

def test_every_form_uses_the_gated_base():
    offenders = [p for p in (ROOT / "marketplace").rglob("*.py")
                 if p.name != "gate.py" and re.search(r"from flask_wtf import .*FlaskForm", p.read_text())]
    assert offenders == []
    assert len(all_form_classes()) > 40 and all(issubclass(f, FlaskForm) for f in all_form_classes())


def _assigned_names(node):
    for child in node.find_all((nodes.Assign, nodes.For, nodes.Macro, nodes.AssignBlock)):
        targets = child.args if isinstance(child, nodes.Macro) else [child.target]
        for target in targets:
            yield from (n.name for n in target.find_all(nodes.Name)) if not isinstance(target, nodes.Name) \
                else [target.name]


def test_no_template_rebinds_the_translation_functions():
    env = Environment(extensions=["jinja2.ext.i18n"])
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        tree = env.parse(path.read_text())
        offenders += [f"{path.relative_to(ROOT)}: {name}" for name in _assigned_names(tree)
                      if name in ("_", "gettext", "ngettext")]
    assert offenders == []


# --- HTTP errors ----------------------------------------------------------------------------

def test_405_has_allow_for_pages_and_api(client):
    page = client.delete("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
    api = client.delete("/api/v1/practices")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
    assert api.headers["Content-Type"] == "application/problem+json"


def test_api_404_and_500_are_problem_json(app, client, monkeypatch):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    from marketplace.api import knowledge

    def boom(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(knowledge.queries, "browse_query", boom)
    app.testing = False  # let the 500 handler answer, as in production
    broken = client.get("/api/v1/practices")
    assert broken.status_code == 500 and broken.headers["Content-Type"] == "application/problem+json"


def test_database_outage_is_a_503_with_retry_after(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from marketplace.api import knowledge

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(knowledge.queries, "browse_query", down)
    api = client.get("/api/v1/practices")
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.headers["Content-Type"] == "application/problem+json"


def test_every_api_write_refuses_deep_or_hostile_json_with_a_problem(app, client):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.methods & {"POST", "PATCH"}]
    answers = {}
    for rule in rules:
        path = app.url_map.bind("localhost").build(rule.endpoint, dict.fromkeys(rule.arguments, "1"))
        method = "POST" if "POST" in rule.methods else "PATCH"
        for body in ("[" * 1000 + "]" * 1000, json.dumps({"title": "a\u0000b", "body": "\ud800"})):
            response = client.open(path, method=method, data=body, content_type="application/json")
            answers[(rule.rule, body[:5])] = (response.status_code, response.headers["Content-Type"])
    assert len(rules) >= 5
    assert {k: v for k, v in answers.items() if v[0] not in (400, 422) or v[1] != "application/problem+json"} == {}


def test_an_oversized_body_is_a_413_problem(client):
    response = client.post("/api/v1/practices", data=b"[" + b"1," * (3 * 1024 * 1024) + b"1]",
                           content_type="application/json")
    assert response.status_code == 413 and response.headers["Content-Type"] == "application/problem+json"
