"""The one Markdown pipeline: Markdown (raw HTML off) → HTML → nh3 allow-list.

Bare URLs become links (markdown-it's linkify, with linkify-it-py); @mentions become links to
the people they name when the caller passes `mentions` (handle → profile path), e.g. from
marketplace.forums.mentions. Everything still goes through the nh3 allow-list.
"""

import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

# "@AnaMariaSilva": not inside a word, an email address or a path.
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9][\w.\-]{1,79})", re.UNICODE)

_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["table", "strikethrough", "linkify"]
)
# Only addresses with a scheme ("https://…", "mailto:…"): "app.py" or "e.g." are not links.
_md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
    "em", "strong", "del", "s", "ul", "ol", "li", "a", "img", "table", "thead", "tbody",
    "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Images show only when they are ours: a file served by this site (/files/<id>/<name>, or its
# thumbnail). Any other image address becomes a plain link to it.
OWN_IMAGE = re.compile(r"/files/\d{1,9}/(?:thumbnail/)?[^/?#\s\\]+")


def render_markdown(source: str | None, mentions: Mapping[str, str] | None = None,
                    handle=None) -> str:
    """Return safe HTML for Markdown source; store it beside the source at save time.
    `mentions` maps a handle (`handle(name)` of the text after @) to the person's profile path;
    other @words stay text."""
    if not source:
        return ""
    tokens = _md.parse(source)
    for token in tokens:  # table alignment as an attribute: the CSP forbids inline styles
        style = str(token.attrGet("style") or "")
        if token.type in ("th_open", "td_open") and style.startswith("text-align:"):
            token.attrs = {"align": style.split(":", 1)[1]}
        if token.type == "inline" and token.children:
            token.children = _foreign_images_as_links(token.children)
        if mentions and token.type == "inline" and token.children:
            token.children = _link_mentions(token.children, mentions, handle or str.lower)
    return clean_html(_md.renderer.render(tokens, _md.options, {}))


def _foreign_images_as_links(children: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in children:
        src = str(token.attrGet("src") or "") if token.type == "image" else ""
        if token.type != "image" or OWN_IMAGE.fullmatch(src):
            out.append(token)
            continue
        alt = "".join(c.content for c in token.children or []) or src
        out += [_token("link_open", "", token.level, {"href": src}), _token("text", alt, token.level + 1),
                _token("link_close", "", token.level)]
    return out


def _own_images_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not OWN_IMAGE.fullmatch(value):
        return None
    return value


def _link_mentions(children: list[Token], mentions: Mapping[str, str], handle) -> list[Token]:
    """Split text tokens outside links and code at each known @mention into a link."""
    out: list[Token] = []
    depth = 0
    for token in children:
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        if token.type != "text" or depth > 0:
            out.append(token)
            continue
        out.extend(_split_mentions(token, mentions, handle))
    return out


def _split_mentions(token: Token, mentions: Mapping[str, str], handle) -> list[Token]:
    text, last, out = token.content, 0, []
    for match in MENTION.finditer(text):
        path = mentions.get(handle(match.group(1)))
        if path is None:
            continue
        out.append(_token("text", text[last:match.start()], token.level))
        out.append(_token("link_open", "", token.level, {"href": path}))
        out.append(_token("text", match.group(0), token.level + 1))
        out.append(_token("link_close", "", token.level))
        last = match.end()
    if not out:
        return [token]
    out.append(_token("text", text[last:], token.level))
    return [t for t in out if t.type != "text" or t.content]


_NESTING: dict[str, Literal[-1, 0, 1]] = {"link_open": 1, "link_close": -1, "text": 0}


def _token(kind: str, content: str, level: int, attrs: dict | None = None) -> Token:
    tag = "a" if kind.startswith("link") else ""
    token = Token(kind, tag, _NESTING[kind], content=content, level=level)
    if attrs:
        token.attrs = attrs
    return token


def _local_path_only(url: str) -> str | None:
    """Relative URLs: keep paths on this site ("/practices/3") and same-page fragments ("#steps");
    drop "//host", "/\\host", "x:y" and other relative paths."""
    if url.startswith("#"):
        return url
    return url if url.startswith("/") and url[1:2] not in ("/", "\\") else None


def is_web_url(url: str | None) -> bool:
    """An absolute http(s) address with a host: what stored links (sources, evidence) must be."""
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def clean_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative=_local_path_only,
        link_rel="nofollow noopener",
        strip_comments=True,
        attribute_filter=_own_images_only,
    )


def safe(html: str | None) -> Markup:
    """Mark the output of render_markdown() as safe for templates (the only |safe source)."""
    return Markup(html or "")
