"""An organization's page lists its members 24 a page: admins first, then by name, with the count."""

import re

from marketplace.accounts.services import add_organization_member, create_organization
from marketplace.extensions import db


def _names(html: str) -> list[str]:
    listing = html.split('<ul class="plain member-list">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', listing)


def _org_of_27(make_user):
    owner = make_user(name="Olga Owner")
    org = create_organization(owner, name="Alpha Council", type="government", country="KE")
    add_organization_member(org, make_user(name="Zed Admin"), role="admin")
    add_organization_member(org, make_user(name="aaron lowercase"))
    add_organization_member(org, make_user(name="Tina Treasurer"), role="treasurer")
    for n in range(23):
        add_organization_member(org, make_user(name=f"Member {n:02d}"))
    db.session.commit()
    return org


def test_members_come_24_a_page_admins_first_then_by_name(client, make_user):
    org = _org_of_27(make_user)
    first = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    names = _names(first)
    assert len(names) == 24
    assert names[:4] == ["Olga Owner", "Zed Admin", "aaron lowercase", "Member 00"]
    assert '<span class="count">27</span>' in first
    assert f'href="/organizations/{org.slug}?page=2#members"' in first
    second = client.get(f"/organizations/{org.slug}?page=2").get_data(as_text=True)
    assert names[-1] == "Member 20" and _names(second) == ["Member 21", "Member 22", "Tina Treasurer"]
    assert "Page 2 of 2" in second and '<span class="count">27</span>' in second


def test_member_page_numbers_out_of_range(client, make_user):
    org = _org_of_27(make_user)
    last = _names(client.get(f"/organizations/{org.slug}?page=2").get_data(as_text=True))
    assert len(last) == 3
    assert _names(client.get(f"/organizations/{org.slug}?page=99").get_data(as_text=True)) == last
    first = _names(client.get(f"/organizations/{org.slug}").get_data(as_text=True))
    assert len(first) == 24
    for bad in ("abc", "0", "-1"):
        assert _names(client.get(f"/organizations/{org.slug}?page={bad}").get_data(as_text=True)) == first
