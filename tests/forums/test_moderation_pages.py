"""The moderation queues come a page at a time, oldest first, 20 a page, each list its own page
(flags_page, posts_page); an action on page 2 comes back to page 2 (or the last page when it
emptied it). The community's moderation log is pageable (log_page) rather than capped at 100."""

import re
from datetime import timedelta

import pytest

from marketplace.accounts.models import AuditEvent
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.forums.models import PENDING, Flag, Post


def _section(html: str, section: str) -> str:
    return html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]


def _reasons(html: str) -> list[str]:
    return re.findall(r"<strong>Reason:</strong> (Reason \d+)", _section(html, "flags"))


def _pending(html: str) -> list[str]:
    return re.findall(r"<p>(Held post \d+)</p>", _section(html, "pending"))


def _log(html: str) -> list[str]:
    return re.findall(r"<code>(test\.event\.\d+)</code>", _section(html, "log"))


@pytest.fixture
def queue(make_user, make_community, make_thread, aged):
    """A community whose moderator has 21 open flags and 21 held posts, the oldest created last
    (so ids alone would put them in the wrong order)."""
    mona = aged(make_user(email="mod@example.org", name="Mona"))
    bo = aged(make_user(name="Bo"))
    community = make_community(owner=mona, name="Water", members=[bo])
    thread = make_thread(community, bo, title="Pumps")
    now = utcnow()
    for n in reversed(range(21)):
        post = Post(thread_id=thread.id, number=100 + n, author_id=bo.id, status=PENDING,
                    body_source=f"Held post {n:02d}", body_html=f"<p>Held post {n:02d}</p>",
                    created_at=now - timedelta(hours=30 - n))
        db.session.add(post)
        db.session.flush()
        db.session.add(Flag(post_id=post.id,
                            community_id=community.id, reporter_id=bo.id, reason=f"Reason {n:02d}",
                            created_at=now - timedelta(hours=30 - n)))
    db.session.commit()
    return community


def test_queues_come_20_a_page_oldest_first(client, auth, queue):
    auth.login("mod@example.org")
    first = client.get("/communities/water/moderation").get_data(as_text=True)
    assert _reasons(first) == [f"Reason {n:02d}" for n in range(20)]
    assert _pending(first) == [f"Held post {n:02d}" for n in range(20)]
    assert '<span class="count">21</span>' in _section(first, "flags")
    assert 'href="/communities/water/moderation?flags_page=2#flags"' in first
    assert 'href="/communities/water/moderation?posts_page=2#pending"' in first

    second = client.get("/communities/water/moderation?flags_page=2").get_data(as_text=True)
    assert _reasons(second) == ["Reason 20"]
    assert len(_pending(second)) == 20  # the other list stays on its own first page
    # The other list's links keep this one's page.
    assert 'href="/communities/water/moderation?flags_page=2&amp;posts_page=2#pending"' in second
    both = client.get("/communities/water/moderation?flags_page=2&posts_page=2").get_data(as_text=True)
    assert (_reasons(both), _pending(both)) == (["Reason 20"], ["Held post 20"])


@pytest.mark.parametrize("path", ["/communities/water/moderation", "/moderation/"])
def test_queue_page_numbers_out_of_range(client, auth, make_user, queue, path):
    make_user(email="site-mod@example.org", roles=["moderator"])
    auth.login("site-mod@example.org" if path == "/moderation/" else "mod@example.org")
    far = client.get(f"{path}?flags_page=99&posts_page=99").get_data(as_text=True)
    assert (_reasons(far), _pending(far)) == (["Reason 20"], ["Held post 20"])
    assert "Page 2 of 2" in _section(far, "flags")
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        page = client.get(f"{path}?flags_page={bad}&posts_page={bad}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if bad != "99999999999999999999":
            assert _reasons(html)[0] == "Reason 00" and _pending(html)[0] == "Held post 00"


def test_an_action_on_page_2_comes_back_to_page_2_or_the_last_page(client, auth, queue):
    auth.login("mod@example.org")
    here = "/communities/water/moderation?flags_page=2&posts_page=2"
    page = client.get(here).get_data(as_text=True)
    assert f'name="next" value="{here.replace("&", "&amp;")}#pending"' in page
    held = db.session.scalar(db.select(Post).where(Post.body_source == "Held post 20"))
    answer = client.post(f"/posts/{held.id}/reject", data={"next": f"{here}#pending"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"{here}#pending"
    # Page 2 of the held posts is empty now: the same address shows their last page.
    after = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _pending(after) == [f"Held post {n:02d}" for n in range(20)]
    assert _reasons(after) == ["Reason 20"]

    flag = db.session.scalar(db.select(Flag).where(Flag.reason == "Reason 00"))
    answer = client.post(f"/flags/{flag.id}/dismiss", data={"next": "/communities/water/moderation?flags_page=2#flags"})
    assert answer.headers["Location"] == "/communities/water/moderation?flags_page=2#flags"
    after = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _reasons(after) == [f"Reason {n:02d}" for n in range(1, 21)]  # one page left: the last


def test_the_moderation_log_is_paged_not_capped(client, auth, queue):
    mona_id = db.session.scalar(db.select(Flag.reporter_id))
    start = utcnow() - timedelta(days=2)
    for n in range(120):  # more than the old cap of 100
        db.session.add(AuditEvent(action=f"test.event.{n:03d}", actor_id=mona_id,
                                  detail={"community_id": queue.id}, created_at=start + timedelta(minutes=n)))
    db.session.commit()
    auth.login("mod@example.org")
    first = client.get("/communities/water/moderation").get_data(as_text=True)
    assert _log(first) == [f"test.event.{n:03d}" for n in range(119, 69, -1)]  # latest first
    assert 'href="/communities/water/moderation?log_page=2#log"' in first
    last = client.get("/communities/water/moderation?log_page=3").get_data(as_text=True)
    assert _log(last) == [f"test.event.{n:03d}" for n in range(19, -1, -1)]
    assert _log(client.get("/communities/water/moderation?log_page=99").get_data(as_text=True)) == _log(last)
    assert _log(client.get("/communities/water/moderation?log_page=abc").get_data(as_text=True)) == _log(first)
