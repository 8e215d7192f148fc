"""Destructive actions confirm without JavaScript: the link opens a page that asks, GET never
changes anything, and the page's form does the deed."""

import lxml.html
from sqlalchemy import select

from marketplace.communities.models import CommunityMember
from marketplace.extensions import db
from marketplace.forums.models import Post


def _confirm_form(client, page_path: str, link_text: str, href_end: str = ""):
    """Follow the link called `link_text` (to a URL ending in `href_end`) on the page; return
    (confirm page, its form)."""
    page = lxml.html.fromstring(client.get(page_path).data)
    href = next(a.get("href") for a in page.xpath("//main//a")
                if a.text_content().strip().startswith(link_text)
                and a.get("href").endswith(href_end))
    confirm = client.get(href)
    assert confirm.status_code == 200
    html = lxml.html.fromstring(confirm.data)
    form = html.xpath("//main//form[@method='post']")[0]
    return html, form


def test_deleting_a_post_asks_first_without_javascript(client, auth, make_user, make_community,
                                                       make_thread, make_reply, aged):
    ana = aged(make_user(email="ana@example.org", name="Ana Silva"))
    community = make_community(owner=ana)
    thread = make_thread(community, ana)
    reply = make_reply(thread, ana, "A hasty reply")
    auth.login(ana.email)
    page, form = _confirm_form(client, f"/threads/{thread.id}", "Delete",
                               f"/posts/{reply.id}/delete")
    assert page.xpath("string(//h1)") == "Delete this post?"
    assert "A hasty reply" in page.xpath("string(//main)")
    assert db.session.scalar(select(Post.is_deleted).where(Post.id == reply.id)) is False
    assert client.post(form.get("action"), data=dict(form.form_values())).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Post.is_deleted).order_by(Post.number)).all() == [
        False, True]


def test_removing_a_member_asks_first_without_javascript(client, auth, make_user, make_community,
                                                         aged):
    ana = aged(make_user(email="ana@example.org", name="Ana Silva"))
    bo = aged(make_user(email="bo@example.org", name="Bo Otieno"))
    community = make_community(owner=ana, members=[bo])
    auth.login(ana.email)
    page, form = _confirm_form(client, f"/communities/{community.slug}/members", "Remove")
    assert "Remove Bo Otieno from" in page.xpath("string(//h1)")
    member = select(CommunityMember).where(CommunityMember.user_id == bo.id)
    assert db.session.scalar(member) is not None  # GET changed nothing
    assert client.post(form.get("action"), data=dict(form.form_values())).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(member) is None
