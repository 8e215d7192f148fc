"""The host's dashboard pages each of its lists on its own (proposed matches 50 a page, payments
nothing matched, pledges awaiting payment and hosted projects 20 a page), counts every row in
its heading, and an action comes back to the pages it was sent from."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.sponsorship import hosting
from marketplace.sponsorship.models import BankLine, BankStatement, Pledge


@pytest.fixture
def host(fiscal_host, make_open_project, make_donor, pledge):
    """21 hosted projects; 51 pledges awaiting payment, each with a proposed bank line (the
    latest booked first); 21 lines nothing matches."""
    org, _treasurer = fiscal_host
    projects = [make_open_project(goal_minor=10_000_000, host_id=org.id, title=f"Hosted {n:02d}")
                for n in range(21)]
    donor = make_donor(name="Jane Donor", email="jane@example.org")
    pledges = [pledge(donor, projects[0], str(n + 1), provider="manual") for n in range(51)]
    statement = BankStatement(host_id=org.id, file_format="csv")
    db.session.add(statement)
    db.session.flush()
    start = date(2026, 1, 1)
    for n, p in enumerate(pledges):
        db.session.add(BankLine(host_id=org.id, statement_id=statement.id, bank_transaction_id=f"P{n}",
                                booked_on=start + timedelta(days=n), amount_minor=p.amount_minor,
                                currency="EUR", payer=f"Proposer {n:02d}", status="proposed",
                                pledge_id=p.id, match_reason="reference"))
    for n in range(21):
        db.session.add(BankLine(host_id=org.id, statement_id=statement.id, bank_transaction_id=f"U{n}",
                                booked_on=start + timedelta(days=n), amount_minor=777_700 + n,
                                currency="EUR", payer=f"Stranger {n:02d}"))
    db.session.commit()
    return org, pledges


def _rows(html: str, who: str) -> list[str]:
    return re.findall(rf'<td data-label="Payer and details">({who} \d+)<br>', html)


def _awaiting(html: str) -> list[str]:
    section = html.split('id="awaiting-title"', 1)[1].split('id="hosted-projects"', 1)[0]
    return re.findall(r"<li>([^<]+?) · ", section)


def _hosted(html: str) -> list[str]:
    return re.findall(r'>(Hosted \d+)</a></li>', html)


def _count(html: str, title_id: str) -> str:
    return re.search(rf'id="{title_id}">[^<]*<span class="count">([^<]+)</span>', html).group(1)


def test_each_list_has_its_own_pages_and_counts_every_row(client, auth, host):
    org, pledges = host
    auth.login("treasurer@example.org")
    first = client.get("/hosts/anfitriona").get_data(as_text=True)
    proposers = [f"Proposer {n:02d}" for n in range(50, -1, -1)]  # latest booked first
    strangers = [f"Stranger {n:02d}" for n in range(20, -1, -1)]
    references = [hosting.display_reference(p.id) for p in pledges]  # oldest first
    assert _rows(first, "Proposer") == proposers[:50]
    assert _rows(first, "Stranger") == strangers[:20]
    assert _awaiting(first) == references[:20]
    assert _hosted(first) == [f"Hosted {n:02d}" for n in range(20)]
    assert (_count(first, "proposed-title"), _count(first, "unmatched-title"),
            _count(first, "awaiting-title"), _count(first, "hosted-projects")) == ("51", "21", "51", "21")
    for param, anchor in (("proposed_page", "proposed"), ("unmatched_page", "unmatched"),
                          ("awaiting_page", "awaiting"), ("projects_page", "hosted-projects")):
        assert f'href="/hosts/anfitriona?{param}=2#{anchor}"' in first

    # Each list turns its own page; the others stay where they were.
    second = client.get("/hosts/anfitriona?proposed_page=2&unmatched_page=2&awaiting_page=3"
                        "&projects_page=2").get_data(as_text=True)
    assert _rows(second, "Proposer") == ["Proposer 00"]
    assert _rows(second, "Stranger") == ["Stranger 00"]
    assert _awaiting(second) == references[40:]
    assert _hosted(second) == ["Hosted 20"]
    assert _count(second, "proposed-title") == "51" and _count(second, "awaiting-title") == "51"
    only_one = client.get("/hosts/anfitriona?unmatched_page=2").get_data(as_text=True)
    assert _rows(only_one, "Stranger") == ["Stranger 00"] and _rows(only_one, "Proposer") == proposers[:50]

    # Past the end: the last page; not a number: the first. Never an error.
    response = client.get("/hosts/anfitriona?proposed_page=999&unmatched_page=abc&awaiting_page=-1"
                          "&projects_page=99999999999999999999")
    assert response.status_code == 200
    odd = response.get_data(as_text=True)
    assert _rows(odd, "Proposer") == ["Proposer 00"] and _rows(odd, "Stranger") == strangers[:20]
    assert _awaiting(odd) == references[:20] and _hosted(odd) == ["Hosted 20"]


def test_actions_come_back_to_the_pages_they_were_sent_from(client, auth, host):
    org, pledges = host
    auth.login("treasurer@example.org")
    where = "proposed_page=2&unmatched_page=2"
    page = client.get(f"/hosts/anfitriona?{where}").get_data(as_text=True)
    assert f'action="/hosts/anfitriona/confirm?{where.replace("&", "&amp;")}"' in page
    assert '<input type="hidden" name="unmatched_page" value="2">' in page  # "Not a donation" (GET)
    line_00 = db.session.scalar(select(BankLine.id).where(BankLine.payer == "Proposer 00"))
    answer = client.post(f"/hosts/anfitriona/confirm?{where}", data={"line": [str(line_00)]})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/hosts/anfitriona?{where}"
    assert db.session.get(Pledge, pledges[0].id).status == "confirmed"
    # That emptied the second page of proposals: the same address shows their last page.
    back = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _count(back, "proposed-title") == "50" and len(_rows(back, "Proposer")) == 50
    assert _rows(back, "Stranger") == ["Stranger 00"] and _count(back, "awaiting-title") == "50"

    # Setting a line aside: its confirmation page posts to the address that carries the pages.
    stranger = db.session.scalar(select(BankLine.id).where(BankLine.payer == "Stranger 00"))
    ask = client.get(f"/hosts/anfitriona/lines/{stranger}/ignore?unmatched_page=2").get_data(as_text=True)
    assert f'action="/hosts/anfitriona/lines/{stranger}/ignore?unmatched_page=2"' in ask
    assert 'href="/hosts/anfitriona?unmatched_page=2"' in ask  # its Cancel link too
    answer = client.post(f"/hosts/anfitriona/lines/{stranger}/ignore?unmatched_page=2")
    assert answer.headers["Location"] == "/hosts/anfitriona?unmatched_page=2"
    assert db.session.get(BankLine, stranger).status == "ignored"
    assert db.session.scalar(select(func.count()).select_from(BankLine).where(
        BankLine.status == "unmatched")) == 20

    # Unmatching from the first pages goes back to the plain address; bad numbers are dropped.
    proposer = db.session.scalar(select(BankLine.id).where(BankLine.payer == "Proposer 50"))
    answer = client.post(f"/hosts/anfitriona/lines/{proposer}/unmatch?proposed_page=abc&awaiting_page=1")
    assert answer.headers["Location"] == "/hosts/anfitriona"
