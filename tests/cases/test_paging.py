"""A case study's history is paged (20 revisions, newest first) and any two revisions still
compare."""

import re

from marketplace.cases import services
from marketplace.extensions import db


def _numbers(html: str) -> list[int]:
    """The revision numbers of the history table's rows, in order."""
    return [int(n) for n in re.findall(r"<td>#(\d+)</td>", html)]


def test_history_pages_twenty_revisions_newest_first(client, auth, make_case_study):
    case = make_case_study(title="Long story", summary="Summary 1.")
    for n in range(2, 26):  # #n sets the summary to "Summary n."
        case.summary = f"Summary {n}."
        services.record_revision(case, case.owner, f"edit number {n}")
    db.session.commit()
    url, diff = f"/cases/{case.slug}/history", f"/cases/{case.slug}/diff"

    first = client.get(url).get_data(as_text=True)
    assert _numbers(first) == list(range(25, 5, -1))
    assert "25 revisions" in first and "Page 1 of 2" in first
    assert f'rel="next" href="{url}?page=2"' in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert _numbers(second) == [5, 4, 3, 2, 1]
    assert f'rel="prev" href="{url}?page=1"' in second and 'rel="next"' not in second
    assert _numbers(client.get(f"{url}?page=99").get_data(as_text=True)) == [5, 4, 3, 2, 1]
    assert _numbers(client.get(f"{url}?page=abc").get_data(as_text=True)) == list(range(25, 5, -1))

    # Compare by number, not from a list of every revision; rows link to the changes they made
    # (the last row of a page too) and to the changes since.
    assert re.search(r'name="from" type="number" min="1" max="25" value="24"', second)
    assert re.search(r'name="to" type="number" min="1" max="25" value="25"', second)
    assert '<option value="3"' not in second
    assert f"{diff}?from=5&amp;to=6" in first and f"{diff}?from=1&amp;to=2" in second
    assert f"{diff}?from=3&amp;to=25" in second and f"{diff}?from=25&amp;to=25" not in first
    # #3 (page 2) against #25 (page 1)
    changes = client.get(f"{diff}?from=3&to=25").get_data(as_text=True)
    assert "Summary <del>3.</del><ins>25.</ins>" in changes

    # Revert is offered on every revision but the latest, on any page.
    auth.login(case.owner.email)
    first = client.get(url).get_data(as_text=True)
    assert f"/cases/{case.slug}/revert/25" not in first and f"/cases/{case.slug}/revert/24" in first
    assert f"/cases/{case.slug}/revert/5" in client.get(f"{url}?page=2").get_data(as_text=True)
