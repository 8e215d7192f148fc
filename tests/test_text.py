"""The one Markdown pipeline: raw HTML off, then an nh3 allow-list."""

import re

import pytest
from markupsafe import Markup

from marketplace.text import render_markdown, safe
from tests.xss_payloads import XSS_PAYLOADS, assert_safe_html


def test_there_are_enough_distinct_payloads():
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS) >= 30


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_markdown_renders_to_nothing_executable(payload):
    html = render_markdown(payload)
    assert_safe_html(html)
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\bon\w+\s*=", html, re.I)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_markdown_inside_a_normal_document(payload):
    html = render_markdown(f"# Title\n\nSome *text* and [a link](https://example.org).\n\n{payload}\n\nEnd.")
    assert_safe_html(html)
    assert '<a href="https://example.org" rel="nofollow noopener">a link</a>' in html


def test_the_checker_itself_catches_executable_html():
    for bad in ['<a href="javascript:alert(1)" rel="nofollow noopener">x</a>', "<script>x</script>",
                '<img src="x" onerror="y">', '<a href="https://example.org">no rel</a>',
                '<img src="data:image/png;base64,AAAA">', '<p style="color:red">x</p>']:
        with pytest.raises(AssertionError):
            assert_safe_html(bad)


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"


@pytest.mark.parametrize("source, expected", [
    ("**strong** _em_ ~~gone~~", "<p><strong>strong</strong> <em>em</em> <s>gone</s></p>"),
    ("[site](https://example.org/a?b=1&c=2)",
     '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">site</a>'),
    ("[mail](mailto:ana@example.org)", '<a href="mailto:ana@example.org" rel="nofollow noopener">mail</a>'),
    # Issue 16: only our own files show as images; any other image address is a link to it.
    ("![chart](https://example.org/c.png)", '<a href="https://example.org/c.png" rel="nofollow noopener">chart</a>'),
    ("![chart](/files/12/chart.png)", '<img src="/files/12/chart.png" alt="chart">'),
    ("![t](/files/12/thumbnail/chart.png)", '<img src="/files/12/thumbnail/chart.png" alt="t">'),
    ("![up](/files/12/../../etc/x.png)", '<a href="/files/12/../../etc/x.png" rel="nofollow noopener">up</a>'),
    ("![a](/practices/x)", '<a href="/practices/x" rel="nofollow noopener">a</a>'),
    ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
    ("3. three", '<ol start="3">'),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("```python\nx = 1 < 2\n```", '<pre><code class="language-python">x = 1 &lt; 2\n</code></pre>'),
    ("| a | b |\n|--:|---|\n| 1 | 2 |", '<th align="right">a</th>'),
    ("## Heading", "<h2>Heading</h2>"),
])
def test_ordinary_markdown_survives(source, expected):
    assert expected in render_markdown(source)


def test_only_site_paths_and_web_or_mail_links_keep_their_href():
    html = render_markdown("[a](/local/path) [b](ftp://example.org/f) [c](tel:123) [d](//evil.example) "
                           "[e](relative/x) [f](java%0ascript:alert(1))")
    assert html.count("href=") == 1 and 'href="/local/path"' in html
    assert_safe_html(html)


def test_same_page_fragment_links_keep_their_href():
    html = render_markdown("[steps](#steps) [top](#) [odd](#a\"b onmouseover=x)")
    assert 'href="#steps"' in html and 'href="#"' in html
    assert_safe_html(html)


def test_is_web_url_takes_only_http_and_https_addresses_with_a_host():
    from marketplace.text import is_web_url

    assert [is_web_url(u) for u in ("https://example.org/r", "HTTP://example.org", "javascript://example.org/%0a1",
                                    "ftp://example.org/f", "http://", "//example.org", " https://e.org", "", None)] == [
        True, True, False, False, False, False, False, False, False]


def test_empty_source_renders_empty():
    assert render_markdown("") == render_markdown(None) == ""


def test_safe_marks_stored_html_for_templates():
    assert isinstance(safe("<p>x</p>"), Markup)
    assert safe(None) == Markup("")
