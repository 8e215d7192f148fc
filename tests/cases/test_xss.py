"""Every Markdown field of a case study and of a metric definition renders nothing executable."""

import re

from tests.xss_payloads import XSS_PAYLOADS as SHARED
from tests.xss_payloads import assert_safe_html

OWN = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](x \"onerror=alert(1)\")",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>@import 'http://evil/x.css';</style>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "\"><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "[x](https://ok.example/\" onmouseover=\"alert(1))",
    "<a href=x onclick=alert(1)>x</a>",
]
PAYLOADS = list(dict.fromkeys([*SHARED, *OWN]))

EXECUTABLE = [
    re.compile(r"<\s*(script|iframe|object|embed|svg|math|style|link|meta|base|form|input|"
               r"video|details|marquee|body)\b", re.I),
    re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    re.compile(r"<[^>]+\s(href|src|action)\s*=\s*[\"']?\s*(javascript|vbscript|data):", re.I),
    re.compile(r"<[^>]+\sstyle\s*=", re.I),
]


def assert_inert(html: str) -> None:
    assert_safe_html(html)
    for pattern in EXECUTABLE:
        match = pattern.search(html)
        assert match is None, f"{pattern.pattern} matched {match.group(0)!r}"


def test_corpus_is_big_enough():
    assert len(PAYLOADS) >= 30


def assert_page_inert(page: str) -> None:
    for block in re.findall(r'class="prose">(.*?)</div>', page, flags=re.S):
        assert_inert(block)
    # the page as a whole: only our own scripts, no handlers, no script URLs
    assert len(re.findall(r"<script\b", page, re.I)) == len(
        re.findall(r'<script src="/static/[^"]+" defer></script>', page))
    for pattern in EXECUTABLE[1:]:
        assert pattern.search(page) is None, pattern.pattern


def test_every_markdown_field_is_inert(client, auth, make_user, make_case_study):
    """All payloads in one database (a fresh app per payload would take minutes)."""
    from marketplace.cases.services import create_metric_definition
    from marketplace.extensions import db

    owner = make_user()
    auth.login(owner.email)
    for i, payload in enumerate(PAYLOADS):
        definition = create_metric_definition(slug=f"evil-{i}", name="Evil", unit="%",
                                              direction="higher", description=payload)
        case = make_case_study(owner=owner, title=f"XSS case {i}", context=payload,
                               implementation=payload, results=payload, lessons=payload,
                               summary=payload, metrics={f"evil-{i}": (1, 2)})
        for html in (case.context_html, case.implementation_html, case.results_html,
                     case.lessons_html, definition.description_html):
            assert_inert(html)
        for url in (f"/cases/{case.slug}", f"/benchmarks/evil-{i}"):
            assert_page_inert(client.get(url).get_data(as_text=True))
    db.session.commit()
    for url in ("/cases/", "/cases/?page=2", f"/cases/{case.slug}/edit"):
        assert_page_inert(client.get(url).get_data(as_text=True))
