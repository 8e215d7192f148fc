"""Destructive actions confirm without JavaScript: the link opens a page that asks, GET never
changes anything, and the page's form does the deed."""

import re

import lxml.html
from sqlalchemy import func, select

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


# --- every destructive route ------------------------------------------------------------------

# A POST route whose endpoint, path or <any(...)> choices name one of these verbs deletes,
# cancels, revokes or takes something away: it must also answer GET with a confirmation page.
DESTRUCTIVE = re.compile(r"delete|remove|cancel|revoke|leave|archive|reject|decline|hide|ignore|"
                         r"suspend")
# ... unless it is named here with the reason a confirmation page would add nothing.
NOT_A_DELETION = {
    "moderation.post_action": "hide and reject keep the post: Restore brings it back; moderators "
                              "clearing the queue answer each post in one click",
    "moderation.suspend": "the form asks for the reason first; Unsuspend undoes it",
    "communities.decide": "answers a join request (approve or decline); the person can ask again",
    "organizations.answer_invitation": "the invitee answers their own invitation (accept or "
                                       "decline); nothing is deleted",
    "mentoring.decline": "answers a mentoring request, with an optional reason shown to the "
                         "mentee; the mentee can ask again",
    "knowledge.reject_suggestion": "the form requires the reason first (a reviewer's decision on "
                                   "a suggestion, kept in the suggestion's history)",
    "projects.reject": "the review form requires the reason first; the owner can resubmit",
}


def _destructive_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        choices = " ".join(" ".join(getattr(c, "items", ()) or ())
                           for c in rule._converters.values())
        if DESTRUCTIVE.search(f"{rule.endpoint} {rule.rule} {choices}"):
            yield rule


def test_every_destructive_route_answers_get_with_a_confirmation(app):
    rules = list(_destructive_rules(app))
    assert len(rules) >= 15, [r.endpoint for r in rules]  # the pattern still finds them
    missing = [f"{r.rule} ({r.endpoint})" for r in rules
               if "GET" not in r.methods and r.endpoint not in NOT_A_DELETION]
    assert not missing, "destructive POST routes without a GET confirmation page:\n" + \
        "\n".join(missing)
    stale = set(NOT_A_DELETION) - {r.endpoint for r in rules}
    assert not stale, f"exemptions that match no destructive route: {stale}"


def _asks(client, path: str, heading: str, back: str = "Cancel") -> lxml.html.HtmlElement:
    """GET `path`: a confirmation page whose <h1> contains `heading` and whose one form POSTs
    back to `path` with the CSRF field and a link back (`back`: "Cancel")."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    page = lxml.html.fromstring(response.data)
    assert heading in page.xpath("string(//h1)")
    form = page.xpath("//main//form[@method='post']")[0]
    assert form.get("action") == path
    assert form.xpath(".//input[@name='csrf_token']")
    assert page.xpath(f"//main//form//a[normalize-space()='{back}']")
    return form


def _first_click(client, page_path: str, action: str) -> str:
    """The page at `page_path` offers the action as a GET form or a link (the first click);
    return where it leads."""
    page = lxml.html.fromstring(client.get(page_path).data)
    forms = [f for f in page.xpath("//main//form") if f.get("action") == action]
    links = page.xpath(f"//main//a[@href='{action}']")
    assert forms or links, f"{page_path} offers no way to {action}"
    for form in forms:
        assert (form.get("method") or "get").lower() == "get", f"{page_path}: {action} POSTs at once"
    return action


def test_confirmation_pages_change_nothing_until_their_form_is_sent(
        client, auth, make_user, make_community, make_practice, make_project, make_open_project,
        make_donor, pledge, aged):
    from marketplace.api.models import ApiToken
    from marketplace.api.tokens import create_token
    from marketplace.communities.models import CommunityMember
    from marketplace.knowledge.models import Practice
    from marketplace.projects.models import Objective, Project
    from marketplace.sponsorship.models import Pledge

    ana = aged(make_user(email="ana@example.org", name="Ana Silva"))
    bo = aged(make_user(email="bo@example.org", name="Bo Otieno"))
    community = make_community(owner=bo, members=[ana])
    practice = make_practice(owner=ana, title="Open budgets")
    project = make_project(owner=ana, objectives=2)
    token, _plain = create_token(ana, "Nightly export", ["read"])
    db.session.commit()
    donor = make_donor(email="dee@example.org")
    open_project = make_open_project()
    promise = pledge(donor, open_project, "25", provider="manual")
    auth.login(ana.email)

    cases = [
        (f"/communities/{community.slug}/", f"/communities/{community.slug}/leave", "Leave",
         lambda: db.session.scalar(select(CommunityMember).where(
             CommunityMember.user_id == ana.id, CommunityMember.community_id == community.id))
         is None),
        (f"/practices/{practice.slug}", f"/practices/{practice.slug}/archive", "Archive",
         lambda: db.session.get(Practice, practice.id).status == "archived"),
        ("/settings/tokens/", f"/settings/tokens/{token.id}/revoke", "Revoke",
         lambda: db.session.get(ApiToken, token.id).revoked_at is not None),
        (f"/projects/{project.slug}/objectives",
         f"/projects/{project.slug}/objectives/{project.objectives[0].id}/delete", "Remove",
         lambda: db.session.scalar(select(func.count(Objective.id)).where(
             Objective.project_id == project.id)) == 1),
        (f"/projects/{project.slug}", f"/projects/{project.slug}/cancel", "Cancel",
         lambda: db.session.get(Project, project.id).state == "cancelled"),
    ]
    for page_path, action, heading, done in cases:
        form = _asks(client, _first_click(client, page_path, action), heading)
        db.session.expire_all()
        assert not done(), f"GET {action} changed something"
        assert client.post(action, data=dict(form.form_values())).status_code == 302, action
        db.session.expire_all()
        assert done(), f"POST {action} did nothing"

    auth.logout()
    auth.login(donor.email)
    action = f"/sponsorship/pledges/{promise.id}/cancel"
    form = _asks(client, _first_click(client, f"/sponsorship/pledges/{promise.id}", action),
                 "Withdraw your pledge of", back="Keep the pledge")
    assert db.session.get(Pledge, promise.id).status != "cancelled"
    client.post(action, data=dict(form.form_values()))
    db.session.expire_all()
    assert db.session.get(Pledge, promise.id).status == "cancelled"
