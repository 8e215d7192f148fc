"""Suggestions as you type: the last word is completed, titles that start with what was typed
come first, every kind with a title appears (with its kind), and only what the viewer may read."""

import pytest

from marketplace import search
from marketplace.search.documents import PUBLIC, authors, doc
from tests.fixtures.communities import age


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}


def _titles(prefix, viewer=None):
    return [s["title"] for s in search.suggest(prefix, viewer)]


@pytest.fixture
def titles(app, make_practice, make_community, make_thread, make_reply, make_user):
    for title in ("Youth participation in city planning", "Measuring participation online",
                  "Digital tools for participatory design", "Evaluating participatory processes",
                  "Women's participation in local councils", "Deliberation and participation",
                  "Online participatory mapping"):
        make_practice(title=title)
    make_practice(title="Participatory Budgeting")
    make_practice(title="Participatory arts")  # shorter, but it begins no other title
    make_practice(title="Participatory budgeting in schools")
    make_practice(title="Citizens' Jury on climate")
    make_practice(title="Citizens' Assembly on electoral reform")
    community = make_community()
    author = age(make_user())
    thread = make_thread(community, author, title="Town meeting agendas", body="How to plan one?")
    for n in range(3):  # replies carry their thread's title: suggested once, as the thread
        make_reply(thread, author, body=f"Reply {n}")
    make_practice(title="Virtual town meetings")


def test_the_last_word_is_completed(titles):
    assert _titles("citizens j") == ["Citizens' Jury on climate"]
    assert _titles("participatory b") == ["Participatory Budgeting",
                                          "Participatory budgeting in schools"]
    assert _titles("town m") == ["Town meeting agendas", "Virtual town meetings"]
    assert _titles("town meeting a") == ["Town meeting agendas"]
    assert _titles("citizens x") == [] and _titles("p") == []


def test_titles_starting_with_the_typed_words_come_first(titles):
    found = _titles("partic")
    # "Participatory Budgeting" begins another title ("… in schools"): it names a family.
    assert found[:3] == ["Participatory Budgeting", "Participatory arts",
                         "Participatory budgeting in schools"]
    starts = [t.lower().startswith("partic") for t in found]
    assert starts == sorted(starts, reverse=True)  # every title that starts with it, then others
    assert len(found) == 8


def test_people_and_any_indexed_kind_appear_with_their_kind(app, client, make_user):
    person = make_user(name="Amara Okonkwo")
    # A kind this module knows nothing about (organizations and communities are added by other
    # features): whatever has a title in the index is suggested, labelled with its kind.
    search.upsert(doc("organization", 7, title="Open Budget Kenya", visibility=PUBLIC,
                      url=("accounts.profile", {"user_id": person.id})))
    search.upsert(doc("organization", 8, title="Open Budget Draft Group",
                      visibility=authors([person.id]), url=("accounts.profile", {"user_id": 1})))
    assert search.suggest("amara ok") == [
        {"title": "Amara Okonkwo", "kind": "person", "url": ("accounts.profile",
                                                             {"user_id": person.id})}]
    assert [(s["title"], s["kind"]) for s in search.suggest("open budget k")] == [
        ("Open Budget Kenya", "organization")]
    # Permission-aware: the restricted one only for those who may read it.
    assert _titles("open budget") == ["Open Budget Kenya"]
    assert set(_titles("open budget", person)) == {"Open Budget Kenya", "Open Budget Draft Group"}
    fragment = client.get("/search/suggest/fragment?q=open+budget+k").get_data(as_text=True)
    assert "Open Budget Kenya" in fragment and "organization" in fragment.lower()
    data = client.get("/search/suggest?q=amara+o").get_json()
    assert data["suggestions"][0]["kind"] == "person"
    assert data["suggestions"][0]["url"]
