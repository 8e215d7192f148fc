"""The benchmark page: peers, percentiles with N, filters, the chart."""

import re

import pytest

from marketplace.accounts.models import Organization
from marketplace.extensions import db


@pytest.fixture
def orgs(app):
    made = {}
    for name, type_, country in [("Gov KE", "government", "KE"), ("NGO BR", "ngo", "BR"),
                                 ("Uni FR", "academic", "FR")]:
        made[type_] = Organization(name=name, slug=name.lower().replace(" ", "-"), type=type_,
                                   country=country)
        db.session.add(made[type_])
    db.session.commit()
    return made


@pytest.fixture
def five_cases(make_metric_definition, make_case_study, orgs):
    make_metric_definition("response-time-days", "lower", name="Response time", unit="days")
    specs = [("Nairobi", "KE", "government", 30, 10), ("Mombasa", "KE", "ngo", 30, 25),
             ("Recife", "BR", "ngo", 20, 20), ("Lyon", "FR", "academic", 12, 6),
             ("Kisumu", "KE", "government", 30, 40)]
    return {title: make_case_study(title=title, country=country,
                                   organization_id=orgs[org].id,
                                   metrics={"response-time-days": (baseline, result)})
            for title, country, org, baseline, result in specs}


def rows(html):
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", r).split() for r in body.split("</tr>")[:-1]]


def test_five_cases_ranked_with_percentiles_and_n(client, five_cases):
    html = client.get("/benchmarks/response-time-days").get_data(as_text=True)
    assert "N = 5" in html
    table = rows(html)
    # improvements (lower is better): Nairobi 20, Lyon 6, Mombasa 5, Recife 0, Kisumu -10
    assert [r[1] for r in table] == ["Nairobi", "Lyon", "Mombasa", "Recife", "Kisumu"]
    assert [r[-1] for r in table] == ["90.0", "70.0", "50.0", "30.0", "10.0"]
    assert table[-1][4:] == ["30", "40", "-10", "-33.33&nbsp;%", "10.0"]
    assert "mid-rank" in html


def test_filter_by_region_recomputes_n_and_percentiles(client, five_cases):
    html = client.get("/benchmarks/response-time-days?region=africa").get_data(as_text=True)
    assert "N = 3" in html and "of 5 published" in html
    table = rows(html)
    assert [r[1] for r in table] == ["Nairobi", "Mombasa", "Kisumu"]
    assert [r[-1] for r in table] == ["83.3", "50.0", "16.7"]
    assert "Lyon" not in html


def test_filter_by_country_and_organization_type(client, five_cases):
    html = client.get("/benchmarks/response-time-days?country=KE&org_type=government")
    table = rows(html.get_data(as_text=True))
    assert [r[1] for r in table] == ["Nairobi", "Kisumu"]


def test_chart_is_accessible_svg_without_style_and_highlights_the_case(client, five_cases):
    html = client.get("/benchmarks/response-time-days?case=" + five_cases["Lyon"].slug)
    html = html.get_data(as_text=True)
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "style=" not in svg
    assert '<title id="chart-title">' in svg and '<desc id="chart-desc">' in svg
    assert svg.count("<rect") == 5
    assert svg.count('stroke="#1d2327"') == 1  # only the highlighted bar
    assert 'aria-current="true"' in html


def test_ties_share_a_percentile_on_the_page(client, make_metric_definition, make_case_study):
    make_metric_definition("citizen-participation-rate")
    for title, result in [("A", 15), ("B", 15), ("C", 12), ("D", 20), ("E", 15)]:
        make_case_study(title=title, metrics={"citizen-participation-rate": (10, result)})
    table = rows(client.get("/benchmarks/citizen-participation-rate").get_data(as_text=True))
    # D 10 (best), A/B/E tie at 5, C 2: (1 below + 1.5) / 5 = 50 for the tie
    assert [(r[1], r[-1]) for r in table] == [("D", "90.0"), ("A", "50.0"), ("B", "50.0"),
                                              ("E", "50.0"), ("C", "10.0")]
    assert [r[0] for r in table] == ["1", "2", "2", "2", "5"]


def test_single_case_is_at_fifty(client, make_metric_definition, make_case_study):
    make_metric_definition("budget-execution-rate")
    make_case_study(title="Only", metrics={"budget-execution-rate": (60, 80)})
    html = client.get("/benchmarks/budget-execution-rate").get_data(as_text=True)
    assert "N = 1" in html and rows(html)[0][-1] == "50.0"


def test_benchmark_index_counts_published_cases(client, five_cases, make_case_study):
    make_case_study(title="Draft one", status="draft", metrics={"response-time-days": (1, 2)})
    html = client.get("/benchmarks/").get_data(as_text=True)
    assert "Response time" in html
    assert re.search(r'class="num">5</td>', html)


def test_many_cases_page_the_table_and_trim_the_chart(client, make_metric_definition,
                                                      make_case_study):
    make_metric_definition("budget-execution-rate")
    cases = [make_case_study(title=f"Case {i:02d}", metrics={"budget-execution-rate": (0, 100 - i)})
             for i in range(60)]
    html = client.get("/benchmarks/budget-execution-rate").get_data(as_text=True)
    assert "N = 60" in html and len(rows(html)) == 50
    wide, phone = (svg.split("</svg>", 1)[0] for svg in html.split("<svg")[1:3])
    assert wide.count("<rect") == phone.count("<rect") == 36  # 18 best + 18 worst
    assert "Showing 36 of 60 cases" in html
    # the case you came from: its page of the table, and its bar in the chart
    html = client.get(f"/benchmarks/budget-execution-rate?case={cases[55].slug}")
    html = html.get_data(as_text=True)
    assert [r[1:3] for r in rows(html)][5] == ["Case", "55"]
    assert len(rows(html)) == 10 and 'aria-current="true"' in html
    assert [svg.split("</svg>", 1)[0].count('stroke="#1d2327"')
            for svg in html.split("<svg")[1:3]] == [1, 1]  # in the wide and the phone chart
    assert "Page 2 of 2" in html
