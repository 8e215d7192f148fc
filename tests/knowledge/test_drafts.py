"""A draft never published can be deleted by its author; archiving is for published practices;
adapting a practice twice to one country asks first."""

from sqlalchemy import func, select

from marketplace.accounts.models import AuditEvent
from marketplace.extensions import db
from marketplace.knowledge.models import Practice, Revision


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_author_deletes_a_draft_with_its_revisions(client, auth, make_user, make_practice):
    author = make_user(email="amina@example.org")
    draft = make_practice(owner=author, status="draft", title="Second thoughts")
    auth.login("amina@example.org")
    page = client.get(f"/practices/{draft.slug}").get_data(as_text=True)
    assert f"/practices/{draft.slug}/delete" in page and f"/practices/{draft.slug}/archive" not in page
    confirm = client.get(f"/practices/{draft.slug}/delete").get_data(as_text=True)
    assert "Delete the draft “Second thoughts”?" in confirm and "Keep the draft" in confirm
    draft_id = draft.id
    response = client.post(f"/practices/{draft.slug}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/practices/?status=draft")
    assert _count(Practice, Practice.id == draft_id) == 0
    assert _count(Revision, Revision.practice_id == draft_id) == 0
    assert _count(AuditEvent, AuditEvent.action == "practice.delete_draft") == 1
    assert client.get(f"/practices/{draft.slug}").status_code == 404
    assert client.post(f"/practices/{draft.slug}/delete").status_code == 404  # twice: gone


def test_a_published_practice_is_archived_not_deleted_and_others_may_not(client, auth, make_user, make_practice):
    author = make_user(email="amina@example.org")
    make_user(email="other@example.org")
    published = make_practice(owner=author, title="Out there")
    draft = make_practice(owner=author, status="draft")
    auth.login("amina@example.org")
    refused = client.post(f"/practices/{published.slug}/delete", follow_redirects=True)
    assert "Only a draft that was never published can be deleted; archive it instead." in refused.get_data(as_text=True)
    assert _count(Practice, Practice.id == published.id) == 1
    # the archive page of a draft (a typed address) says what to do instead of offering to fail
    archive = client.get(f"/practices/{draft.slug}/archive", follow_redirects=True).get_data(as_text=True)
    assert "Only a published practice can be archived; a draft can be deleted instead." in archive
    auth.logout()
    auth.login("other@example.org")
    assert client.post(f"/practices/{draft.slug}/delete").status_code in (403, 404)
    assert _count(Practice, Practice.id == draft.id) == 1


def test_adapting_twice_to_one_country_shows_the_first_and_keeps_the_text(client, auth, make_user, make_practice):
    make_user(email="amina@example.org")
    original = make_practice(title="Open budgets")
    auth.login("amina@example.org")
    form = {"country": "KE", "context": "County assemblies", "rationale": "Wards, not districts"}
    first = client.post(f"/practices/{original.slug}/adapt", data=form)
    assert first.status_code == 302
    second = client.post(f"/practices/{original.slug}/adapt", data={**form, "context": "Another try"})
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "You already have an adaptation of this practice for Kenya" in html
    assert first.headers["Location"] in html  # a link to the first one
    assert "Another try" in html and 'name="again"' in html and "Create another adaptation" in html
    assert _count(Practice, Practice.parent_id == original.id) == 1
    third = client.post(f"/practices/{original.slug}/adapt", data={**form, "again": "1"})
    assert third.status_code == 302
    assert _count(Practice, Practice.parent_id == original.id) == 2
    other_country = client.post(f"/practices/{original.slug}/adapt", data={**form, "country": "SN"})
    assert other_country.status_code == 302
