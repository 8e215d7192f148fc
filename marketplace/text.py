"""The one Markdown pipeline: Markdown (raw HTML off) → HTML → nh3 allow-list."""

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

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


def render_markdown(source: str | None) -> str:
    """Return safe HTML for Markdown source; store it beside the source at save time."""
    if not source:
        return ""
    tokens = _md.parse(source)
    for token in tokens:  # table alignment as an attribute: the CSP forbids inline styles
        style = str(token.attrGet("style") or "")
        if token.type in ("th_open", "td_open") and style.startswith("text-align:"):
            token.attrs = {"align": style.split(":", 1)[1]}
    return clean_html(_md.renderer.render(tokens, _md.options, {}))


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
    )


def safe(html: str | None) -> Markup:
    """Mark the output of render_markdown() as safe for templates (the only |safe source)."""
    return Markup(html or "")
