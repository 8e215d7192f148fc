"""Authoring: @mentions linked to profiles, bare URLs autolinked (still cleaned), and a Preview
that works without JavaScript (the form page again) and with htmx (just the preview)."""

import lxml.html
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.forums.models import Post
from marketplace.forums.services import categories_of
from marketplace.knowledge.models import Practice


def _post_count():
    return db.session.scalar(select(func.count()).select_from(Post))


def test_mentions_link_members_and_urls_become_links(app, make_user, make_community,
                                                     make_thread, aged):
    ana = aged(make_user(name="Ana María Silva"))
    aged(make_user(name="Out Sider"))  # has an account, but is not a member
    bo = aged(make_user(name="Bo Otieno"))
    community = make_community(members=[ana, bo])
    thread = make_thread(community, bo, body="Thanks @AnaMariaSilva and @OutSider, see "
                         "https://example.org/report and `@AnaMariaSilva` in code. "
                         "javascript:alert(1)")
    html = db.session.scalar(select(Post.body_html).where(Post.thread_id == thread.id))
    page = lxml.html.fromstring(html)
    links = [(a.text, a.get("href")) for a in page.xpath("//a")]
    assert links == [("@AnaMariaSilva", f"/people/{ana.id}"),
                     ("https://example.org/report", "https://example.org/report")]
    assert "@OutSider" in page.text_content()  # not a member: plain text
    assert page.xpath("//code")[0].text == "@AnaMariaSilva"
    assert all(a.get("rel") == "nofollow noopener" for a in page.xpath("//a"))


def test_preview_without_javascript_rerenders_the_form_and_saves_nothing(
        client, auth, make_user, make_community, make_thread, aged):
    ana = aged(make_user(name="Ana Silva"))
    bo = aged(make_user(name="Bo Otieno"))
    community = make_community(members=[ana, bo])
    thread = make_thread(community, bo)
    before = _post_count()
    auth.login(bo.email)
    r = client.post(f"/threads/{thread.id}/reply",
                    data={"body": "Ask **@AnaSilva** about https://example.org", "preview": "1"})
    assert r.status_code == 200 and _post_count() == before
    page = lxml.html.fromstring(r.get_data(as_text=True))
    assert page.xpath("//textarea[@name='body']")[0].text.strip().startswith("Ask **@AnaSilva**")
    preview = page.xpath("//div[@id='preview']")[0]
    assert preview.xpath(".//strong/a/@href") == [f"/people/{ana.id}"]
    assert preview.xpath(".//a[@href='https://example.org']")
    # the Preview button is there for the next round, with its htmx attributes
    button = page.xpath("//button[@name='preview']")[0]
    assert button.get("hx-post") == f"/threads/{thread.id}/reply"
    assert button.get("hx-target") == "#preview"


def test_preview_with_htmx_answers_just_the_preview(
        client, auth, make_user, make_community, make_thread, aged):
    bo = aged(make_user(name="Bo Otieno"))
    community = make_community(members=[bo])
    thread = make_thread(community, bo)
    auth.login(bo.email)
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "<b>x</b> *y*", "preview": "1"},
                    headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body and "<form" not in body
    assert "<em>y</em>" in body and "<b>" not in body  # raw HTML stays text
    assert lxml.html.fromstring(body).xpath("//h2[@class='preview-title']")


def test_preview_of_a_new_thread_and_of_an_edit(client, auth, make_user, make_community,
                                                make_thread, aged):
    bo = aged(make_user(name="Bo Otieno"))
    community = make_community(members=[bo])
    thread = make_thread(community, bo)
    auth.login(bo.email)
    category = categories_of(community)[0]
    new = client.post(f"/communities/{community.slug}/c/{category.slug}/new",
                      data={"title": "T", "kind": "discussion", "body": "**New**", "preview": "1"})
    assert new.status_code == 200 and "<strong>New</strong>" in new.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    edit = client.post(f"/posts/{post.id}/edit", data={"body": "**Edited**", "preview": "1"})
    assert "<strong>Edited</strong>" in edit.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "Opening post"


def test_practice_sections_preview_and_mentions(client, auth, make_user, make_practice):
    owner = make_user(name="Ana Silva")
    practice = make_practice(owner=owner, approach="Ask @AnaSilva, see https://example.org")
    html = lxml.html.fromstring(practice.approach_html)
    assert html.xpath("//a/@href") == [f"/people/{owner.id}", "https://example.org"]
    auth.login(owner.email)
    r = client.post(f"/practices/{practice.slug}/edit",
                    data={"title": practice.title, "approach": "## Steps\n\n1. **Plan**",
                          "problem": "Why", "preview": "1"})
    assert r.status_code == 200
    page = lxml.html.fromstring(r.get_data(as_text=True))
    sections = page.xpath("//div[@id='preview']//section")
    assert [s.xpath("string(h3)") for s in sections] == ["Problem", "Approach"]
    assert sections[1].xpath(".//strong")[0].text == "Plan"
    db.session.expire_all()
    assert "Ask" in db.session.get(Practice, practice.id).approach_source  # nothing saved
    new = client.post("/practices/new", data={"title": "X", "problem": "*p*", "preview": "1"},
                      headers={"HX-Request": "true"})
    assert new.status_code == 200 and "<em>p</em>" in new.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Practice)) == 1


def test_the_same_reply_sent_twice_is_one_post(app, make_user, make_community, make_thread, aged):
    from marketplace.forums.services import delete_post, reply

    bo = aged(make_user(name="Bo Otieno"))
    community = make_community(members=[bo])
    thread = make_thread(community, bo)
    first = reply(bo, thread, "Agreed, let us meet.")
    assert reply(bo, thread, "Agreed, let us meet.").id == first.id  # a double click or a resent form
    db.session.commit()
    assert _post_count() == 2  # the opening post and one reply
    reply(bo, thread, "Tuesday?")
    db.session.commit()
    assert _post_count() == 3
    delete_post(bo, first)
    db.session.commit()
    again = reply(bo, thread, "Agreed, let us meet.")  # the earlier one is no longer the latest
    db.session.commit()
    assert again.id != first.id and _post_count() == 4
