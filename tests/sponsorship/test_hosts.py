"""Fiscal hosts: payment instructions and references, treasurers, bank statements and matching."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization
from marketplace.errors import InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.ledger import money
from marketplace.notifications.models import Notification
from marketplace.sponsorship import hosting, services
from marketplace.sponsorship.models import BankLine, Pledge

IBAN = "DE89370400440532013000"


def _mt940(*lines: tuple[str, str, str]) -> bytes:
    """A statement with one credit per (amount "250,00", bank reference, :86: details)."""
    out = [":20:STMT1", ":25:DE89370400440532013000", ":28C:00001/001", ":60F:C261204EUR0,00"]
    for amount, bank_ref, details in lines:
        out += [f":61:2612051205C{amount}NTRF{bank_ref}", f":86:{details}"]
    out.append(":62F:C261205EUR0,00")
    return ("\r\n".join(out) + "\r\n").encode()


@pytest.fixture
def hosted(fiscal_host, make_open_project, make_donor, pledge):
    org, _treasurer = fiscal_host
    project = make_open_project(goal_minor=30_000, host_id=org.id)
    donor = make_donor(name="Jane Donor", email="jane@example.org")
    return project, donor, pledge(donor, project, "250", provider="manual")


def test_references_are_checksummed_and_found_in_bank_text():
    ref = hosting.payment_reference(42)
    assert ref.startswith("RF") and ref.endswith("MP42")
    assert hosting.pledge_ids_in(f"Payment {hosting.display_reference(42)} thanks") == [42]
    assert hosting.pledge_ids_in(f"/EREF/{ref}/NAME/X") == [42]
    wrong = ref[:2] + ("00" if ref[2:4] != "00" else "01") + ref[4:]  # a typo in the check digits
    assert hosting.pledge_ids_in(wrong) == []


def test_host_settings_validate_iban_and_bic(app, make_user):
    org = Organization(name="Org", slug="org", type="ngo")
    db.session.add(org)
    with pytest.raises(InvalidInput) as err:
        hosting.update_host_settings(org, is_fiscal_host=True, payment_instructions="",
                                     bank_account_holder="", iban="DE89370400440532013001", bic="")
    assert err.value.field == "iban"
    with pytest.raises(InvalidInput) as err:
        hosting.update_host_settings(org, is_fiscal_host=True, payment_instructions="", bank_account_holder="",
                                     iban=IBAN, bic="NOTABIC!")
    assert err.value.field == "bic"
    with pytest.raises(InvalidInput) as err:
        hosting.update_host_settings(org, is_fiscal_host=True, payment_instructions="", bank_account_holder="",
                                     iban="", bic="")
    assert err.value.field == "payment_instructions"
    hosting.update_host_settings(org, is_fiscal_host=True, payment_instructions="", bank_account_holder="",
                                 iban="de89 3704 0044 0532 0130 00", bic="cobadeffxxx")
    assert (org.iban, org.bic, org.bank_account_holder) == (IBAN, "COBADEFFXXX", "Org")


def test_pledge_page_shows_the_hosts_instructions_and_reference(client, auth, hosted):
    project, donor, p = hosted
    auth.login(donor.email)
    page = client.get(f"/sponsorship/pledges/{p.id}").get_data(as_text=True)
    assert hosting.display_reference(p.id) in page
    assert "DE89 3704 0044 0532 0130 00" in page and "COBADEFFXXX" in page
    assert "Transfers in EUR only." in page


def test_treasurer_records_but_the_owner_cannot(client, auth, hosted, fiscal_host):
    project, _donor, p = hosted
    _org, treasurer = fiscal_host
    auth.login(project.owner.email)
    owners = client.get(f"/sponsorship/projects/{project.slug}/payments").get_data(as_text=True)  # read-only
    assert "the treasurers of Fundación Anfitriona" in owners and "Record payment received" not in owners
    assert client.post(f"/sponsorship/pledges/{p.id}/record-payment", data={"reference": "x"}).status_code == 403
    auth.logout()
    auth.login(treasurer.email)
    page = client.get(f"/sponsorship/projects/{project.slug}/payments")
    assert page.status_code == 200 and "treasurers of Fundación Anfitriona" in page.get_data(as_text=True)
    assert client.post(f"/sponsorship/pledges/{p.id}/record-payment", data={"reference": "x"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, p.id).status == "confirmed"


def test_statement_reference_match_confirmed_in_bulk_and_reupload_is_idempotent(client, auth, hosted, fiscal_host):
    project, donor, p = hosted
    org, treasurer = fiscal_host
    statement = _mt940(("250,00", "BANK0001", f"/EREF/{hosting.payment_reference(p.id)}/NAME/Jane Donor"),
                       ("12,34", "BANK0002", "Unrelated transfer"))
    auth.login(treasurer.email)
    upload = {"statement": (io.BytesIO(statement), "dec.sta"), "file_format": "mt940"}
    assert client.post(f"/hosts/{org.slug}/statements", data=upload,
                       content_type="multipart/form-data").status_code == 302
    lines = db.session.scalars(select(BankLine).order_by(BankLine.amount_minor)).all()
    assert [(ln.status, ln.pledge_id) for ln in lines] == [("unmatched", None), ("proposed", p.id)]
    page = client.get(f"/hosts/{org.slug}").get_data(as_text=True)
    assert hosting.display_reference(p.id) in page and "Unrelated transfer" in page

    assert client.post(f"/hosts/{org.slug}/confirm", data={"line": [str(lines[1].id)]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, p.id).status == "confirmed"
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.recipient_id == donor.id)) >= 1

    # The same file again: nothing new, nothing recorded twice.
    upload = {"statement": (io.BytesIO(statement), "dec.sta"), "file_format": "mt940"}
    client.post(f"/hosts/{org.slug}/statements", data=upload, content_type="multipart/form-data")
    assert db.session.scalar(select(func.count()).select_from(BankLine)) == 2
    assert client.post(f"/hosts/{org.slug}/confirm", data={"line": [str(lines[1].id)]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, p.id).contribution_id is not None
    assert project.raised_minor == 25_000


def test_csv_statement_matches_by_amount_and_payer(app, hosted, fiscal_host):
    project, donor, p = hosted
    org, treasurer = fiscal_host
    rows = "booked,value,name,text\n2026-12-05,250.00,JANE DONOR,donation\n2026-12-05,9.00,Bank,fee\n"
    hosting.import_statement(org, treasurer, rows.encode(), "csv", mapping={
        "date": "booked", "amount": "value", "currency": "=EUR", "payer": "name", "details": "text"})
    lines = db.session.scalars(select(BankLine).order_by(BankLine.amount_minor)).all()
    assert [(ln.status, ln.match_reason) for ln in lines] == [("unmatched", ""), ("proposed", "amount_payer")]


def test_an_owner_who_is_treasurer_cannot_confirm_their_own_income(app, fiscal_host, make_open_project, make_donor,
                                                                   pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=30_000, host_id=org.id, owner=treasurer)
    p = pledge(make_donor(), project, "250", provider="manual")
    hosting.import_statement(org, treasurer, _mt940(("250,00", "B1", hosting.payment_reference(p.id))), "mt940")
    line = db.session.scalar(select(BankLine))
    with pytest.raises(PermissionDenied):
        hosting.confirm_lines(org, treasurer, [line.id])


def test_a_bad_file_is_a_field_error_not_a_500(client, auth, fiscal_host):
    org, treasurer = fiscal_host
    auth.login(treasurer.email)
    response = client.post(f"/hosts/{org.slug}/statements",
                           data={"statement": (io.BytesIO(b"\x00\x01garbage"), "x.sta"), "file_format": "mt940"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "no incoming payment" in response.get_data(as_text=True) or "MT940" in response.get_data(as_text=True)


def test_only_treasurers_see_the_host_pages(client, auth, fiscal_host, make_user):
    org, _treasurer = fiscal_host
    outsider = make_user(email="outsider@example.org")
    auth.login(outsider.email)
    assert client.get(f"/hosts/{org.slug}").status_code == 403
    assert client.get(f"/hosts/{org.slug}/settings").status_code == 403


# --- bank amounts, CSV dialects and upload errors --------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("1000.00", "1000.00"), ("1,000.00", "1000.00"), ("1.000,00", "1000.00"), ("1 000,00", "1000.00"),
    ("1\u00a0000,00", "1000.00"), ("1'000.50", "1000.50"), ("-12,50", "-12.50"), ("12,50-", "-12.50"),
    ("12,5", "12.5"), ("1.234.567,89", "1234567.89"), ("1.000.000", "1000000"), ("0,125", "0.125"), ("7", "7"),
])
def test_bank_amounts_are_read_whatever_the_decimal_mark(text, value):
    assert money.parse_bank_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e309", "12.", "1.00.0",
                                  "1,00,000.00", "12 EUR", "", "--1", "0x10"])
def test_bank_amounts_that_are_not_numbers_are_refused(text):
    with pytest.raises(ValueError):
        money.parse_bank_amount(text)


def test_a_lone_separator_before_three_digits_is_ambiguous_unless_the_mark_is_known():
    for text in ("1.000", "1,000", "-1.000"):
        with pytest.raises(money.AmbiguousAmount):
            money.parse_bank_amount(text)
    assert money.parse_bank_amount("1.000", ",") == 1000
    assert money.parse_bank_amount("1,000", ",") == Decimal("1.000")
    assert money.parse_bank_amount("1,000", ".") == 1000
    with pytest.raises(ValueError):  # a point is not a comma file's decimal mark
        money.parse_bank_amount("1000.00", ",")


CSV_HEAD = "date,amount,currency,payer,details,transaction_id\n"


def _csv_lines(org, treasurer, body: str, head: str = CSV_HEAD, **kw):
    hosting.import_statement(org, treasurer, (head + body).encode(), "csv", **kw)
    return db.session.scalars(select(BankLine).order_by(BankLine.id)).all()


def test_a_european_amount_is_a_thousand_not_one(app, fiscal_host, make_open_project, make_donor, pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=500_000, host_id=org.id)
    one_euro = pledge(make_donor(name="Sofía García", email="sofia@example.org"), project, "1", provider="manual")
    [line] = _csv_lines(org, treasurer, '2026-12-07,"1.000,00",EUR,Sofía García,Spende Projekt,EU-1\n')
    assert line.amount_minor == 100_000
    assert (line.status, line.pledge_id) == ("unmatched", None)  # not proposed for the 1-euro pledge
    assert one_euro.status == "pledged"


def test_semicolon_csv_and_amounts_the_file_disambiguates(app, fiscal_host):
    org, treasurer = fiscal_host
    head = "Datum;Betrag;Währung;Name;Verwendungszweck\n"
    lines = _csv_lines(org, treasurer, '2026-12-07;1.000;EUR;A;x\n2026-12-07;"12,50";EUR;B;y\n'
                                       '2026-12-08;-3,00;EUR;Bank;fee\n', head=head,
                       mapping={"date": "Datum", "amount": "Betrag", "currency": "Währung", "payer": "Name",
                                "details": "Verwendungszweck"})
    assert [(ln.amount_minor, ln.payer) for ln in lines] == [(100_000, "A"), (1_250, "B")]


def test_an_ambiguous_amount_names_its_line_unless_the_separator_is_chosen(app, fiscal_host):
    org, treasurer = fiscal_host
    body = "2026-12-07,5,EUR,A,x,T1\n2026-12-07,\"1,000\",EUR,B,y,T2\n"
    with pytest.raises(InvalidInput) as err:
        _csv_lines(org, treasurer, body)
    assert "Line 3" in str(err.value.message) and "two ways" in str(err.value.message)
    db.session.rollback()
    assert [ln.amount_minor for ln in _csv_lines(org, treasurer, body, decimal_mark=".")] == [500, 100_000]


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "sNaN", "1e309", "-NaN"])
def test_a_csv_amount_that_is_not_a_number_is_a_field_error_not_a_500(client, auth, fiscal_host, amount):
    org, treasurer = fiscal_host
    auth.login(treasurer.email)
    data = (CSV_HEAD + f"2026-12-07,{amount},EUR,A,x,T1\n").encode()
    response = client.post(f"/hosts/{org.slug}/statements", content_type="multipart/form-data",
                           data={"statement": (io.BytesIO(data), "s.csv"), "file_format": "csv"})
    assert response.status_code == 422
    assert "Line 2: the amount must be a number" in response.get_data(as_text=True)


def test_an_upload_error_keeps_the_format_and_the_column_mapping(client, auth, fiscal_host):
    org, treasurer = fiscal_host
    auth.login(treasurer.email)
    data = b"Datum;Betrag\n2026-12-07;5,00\n07.12.2026;6,00\n"
    response = client.post(f"/hosts/{org.slug}/statements", content_type="multipart/form-data",
                           data={"statement": (io.BytesIO(data), "s.csv"), "file_format": "csv",
                                 "col_date": "Datum", "col_amount": "Betrag", "col_currency": "=EUR",
                                 "decimal_mark": ","})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3: the date must be YYYY-MM-DD." in page
    assert '<option selected value="csv">' in page
    assert 'value="Datum"' in page and 'value="=EUR"' in page and '<option selected value=",">' in page
    assert "<details open>" in page


def test_a_binary_sta_file_is_not_a_readable_mt940_statement(client, auth, fiscal_host):
    org, treasurer = fiscal_host
    auth.login(treasurer.email)
    response = client.post(f"/hosts/{org.slug}/statements", content_type="multipart/form-data",
                           data={"statement": (io.BytesIO(b"\x00\x01\xff garbage"), "x.sta"), "file_format": "mt940"})
    assert response.status_code == 422
    assert "not a readable MT940 statement" in response.get_data(as_text=True)


def test_a_statement_over_the_size_limit_gets_the_form_with_the_limit(client, auth, fiscal_host, app):
    org, treasurer = fiscal_host
    auth.login(treasurer.email)
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024  # a small limit: the test client keeps the body in memory
    response = client.post(f"/hosts/{org.slug}/statements", content_type="multipart/form-data",
                           data={"statement": (io.BytesIO(b"x" * (300 * 1024)), "big.csv"),
                                 "file_format": "csv"})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 0.25 MB" in page and "Upload a bank statement" in page


def test_reuploading_a_statement_says_nothing_changed(client, auth, hosted, fiscal_host):
    org, treasurer = fiscal_host
    auth.login(treasurer.email)
    data = _mt940(("12,34", "BANK0002", "Unrelated transfer"))
    for _n in range(2):
        page = client.post(f"/hosts/{org.slug}/statements", content_type="multipart/form-data", follow_redirects=True,
                           data={"statement": (io.BytesIO(data), "dec.sta"), "file_format": "mt940"}
                           ).get_data(as_text=True)
    assert "This statement was already imported; nothing changed." in page
    assert "0 new lines" not in page


# --- stale proposals, unmatching, concurrent confirmations ------------------------------------


def _two_proposals(org, treasurer, project, make_donor, pledge):
    """Two pledges (250 and 40) each proposed by its reference; returns (lines, pledges)."""
    first = pledge(make_donor(name="Ana First", email="ana@example.org"), project, "250", provider="manual")
    second = pledge(make_donor(name="Bo Second", email="bo@example.org"), project, "40", provider="manual")
    hosting.import_statement(org, treasurer, _mt940(
        ("250,00", "B1", f"/EREF/{hosting.payment_reference(first.id)}/NAME/Ana First"),
        ("40,00", "B2", f"/EREF/{hosting.payment_reference(second.id)}/NAME/Bo Second")), "mt940")
    db.session.commit()
    lines = db.session.scalars(select(BankLine).order_by(BankLine.amount_minor.desc())).all()
    assert [ln.status for ln in lines] == ["proposed", "proposed"]
    return lines, (first, second)


def test_a_stale_proposal_is_skipped_and_the_others_recorded(client, auth, fiscal_host, make_open_project, make_donor,
                                                             pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=100_000, host_id=org.id)
    (stale, fine), (first, second) = _two_proposals(org, treasurer, project, make_donor, pledge)
    services.confirm_pledge(first, treasurer, provider_reference="by hand")  # recorded meanwhile
    db.session.commit()
    auth.login(treasurer.email)
    page = client.post(f"/hosts/{org.slug}/confirm", data={"line": [str(stale.id), str(fine.id)]},
                       follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pledge, second.id).status == "confirmed"
    assert (stale.status, stale.pledge_id, fine.status) == ("unmatched", None, "confirmed")
    assert "1 payment recorded." in page
    assert "Not recorded:" in page and "€250.00 · Ana First" in page and "no longer awaiting payment" in page
    assert f"line {stale.id}" not in page


def test_the_dashboard_drops_a_proposal_whose_pledge_was_cancelled(client, auth, fiscal_host, make_open_project,
                                                                   make_donor, pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=100_000, host_id=org.id)
    (stale, _fine), (first, _second) = _two_proposals(org, treasurer, project, make_donor, pledge)
    services.cancel_pledge(first, None)
    db.session.commit()
    auth.login(treasurer.email)
    page = client.get(f"/hosts/{org.slug}").get_data(as_text=True)
    db.session.expire_all()
    assert (stale.status, stale.pledge_id) == ("unmatched", None)
    assert f'name="line" value="{stale.id}"' not in page


def test_a_treasurer_can_unmatch_a_proposal_and_it_stays_unmatched(client, auth, fiscal_host, make_open_project,
                                                                   make_donor, pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=100_000, host_id=org.id)
    (line, _fine), _pledges = _two_proposals(org, treasurer, project, make_donor, pledge)
    auth.login(treasurer.email)
    page = client.get(f"/hosts/{org.slug}").get_data(as_text=True)
    assert f'form="unmatch-{line.id}"' in page and f"/lines/{line.id}/ignore" in page
    assert client.post(f"/hosts/{org.slug}/lines/{line.id}/unmatch").status_code == 302
    client.get(f"/hosts/{org.slug}")
    hosting.propose_matches(org)
    db.session.expire_all()
    assert (line.status, line.pledge_id) == ("unmatched", None)


def test_a_second_confirmation_says_someone_else_recorded_them(client, auth, fiscal_host, make_open_project, make_donor,
                                                               pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=100_000, host_id=org.id)
    lines, _pledges = _two_proposals(org, treasurer, project, make_donor, pledge)
    auth.login(treasurer.email)
    ids = [str(ln.id) for ln in lines]
    assert "2 payments recorded." in client.post(f"/hosts/{org.slug}/confirm", data={"line": ids},
                                                 follow_redirects=True).get_data(as_text=True)
    page = client.post(f"/hosts/{org.slug}/confirm", data={"line": ids}, follow_redirects=True).get_data(as_text=True)
    assert "2 payments were already recorded by someone else." in page
    assert "payments recorded." not in page and "flash-success" not in page


def test_long_payer_names_wrap_in_the_host_tables(client, auth, fiscal_host):
    org, treasurer = fiscal_host
    hosting.import_statement(org, treasurer, (CSV_HEAD + f"2026-12-07,5.00,EUR,{'W' * 200},x,T1\n").encode(), "csv")
    db.session.commit()
    auth.login(treasurer.email)
    assert 'class="table table-stack host-lines"' in client.get(f"/hosts/{org.slug}").get_data(as_text=True)
    css = (Path(__file__).parents[2] / "static/css/app.css").read_text()
    assert re.search(r"\.host-lines td \{[^}]*overflow-wrap: anywhere", css)
