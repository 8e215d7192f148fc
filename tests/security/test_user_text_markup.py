"""Issue 11, class 5: user text is never marked safe by accident. A LazyString has `__html__`,
so Jinja (and the session's flash serializer) took `_l("%(indicator)s: …", indicator=…)` for
markup; and the practices feed declared plain-text summaries `type="html"`."""

from datetime import timedelta

import feedparser
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.projects import services as projects

PAYLOAD = '<img src=x onerror="alert(1)"><b>Pupils</b>'


def test_an_indicator_name_renders_escaped_on_the_report_form(client, auth, make_user, make_project):
    owner = make_user(email="owner@example.org")
    project = make_project(owner=owner, objectives=0)
    projects.add_objective(project, title="Reading", indicator=PAYLOAD, unit="pupils", baseline=1.0,
                           target=2.0, due_at=utcnow() + timedelta(days=60), tranche_minor=0)
    db.session.commit()
    auth.login("owner@example.org")
    response = client.get(f"/projects/{project.slug}/reports/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<img src=x" not in html and "<b>Pupils</b>" not in html
    assert f"{escape(PAYLOAD)}: actual value" in html
    assert f"Evidence link for {escape(PAYLOAD)}" in html


def test_domain_error_messages_are_plain_text(app):
    """A service's lazy message with user text in it is plain text by the time a view shows or
    flashes it, so Jinja escapes it."""
    for err in (InvalidInput("title", _l("Bad %(title)s", title=PAYLOAD)),
                Conflict(_l("Taken: %(title)s", title=PAYLOAD))):
        assert type(err.message) is str and not hasattr(err.message, "__html__")
        assert "&lt;img" in str(escape(err.message))


def test_practices_feed_summaries_are_plain_text(client, make_practice):
    make_practice(title="Open books", summary="Budgets <b>in public</b> & on time")
    for path in ("/feeds/practices.atom", "/feeds/practices/theme/governance.atom"):
        feed = feedparser.parse(client.get(path).data)
        for entry in feed.entries:
            assert entry.summary_detail.type == "text/plain"
    (entry,) = feedparser.parse(client.get("/feeds/practices.atom").data).entries
    assert entry.summary == "Budgets <b>in public</b> & on time"  # the text, not markup
