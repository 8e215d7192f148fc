"""A practice's history (20 revisions a page, newest first) and its suggestion queue (10 a
page, oldest first) are paged; any two revisions still compare, whatever page they are on."""

import re

import pytest

from marketplace.extensions import db
from marketplace.knowledge import services


def _numbers(html: str) -> list[int]:
    """The revision numbers of the history table's rows, in order."""
    return [int(n) for n in re.findall(r"<td>#(\d+)", html)]


@pytest.fixture
def long_history(app, make_practice):
    """A practice with 25 revisions: #1 created it, #n (n > 1) set the approach to "Step n."."""
    practice = make_practice(title="Long history")
    with app.test_request_context():
        for n in range(2, 26):
            services.update_practice(practice, practice.owner,
                                     {**services.practice_data(practice), "approach": f"Step {n}."},
                                     message=f"edit number {n}")
        db.session.commit()
    return practice


def test_history_pages_twenty_revisions_newest_first(client, long_history):
    url, diff = f"/practices/{long_history.slug}/history", f"/practices/{long_history.slug}/diff"
    first = client.get(url).get_data(as_text=True)
    assert _numbers(first) == list(range(25, 5, -1))
    assert "25 revisions" in first
    assert f'rel="next" href="{url}?page=2"' in first
    assert "Page 1 of 2" in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert _numbers(second) == [5, 4, 3, 2, 1]
    assert f'rel="prev" href="{url}?page=1"' in second and 'rel="next"' not in second
    # The last row of a page still links to its changes, and every older row to the changes since.
    assert f"{diff}?a=1&amp;b=2" in second and f"{diff}?a=3&amp;b=25" in second
    assert _numbers(client.get(f"{url}?page=99").get_data(as_text=True)) == [5, 4, 3, 2, 1]
    assert _numbers(client.get(f"{url}?page=abc").get_data(as_text=True)) == list(range(25, 5, -1))


def test_history_compares_any_two_revisions_by_number(client, long_history):
    slug = long_history.slug
    history = client.get(f"/practices/{slug}/history?page=2").get_data(as_text=True)
    # Number inputs bounded by the latest revision, not a list of every revision.
    assert re.search(r'<input[^>]*max="25"[^>]*min="1"[^>]*name="a"[^>]*type="number"[^>]*value="24"', history)
    assert re.search(r'<input[^>]*name="b"[^>]*type="number"[^>]*value="25"', history)
    assert '<option value="3"' not in history
    # #3 (page 2) against #25 (page 1): the diff URL as before.
    diff = client.get(f"/practices/{slug}/diff?a=3&b=25").get_data(as_text=True)
    assert "Step <del>3.</del><ins>25.</ins>" in diff
    assert re.search(r'name="a"[^>]*value="3"', diff) and re.search(r'name="b"[^>]*value="25"', diff)
    assert "Step <del>24.</del><ins>25.</ins>" in client.get(f"/practices/{slug}/diff").get_data(as_text=True)
    assert "Step <del>9.</del><ins>10.</ins>" in client.get(f"/practices/{slug}/diff?b=10").get_data(as_text=True)
    for bad in ("a=0&b=3", "a=3&b=26", "a=3&b=2000000", "a=-1&b=2"):
        assert client.get(f"/practices/{slug}/diff?{bad}").status_code == 404, bad


def test_suggestion_queue_pages_ten_oldest_first(app, client, auth, make_practice, make_user):
    practice = make_practice(title="Popular")
    with app.test_request_context():
        for n in range(1, 13):
            services.suggest_edit(practice, make_user(), {"approach": f"Idea {n:02d}."},
                                  message=f"proposal {n:02d}")
        db.session.commit()
    auth.login(practice.owner.email)
    url = f"/practices/{practice.slug}/suggestions"

    def proposals(html):
        return re.findall(r"proposal (\d\d)", html)

    first = client.get(url).get_data(as_text=True)
    assert proposals(first) == [f"{n:02d}" for n in range(1, 11)]
    assert "12 suggestions are waiting, oldest first." in first
    assert f'rel="next" href="{url}?page=2"' in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert proposals(second) == ["11", "12"]
    assert "<ins>12.</ins>" in second and "<ins>01.</ins>" not in second
    assert proposals(client.get(f"{url}?page=99").get_data(as_text=True)) == ["11", "12"]
    assert proposals(client.get(f"{url}?page=abc").get_data(as_text=True)) == proposals(first)

    # Rejecting one on page 2 comes back to page 2.
    action = re.search(r'action="([^"]*/reject\?page=2)"', second).group(1)
    response = client.post(action, data={"reason": "Not now"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}?page=2")
    assert proposals(client.get(f"{url}?page=2").get_data(as_text=True)) == ["12"]


def _lineage(html: str) -> list[str]:
    listed = html.split('<ul class="plain lineage">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<li class="depth-\d+">\s*(?:<strong aria-current="page">|<a href="[^"]+">)([^<]+)<', listed)


def test_the_lineage_comes_30_a_page_opening_on_the_practice_read(client, make_user, make_practice):
    owner = make_user()
    root = make_practice(owner=owner, title="Root practice")
    for n in range(40):
        make_practice(owner=owner, title=f"Adapt {n:02d}", parent=root)
    tree = ["Root practice"] + [f"Adapt {n:02d}" for n in range(40)]  # 41 rows: 30, then 11

    first = client.get("/practices/root-practice").get_data(as_text=True)
    assert _lineage(first) == tree[:30]
    assert '<h3 id="lineage">Lineage <span class="count">41</span></h3>' in first
    assert 'href="/practices/root-practice?lineage_page=2#lineage"' in first
    # An adaptation's page opens the lineage on the page that holds it.
    deep = client.get("/practices/adapt-35").get_data(as_text=True)
    assert _lineage(deep) == tree[30:] and '<strong aria-current="page">Adapt 35</strong>' in deep
    assert '<span class="count">41</span>' in deep and "Page 2 of 2" in deep
    assert _lineage(client.get("/practices/adapt-35?lineage_page=1").get_data(as_text=True)) == tree[:30]
    for past in ("2", "999"):
        assert _lineage(client.get(f"/practices/root-practice?lineage_page={past}")
                        .get_data(as_text=True)) == tree[30:]
    for bad in ("abc", "0", "-1"):
        response = client.get(f"/practices/adapt-35?lineage_page={bad}")
        assert response.status_code == 200 and _lineage(response.get_data(as_text=True)) == tree[:30]
