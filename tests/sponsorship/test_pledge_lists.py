"""The donor's and the host's pledge lists past one page: pages, the status filter, and totals
taken over every pledge (not the page shown)."""

import re

from marketplace.extensions import db
from marketplace.sponsorship import services


def _rows(html: str) -> list[str]:
    """The pledge table's rows (their first cell onwards), in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def _donor_with_pledges(make_open_project, make_donor, pledge, n: int, provider="instant"):
    donor = make_donor(email="me@example.org")
    project = make_open_project(goal_minor=1_000_000)
    pledges = [pledge(donor, project, str(i + 1), provider=provider) for i in range(n)]
    return donor, project, pledges


def test_the_dashboard_pages_its_pledges_and_totals_them_all(client, auth, make_open_project, make_donor,
                                                            pledge):
    _donor, _project, pledges = _donor_with_pledges(make_open_project, make_donor, pledge, 21)
    auth.login("me@example.org")
    first = client.get("/sponsorship/dashboard").get_data(as_text=True)
    assert len(_rows(first)) == 20
    assert "Page 1 of 2" in first and 'rel="next"' in first
    # 1 + 2 + … + 21 = 231 EUR given, although page 1 shows 20 of the 21 pledges
    assert "€231.00" in first
    second = client.get("/sponsorship/dashboard?page=2").get_data(as_text=True)
    rows = _rows(second)
    assert len(rows) == 1 and "€1.00" in rows[0]  # the oldest pledge, last
    assert "Page 2 of 2" in second and "€231.00" in second
    # past the end: the last page; nonsense: the first
    assert len(_rows(client.get("/sponsorship/dashboard?page=99").get_data(as_text=True))) == 1
    assert len(_rows(client.get("/sponsorship/dashboard?page=-3x").get_data(as_text=True))) == 20


def test_the_dashboard_filters_by_status_and_keeps_the_filter_across_pages(client, auth, make_open_project,
                                                                          make_donor, pledge):
    donor, project, paid = _donor_with_pledges(make_open_project, make_donor, pledge, 3)
    unpaid = [pledge(donor, project, "100", provider="manual") for _ in range(22)]
    services.cancel_pledge(unpaid[0], donor)
    db.session.commit()
    auth.login("me@example.org")
    html = client.get("/sponsorship/dashboard").get_data(as_text=True)
    assert re.search(r"All pledges <span class=\"count\">25</span>", html)
    assert re.search(r"Pledged, awaiting payment <span class=\"count\">21</span>", html)
    assert re.search(r"Contribution received <span class=\"count\">3</span>", html)
    assert "€6.00" in html  # only the paid ones count as given
    awaiting = client.get("/sponsorship/dashboard?status=pledged").get_data(as_text=True)
    assert len(_rows(awaiting)) == 20 and "Page 1 of 2" in awaiting
    assert "status=pledged&amp;page=2" in awaiting or "page=2&amp;status=pledged" in awaiting
    page2 = client.get("/sponsorship/dashboard?status=pledged&page=2").get_data(as_text=True)
    assert len(_rows(page2)) == 1 and "Pledged, awaiting payment" in _rows(page2)[0]
    cancelled = client.get("/sponsorship/dashboard?status=cancelled").get_data(as_text=True)
    assert len(_rows(cancelled)) == 1 and "Cancelled" in _rows(cancelled)[0]
    refunded = client.get("/sponsorship/dashboard?status=refunded").get_data(as_text=True)
    assert "None of your pledges has this status." in refunded
    # an unknown status is no filter, not an error
    assert len(_rows(client.get("/sponsorship/dashboard?status=<script>").get_data(as_text=True))) == 20


def test_a_refund_is_netted_out_of_the_total_given(client, auth, make_open_project, make_donor, make_user,
                                                  pledge):
    donor = make_donor(email="me@example.org")
    refunded_project = make_open_project(goal_minor=100_000, funding_model="keep_what_you_raise")
    kept = make_open_project(goal_minor=100_000)
    pledge(donor, refunded_project, "40")
    pledge(donor, kept, "15")
    services.refund_project(make_user(roles=["admin"]), refunded_project)
    db.session.commit()
    auth.login("me@example.org")
    html = client.get("/sponsorship/dashboard").get_data(as_text=True)
    assert "€15.00" in html and "€55.00" not in html


def test_the_payments_page_pages_awaiting_pledges_first_and_returns_to_the_page(client, auth, make_open_project,
                                                                               make_donor, make_user, pledge):
    project = make_open_project(goal_minor=1_000_000)
    donor = make_donor()
    pledge(donor, project, "7")  # paid: listed after every unpaid one
    unpaid = [pledge(donor, project, str(i + 10), provider="manual") for i in range(21)]
    make_user(email="admin@example.org", roles=["admin"])
    auth.login("admin@example.org")
    url = f"/sponsorship/projects/{project.slug}/payments"
    first = client.get(url).get_data(as_text=True)
    assert len(_rows(first)) == 20 and all("Record payment received" in row for row in _rows(first))
    second = client.get(url + "?page=2").get_data(as_text=True)
    rows = _rows(second)
    assert len(rows) == 2 and "Record payment received" in rows[0] and "€7.00" in rows[1]
    # recording a payment on page 2 comes back to page 2 of the same list
    oldest = unpaid[0]
    action = f"/sponsorship/pledges/{oldest.id}/record-payment?page=2"
    assert f'action="{action}"' in second
    response = client.post(action, data={"reference": "bank 1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}?page=2")
    paid = client.get(url + "?status=confirmed").get_data(as_text=True)
    assert len(_rows(paid)) == 2
    assert re.search(r"Contribution received <span class=\"count\">2</span>", paid)


def test_the_project_owner_sees_the_pledges_read_only_and_cannot_record_them(client, auth, make_open_project,
                                                                           make_user, make_donor, pledge):
    owner = make_user(email="owner@example.org")
    project = make_open_project(owner=owner)
    unpaid = pledge(make_donor(), project, "30", provider="manual")
    auth.login("owner@example.org")
    response = client.get(f"/sponsorship/projects/{project.slug}/payments?page=2&status=pledged")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(_rows(html)) == 1 and "€30.00" in html
    assert "You own this project, so you do not record its payments" in html
    assert "Record payment received" not in html and "record-payment" not in html
    assert "See pledges and payments" in client.get(f"/projects/{project.slug}").get_data(as_text=True)
    refused = client.post(f"/sponsorship/pledges/{unpaid.id}/record-payment", data={"reference": "x"})
    assert refused.status_code == 403
    assert "You own this project, so you do not record its payments" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert unpaid.status == "pledged"
    own_pledge = client.get(f"/sponsorship/projects/{project.slug}/pledge")
    assert own_pledge.status_code == 403 and "pledges come from donors" in own_pledge.get_data(as_text=True)


def test_the_pledge_box_reminds_a_donor_of_their_pledges_and_thanks_them(client, auth, make_open_project,
                                                                        make_donor, pledge):
    project = make_open_project(goal_minor=10_000)
    pledge(make_donor(email="me@example.org"), project, "40", provider="manual")
    auth.login("me@example.org")
    box = client.get(f"/projects/{project.slug}").get_data(as_text=True).split('class="pledge-box"', 1)[1]
    assert "Your pledges to this project" in box and "€40.00 on" in box and "Pledged, awaiting payment" in box
    page = client.get(f"/sponsorship/projects/{project.slug}/pledge").get_data(as_text=True)
    nonce = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post(f"/sponsorship/projects/{project.slug}/pledge", data={"amount": "5", "idempotency_key": nonce},
                       follow_redirects=True)
    assert "Thank you: your pledge is recorded." in done.get_data(as_text=True)


def test_a_visitor_is_not_asked_to_sign_in_to_pledge_to_a_full_project(client, make_open_project, make_donor,
                                                                       pledge):
    project = make_open_project(goal_minor=1_000)
    pledge(make_donor(), project, "10", provider="manual")
    box = client.get(f"/projects/{project.slug}").get_data(as_text=True).split('class="pledge-box"', 1)[1]
    assert "This project has reached its goal; it needs no more pledges." in box and "Sign in to pledge" not in box


def test_the_project_page_shows_the_latest_sponsors_and_links_to_every_contribution(client, make_open_project,
                                                                                   make_donor, pledge):
    project = make_open_project(goal_minor=1_000_000)
    for i in range(12):
        pledge(make_donor(display_name=f"Giver {i:02d}"), project, str(i + 1))
    html = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    sponsors = html.split('class="plain sponsors"', 1)[1].split("</ul>", 1)[0]
    assert sponsors.count("<li>") == 10
    assert "Giver 11" in sponsors and "Giver 00" not in sponsors  # the latest first
    assert re.search(r'Sponsors <span class="count">12</span>', html)
    assert "See all 12 contributions" in html


def test_the_transparency_page_pages_the_movements_newest_first(client, make_open_project, make_donor, pledge):
    project = make_open_project(goal_minor=1_000_000)
    donor = make_donor(display_name="Steady giver")
    for i in range(51):
        pledge(donor, project, str(i + 1))
    url = f"/projects/{project.slug}/transparency"
    first = client.get(url).get_data(as_text=True)
    assert len(_rows(first)) == 50 and "€51.00" in _rows(first)[0]
    assert "51 movements, newest first." in first and "Page 1 of 2" in first
    assert "€1,326.00" in first  # the ledger's total of all 51 (1 + … + 51)
    last = _rows(client.get(url + "?page=2").get_data(as_text=True))
    assert len(last) == 1 and "€1.00" in last[0]
    csv_text = client.get(url + ".csv").get_data(as_text=True)
    assert csv_text.count("Steady giver") == 51  # the download keeps every movement


def test_the_project_page_shows_the_latest_reports_and_the_rest_are_paged(client, make_open_project):
    from datetime import timedelta

    from marketplace.database import utcnow
    from marketplace.projects.models import ProgressReport

    project = make_open_project()
    now = utcnow()
    db.session.add_all([ProgressReport(project_id=project.id, author_id=project.owner_id,
                                       body_source=f"Report number {i:02d}", body_html=f"<p>Report number {i:02d}</p>",
                                       created_at=now - timedelta(days=30 - i)) for i in range(21)])
    db.session.commit()
    html = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert html.count('class="card report"') == 3
    assert "Report number 20" in html and "Report number 17" not in html
    assert "See all 21 progress reports" in html
    url = f"/projects/{project.slug}/reports"
    first = client.get(url).get_data(as_text=True)
    assert first.count('class="card report"') == 10 and "Page 1 of 3" in first
    assert first.index("Report number 20") < first.index("Report number 11")
    third = client.get(url + "?page=3").get_data(as_text=True)
    assert third.count('class="card report"') == 1 and "Report number 00" in third
    assert client.get(url + "?page=abc").status_code == 200
    assert client.get("/projects/no-such-project/reports").status_code == 404


def test_withdrawing_asks_with_the_amount_and_words_that_are_not_both_cancel(client, auth, make_open_project,
                                                                            make_donor, pledge):
    project = make_open_project(goal_minor=10_000, title="School budgets")
    p = pledge(make_donor(email="me@example.org"), project, "40", provider="manual")
    auth.login("me@example.org")
    url = f"/sponsorship/pledges/{p.id}/cancel"
    page = client.get(url).get_data(as_text=True)
    assert "Withdraw your pledge of €40.00 to School budgets?" in page
    assert "Withdraw the pledge" in page and "Keep the pledge" in page and ">Cancel<" not in page
    assert "Your pledge is withdrawn." in client.post(url, follow_redirects=True).get_data(as_text=True)
    # the confirmation page of a pledge already withdrawn (another tab) says so instead of asking
    again = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "This pledge was not changed: its status is now “Cancelled”." in again
    assert "Withdraw your pledge" not in again


def test_a_receipt_shows_the_banks_reference_not_our_keys():
    from marketplace.sponsorship.views import shown_provider_reference

    assert shown_provider_reference("bank:b:DE89370400440532013000:2026-12-06:DEMO0001") == "DEMO0001"
    assert shown_provider_reference("bank:b:DE89370400440532013000:2026-12-06:REF:42#2") == "REF:42"
    assert shown_provider_reference("bank:h:9f86d081884c7d65") == ""
    assert shown_provider_reference("instant") == ""
    assert shown_provider_reference("cs_test_a1B2") == "cs_test_a1B2"
    assert shown_provider_reference(None) == ""


def test_csv_downloads_start_with_a_byte_order_mark_for_excel(client, auth, make_open_project, make_donor, pledge):
    project = make_open_project(title="Écoles de Thiès")
    pledge(make_donor(email="me@example.org"), project, "10")
    auth.login("me@example.org")
    for url in ("/sponsorship/dashboard/history.csv", f"/projects/{project.slug}/transparency.csv"):
        body = client.get(url).data
        assert body.startswith("\ufeff".encode()) and "Thiès".encode() in body or url.endswith("transparency.csv")
        assert body.count("\ufeff".encode()) == 1


def test_a_bad_payment_reference_shows_the_list_again_with_the_message_and_the_typed_text(
        client, auth, make_open_project, make_donor, make_user, pledge):
    project = make_open_project(goal_minor=1_000_000)
    unpaid = pledge(make_donor(), project, "25", provider="manual")
    make_user(email="admin@example.org", roles=["admin"])
    auth.login("admin@example.org")
    typed = "BANK-" + "7" * 130
    response = client.post(f"/sponsorship/pledges/{unpaid.id}/record-payment", data={"reference": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html
    assert "Field cannot be longer than 120 characters." in html or "120" in html.split("field-error", 1)[1][:200]
    db.session.expire_all()
    assert unpaid.status == "pledged"


def test_the_ranking_line_writes_its_figures_the_readers_way(client, make_open_project):
    make_open_project(title="Ranked")
    client.set_cookie("lang", "fr")
    html = client.get("/projects/").get_data(as_text=True)
    line = re.search(r'<p class="meta score">(.*?)</p>', html, re.S).group(1)
    assert re.search(r"Score \d+,\d\d\u00a0?:", line) or re.search(r"Score \d+,\d\d :", line), line
    assert "vérifiés : 0" in line and "." not in line.split("Score", 1)[1].split(":", 1)[0]
