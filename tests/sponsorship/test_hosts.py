"""Fiscal hosts: payment instructions and references, treasurers, bank statements and matching."""

import io

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, OrganizationMember
from marketplace.errors import InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.sponsorship import hosting
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
def host(app, make_user):
    """A fiscal host with a treasurer; returns (org, treasurer)."""
    treasurer = make_user(email="treasurer@example.org", name="Tess Treasurer")
    org = Organization(name="Fundación Anfitriona", slug="anfitriona", type="ngo", is_fiscal_host=True,
                       iban=IBAN, bic="COBADEFFXXX", bank_account_holder="Fundación Anfitriona",
                       payment_instructions="Transfers in EUR only.")
    org.members.append(OrganizationMember(user=treasurer, role="treasurer"))
    db.session.add(org)
    db.session.commit()
    return org, treasurer


@pytest.fixture
def hosted(host, make_open_project, make_donor, pledge):
    org, _treasurer = host
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


def test_treasurer_records_but_the_owner_cannot(client, auth, hosted, host):
    project, _donor, p = hosted
    _org, treasurer = host
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


def test_statement_reference_match_confirmed_in_bulk_and_reupload_is_idempotent(client, auth, hosted, host):
    project, donor, p = hosted
    org, treasurer = host
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


def test_csv_statement_matches_by_amount_and_payer(app, hosted, host):
    project, donor, p = hosted
    org, treasurer = host
    rows = "booked,value,name,text\n2026-12-05,250.00,JANE DONOR,donation\n2026-12-05,9.00,Bank,fee\n"
    hosting.import_statement(org, treasurer, rows.encode(), "csv", mapping={
        "date": "booked", "amount": "value", "currency": "=EUR", "payer": "name", "details": "text"})
    lines = db.session.scalars(select(BankLine).order_by(BankLine.amount_minor)).all()
    assert [(ln.status, ln.match_reason) for ln in lines] == [("unmatched", ""), ("proposed", "amount_payer")]


def test_an_owner_who_is_treasurer_cannot_confirm_their_own_income(app, host, make_open_project, make_donor,
                                                                   pledge):
    org, treasurer = host
    project = make_open_project(goal_minor=30_000, host_id=org.id, owner=treasurer)
    p = pledge(make_donor(), project, "250", provider="manual")
    hosting.import_statement(org, treasurer, _mt940(("250,00", "B1", hosting.payment_reference(p.id))), "mt940")
    line = db.session.scalar(select(BankLine))
    with pytest.raises(PermissionDenied):
        hosting.confirm_lines(org, treasurer, [line.id])


def test_a_bad_file_is_a_field_error_not_a_500(client, auth, host):
    org, treasurer = host
    auth.login(treasurer.email)
    response = client.post(f"/hosts/{org.slug}/statements",
                           data={"statement": (io.BytesIO(b"\x00\x01garbage"), "x.sta"), "file_format": "mt940"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "no incoming payment" in response.get_data(as_text=True) or "MT940" in response.get_data(as_text=True)


def test_only_treasurers_see_the_host_pages(client, auth, host, make_user):
    org, _treasurer = host
    outsider = make_user(email="outsider@example.org")
    auth.login(outsider.email)
    assert client.get(f"/hosts/{org.slug}").status_code == 403
    assert client.get(f"/hosts/{org.slug}/settings").status_code == 403
