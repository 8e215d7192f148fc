"""Offer, find, request, accept/decline, private conversation, completion with feedback."""

import threading

import pytest
from sqlalchemy import func, select

from marketplace.errors import Conflict, PermissionDenied
from marketplace.extensions import db
from marketplace.mentoring import services
from marketplace.mentoring.models import MentorOffer, Mentorship
from tests.conftest import PG_URL


def offer_for(user, capacity=1, topics="participatory budgeting", languages=("en",)):
    services.save_offer(user, topics=topics, languages=list(languages), capacity=capacity,
                        availability="evenings", is_open=True)
    db.session.commit()


def test_find_suggests_mentors_with_reasons(client, auth, make_user):
    mentor = make_user(name="Joao", country="BR", languages=["pt", "en"])
    offer_for(mentor)
    mentee = make_user(country="KE", languages=["en"])
    auth.login(mentee.email)
    page = client.get("/mentoring/find?topic=participatory+budgeting&language=en").get_data(as_text=True)
    assert "Joao" in page
    assert "Mentors on “participatory budgeting”" in page
    assert "1 of 1 places free" in page


def test_request_accept_message_complete_feedback(client, auth, make_user, outbox):
    mentor = make_user(name="Mentor")
    offer_for(mentor)
    mentee = make_user(name="Mentee")
    auth.login(mentee.email)
    response = client.post("/mentoring/request", data={
        "mentor_id": mentor.id, "topic": "participatory budgeting", "language": "en",
        "goal": "Run our first participatory budget"})
    assert response.status_code == 302
    m = db.session.scalar(select(Mentorship))
    assert m.state == "requested"
    auth.logout()
    auth.login(mentor.email)
    assert "asks you to be their mentor" in client.get("/notifications/").get_data(as_text=True)
    client.post(f"/mentoring/{m.id}/accept")
    db.session.expire_all()
    assert m.state == "active"
    assert db.session.scalar(select(MentorOffer.active_count)) == 1
    client.post(f"/mentoring/{m.id}/messages", data={"body": "Let us start with **the budget calendar**"})
    assert "<strong>the budget calendar</strong>" in client.get(f"/mentoring/{m.id}").get_data(as_text=True)
    client.post(f"/mentoring/{m.id}/complete", data={"feedback": "A committed mentee", "rating": "5"})
    db.session.expire_all()
    assert m.state == "completed" and m.mentor_rating == 5
    assert db.session.scalar(select(MentorOffer.active_count)) == 0
    auth.logout()
    auth.login(mentee.email)
    client.post(f"/mentoring/{m.id}/feedback", data={"feedback": "Very practical advice", "rating": "4"})
    page = client.get(f"/mentoring/{m.id}").get_data(as_text=True)
    assert "Very practical advice" in page and "A committed mentee" in page


def test_conversation_is_private(client, auth, make_user):
    mentor, mentee, other = make_user(), make_user(), make_user()
    offer_for(mentor)
    m = services.request_mentorship(mentee, mentor, goal="secret goal text", topic="x", language=None)
    db.session.commit()
    auth.login(other.email)
    assert client.get(f"/mentoring/{m.id}").status_code == 404
    assert client.post(f"/mentoring/{m.id}/messages", data={"body": "hi"}).status_code == 404
    assert client.post(f"/mentoring/{m.id}/accept").status_code == 404
    assert "secret goal text" not in client.get("/mentoring/").get_data(as_text=True)


def test_only_the_mentor_accepts_and_only_once(make_user, app):
    mentor, mentee = make_user(), make_user()
    offer_for(mentor, capacity=3)
    m = services.request_mentorship(mentee, mentor, goal="g", topic="t", language=None)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.accept(mentee, m)
    services.accept(mentor, m)
    db.session.commit()
    with pytest.raises(Conflict):
        services.accept(mentor, m)
    db.session.rollback()
    assert db.session.scalar(select(MentorOffer.active_count)) == 1


def test_one_open_request_per_pair(make_user, app):
    mentor, mentee = make_user(), make_user()
    offer_for(mentor, capacity=3)
    services.request_mentorship(mentee, mentor, goal="g", topic="t", language=None)
    db.session.commit()
    with pytest.raises(Conflict):
        services.request_mentorship(mentee, mentor, goal="again", topic="t", language=None)


def test_capacity_cannot_drop_below_active(make_user, app):
    mentor, mentee = make_user(), make_user()
    offer_for(mentor, capacity=2)
    m = services.request_mentorship(mentee, mentor, goal="g", topic="t", language=None)
    services.accept(mentor, m)
    db.session.commit()
    from marketplace.errors import InvalidInput

    services.save_offer(mentor, topics="t", languages=[], capacity=1, availability="", is_open=True)
    with pytest.raises(InvalidInput):
        services.save_offer(mentor, topics="t", languages=[], capacity=0, availability="", is_open=True)


def test_offer_form_errors_rerender(client, auth, make_user):
    auth.login(make_user().email)
    response = client.post("/mentoring/offer", data={"topics": "", "capacity": "0"})
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)


@pytest.mark.skipif(not PG_URL, reason="concurrency needs PostgreSQL (TEST_DATABASE_URL)")
def test_mentor_at_capacity_gets_no_more_under_concurrent_accepts(app, make_user):
    mentor = make_user()
    offer_for(mentor, capacity=2)
    ids = []
    for _ in range(8):
        mentee = make_user()
        ids.append(services.request_mentorship(mentee, mentor, goal="g", topic="t", language=None).id)
    db.session.commit()
    results, barrier = [], threading.Barrier(len(ids))

    def accept(mentorship_id):
        with app.app_context():
            m = db.session.get(Mentorship, mentorship_id)
            user = m.mentor
            barrier.wait()
            try:
                services.accept(user, m)
                db.session.commit()
                results.append("ok")
            except Conflict:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 2 and results.count("refused") == 6
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Mentorship.state == "active")) == 2
    assert db.session.scalar(select(MentorOffer.active_count)) == 2


def _active_talk(make_user):
    mentor, mentee = make_user(), make_user()
    offer_for(mentor)
    m = services.request_mentorship(mentee, mentor, goal="g", topic="t", language=None)
    services.accept(mentor, m)
    db.session.commit()
    return m, mentee


def _message_count(m) -> int:
    from marketplace.mentoring.models import MentorshipMessage

    return db.session.scalar(select(func.count()).where(MentorshipMessage.mentorship_id == m.id))


def test_the_same_message_sent_twice_is_one_message(app, make_user):
    m, mentee = _active_talk(make_user)
    first = services.post_message(mentee, m, "See you Tuesday?")
    again = services.post_message(mentee, m, "See you Tuesday?")  # a double click or a resent form
    assert again.id == first.id
    services.post_message(mentee, m, "At ten.")
    services.post_message(mentee, m, "See you Tuesday?")  # not the latest: a new message
    db.session.commit()
    assert _message_count(m) == 3


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL): two sends at once")
def test_two_sends_of_one_message_at_once_post_it_once(app, make_user):
    m, mentee = _active_talk(make_user)
    barrier = threading.Barrier(2)

    def send():
        with app.app_context():
            talk, user = db.session.get(Mentorship, m.id), db.session.get(type(mentee), mentee.id)
            barrier.wait()
            services.post_message(user, talk, "Double click")
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert _message_count(m) == 1
