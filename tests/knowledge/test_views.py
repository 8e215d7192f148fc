"""Practice pages as users see them: create/edit/history/diff/revert, suggestions, adapt,
endorse, browse filters and sorting."""

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.knowledge.models import EditSuggestion, Practice


def _form(practice=None, **overrides):
    data = {"title": "Community scorecards", "summary": "Citizens rate services.",
            "problem": "Clinics ignore complaints.", "approach": "Quarterly scorecards.",
            "countries": ["KE"], "themes": ["health"], "level": "local", "language": "en",
            "licence": "CC-BY-4.0", "tags": "clinics, feedback", "message": ""}
    data.update(overrides)
    return data


def test_create_edit_history_diff_revert(client, auth, make_user):
    user = make_user(email="author@example.org")
    auth.login(user.email)
    r = client.post("/practices/new", data=_form())
    assert r.status_code == 302
    slug = r.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/practices/{slug}").get_data(as_text=True)
    assert "Community scorecards" in page and "Clinics ignore complaints." in page
    assert client.post(f"/practices/{slug}/edit",
                       data=_form(approach="Monthly scorecards.", message="monthly")
                       ).status_code == 302
    history = client.get(f"/practices/{slug}/history").get_data(as_text=True)
    assert "#2" in history and "monthly" in history
    diff = client.get(f"/practices/{slug}/diff?a=1&b=2").get_data(as_text=True)
    assert "<del>Quarterly</del><ins>Monthly</ins>" in diff
    assert client.post(f"/practices/{slug}/revert/1").status_code == 302
    page = client.get(f"/practices/{slug}").get_data(as_text=True)
    assert "Quarterly scorecards." in page and "Revision 3" in page


def test_edit_form_errors_rerender_with_status(client, auth, make_practice):
    practice = make_practice()
    auth.login(practice.owner.email)
    r = client.post(f"/practices/{practice.slug}/edit", data=_form(title=""))
    assert r.status_code == 400
    r = client.post(f"/practices/{practice.slug}/edit",
                    data=_form(**{"source_url": "ftp://example.org/x"}))
    assert r.status_code == 422 and "http://" in r.get_data(as_text=True)


def test_another_practices_source_url_is_a_field_error(client, auth, make_practice, make_user):
    url = "https://example.org/report.pdf"
    make_practice(title="First", source_url=url)
    mine = make_practice(title="Mine")
    auth.login(mine.owner.email)
    for path in ("/practices/new", f"/practices/{mine.slug}/edit"):
        r = client.post(path, data=_form(source_url=url))
        assert r.status_code == 422, path
        assert "Another practice already cites this source URL." in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Practice.id))) == 2
    assert client.post(f"/practices/{mine.slug}/edit", data=_form(source_url=url + "?v=2")).status_code == 302
    assert client.post(f"/practices/{mine.slug}/edit", data=_form(source_url=url + "?v=2",
                                                                  approach="Again.")).status_code == 302


def test_accepting_a_suggestion_with_a_taken_source_url_is_refused(client, auth, make_practice, make_user):
    from marketplace.knowledge import services

    url = "https://example.org/report.pdf"
    first = make_practice(title="First")
    mine = make_practice(title="Mine")
    with client.application.test_request_context():
        suggestion = services.suggest_edit(mine, make_user(), {**services.practice_data(mine), "source_url": url})
        db.session.commit()
        services.update_practice(first, first.owner, {**services.practice_data(first), "source_url": url})
        db.session.commit()
    auth.login(mine.owner.email)
    r = client.post(f"/practices/{mine.slug}/suggestions/{suggestion.id}/accept", follow_redirects=True)
    assert "Another practice already cites this source URL." in r.get_data(as_text=True)
    db.session.refresh(mine)
    assert mine.source_url is None and db.session.get(EditSuggestion, suggestion.id).is_pending


def test_suggest_then_author_accepts(client, auth, make_practice, make_user):
    practice = make_practice(title="Open contracting")
    other = make_user(email="other@example.org")
    auth.login(other.email)
    assert client.get(f"/practices/{practice.slug}/edit").status_code == 403
    r = client.post(f"/practices/{practice.slug}/suggest",
                    data=_form(title="Open contracting", lessons="Publish early.",
                               message="add a lesson"))
    assert r.status_code == 302
    auth.logout()
    auth.login(practice.owner.email)
    queue = client.get(f"/practices/{practice.slug}/suggestions").get_data(as_text=True)
    assert "add a lesson" in queue and "Publish early." in queue
    suggestion = db.session.scalar(select(EditSuggestion))
    r = client.post(f"/practices/{practice.slug}/suggestions/{suggestion.id}/accept")
    assert r.status_code == 302
    history = client.get(f"/practices/{practice.slug}/history").get_data(as_text=True)
    assert "User" in history and "add a lesson" in history
    assert "Publish early." in client.get(f"/practices/{practice.slug}").get_data(as_text=True)


def test_reject_with_reason(client, auth, make_practice, make_user):
    practice = make_practice()
    other = make_user()
    auth.login(other.email)
    client.post(f"/practices/{practice.slug}/suggest", data=_form(title="Other title"))
    auth.logout()
    auth.login(practice.owner.email)
    s = db.session.scalar(select(EditSuggestion))
    client.post(f"/practices/{practice.slug}/suggestions/{s.id}/reject",
                data={"reason": "Not accurate"})
    db.session.expire_all()
    s = db.session.get(EditSuggestion, s.id)
    assert (s.status, s.reason) == ("rejected", "Not accurate")
    assert db.session.get(Practice, practice.id).title != "Other title"


def test_adapt_shows_lineage_on_both_pages(client, auth, make_practice, make_user):
    parent = make_practice(title="Participatory budgeting", countries=["BR"])
    adapter = make_user()
    auth.login(adapter.email)
    r = client.post(f"/practices/{parent.slug}/adapt",
                    data={"country": "KE", "context": "Nairobi wards", "rationale": ""})
    assert r.status_code == 400
    r = client.post(f"/practices/{parent.slug}/adapt",
                    data={"country": "KE", "context": "Nairobi wards",
                          "rationale": "Smaller budgets, SMS voting"})
    child_slug = r.headers["Location"].rsplit("/", 1)[-1]
    client.post(f"/practices/{child_slug}/publish")
    child_page = client.get(f"/practices/{child_slug}").get_data(as_text=True)
    assert "Adapted for Kenya" in child_page and "Smaller budgets, SMS voting" in child_page
    assert f'href="/practices/{parent.slug}"' in child_page
    parent_page = client.get(f"/practices/{parent.slug}").get_data(as_text=True)
    assert "Adapted directly in 1 country: Kenya" in parent_page
    assert f'href="/practices/{child_slug}"' in parent_page


def test_endorse_once(client, auth, make_practice, make_user):
    practice = make_practice()
    user = make_user()
    auth.login(user.email)
    client.post(f"/practices/{practice.slug}/endorse", data={"kind": "applied",
                                                             "comment": "Used it in Mombasa"})
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert "Used it in Mombasa" in page and "You endorsed this" in page
    r = client.post(f"/practices/{practice.slug}/endorse", data={"kind": "applied"},
                    follow_redirects=True)
    assert "already endorsed" in r.get_data(as_text=True)
    assert db.session.get(Practice, practice.id).endorsement_count == 1


def test_browse_filters_and_sorts(client, make_practice, make_user):
    a = make_practice(title="Alpha", countries=["KE"], themes=["health"], level="local")
    b = make_practice(title="Bravo", countries=["BR"], themes=["education"], level="national")
    make_practice(title="Charlie draft", status="draft")
    client.application.test_client()
    with client.application.test_request_context():
        from marketplace.knowledge import services
        for _ in range(2):
            services.endorse(b, make_user(), "recommend")
        db.session.commit()

    def titles(qs):
        html = client.get(f"/practices/?{qs}").get_data(as_text=True)
        return [t for t in ("Alpha", "Bravo", "Charlie draft") if f">{t}</a>" in html]

    assert titles("") == ["Alpha", "Bravo"]
    assert titles("country=KE") == ["Alpha"]
    assert titles("theme=education") == ["Bravo"]
    assert titles("level=local") == ["Alpha"]
    html = client.get("/practices/?sort=endorsed").get_data(as_text=True)
    assert html.index(">Bravo<") < html.index(">Alpha<")
    html = client.get("/practices/?sort=newest").get_data(as_text=True)
    assert html.index(">Bravo<") < html.index(">Alpha<")
    assert a.slug and titles("status=draft") == []


def test_browse_paginates(client, make_practice, make_user):
    owner = make_user()
    for i in range(23):
        make_practice(owner=owner, title=f"Item {i:02d}")
    first = client.get("/practices/").get_data(as_text=True)
    second = client.get("/practices/?page=2").get_data(as_text=True)
    assert "Item 22" in first and "Item 02" not in first
    assert "Item 02" in second and "Page 2 of 2" in second


def test_owner_adds_a_coauthor_who_can_then_edit(client, auth, make_practice, make_user):
    practice = make_practice(title="Shared work")
    make_user(email="co@example.org")
    auth.login(practice.owner.email)
    data = _form(title="Shared work", coauthors="nobody@example.org")
    r = client.post(f"/practices/{practice.slug}/edit", data=data)
    assert r.status_code == 422 and "No account uses nobody@example.org" in r.get_data(
        as_text=True)
    r = client.post(f"/practices/{practice.slug}/edit",
                    data=_form(title="Shared work", coauthors="CO@example.org"))
    assert r.status_code == 302
    auth.logout()
    auth.login("co@example.org")
    page = client.get(f"/practices/{practice.slug}/edit").get_data(as_text=True)
    assert 'name="coauthors"' not in page  # only the owner manages co-authors
    r = client.post(f"/practices/{practice.slug}/edit", data=_form(title="Shared work, v2"))
    assert r.status_code == 302
    assert db.session.get(Practice, practice.id).title == "Shared work, v2"


def test_a_deleted_authors_and_endorsers_names_are_translated_and_unlinked(app, client, make_user,
                                                                          make_practice):
    from marketplace.extensions import db
    from marketplace.knowledge import services

    owner, coauthor, fan = make_user(), make_user(name="Amina Coauthor"), make_user(name="Amina Fan")
    practice = make_practice(owner=owner, title="Water kiosks")
    with app.test_request_context():
        services.set_coauthors(practice, [coauthor.id])
        services.endorse(practice, fan, "recommend")
        db.session.commit()
    for user in (owner, coauthor, fan):
        user.is_deleted = True
    db.session.commit()
    client.set_cookie("lang", "fr")
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert "Amina" not in page and page.count("utilisateur supprimé") >= 3
    for user in (owner, coauthor, fan):
        assert f"/people/{user.id}" not in page
