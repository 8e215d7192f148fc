"""A treasurer matches by hand a bank line nothing matched (the donor forgot the reference) to an
awaiting pledge of the same amount; the line is then proposed and recorded like the others."""

import io

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Organization
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.sponsorship import hosting
from marketplace.sponsorship.models import BankLine, Pledge

STATEMENT = (b":20:STMT1\r\n:25:DE89370400440532013000\r\n:28C:00001/001\r\n:60F:C261204EUR0,00\r\n"
             b":61:2612051205C250,00NTRFNONREF//BANK0001\r\n:86:/REMI/For the schools/NAME/J. D.\r\n"
             b":61:2612051205C99,00NTRFNONREF//BANK0002\r\n:86:/REMI/Gift/NAME/Somebody\r\n"
             b":62F:C261205EUR0,00\r\n")


@pytest.fixture
def setup(fiscal_host, make_open_project, make_donor, pledge):
    org, treasurer = fiscal_host
    project = make_open_project(goal_minor=100_000, host_id=org.id)
    donor = make_donor(name="Jane Donor", email="jane@example.org")
    p = pledge(donor, project, "250", provider="manual")
    other = pledge(make_donor(name="Otto Other", email="otto@example.org"), project, "40", provider="manual")
    return org, treasurer, p, other


def _lines():
    return db.session.scalars(select(BankLine).order_by(BankLine.amount_minor.desc())).all()


def test_a_line_matched_by_hand_is_proposed_then_recorded(client, auth, setup):
    org, treasurer, p, _other = setup
    auth.login(treasurer.email)
    client.post(f"/hosts/{org.slug}/statements", content_type="multipart/form-data",
                data={"statement": (io.BytesIO(STATEMENT), "dec.sta"), "file_format": "mt940"})
    line, gift = _lines()
    assert (line.status, gift.status) == ("unmatched", "unmatched")  # no reference, payer "J. D."
    page = client.get(f"/hosts/{org.slug}").get_data(as_text=True)
    # Only the pledge of the same amount is offered for the 250 line; none for the 99 one.
    assert f'<option value="{p.id}">' in page
    assert page.count("<select id=\"match-") == 1

    assert client.post(f"/hosts/{org.slug}/lines/{line.id}/match", data={"pledge": str(p.id)}).status_code == 302
    db.session.expire_all()
    assert (line.status, line.pledge_id, line.match_reason) == ("proposed", p.id, "by_hand")
    assert "chosen by a treasurer" in client.get(f"/hosts/{org.slug}").get_data(as_text=True)

    client.post(f"/hosts/{org.slug}/confirm", data={"line": [str(line.id)]})
    db.session.expire_all()
    assert db.session.get(Pledge, p.id).status == "confirmed"
    assert line.status == "confirmed"


def test_matching_by_hand_refuses_what_does_not_fit(app, setup):
    org, _treasurer, p, other = setup
    hosting.import_statement(org, _treasurer, STATEMENT, "mt940")
    line, gift = _lines()
    with pytest.raises(InvalidInput):  # 250.00 received, 40.00 pledged
        hosting.match_line(org, line.id, other.id)
    with pytest.raises(InvalidInput):  # no such pledge
        hosting.match_line(org, line.id, 0)
    foreign = Organization(name="Elsewhere", slug="elsewhere", type="ngo", is_fiscal_host=True)
    db.session.add(foreign)
    db.session.flush()
    with pytest.raises(Conflict):  # another host's line
        hosting.match_line(foreign, line.id, p.id)
    hosting.match_line(org, line.id, p.id)
    with pytest.raises(Conflict):  # matched already
        hosting.match_line(org, line.id, p.id)
    assert hosting.candidates(org, [gift]) == {gift.id: []}
