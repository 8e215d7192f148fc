"""Small reading fixes: medium dates in every language (English day-month-year), a quote's
attribution as its own paragraph, no "new posts" marker for one's own posts, no "Hold Ctrl"
above checkboxes."""

from datetime import UTC, date, datetime

import lxml.html
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.forums.models import Post


def _render(app, template: str, lang: str, **values) -> str:
    with app.test_request_context(), force_locale(lang):
        return render_template_string(template, **values)


def test_dates_are_medium_in_every_language_and_day_first_in_english(app):
    when = datetime(2026, 12, 5, 14, 11, 7, tzinfo=UTC)
    template = "{{ when|datetime('short') }} | {{ when|date }} | {{ day|date('short') }}"
    assert _render(app, template, "en", when=when, day=date(2027, 1, 14)) == (
        "5 Dec 2026, 14:11 | 5 Dec 2026 | 14 Jan 2027")
    assert _render(app, template, "fr", when=when, day=date(2027, 1, 14)) == (
        "5 déc. 2026, 14:11 | 5 déc. 2026 | 14 janv. 2027")
    assert _render(app, template, "es", when=when, day=date(2027, 1, 14)) == (
        "5 dic 2026, 14:11 | 5 dic 2026 | 14 ene 2027")


def test_a_quote_says_who_wrote_it_above_the_quoted_text(app, client, auth, make_user,
                                                         make_community, make_thread, aged):
    ana = aged(make_user(email="ana@example.org", name="Ana Silva"))
    bo = aged(make_user(email="bo@example.org", name="Bo Otieno"))
    community = make_community(owner=ana, members=[bo])
    thread = make_thread(community, ana, body="Publish the budget first.")
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))
    auth.login(bo.email)
    page = lxml.html.fromstring(client.get(f"/threads/{thread.id}/reply?quote={post_id}").data)
    body = page.xpath("//textarea[@name='body']")[0].text_content().lstrip("\r\n")
    client.post(f"/threads/{thread.id}/reply", data={"body": body + "Agreed."})
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "<blockquote>\n<p>Ana Silva wrote:</p>\n<p>Publish the budget first.</p>" in html


def test_ones_own_posts_are_never_new_since_ones_last_visit(app, client, auth, make_user,
                                                            make_community, make_thread,
                                                            make_reply, aged):
    ana = aged(make_user(email="ana@example.org", name="Ana Silva"))
    bo = aged(make_user(email="bo@example.org", name="Bo Otieno"))
    community = make_community(owner=ana, members=[bo])
    thread = make_thread(community, ana)
    auth.login(ana.email)
    client.get(f"/threads/{thread.id}")
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "Me again"}).status_code == 302
    listing = client.get(f"/communities/{community.slug}/").get_data(as_text=True)
    assert "since your last visit" not in listing
    assert "since your last visit" not in client.get(f"/threads/{thread.id}").get_data(True)
    make_reply(thread, bo, "Someone else")  # others' posts still count as new
    listing = client.get(f"/communities/{community.slug}/").get_data(as_text=True)
    assert "1 new post since your last visit" in listing


def test_the_token_page_does_not_tell_to_hold_ctrl_over_checkboxes(app, client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    page = client.get("/settings/tokens/").get_data(as_text=True)
    assert 'type="checkbox"' in page and "Hold Ctrl" not in page
