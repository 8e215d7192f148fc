"""A case study's history is paged (20 revisions, newest first) and any two revisions still
compare; a practice page names how many case studies applied it and links to all of them: the
case-study list filtered by practice, paged like the rest of that list."""

import re

from marketplace.cases import services
from marketplace.extensions import db
from tests.pages import check_pages


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


def test_practice_page_counts_every_case_study_and_links_to_them(client, make_practice, make_user,
                                                                  make_case_study):
    practice = make_practice(title="Scorecards")
    other = make_practice(title="Other practice")
    for n in range(1, 23):
        make_case_study(title=f"Scorecard case {n:02d}", practice_slugs=[practice.slug])
    make_case_study(title="Unrelated case", practice_slugs=[other.slug])
    make_case_study(title="Draft of someone", status="draft", practice_slugs=[practice.slug])

    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert '<span class="count">22</span>' in page
    assert len(re.findall(r"Scorecard case \d\d", page)) == 20
    assert f'href="/cases/?practice={practice.slug}">See all 22 case studies</a>' in page

    url = f"/cases/?practice={practice.slug}"
    first = client.get(url).get_data(as_text=True)
    assert "22 case studies" in first and "Case studies of the practice “Scorecards”" in first
    titles = re.findall(r"Scorecard case (\d\d)", first)
    assert titles == [f"{n:02d}" for n in range(22, 2, -1)]  # newest first
    assert "Unrelated case" not in first and "Draft of someone" not in first
    assert f'<input type="hidden" name="practice" value="{practice.slug}">' in first
    assert f'rel="next" href="/cases/?practice={practice.slug}&amp;page=2"' in first
    second = client.get(f"{url}&page=2").get_data(as_text=True)
    assert re.findall(r"Scorecard case (\d\d)", second) == ["02", "01"]
    assert re.findall(r"Scorecard case (\d\d)", client.get(f"{url}&page=99").get_data(as_text=True)) == ["02", "01"]
    assert re.findall(r"Scorecard case (\d\d)", client.get(f"{url}&page=abc").get_data(as_text=True)) == titles
    # Other filters combine with it; the link drops the practice and keeps them.
    filtered = client.get(f"{url}&q=case+01").get_data(as_text=True)
    assert re.findall(r"Scorecard case (\d\d)", filtered) == ["01"]
    assert 'href="/cases/?q=case+01">Case studies of every practice</a>' in filtered


def test_practice_filter_hides_what_the_viewer_may_not_see(client, auth, make_practice, make_user,
                                                           make_case_study):
    hidden = make_practice(title="Secret practice", status="draft")
    case = make_case_study(title="Applied the secret")
    case.practices.append(hidden)  # as services.create_case_study would refuse
    db.session.commit()
    small = make_practice(title="Small practice")
    make_case_study(title="Only one", practice_slugs=[small.slug])

    page = client.get(f"/cases/?practice={hidden.slug}").get_data(as_text=True)
    assert "Applied the secret" not in page and "Secret practice" not in page
    assert "No practice of that name." in page and "0 case studies" in page
    assert "0 case studies" in client.get("/cases/?practice=no-such-practice").get_data(as_text=True)
    auth.login(hidden.owner.email)
    page = client.get(f"/cases/?practice={hidden.slug}").get_data(as_text=True)
    assert "Applied the secret" in page and "Case studies of the practice “Secret practice”" in page

    # Under a full first page, the practice page shows no "see all" link.
    page = client.get(f"/practices/{small.slug}").get_data(as_text=True)
    assert '<span class="count">1</span>' in page and "See the" not in page and "See all" not in page


def test_benchmark_index_comes_50_metrics_a_page_with_their_case_counts(client, make_metric_definition,
                                                                       make_case_study):
    for n in range(51):
        make_metric_definition(slug=f"metric-{n:02d}", name=f"Metric {n:02d}")
    for i in range(3):  # the last metric, alone on page 2, still counts its case studies
        make_case_study(title=f"Case {i}", metrics={"metric-50": (1, 2 + i)})
    make_case_study(title="Draft", status="draft", metrics={"metric-50": (1, 2)})

    def metrics(html: str) -> list[str]:
        return re.findall(r'<th scope="row"><a href="/benchmarks/[^"]+">([^<]+)</a>', html)

    check_pages(client, "/benchmarks/", metrics, [f"Metric {n:02d}" for n in range(51)], per_page=50)
    second = client.get("/benchmarks/?page=2").get_data(as_text=True)
    assert re.search(r'Metric 50</a></th>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td class="num">3</td>', second)
