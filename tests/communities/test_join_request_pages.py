"""Pending join requests come 20 a page, oldest first; approving or declining one on page 2
comes back to page 2 (or to the last page when that one emptied it)."""

import re
from datetime import timedelta

import pytest

from marketplace.communities.models import JoinRequest
from marketplace.database import utcnow
from marketplace.extensions import db


def _names(html: str) -> list[str]:
    return re.findall(r"<p><strong>(Asker \d+)</strong>", html)


@pytest.fixture
def asked(make_user, make_community):
    """A private community with 21 pending requests, the oldest made last (ids would mislead)."""
    mona = make_user(email="mod@example.org", name="Mona")
    community = make_community(owner=mona, name="Circle", private=True)
    now = utcnow()
    for n in reversed(range(21)):
        asker = make_user(name=f"Asker {n:02d}")
        db.session.add(JoinRequest(community_id=community.id, user_id=asker.id,
                                   created_at=now - timedelta(hours=30 - n)))
    db.session.commit()
    return community


def test_requests_come_20_a_page_oldest_first(client, auth, asked):
    auth.login("mod@example.org")
    first = client.get("/communities/circle/requests").get_data(as_text=True)
    assert _names(first) == [f"Asker {n:02d}" for n in range(20)]
    assert '<span class="count">21</span>' in first
    assert 'href="/communities/circle/requests?page=2"' in first
    second = client.get("/communities/circle/requests?page=2").get_data(as_text=True)
    assert _names(second) == ["Asker 20"] and "Page 2 of 2" in second
    assert _names(client.get("/communities/circle/requests?page=99").get_data(as_text=True)) == ["Asker 20"]
    for bad in ("abc", "0", "-1"):
        assert _names(client.get(f"/communities/circle/requests?page={bad}").get_data(as_text=True)) == \
            _names(first)


def test_answering_comes_back_to_the_same_page_or_the_last(client, auth, make_user, asked):
    for n in range(21, 41):  # 41 requests: three pages, the third holding Asker 40 alone
        db.session.add(JoinRequest(community_id=asked.id, user_id=make_user(name=f"Asker {n:02d}").id))
    db.session.commit()
    auth.login("mod@example.org")
    third = client.get("/communities/circle/requests?page=3").get_data(as_text=True)
    assert _names(third) == ["Asker 40"] and 'name="page" value="3"' in third
    answer = client.post(f"/communities/circle/requests/{_request_id(third, 'Asker 40')}/decline",
                         data={"page": "3"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/communities/circle/requests?page=3"
    # Page 3 is empty now: the same address shows the last page, page 2.
    last = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Page 2 of 2" in last and _names(last) == [f"Asker {n:02d}" for n in range(20, 40)]

    answer = client.post(f"/communities/circle/requests/{_request_id(last, 'Asker 20')}/approve",
                         data={"page": "2"})
    assert answer.headers["Location"] == "/communities/circle/requests?page=2"
    back = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _names(back) == [f"Asker {n:02d}" for n in range(21, 40)]
    # A page 1 answer goes back to the plain address.
    first = client.get("/communities/circle/requests").get_data(as_text=True)
    answer = client.post(f"/communities/circle/requests/{_request_id(first, 'Asker 00')}/decline",
                         data={"page": "1"})
    assert answer.headers["Location"] == "/communities/circle/requests"


def _request_id(html: str, name: str) -> int:
    card = html.split(f"<strong>{name}</strong>", 1)[1]
    return int(re.search(r"/requests/(\d+)/approve", card).group(1))
