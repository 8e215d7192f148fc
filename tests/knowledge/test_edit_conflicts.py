"""Two tabs editing one practice: fields merge, a field both changed is a 409 keeping the typed
text; a suggestion made on an older revision asks before replacing newer text; the API's
optional base_revision."""

from sqlalchemy import select

from marketplace.api import tokens
from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import EditSuggestion, Practice


def _form(practice, **changes):
    """The edit form as a tab opened now would post it (its hidden base included)."""
    data = services.practice_data(practice)
    form = {**{k: v for k, v in data.items() if k not in ("tags", "organizations", "source_url")},
            "tags": ", ".join(data["tags"]), "message": "",
            "base_revision": str(practice.current_revision.number)}
    for name in ("adaptation_country", "adaptation_context", "adaptation_rationale"):
        form.pop(name)
    form.update(changes)
    return form


def _practice(make_practice, **data):
    return make_practice(problem="Old problem.", results="Old results.",
                         lessons="Old lessons.", **data)


def _reload(practice) -> Practice:
    db.session.expire_all()
    return db.session.get(Practice, practice.id)


def test_two_tabs_changing_different_fields_merge(client, auth, make_practice):
    practice = _practice(make_practice)
    auth.login(practice.owner.email)
    tab_a, tab_b = _form(practice, problem="A's problem."), _form(practice, results="B's results.")
    assert client.post(f"/practices/{practice.slug}/edit", data=tab_a).status_code == 302
    r = client.post(f"/practices/{practice.slug}/edit", data=tab_b, follow_redirects=True)
    assert "merged with the changes" in r.get_data(as_text=True)
    practice = _reload(practice)
    assert (practice.problem_source, practice.results_source) == ("A's problem.", "B's results.")
    assert practice.current_revision.number == 3


def test_same_field_is_a_409_keeping_the_typed_text_then_resubmit_saves(client, auth, make_practice,
                                                                        make_user):
    practice = _practice(make_practice)
    coauthor = make_user(name="Oksana")
    services.set_coauthors(practice, [coauthor.id])
    db.session.commit()
    tab_b = _form(practice, lessons="Bob's lessons.")
    auth.login(coauthor.email)
    assert client.post(f"/practices/{practice.slug}/edit",
                       data=_form(practice, lessons="Oksana's lessons.")).status_code == 302
    auth.logout()
    auth.login(practice.owner.email)
    r = client.post(f"/practices/{practice.slug}/edit", data=tab_b)
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "“Lessons” changed since you opened this form" in page and "Oksana" in page
    assert "Bob&#39;s lessons." in page and "Oksana&#39;s lessons." in page  # mine, theirs
    assert '<input id="base_revision" name="base_revision" type="hidden" value="2">' in page
    assert _reload(practice).lessons_source == "Oksana's lessons."

    resubmit = {**tab_b, "base_revision": "2", "lessons": "Both lessons."}
    assert client.post(f"/practices/{practice.slug}/edit", data=resubmit).status_code == 302
    assert _reload(practice).lessons_source == "Both lessons."


def test_browser_line_breaks_are_no_change(client, auth, make_practice):
    practice = _practice(make_practice, approach="Line one.\nLine two.")
    auth.login(practice.owner.email)
    tab_a = _form(practice, approach="Line one.\r\nLine two.", problem="A's problem.")
    tab_b = _form(practice, approach="Line one.\r\nLine two.", results="B's results.")
    assert client.post(f"/practices/{practice.slug}/edit", data=tab_a).status_code == 302
    assert client.post(f"/practices/{practice.slug}/edit", data=tab_b).status_code == 302


def _stale_suggestion(practice, suggester):
    """A suggestion to Lessons made on revision 1, then the owner's own edit of Lessons (#2)."""
    suggestion = services.suggest_edit(practice, suggester, {"lessons": "Amina's lessons."})
    services.update_practice(practice, practice.owner, {"lessons": "Owner's newer lessons."})
    db.session.commit()
    return suggestion.id


def test_a_stale_suggestion_is_flagged_and_needs_confirmation(client, auth, make_practice, make_user):
    practice = _practice(make_practice)
    suggestion_id = _stale_suggestion(practice, make_user(name="Amina"))
    auth.login(practice.owner.email)
    queue = client.get(f"/practices/{practice.slug}/suggestions").get_data(as_text=True)
    assert "“Lessons” changed since this suggestion was made (revision #1 → #2)" in queue
    assert "Owner&#39;s newer lessons." in queue and 'name="overwrite" value="2"' in queue

    accept = f"/practices/{practice.slug}/suggestions/{suggestion_id}/accept"
    r = client.post(accept, follow_redirects=True)
    assert "confirm that the suggestion replaces the newer text" in r.get_data(as_text=True)
    assert _reload(practice).lessons_source == "Owner's newer lessons."
    assert db.session.get(EditSuggestion, suggestion_id).is_pending

    assert client.post(accept, data={"overwrite": "2"}).status_code == 302
    assert _reload(practice).lessons_source == "Amina's lessons."


def test_a_suggestion_on_untouched_fields_stays_one_click(client, auth, make_practice, make_user):
    practice = _practice(make_practice)
    suggestion = services.suggest_edit(practice, make_user(), {"lessons": "New lessons."})
    services.update_practice(practice, practice.owner, {"problem": "Owner's problem."})
    db.session.commit()
    auth.login(practice.owner.email)
    queue = client.get(f"/practices/{practice.slug}/suggestions").get_data(as_text=True)
    assert "changed since this suggestion" not in queue and "Owner&#39;s problem" not in queue
    assert client.post(f"/practices/{practice.slug}/suggestions/{suggestion.id}/accept").status_code == 302
    practice = _reload(practice)
    assert (practice.lessons_source, practice.problem_source) == ("New lessons.", "Owner's problem.")


def test_api_patch_with_an_old_base_revision(client, make_practice):
    practice = _practice(make_practice)
    _token, plaintext = tokens.create_token(practice.owner, "test", ["read", "write"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    url = f"/api/v1/practices/{practice.slug}"
    assert client.patch(url, json={"lessons": "Newer."}, headers=headers).status_code == 200
    r = client.patch(url, json={"results": "Merged.", "base_revision": 1}, headers=headers)
    assert r.status_code == 200
    r = client.patch(url, json={"lessons": "Clash.", "base_revision": 1}, headers=headers)
    assert r.status_code == 409 and r.content_type == "application/problem+json"
    assert r.json["code"] == "edit_conflict"
    assert r.json["errors"] == [{"field": "lessons", "message": r.json["detail"], "current": "Newer."}]
    practice = _reload(practice)
    assert (practice.lessons_source, practice.results_source) == ("Newer.", "Merged.")
    assert db.session.scalar(select(Practice.id).where(Practice.lessons_source == "Clash.")) is None
