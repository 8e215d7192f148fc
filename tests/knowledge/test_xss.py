"""Every Markdown field of a practice, fed hostile input, renders nothing executable: on the
practice page, in the list, in diffs and in the suggestions queue."""

import re

from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import SECTIONS
from tests.xss_payloads import XSS_PAYLOADS, assert_safe_html

FRAGMENTS = re.compile(r'<div class="prose">(.*?)</div>|<dl class="diff">(.*?)</dl>', re.S)


def _fragments(html: str) -> list[str]:
    return [a or b for a, b in FRAGMENTS.findall(html)]


def _scripts(html: str) -> int:
    return html.lower().count("<script")


def test_payloads_in_every_markdown_field_are_inert(app, client, auth, make_practice,
                                                    make_user):
    assert len(XSS_PAYLOADS) >= 30
    owner = make_user(email="owner@example.org")
    suggester = make_user(email="suggester@example.org")
    baseline = _scripts(client.get("/practices/").get_data(as_text=True))
    slugs = []
    with app.test_request_context():
        for i, payload in enumerate(XSS_PAYLOADS):
            practice = make_practice(owner=owner, title=f"XSS {i}", summary=payload[:600])
            services.update_practice(practice, owner, {**services.practice_data(practice),
                                                       **{s: payload for s in SECTIONS}})
            services.suggest_edit(practice, suggester, {**services.practice_data(practice),
                                                        "lessons": payload + " more"})
            slugs.append(practice.slug)
        db.session.commit()
    auth.login(owner.email)
    for slug, payload in zip(slugs, XSS_PAYLOADS, strict=True):
        page = client.get(f"/practices/{slug}").get_data(as_text=True)
        prose = _fragments(page)
        assert len(prose) == len(SECTIONS) or not payload.strip(), payload
        for url in (f"/practices/{slug}", f"/practices/{slug}/diff?a=1&b=2",
                    f"/practices/{slug}/suggestions"):
            html = client.get(url).get_data(as_text=True)
            assert _scripts(html) == baseline, (url, payload)
            for fragment in _fragments(html):
                assert_safe_html(fragment)
    for page in (1, 2, 3, 4):
        html = client.get(f"/practices/?page={page}").get_data(as_text=True)
        assert _scripts(html) == baseline
