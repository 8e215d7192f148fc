"""French and Spanish: the catalogs are complete, and the interface language is chosen from
the user's setting, then the language-switcher cookie, then Accept-Language."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from marketplace.i18n_cli import check, extract, format_problems


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, "no <html lang> on the page"
    return match.group(1)


def test_french_and_spanish_catalogs_are_complete():
    """Fails while any message of a fresh extraction is missing, empty, fuzzy or has broken
    placeholders in fr or es. Fix with `make translations-export` / `make translations-apply`."""
    problems = check()
    counts = {loc: sum(p.locale == loc for p in problems) for loc in ("fr", "es")}
    if problems:
        pytest.fail(f"untranslated messages {counts}:\n{format_problems(problems[:40])}\n…", pytrace=False)


def test_extraction_finds_template_form_and_view_messages():
    keys = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    assert "Share what works. Adapt it. Get it funded." in keys  # template, {{ _() }}
    assert "Display name" in keys  # form label, lazy_gettext as _l
    assert "The email or password is not correct." in keys  # view, gettext as _
    assert "Page %(n)d of %(total)d" in keys  # templates/_macros/ (Babel skips "_" folders by default)
    assert "If you did not ask for this, ignore this message." in keys  # templates/email/*.txt


def test_check_reports_a_message_the_catalogs_lack():
    template = Catalog()
    template.add("A sentence nobody has translated yet, 7f3a")
    problems = check(template)
    assert [(p.locale, p.kind) for p in problems] == [("fr", "missing"), ("es", "missing")]


def test_check_reports_empty_fuzzy_and_lost_placeholders():
    template = Catalog()
    for msgid in ("Welcome", "Hello %(name)s", "Good", "Bye %(name)s", "%(num)d file"):
        template.add(msgid)
    fr = Catalog(locale="fr")
    fr.add("Welcome", "")
    fr.add("Hello %(name)s", "Bonjour %(name)s", flags=["fuzzy"])
    fr.add("Good", "Bien")
    fr.add("Bye %(name)s", "Au revoir")
    fr.add("%(num)d file", "%(num)s fichier")
    problems = {p.key: (p.kind, p.detail) for p in check(template, {"fr": fr})}
    assert problems.keys() == {"Welcome", "Hello %(name)s", "Bye %(name)s", "%(num)d file"}
    assert problems["Welcome"] == ("empty", "")
    assert problems["Hello %(name)s"] == ("fuzzy", "")
    assert problems["Bye %(name)s"] == ("invalid", "placeholders lost: %(name)s")
    assert problems["%(num)d file"][0] == "invalid"


def test_accept_language_chooses_the_interface_language(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})) == "fr"
    assert html_lang(client.get("/", headers={"Accept-Language": "es"})) == "es"
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})) == "en"


def test_cookie_wins_over_accept_language(client):
    client.set_cookie("lang", "es")
    assert html_lang(client.get("/", headers={"Accept-Language": "fr"})) == "es"


def test_user_setting_wins_over_cookie_and_accept_language(client, auth, make_user):
    make_user(email="ines@example.org", locale="fr")
    auth.login("ines@example.org")
    client.set_cookie("lang", "es")
    assert html_lang(client.get("/", headers={"Accept-Language": "es"})) == "fr"


def test_language_switcher_sets_cookie_and_user_setting(client, auth, make_user, app):
    user = make_user(email="tomas@example.org", locale="en")
    auth.login("tomas@example.org")
    response = client.post("/language", data={"lang": "es", "next": "/organizations"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organizations")
    assert "lang=es" in response.headers["Set-Cookie"]
    app.extensions["sqlalchemy"].session.refresh(user)
    assert user.locale == "es"
    # Signed out, the cookie alone keeps Spanish.
    auth.logout()
    assert html_lang(client.get("/", headers={"Accept-Language": "fr"})) == "es"


def test_cached_catalog_follows_force_locale_and_refresh(app):
    """i18n.translations() keeps the catalog on `g`, yet a locale switch (i18n's force_locale
    and refresh, wrapping Flask-Babel's) is seen at once; nothing reads Flask-Babel's own slot."""
    from marketplace import i18n
    from marketplace.i18n import force_locale, refresh

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert i18n.translations().ugettext("Search") == "Rechercher"
        assert str(i18n.current_locale()) == "fr"
        with force_locale("es"):
            assert str(i18n.current_locale()) == "es"
            assert i18n.translations().ugettext("Search") == "Buscar"
        assert i18n.translations().ugettext("Search") == "Rechercher"
        with force_locale("en"):
            assert i18n.translations().ugettext("Search") == "Search"
            refresh()  # inside force_locale, refresh keeps the forced language
            assert i18n.translations().ugettext("Search") == "Search"
        assert i18n.translations().ugettext("Search") == "Rechercher"
    source = Path(i18n.__file__).read_text(encoding="utf-8")
    assert "_flask_babel" not in source


def test_locale_switches_go_through_i18n():
    """Flask-Babel's force_locale/refresh would leave i18n's cached locale and catalog behind."""
    import ast

    from marketplace import i18n

    root = Path(i18n.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
                offenders += [f"{path.relative_to(root)}: {a.name}" for a in node.names
                              if a.name in ("force_locale", "refresh")]
            elif isinstance(node, ast.Attribute) and node.attr in ("force_locale", "refresh") \
                    and isinstance(node.value, ast.Name) and node.value.id == "flask_babel":
                offenders.append(f"{path.relative_to(root)}: flask_babel.{node.attr}")
    assert not offenders, f"use marketplace.i18n.force_locale/refresh instead: {offenders}"
