"""Reading the index: permission-aware queries, facets, snippets, suggestions, "did you mean"."""

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from whoosh import query as Q
from whoosh.highlight import ContextFragmenter, Formatter, WholeFragmenter, get_text, highlight
from whoosh.qparser import FieldAliasPlugin, MultifieldParser

from marketplace.search import storage
from marketplace.search.schema import (
    FACETS,
    LANGS,
    analyzer,
    field_lang,
    plain_analyzer,
    text_field,
    title_field,
)

PER_PAGE = 10
SORTS = {"relevance": None, "newest": "date", "endorsed": "endorsements"}
# URL filter name -> index field
FILTERS = {"kind": "kind", "country": "countries", "theme": "themes", "org_type": "org_type",
           "language": "language", "region": "region"}
ALIASES = {"countries": ["country"], "themes": ["theme"], "tags": ["tag"], "kind": ["type"],
           "words": ["title"]}
SEARCH_FIELDS = [title_field(lang) for lang in LANGS] + [text_field(lang) for lang in LANGS]
FACET_LIMIT = 12


@dataclass
class Hit:
    doc_id: str
    kind: str
    title: Markup
    snippet: Markup
    url: tuple
    countries: list[str]
    language: str
    date: object
    endorsements: int


@dataclass
class Page:
    total: int = 0
    page: int = 1
    pages: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# --- who may see what ---------------------------------------------------------------------


def viewer_tokens(viewer) -> set[str]:
    """Restricted-visibility tokens this viewer may read (public is always readable)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return set()
    if viewer.is_moderator:
        return {"*"}  # site moderators may read drafts and private communities
    tokens = {f"user:{viewer.id}"}
    tokens.update(f"community:{cid}" for cid in _community_ids(viewer))
    return tokens


def _community_ids(viewer) -> list[int]:
    from sqlalchemy import select

    from marketplace.extensions import db

    if "community_member" not in db.metadata.tables:  # communities not installed
        return []
    # Resolved lazily: search must not import other features at import time.
    from marketplace.communities.models import CommunityMember

    stmt = select(CommunityMember.community_id).where(CommunityMember.user_id == viewer.id)
    return list(db.session.scalars(stmt))


def mask_for(viewer) -> Q.Query:
    """Documents hidden from this viewer: restricted ones they have no token for."""
    tokens = viewer_tokens(viewer)
    if "*" in tokens:
        return Q.NullQuery
    restricted = Q.Term("visibility", "restricted")
    if not tokens:
        return restricted
    return Q.AndNot(restricted, Q.Or([Q.Term("visibility", t) for t in sorted(tokens)]))


# --- parsing --------------------------------------------------------------------------------


def parse(searcher, text: str):
    parser = MultifieldParser(SEARCH_FIELDS, schema=searcher.schema)
    parser.add_plugin(FieldAliasPlugin(ALIASES))
    try:
        return parser.parse(text)
    except Exception:  # e.g. a field:value on a stored-only field; search the words instead
        return parser.parse(re.sub(r"(\w+):", r"\1 ", text))


def filter_query(filters: dict[str, str]):
    terms = [Q.Term(FILTERS[k], v.lower() if k == "country" else v)
             for k, v in sorted(filters.items()) if k in FILTERS and v]
    return Q.And(terms) if terms else None


# --- search ---------------------------------------------------------------------------------


def query(text: str, filters: dict | None = None, viewer=None, page: int = 1,
          sort: str = "relevance", facets: bool = True) -> Page:
    """Raises storage.IndexUnavailable when there is no index to read."""
    s = storage.searcher()
    text = (text or "").strip()
    q = parse(s, text) if text else Q.Every()
    fq = filter_query(filters or {})
    mask = set(s.docs_for_query(mask_for(viewer)))
    sortedby = SORTS.get(sort)
    kwargs = {"filter": fq, "mask": mask} if fq else {"mask": mask}
    if sortedby:
        kwargs.update(sortedby=sortedby, reverse=True)
    results = s.search_page(q, max(1, page), pagelen=PER_PAGE, **kwargs)
    terms = _terms(s, q) if text else {}
    out = Page(total=results.total, page=results.pagenum, pages=results.pagecount,
               hits=[_hit(h, terms) for h in results])
    if facets:
        out.facets = facet_counts(s, q if fq is None else Q.And([q, fq]), mask)
    if text and results.total < 3:
        out.suggestion = did_you_mean(s, text)
    return out


def _terms(s, q) -> dict[str, set[str]]:
    """Query words per field that exist in the index, for highlighting (prefixes expanded).

    Not Query.existing_terms(): in Whoosh 2.7 its loop variable shadows the `fieldname`
    argument, so it drops every field after the first one.
    """
    reader = s.reader()
    by_field: dict[str, set[str]] = {}
    for leaf in q.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname not in s.schema:
                continue
            btext = text if isinstance(text, bytes) else s.schema[fieldname].to_bytes(text)
            if (fieldname, btext) in reader:
                by_field.setdefault(fieldname, set()).add(btext.decode("utf-8"))
    return by_field


class _MarkFormatter(Formatter):
    """Escapes everything; only the matched words are wrapped in <mark>."""

    between = " … "

    def _text(self, text):
        return str(escape(text))

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(get_text(text, token, replace))}</mark>"


_FORMATTER = _MarkFormatter()
_ANALYZERS = {lang: analyzer(lang) for lang in LANGS}


def mark(text: str, words: set[str], lang: str, chars: int = 240, whole: bool = False) -> Markup:
    if not text:
        return Markup("")
    if words:
        fragmenter = WholeFragmenter() if whole else ContextFragmenter(maxchars=chars, surround=60)
        out = highlight(text, words, _ANALYZERS[lang], fragmenter, _FORMATTER, top=2)
        if out:
            return Markup(out)
    return escape(text[:chars] + ("…" if len(text) > chars else ""))


def _hit(hit, terms: dict[str, set[str]]) -> Hit:
    f = hit.fields()
    lang = field_lang(f.get("language"))
    excerpt = " ".join(x for x in (f.get("summary", ""), f.get("excerpt", "")) if x)
    return Hit(
        doc_id=f["doc_id"], kind=f["kind"],
        title=mark(f.get("title", ""), terms.get(title_field(lang), set()), lang, whole=True),
        snippet=mark(excerpt, terms.get(text_field(lang), set()), lang),
        url=f.get("url"), countries=(f.get("countries") or "").upper().split(),
        language=f.get("language", ""), date=f.get("date"), endorsements=f.get("endorsements", 0),
    )


# --- facets: counted over every matching document, apart from the page of 10 ---------------


def facet_counts(s, q, mask: set[int]) -> dict[str, list[tuple[str, int]]]:
    matched = _bitmask(s.docs_for_query(q), s.doc_count_all())
    for docnum in mask:
        matched &= ~(1 << docnum)
    masks = _term_masks(s)
    out = {}
    for fieldname in FACETS:
        counts = [(term, (matched & m).bit_count()) for term, m in masks[fieldname].items()]
        counts = sorted((c for c in counts if c[1]), key=lambda c: (-c[1], c[0]))
        out[fieldname] = counts[:FACET_LIMIT]
    return out


def _bitmask(docnums, size: int) -> int:
    bits = bytearray((size + 8) // 8)
    for n in docnums:
        bits[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(bits, "little")


_segment_masks: dict[tuple[str, str], dict[str, int]] = {}


def _term_masks(s) -> dict[str, dict[str, int]]:
    """Per facet field, term -> bitmask of documents; cached per searcher and per segment."""
    cached = getattr(s, "_mp_facet_masks", None)
    if cached is not None:
        return cached
    out: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    leaves = s.reader().leaf_readers()
    live = set()
    for reader, offset in leaves:
        seg = reader.segment() if hasattr(reader, "segment") else None
        for fieldname in FACETS:
            if seg is None:  # not a segment (an empty index): nothing to cache
                leaf = _leaf_masks(reader, fieldname)
            else:
                key = (seg.segment_id(), fieldname)
                live.add(key)
                if key not in _segment_masks:
                    _segment_masks[key] = _leaf_masks(reader, fieldname)
                leaf = _segment_masks[key]
            for term, m in leaf.items():
                out[fieldname][term] = out[fieldname].get(term, 0) | (m << offset)
    for key in set(_segment_masks) - live:
        if len(_segment_masks) > 20 * len(FACETS):
            del _segment_masks[key]
    s._mp_facet_masks = out
    return out


def _leaf_masks(reader, fieldname: str) -> dict[str, int]:
    size = reader.doc_count_all()
    masks = {}
    if fieldname not in reader.indexed_field_names():
        return masks
    for btext in reader.lexicon(fieldname):
        masks[btext.decode("utf-8")] = _bitmask(reader.postings(fieldname, btext).all_ids(), size)
    return masks


# --- did you mean, suggestions ------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def did_you_mean(s, text: str) -> str | None:
    """The query with each unknown word replaced by the closest title/summary word."""
    reader = s.reader()
    corrector = s.corrector("spell")
    fold = plain_analyzer()
    changed = False

    def fix(m):
        nonlocal changed
        word = m.group(0)
        folded = [t.text for t in fold(word)]
        if word in _OPERATORS or len(word) < 3 or not folded or word.isdigit():
            return word
        if reader.doc_frequency("spell", folded[0]) or m.string[m.end():m.end() + 1] == ":":
            return word
        best = corrector.suggest(folded[0], limit=1, maxdist=2, prefix=1)
        if not best:
            return word
        changed = True
        return best[0]

    corrected = _WORD.sub(fix, text)
    return corrected if changed and corrected != text else None


def suggest(prefix: str, viewer=None, limit: int = 8) -> list[dict]:
    """Titles that start with (or contain words starting with) what was typed so far."""
    words = [t.text for t in plain_analyzer()(prefix or "")]
    if not words or len(words[-1]) < 2:
        return []
    s = storage.searcher()
    q = Q.And([*(Q.Term("words", w) for w in words[:-1]), Q.Prefix("words", words[-1])])
    mask = set(s.docs_for_query(mask_for(viewer)))
    results = s.search(q, limit=limit, mask=mask)
    return [{"title": h["title"], "kind": h["kind"], "url": h.get("url")} for h in results]
