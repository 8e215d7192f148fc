"""The security baseline (ARCHITECTURE §6), with CSRF protection on as in production."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.routing.converters import NumberConverter

from marketplace import create_app
from marketplace.accounts.models import AuditEvent, OrganizationMember, User
from marketplace.accounts.services import create_organization
from marketplace.extensions import db
from marketplace.web import safe_next
from tests.conftest import PASSWORD, base_config, database_url

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
GENERIC_LOGIN_ERROR = "The email or password is not correct."


@pytest.fixture
def app_config(schema_template, tmp_path):
    return base_config(
        tmp_path, DATABASE_URL=database_url(schema_template, tmp_path), WTF_CSRF_ENABLED=True
    )


def csrf(client, path="/login") -> str:
    return TOKEN_RE.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, path, data=None, token_from="/login"):
    return client.post(path, data={"csrf_token": csrf(client, token_from), **(data or {})})


def login(client, email, password=PASSWORD, **extra):
    return post(client, "/login", {"email": email, "password": password, **extra})


def is_signed_in(client) -> bool:
    return client.get("/settings/profile").status_code == 200


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def fresh_client_with(app, cookies: dict):
    other = app.test_client()
    for key, value in cookies.items():
        other.set_cookie(key, value, domain="localhost")
    return other


def set_cookie_header(response, name) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))


# --- CSRF and no state change on GET ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/register", "/login", "/language", "/forgot-password"])
def test_anonymous_post_without_csrf_token_is_refused(client, path):
    response = client.post(path, data={
        "email": "mallory@example.org", "display_name": "M", "password": "quartz-Meadow-lantern-77",
        "lang": "fr", "next": "/",
    })
    assert response.status_code == 400
    assert "This form has expired or was not sent from this site." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert "lang" not in {c.key for c in client._cookies.values()}


@pytest.mark.parametrize("path", [
    "/logout", "/settings/profile", "/settings/password", "/settings/email", "/settings/delete",
    "/language",
])
def test_signed_in_post_without_csrf_token_changes_nothing(client, make_user, path):
    user = make_user(email="ana@example.org", name="Ana")
    login(client, "ana@example.org")
    response = client.post(path, data={
        "display_name": "Hijacked", "current_password": PASSWORD, "new_password": "x" * 20,
        "password": PASSWORD, "confirm": "y", "email": "evil@example.org", "lang": "fr",
    })
    assert response.status_code == 400
    assert is_signed_in(client)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.display_name, user.email, user.is_deleted, user.locale) == (
        "Ana", "ana@example.org", False, None)


def test_a_bare_button_post_without_csrf_token_is_refused(client, make_user, make_community):
    """Confirm buttons have no form class: the global CSRFProtect alone guards them."""
    from marketplace.communities.models import CommunityMember

    community = make_community()
    user = make_user(email="ana@example.org")
    login(client, "ana@example.org")
    members = select(func.count()).select_from(CommunityMember).where(
        CommunityMember.user_id == user.id)
    assert client.post(f"/communities/{community.slug}/join").status_code == 400
    assert db.session.scalar(members) == 0
    joined = post(client, f"/communities/{community.slug}/join",
                  token_from=f"/communities/{community.slug}/")
    assert joined.status_code == 302
    assert db.session.scalar(members) == 1


def test_a_wrong_csrf_token_is_refused(client, make_user):
    make_user(email="ana@example.org")
    response = client.post("/login", data={
        "csrf_token": "forged", "email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert not is_signed_in(client)


def test_logout_by_get_is_not_allowed(client, make_user):
    make_user(email="ana@example.org")
    login(client, "ana@example.org")
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


def _snapshot() -> dict:
    """Every row of every table except the audit log (refusals are logged on GET by design)."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name == "audit_event":
            continue
        query = select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(r) for r in db.session.execute(query)]
    return rows


def _sample_url(app, rule, org_slug) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        if hasattr(converter, "items"):  # any(a, b)
            values[arg] = sorted(converter.items)[0]
        elif isinstance(converter, NumberConverter):
            values[arg] = 1
        else:
            values[arg] = org_slug if arg == "slug" else "sample"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_no_route_that_accepts_post_changes_anything_on_get(app, client, make_user):
    admin = make_user(email="root@example.org", roles=["admin"])
    org = create_organization(admin, name="Org", type="ngo", country="KE")
    db.session.commit()
    login(client, "root@example.org")
    post_rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert len(post_rules) >= 10
    readable = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods}
    before = _snapshot()
    for rule in post_rules:
        url = _sample_url(app, rule, org.slug)
        status = client.get(url).status_code
        if rule.rule not in readable:
            assert status == 405, url
        assert status < 500, url
    assert _snapshot() == before
    assert is_signed_in(client)


# --- headers and cookies ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/organizations/", "/no-such-page"])
def test_security_headers_and_no_inline_script(client, path):
    response = client.get(path)
    csp = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in csp.get("default-src", "")
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\sstyle=|\son\w+=", html)


def test_session_and_remember_cookies_are_httponly_and_samesite(client, make_user):
    make_user(email="ana@example.org")
    response = login(client, "ana@example.org", remember="y")
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        header = set_cookie_header(response, name)
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Secure" not in header  # development serves plain http


def test_production_cookies_are_secure(app_config, make_user):
    make_user(email="ana@example.org")
    prod = create_app({**app_config, "PRODUCTION": True, "TESTING": False})
    client = prod.test_client()
    with prod.app_context():
        response = login(client, "ana@example.org", remember="y")
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        header = set_cookie_header(response, name)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- sessions -----------------------------------------------------------------------------------


def test_login_rotates_the_session(app, client, make_user):
    make_user(email="ana@example.org")
    client.get("/login")
    planted = session_cookie(client)  # e.g. fixed by an attacker before the victim signs in
    login(client, "ana@example.org")
    assert session_cookie(client) != planted
    assert not is_signed_in(fresh_client_with(app, {"session": planted}))
    first = session_cookie(client)
    login(client, "ana@example.org")  # signing in again starts a new server-side session
    assert is_signed_in(client)
    assert not is_signed_in(fresh_client_with(app, {"session": first}))


def test_old_cookie_is_worthless_after_logout(app, client, make_user):
    make_user(email="ana@example.org")
    login(client, "ana@example.org")
    stolen = session_cookie(client)
    assert is_signed_in(fresh_client_with(app, {"session": stolen}))
    post(client, "/logout", token_from="/")
    assert not is_signed_in(client)
    assert not is_signed_in(fresh_client_with(app, {"session": stolen}))


def test_password_change_signs_out_every_other_session(app, make_user):
    make_user(email="ana@example.org")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "ana@example.org")
    login(phone, "ana@example.org", remember="y")
    old_laptop = session_cookie(laptop)
    response = post(laptop, "/settings/password", {
        "current_password": PASSWORD, "new_password": "orchid-Glacier-tempo-42"},
        token_from="/settings/password")
    assert response.status_code == 302
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert not is_signed_in(fresh_client_with(app, {"session": old_laptop}))


def test_suspending_a_user_ends_their_sessions(client, make_user):
    user = make_user(email="ana@example.org")
    login(client, "ana@example.org")
    user.is_suspended = True
    db.session.commit()
    assert not is_signed_in(client)


# --- no account enumeration ---------------------------------------------------------------------


def _visible(html: str, email: str) -> str:
    return TOKEN_RE.sub("", html).replace(email, "EMAIL")


def test_login_answers_the_same_for_unknown_email_and_wrong_password(app, make_user):
    make_user(email="ana@example.org")
    unknown = login(app.test_client(), "nobody@example.org", "orchid-Glacier-tempo-42")
    wrong = login(app.test_client(), "ana@example.org", "orchid-Glacier-tempo-42")
    assert unknown.status_code == wrong.status_code == 401
    assert GENERIC_LOGIN_ERROR in wrong.get_data(as_text=True)
    assert _visible(unknown.get_data(as_text=True), "nobody@example.org") == _visible(
        wrong.get_data(as_text=True), "ana@example.org")


def test_forgot_password_answers_the_same_for_known_and_unknown_email(app, make_user, outbox):
    make_user(email="ana@example.org")
    answers = []
    for email in ("ana@example.org", "nobody@example.org"):
        client = app.test_client()
        response = post(client, "/forgot-password", {"email": email}, token_from="/forgot-password")
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"],
                        TOKEN_RE.sub("", page.get_data(as_text=True))))
    assert answers[0] == answers[1]
    assert "If an account uses that address" in answers[0][2]
    assert [m["To"] for m in outbox] == ["ana@example.org"]


@pytest.mark.parametrize("state", ["is_suspended", "is_deleted"])
def test_suspended_or_deleted_user_cannot_sign_in(client, make_user, state):
    make_user(email="ana@example.org", **{state: True})
    response = login(client, "ana@example.org")
    assert response.status_code == 401
    assert GENERIC_LOGIN_ERROR in response.get_data(as_text=True)
    assert not is_signed_in(client)


# --- redirects ----------------------------------------------------------------------------------


BAD_NEXT = [
    "//evil.com", "https://evil.com", "/\\evil.com", "\\\\evil.com", "javascript:alert(1)",
    "http:evil.com", "///evil.com", " //evil.com", "/\t/evil.com", "https:/evil.com",
]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_login_never_redirects_off_site(client, make_user, target):
    make_user(email="ana@example.org")
    response = login(client, "ana@example.org", next=target)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path == "/"


@pytest.mark.parametrize("target", BAD_NEXT)
def test_language_switch_never_redirects_off_site(client, target):
    response = post(client, "/language", {"lang": "fr", "next": target}, token_from="/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")


def test_login_follows_a_local_next(client, make_user):
    make_user(email="ana@example.org")
    response = login(client, "ana@example.org", next="/organizations/?type=ngo")
    assert response.headers["Location"].endswith("/organizations/?type=ngo")


def test_sign_in_required_page_comes_back_after_login(client, make_user):
    make_user(email="ana@example.org")
    response = client.get("/settings/password")
    assert response.status_code == 302
    next_param = urlsplit(response.headers["Location"]).query
    page = client.get(f"/login?{next_param}").get_data(as_text=True)
    target = re.search(r'name="next"[^>]*value="([^"]*)"', page).group(1)
    response = login(client, "ana@example.org", next=target)
    assert response.headers["Location"].endswith("/settings/password")


@pytest.mark.parametrize("target", BAD_NEXT + ["", None, "relative/path"])
def test_safe_next_falls_back_to_the_default(target):
    assert safe_next(target, "/home") == "/home"


# --- audit log ----------------------------------------------------------------------------------


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_ins_and_failures_are_audited(client, make_user):
    ana = make_user(email="ana@example.org")
    login(client, "ana@example.org", "wrong-password-entirely")
    login(client, "ana@example.org")
    failed, ok = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert (failed.action, failed.actor_id, failed.detail["email"]) == (
        "auth.login_failed", None, "ana@example.org")
    assert (ok.action, ok.actor_id, ok.target_type, ok.target_id) == (
        "auth.login", ana.id, "user", ana.id)


def test_role_changes_and_refusals_are_audited(app, make_user):
    admin = make_user(email="root@example.org", roles=["admin"])
    ana = make_user(email="ana@example.org")
    root, member = app.test_client(), app.test_client()
    login(root, "root@example.org")
    for action in ("grant", "revoke"):
        response = post(root, f"/admin/users/{ana.id}/roles", {"role": "moderator", "action": action},
                        token_from="/admin/users")
        assert response.status_code == 302
    login(member, "ana@example.org")
    assert member.get("/admin/users").status_code == 403
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["role.grant", "role.revoke", "authz.denied"])).order_by(AuditEvent.id))
    assert [(e.action, e.actor_id, e.target_id, e.detail.get("role") or e.detail.get("path"))
            for e in events] == [
        ("role.grant", admin.id, ana.id, "moderator"),
        ("role.revoke", admin.id, ana.id, "moderator"),
        ("authz.denied", ana.id, None, "/admin/users"),
    ]
    page = root.get("/admin/audit").get_data(as_text=True)
    assert "role.grant" in page and "authz.denied" in page


def test_organization_member_ids_from_other_organizations_are_refused(app, client, make_user):
    """IDOR: an admin of org A cannot remove a member of org B through A's URL."""
    alice, bob = make_user(email="alice@example.org"), make_user(email="bob@example.org")
    org_a = create_organization(alice, name="Alpha", type="ngo", country="KE")
    org_b = create_organization(bob, name="Beta", type="ngo", country="KE")
    db.session.commit()
    victim = db.session.scalar(select(OrganizationMember).where(
        OrganizationMember.organization_id == org_b.id))
    login(client, "alice@example.org")
    post(client, f"/organizations/{org_a.slug}/members/{victim.id}/remove", token_from="/")
    post(client, f"/organizations/{org_b.slug}/members/{victim.id}/remove", token_from="/")
    db.session.expire_all()
    assert db.session.get(OrganizationMember, victim.id) is not None


# --- error pages --------------------------------------------------------------------------------


def test_error_pages_in_the_site_look(app_config):
    app = create_app({**app_config, "TESTING": False, "WTF_CSRF_ENABLED": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    with app.app_context():
        server_error = client.get("/boom")
        not_found = client.get("/no-such-page")
        api = client.get("/api/no-such-thing")
        db.session.remove()
        db.engine.dispose()
    assert server_error.status_code == 500
    assert "<h1>Something went wrong</h1>" in server_error.get_data(as_text=True)
    assert "RuntimeError" not in server_error.get_data(as_text=True)
    assert "Content-Security-Policy" in server_error.headers
    assert not_found.status_code == 404 and "<h1>" in not_found.get_data(as_text=True)
    assert api.status_code == 404
    assert api.headers["Content-Type"] == "application/problem+json"
    assert api.get_json()["status"] == 404
