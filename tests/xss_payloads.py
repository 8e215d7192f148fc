"""Hostile Markdown for every field rendered by marketplace.text, and a check of the result.

Reuse in feature tests:

    from tests.xss_payloads import XSS_PAYLOADS, assert_safe_html

    @pytest.mark.parametrize("payload", XSS_PAYLOADS)
    def test_body_is_safe(payload, ...):
        ... save a practice whose body is `payload`, fetch its page ...
        assert_safe_html(fragment_of_the_page_holding_the_body)
"""

from html.parser import HTMLParser

XSS_PAYLOADS = [
    # raw HTML (must come out as text)
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">click</a>',
    "<body onload=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<b <script>alert(1)</script>",
    "<img src=x onerror=alert(1)",
    "<div><p>unclosed <em>nested <a href=javascript:alert(1)>x",
    # Markdown links and images
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click](java%0ascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](file:///etc/passwd)",
    '[click](https://example.org "title" onclick="alert(1)")',
    '[click](https://example.org" onmouseover="alert(1))',
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[ref][x]\n\n[x]: data:text/html,<script>alert(1)</script>",
    # autolinks
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<https://example.org/\" onmouseover=\"alert(1)>",
    # Markdown structures carrying HTML
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "> <iframe src=https://evil.example></iframe>",
    "* <svg/onload=alert(1)>\n* [ok](https://example.org)",
    "**<img src=x onerror=alert(1)>**",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "input",
                  "button", "meta", "base", "link", "body", "details", "frame", "frameset", "template"}


class _Tags(HTMLParser):
    def __init__(self, html_text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html_text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _url_ok(attr: str, value: str) -> bool:
    url = value.strip().lower()
    local = url.startswith("/") and url[1:2] not in ("/", "\\") or attr == "href" and url.startswith("#")
    schemes = ("http://", "https://", "mailto:") if attr == "href" else ("http://", "https://")
    return local or url.startswith(schemes)


def executable_parts(html_text: str) -> list[str]:
    """What in this HTML could run script, load active content or escape to another scheme."""
    problems = []
    for tag, attrs in _Tags(html_text).tags:
        if tag in DANGEROUS_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "action", "data"):
                problems.append(f"{tag} {name}=")
            elif name in ("href", "src") and not _url_ok(name, value or ""):
                problems.append(f"{tag} {name}={value!r}")
        if tag == "a" and ("rel", "nofollow noopener") not in attrs:
            problems.append(f"link without rel=nofollow noopener: {attrs}")
    return problems


def assert_safe_html(html_text: str) -> None:
    """Nothing executable: no script-capable tags, no on*= or style=, href only
    http/https/mailto (or a path on this site, or a fragment of this page), src only http/https,
    links rel="nofollow noopener"."""
    problems = executable_parts(html_text)
    assert not problems, f"{problems} in {html_text!r}"
