"""A suggester sees their pending suggestion on the practice page and can take it back."""

from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import EditSuggestion


def _suggested(make_user, make_practice):
    owner, suggester = make_user(email="owner@example.org"), make_user(email="amina@example.org")
    practice = make_practice(owner=owner, title="Open budgets")
    suggestion = services.suggest_edit(practice, suggester, {"lessons": "Publish the data monthly."}, "typo")
    db.session.commit()
    return practice, suggestion


def test_the_suggester_withdraws_their_pending_suggestion(client, auth, make_user, make_practice):
    practice, suggestion = _suggested(make_user, make_practice)
    auth.login("amina@example.org")
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    url = f"/practices/{practice.slug}/suggestions/{suggestion.id}/withdraw"
    assert "waits for the authors" in page and url in page
    assert "Keep the suggestion" in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 302
    assert db.session.get(EditSuggestion, suggestion.id).status == "withdrawn"
    assert url not in client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert "This suggestion has already been decided." in client.get(url, follow_redirects=True).get_data(
        as_text=True)  # a second tab's confirmation page says so instead of asking again
    again = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "This suggestion has already been decided." in again
    auth.logout()
    auth.login("owner@example.org")  # the queue no longer offers it, and accepting it is refused
    assert "Publish the data monthly." not in client.get(f"/practices/{practice.slug}/suggestions").get_data(
        as_text=True)
    client.post(f"/practices/{practice.slug}/suggestions/{suggestion.id}/accept")
    assert db.session.get(EditSuggestion, suggestion.id).status == "withdrawn"


def test_only_its_author_may_withdraw_a_suggestion(client, auth, make_user, make_practice):
    practice, suggestion = _suggested(make_user, make_practice)
    auth.login("owner@example.org")
    url = f"/practices/{practice.slug}/suggestions/{suggestion.id}/withdraw"
    assert url not in client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert client.post(url).status_code == 404
    assert db.session.get(EditSuggestion, suggestion.id).status == "pending"
