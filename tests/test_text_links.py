"""The Markdown pipeline's links: bare URLs with a scheme become links, names that merely look
like domains do not, @mentions link only when the caller knows the person, all through nh3."""

from marketplace.accounts.mentions import handle
from marketplace.text import render_markdown


def test_bare_urls_become_links_but_not_file_names_or_emails():
    html = render_markdown("See https://example.org/a?b=1, app.py, e.g. this, ana@example.org")
    assert ('<a href="https://example.org/a?b=1" rel="nofollow noopener">'
            'https://example.org/a?b=1</a>') in html
    assert html.count("<a ") == 1


def test_unsafe_schemes_are_never_linked():
    html = render_markdown("javascript:alert(1) and [x](javascript:alert(1)) data:text/html,hi")
    assert "href" not in html


def test_mentions_link_only_known_people_outside_code_and_links():
    source = "Hi @AnaMaria, @Nobody, `@AnaMaria`, [@AnaMaria](https://a.example), x@AnaMaria"
    html = render_markdown(source, {"anamaria": "/people/7"}, handle)
    assert html.count('href="/people/7"') == 1
    assert "@Nobody" in html and "<code>@AnaMaria</code>" in html
    assert render_markdown(source) == render_markdown(source, {}, handle)  # no map: no links


def test_a_mention_path_is_still_cleaned():
    html = render_markdown("@Ana", {"ana": "javascript:alert(1)"}, handle)
    assert "javascript" not in html and "@Ana" in html
