"""The owner's projects and the review queue come 20 a page with their count over every
project; sending a project back from page 2 of the queue comes back to page 2 (or the last)."""

import re

import pytest

from marketplace.extensions import db
from marketplace.projects.models import Project, ProjectState
from tests.pages import check_pages


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/projects/[^"]+">([^<]+)</a>', html)


def test_my_projects_come_20_a_page_newest_first(client, auth, make_user, make_project):
    owner = make_user(email="owner@example.org")
    for n in range(21):
        make_project(owner=owner, title=f"Mine {n:02d}")
    make_project(title="Someone else's")  # not counted, not listed
    auth.login("owner@example.org")
    check_pages(client, "/projects/mine", _titles, [f"Mine {n:02d}" for n in range(20, -1, -1)])


def test_my_projects_with_none_and_few(client, auth, make_user, make_project):
    owner = make_user(email="owner@example.org")
    auth.login("owner@example.org")
    empty = client.get("/projects/mine?page=3").get_data(as_text=True)
    assert "You have not proposed a project yet." in empty and 'class="pagination"' not in empty
    make_project(owner=owner, title="Only one")
    one = client.get("/projects/mine").get_data(as_text=True)
    assert _titles(one) == ["Only one"] and 'class="pagination"' not in one


@pytest.fixture
def queue(make_user, make_project):
    """41 projects waiting for review (three pages), submitted in the order of their numbers."""
    make_user(email="mod@example.org", roles=["moderator"])
    for n in range(41):
        make_project(state="pending_review", title=f"Waiting {n:02d}")
    make_project(state="open", title="Already open")  # not in the queue
    return [f"Waiting {n:02d}" for n in range(41)]


def test_review_queue_comes_20_a_page_oldest_first(client, auth, queue):
    auth.login("mod@example.org")
    check_pages(client, "/projects/review", _titles, queue)


def test_sending_back_comes_back_to_the_same_page_or_the_last(client, auth, queue):
    auth.login("mod@example.org")
    third = client.get("/projects/review?page=3").get_data(as_text=True)
    assert 'name="page" value="3"' in third
    answer = client.post("/projects/waiting-40/reject", data={"reason": "Cite a baseline.", "page": "3"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/projects/review?page=3"
    assert db.session.scalar(db.select(Project.state).where(Project.title == "Waiting 40")) \
        == ProjectState.DRAFT
    # Page 3 is empty now: the same address shows the last page, page 2.
    last = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Page 2 of 2" in last and _titles(last) == queue[20:40]
    answer = client.post("/projects/waiting-25/reject", data={"reason": "Budget?", "page": "2"})
    assert answer.headers["Location"] == "/projects/review?page=2"
    answer = client.post("/projects/waiting-00/reject", data={"reason": "Budget?", "page": "1"})
    assert answer.headers["Location"] == "/projects/review"
    # A tampered page number is bounded, never an error.
    answer = client.post("/projects/waiting-01/reject", data={"reason": "Budget?", "page": "abc"})
    assert answer.headers["Location"] == "/projects/review"
