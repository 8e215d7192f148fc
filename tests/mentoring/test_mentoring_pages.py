"""/mentoring/ lists the mentorships under way first, then the ended ones, each 20 a page with
its own page number; a conversation shows its latest 30 messages, oldest to newest, with a link
to the earlier ones, and the reply form stays at the bottom."""

import re
from datetime import timedelta

import pytest

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.mentoring.models import Mentorship, MentorshipMessage


def _topics(html: str, section: str) -> list[str]:
    part = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a></h3>', part)


@pytest.fixture
def me(make_user):
    """A mentee with 21 mentorships under way (the latest touched created first) and 22 ended."""
    me = make_user(email="me@example.org", name="Me")
    now = utcnow()
    for n in range(21):
        db.session.add(Mentorship(mentor_id=make_user().id, mentee_id=me.id, goal="Learn",
                                  topic=f"Open {n:02d}", state="active" if n % 2 else "requested",
                                  updated_at=now - timedelta(hours=n)))
    for n in range(22):
        ended = now - timedelta(days=1, hours=n)
        db.session.add(Mentorship(mentor_id=make_user().id, mentee_id=me.id, goal="Learn",
                                  topic=f"Ended {n:02d}", state=("declined", "cancelled", "completed")[n % 3],
                                  ended_at=ended, updated_at=ended))
    db.session.commit()
    return me


def test_mentorships_under_way_first_then_the_ended_ones_20_a_page(client, auth, me):
    auth.login("me@example.org")
    page = client.get("/mentoring/").get_data(as_text=True)
    assert page.index('<section id="current">') < page.index('<section id="ended">')
    assert _topics(page, "current") == [f"Open {n:02d}" for n in range(20)]
    assert _topics(page, "ended") == [f"Ended {n:02d}" for n in range(20)]
    assert 'href="/mentoring/?current_page=2#current"' in page
    assert 'href="/mentoring/?ended_page=2#ended"' in page
    second = client.get("/mentoring/?ended_page=2").get_data(as_text=True)
    assert _topics(second, "ended") == ["Ended 20", "Ended 21"]
    assert len(_topics(second, "current")) == 20
    both = client.get("/mentoring/?ended_page=99&current_page=99").get_data(as_text=True)
    assert (_topics(both, "current"), _topics(both, "ended")) == (["Open 20"], ["Ended 20", "Ended 21"])
    for bad in ("abc", "0", "-1"):
        html = client.get(f"/mentoring/?ended_page={bad}&current_page={bad}").get_data(as_text=True)
        assert _topics(html, "current")[0] == "Open 00" and _topics(html, "ended")[0] == "Ended 00"


def _messages(html: str) -> list[str]:
    return re.findall(r"<p>(Message \d+)</p>", html)


@pytest.fixture
def talk(make_user):
    mentor, mentee = make_user(email="mentor@example.org"), make_user(email="mentee@example.org")
    m = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, goal="Learn", topic="Budgets", state="active")
    db.session.add(m)
    db.session.flush()
    for n in range(65):
        author = mentor if n % 2 else mentee
        db.session.add(MentorshipMessage(mentorship_id=m.id, author_id=author.id, body_source=f"Message {n:02d}",
                                         body_html=f"<p>Message {n:02d}</p>"))
    db.session.commit()
    return m


def test_a_conversation_shows_its_latest_30_messages_like_a_chat(client, auth, talk):
    auth.login("mentee@example.org")
    page = client.get(f"/mentoring/{talk.id}").get_data(as_text=True)
    assert _messages(page) == [f"Message {n:02d}" for n in range(35, 65)]  # the latest, oldest first
    earlier = f'href="/mentoring/{talk.id}?page=2#conversation"'
    assert earlier in page and "Show earlier messages" in page and "Show later messages" not in page
    # The link to the earlier messages comes before them, the reply form after them.
    assert page.index(earlier) < page.index("Message 35") < page.index("Message 64") < page.index(
        f'action="/mentoring/{talk.id}/messages"')

    second = client.get(f"/mentoring/{talk.id}?page=2").get_data(as_text=True)
    assert _messages(second) == [f"Message {n:02d}" for n in range(5, 35)]
    assert f'href="/mentoring/{talk.id}?page=3#conversation"' in second
    assert f'href="/mentoring/{talk.id}#conversation"' in second  # back to the latest
    assert f'action="/mentoring/{talk.id}/messages"' in second
    oldest = [f"Message {n:02d}" for n in range(5)]
    assert _messages(client.get(f"/mentoring/{talk.id}?page=3").get_data(as_text=True)) == oldest
    assert _messages(client.get(f"/mentoring/{talk.id}?page=99").get_data(as_text=True)) == oldest
    assert _messages(client.get(f"/mentoring/{talk.id}?page=abc").get_data(as_text=True)) == _messages(page)


def test_a_reply_shows_with_the_latest_messages(client, auth, talk):
    auth.login("mentor@example.org")
    answer = client.post(f"/mentoring/{talk.id}/messages", data={"body": "Message 65"})
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _messages(page) == [f"Message {n:02d}" for n in range(36, 66)]
    assert db.session.scalar(db.select(db.func.count()).select_from(MentorshipMessage)) == 66


def test_a_refused_reply_keeps_the_latest_messages_above_the_form(client, auth, talk):
    auth.login("mentor@example.org")
    answer = client.post(f"/mentoring/{talk.id}/messages", data={"body": ""})
    assert answer.status_code == 400
    assert _messages(answer.get_data(as_text=True)) == [f"Message {n:02d}" for n in range(35, 65)]
