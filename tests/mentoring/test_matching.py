"""Suggestions are ranked exactly as documented in marketplace/mentoring/matching.py."""

from types import SimpleNamespace

import pytest

from marketplace.mentoring import matching
from marketplace.mentoring.matching import Profile


def offer(capacity=2, active=0, languages=()):
    return SimpleNamespace(capacity=capacity, active_count=active, languages=list(languages))


@pytest.fixture
def mentee():
    return Profile(user_id=1, country="KE", languages=["en", "sw"], org_types={"ngo"}, org_size=3)


def test_topic_exact_tag_beats_partial_overlap():
    assert matching.topic_score("participatory budgeting", ["Participatory budgeting"])[0] == 1.0
    partial, tag = matching.topic_score("participatory budgeting", ["municipal budgeting"])
    assert tag == "municipal budgeting"
    assert partial == pytest.approx(1 / 3)
    assert matching.topic_score("open data", ["health"])[0] == 0.0


def test_score_is_the_documented_weighted_sum(app, mentee):
    mentor = Profile(user_id=2, country="BR", languages=["pt", "en"], org_types={"government"},
                     org_size=80, tags=["participatory budgeting"])
    [s] = matching.rank("participatory budgeting", "en", mentee, [(mentor, offer(4, 1, ["en"]))])
    # topic 1, language 1 (mentors in English), context 0 (other region, type, size), capacity 3/4
    assert s.parts == {"topic": 1.0, "language": 1.0, "context": 0.0, "capacity": 0.75}
    assert s.score == pytest.approx(0.45 + 0.20 + 0 + 0.15 * 0.75)


def test_similar_context_and_shared_language_rank_higher(app, mentee):
    far = Profile(user_id=2, country="BR", languages=["pt"], org_types={"government"}, org_size=80,
                  tags=["participatory budgeting"])
    near = Profile(user_id=3, country="UG", languages=["en", "sw"], org_types={"ngo"}, org_size=4,
                   tags=["participatory budgeting"])
    ranked = matching.rank("participatory budgeting", "sw", mentee,
                           [(far, offer(languages=["pt"])), (near, offer(languages=["sw"]))])
    assert [s.mentor_id for s in ranked] == [3, 2]
    near_parts = ranked[0].parts
    assert near_parts["context"] == pytest.approx((0.5 + 1 + 1) / 3)  # same region, type, size band
    assert any("Swahili" in r for r in ranked[0].reasons)


def test_full_mentors_and_self_are_never_suggested(app, mentee):
    full = Profile(user_id=2, country="KE", languages=["en"], org_types=set(), org_size=0, tags=["x"])
    me = Profile(user_id=1, country="KE", languages=["en"], org_types=set(), org_size=0, tags=["x"])
    assert matching.rank("x", None, mentee, [(full, offer(2, 2)), (me, offer())]) == []


def test_ties_are_broken_by_mentor_id(app, mentee):
    a = Profile(user_id=9, country=None, languages=[], org_types=set(), org_size=0, tags=["x"])
    b = Profile(user_id=5, country=None, languages=[], org_types=set(), org_size=0, tags=["x"])
    assert [s.mentor_id for s in matching.rank("x", None, mentee, [(a, offer()), (b, offer())])] == [5, 9]


# --- the same order on /mentoring/find, from mentors in the database ---------------------------

DEFAULTS = {"topics": "participatory budgeting", "country": "BR", "languages": ["pt"], "active": 0}
# Two mentors alike but for one part of the score; the better one signs up second, so that the
# tie-break by id would put it last. Expected "Match" percentages from the documented formula.
CASES = {
    "topic": ({"topics": "municipal budgeting"}, {}, 30, 60),  # 0.45 × 1/3 + 0.15 vs 0.45 + 0.15
    "language": ({}, {"languages": ["pt", "en"]}, 60, 70),  # shares English: + 0.20 × 0.5
    "context": ({}, {"country": "KE", "organization": True}, 60, 80),  # country, type, size: + 0.20
    "capacity": ({"active": 3}, {}, 49, 60),  # 1 of 4 places free: 0.15 × 0.25 instead of 0.15
}


def _mentor(make_user, name, mentee_org, topics, country, languages, active, organization=False):
    from marketplace.accounts.services import add_organization_member
    from marketplace.extensions import db
    from marketplace.mentoring import services

    user = make_user(name=name, country=country, languages=languages)
    offer = services.save_offer(user, topics=topics, languages=languages, capacity=4,
                                availability="", is_open=True)
    offer.active_count = active
    if organization:
        add_organization_member(mentee_org, user)
    db.session.commit()
    return user


@pytest.mark.parametrize("part", CASES)
def test_find_page_orders_two_mentors_by_the_documented_score(client, auth, make_user, part):
    from marketplace.accounts.services import create_organization

    worse, better, worse_pct, better_pct = CASES[part]
    mentee = make_user(email="mentee@example.org", country="KE", languages=["en", "sw"])
    org = create_organization(mentee, name="Open Budget Kenya", type="ngo", country="KE")
    _mentor(make_user, "Mentor Worse", org, **{**DEFAULTS, **worse})
    _mentor(make_user, "Mentor Better", org, **{**DEFAULTS, **better})
    auth.login("mentee@example.org")
    page = client.get("/mentoring/find?topic=participatory+budgeting&language=fr").get_data(True)
    assert page.index("Mentor Better") < page.index("Mentor Worse")
    assert page.index(f"Match {better_pct}%") < page.index(f"Match {worse_pct}%")
