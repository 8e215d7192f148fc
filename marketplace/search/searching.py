"""Reading the index: permission-aware queries, facets, snippets, suggestions, "did you mean"."""

import itertools
import math
import re
import threading
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from babel.messages.mofile import read_mo
from markupsafe import Markup, escape
from whoosh import query as Q
from whoosh.qparser import FieldAliasPlugin, QueryParser
from whoosh.support.charset import accent_map
from whoosh.support.levenshtein import damerau_levenshtein

from marketplace import policy
from marketplace.paging import Page
from marketplace.search import ranking, storage
from marketplace.search.schema import (
    COMMON_STOP_WORDS,
    FACETS,
    LANGS,
    SEARCHED,
    STEMMED,
    STOP,
    TEXT,
    WORK,
    field_lang,
    fold,
    parse_schema,
    plain_analyzer,
    plain_words,
    stem,
    stop_languages,
    variants,
)
from marketplace.search.schema import words as schema_words

PER_PAGE = 10
SORTS = {"relevance": None, "newest": "date", "endorsed": "endorsements"}
# URL filter name -> index field
FILTERS = {"kind": "kind", "country": "countries", "theme": "themes", "org_type": "org_type",
           "language": "language", "region": "region", "tag": "tags"}
ALIASES = {"countries": ["country"], "themes": ["theme"], "tags": ["tag"], "kind": ["type"],
           "words": ["title"]}
_PARSE_SCHEMA = parse_schema()
FACET_LIMIT = 12
# Facets with an open vocabulary count only their most frequent terms of each segment (a bitmask
# per term: every free tag of 100k documents would hold hundreds of megabytes).
FACET_TERMS = {"tags": 300}


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
    missing: list[str] = field(default_factory=list)  # query words this hit does not contain


# --- who may see what ---------------------------------------------------------------------


def mask_for(viewer) -> Q.Query:
    """Documents hidden from this viewer: restricted ones they have no token for."""
    tokens = policy.viewer_tokens(viewer)
    if "*" in tokens:
        return Q.NullQuery
    restricted = Q.Term("visibility", "restricted")
    if not tokens:
        return restricted
    return Q.AndNot(restricted, Q.Or([Q.Term("visibility", t) for t in sorted(tokens)]))


# --- parsing --------------------------------------------------------------------------------


def _parse_raw(text: str) -> Q.Query:
    parser = QueryParser("q", schema=_PARSE_SCHEMA)
    parser.add_plugin(FieldAliasPlugin(ALIASES))
    try:
        return parser.parse(text)
    except Exception:  # e.g. a field:value on a stored-only field; search the words instead
        return parser.parse(re.sub(r"(\w+):", r"\1 ", text))


def parse(text: str) -> Q.Query:
    """Whoosh syntax; free words and phrases are expanded to their stems in every language."""
    return _expand(_parse_raw(text)).normalize()


@dataclass
class Clause:
    """One top-level unit of a query: a word (or a word the tokenizer splits, "Change.org"), a
    quoted phrase, a +word, a field:value..."""

    query: Q.Query  # expanded
    label: str  # as typed
    required: bool  # kept even when results may match only most of the words
    stop: bool = False  # a stop word in some language (matched by that language's documents)
    must: bool = False  # a +word or a quoted phrase (required, as opposed to a field:value)


_EXPLICIT = re.compile(r"\b(?:AND|NOT|ANDNOT|ANDMAYBE)\b")


def clauses(text: str) -> list[Clause] | None:
    """The top-level clauses of a query of several words joined by nothing but spaces, or None
    (one word, or explicit syntax: AND, NOT, OR, groups), whose results must match it all.

    Quoted phrases, +words and field:values are required; plain words are not (best effort)."""
    if _EXPLICIT.search(text):
        return None
    raw = _parse_raw(text)
    if type(raw) is not Q.And:
        return None
    out = []
    for child in raw.subqueries:
        expanded = _optional_for_stop_languages(child).normalize()
        if expanded is Q.NullQuery:
            continue
        typed = _typed(text, child)
        quoted = type(child) is Q.Phrase and child.char_ranges is not None
        plain_word = (getattr(child, "fieldname", None) == "q" and not quoted
                      and not typed.startswith("+")
                      and type(child) in (Q.Term, Q.Phrase, Q.Prefix, Q.Wildcard))
        stop = type(child) is Q.Term and bool(stop_languages(child.text))
        must = getattr(child, "fieldname", None) == "q" and (quoted or typed.startswith("+"))
        out.append(Clause(expanded, typed.lstrip("+"), required=not plain_word, stop=stop,
                          must=must))
    return out if len(out) > 1 else None


def _typed(text: str, node: Q.Query) -> str:
    """The words of the query text a parsed node came from."""
    start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
    if start is not None and end is not None:
        return text[start:end]
    words = getattr(node, "words", None)
    ranges = getattr(node, "char_ranges", None)
    if ranges:
        return text[ranges[0][0]:ranges[-1][1]]
    if words:  # a word the tokenizer split ("Change.org"): the whole of it as typed
        found = re.search(r"\S*" + r"\W*".join(map(re.escape, words)) + r"\S*", text, re.I)
        if found:
            return found.group(0)
        return " ".join(words)
    return str(getattr(node, "text", ""))


def _expand(node: Q.Query) -> Q.Query:
    if node.is_leaf() and getattr(node, "fieldname", None) == "q":
        if isinstance(node, Q.Phrase):
            return _phrase(node.words, node.slop, node.boost)
        if isinstance(node, Q.Term):
            return _term(node.text, node.boost)
        if isinstance(node, (Q.Prefix, Q.Wildcard)):
            text = fold(node.text.lower())
            return Q.Or([type(node)(f, text) for f in SEARCHED])
        return Q.NullQuery
    if type(node) is Q.And:
        return Q.And([_optional_for_stop_languages(child) for child in node.subqueries])
    return node.apply(_expand) if not node.is_leaf() else node


def _optional_for_stop_languages(node: Q.Query) -> Q.Query:
    """In "AI ethics", documents in French (where "ai" is a stop word, never indexed) need only
    "ethics": a word is not required of the languages that drop it (matched at zero score)."""
    expanded = _expand(node)
    if not (type(node) is Q.Term and node.fieldname == "q" and expanded is not Q.NullQuery):
        return expanded
    langs = stop_languages(node.text)
    if not langs:
        return expanded
    return Q.Or([expanded, *(Q.Term("language", lang, boost=0.0) for lang in langs)])


def _term(word: str, boost: float = 1.0) -> Q.Query:
    if word.lower() in COMMON_STOP_WORDS:
        return Q.NullQuery
    return Q.Or([Q.Term(f, t, boost=boost) for f in SEARCHED for t in variants(word)])


def _phrase(words: list[str], slop: int, boost: float) -> Q.Query:
    """One phrase per language, without that language's stop words, which keep their places (as
    its documents were indexed: "space for open" is "space", then "open" two words later); a
    language left with one word searches that word."""
    words = [w.lower() for w in words]
    forms = dict.fromkeys(tuple((i, stem(lang, w)) for i, w in enumerate(words)
                                if w not in STOP[lang]) for lang in LANGS)
    alternatives: list[Q.Query] = []
    for form in (f for f in forms if f):
        stems = [t for _, t in form]
        offsets = [i - form[0][0] for i, _ in form]
        if len(form) == 1:
            alternatives += [Q.Term(f, stems[0], boost=boost) for f in SEARCHED]
        elif offsets == list(range(len(form))):
            alternatives += [Q.Phrase(f, stems, slop=slop, boost=boost) for f in SEARCHED]
        else:
            alternatives += [ranking.GapPhrase(f, stems, offsets, slop=slop, boost=boost)
                             for f in SEARCHED]
    return Q.Or(alternatives) if alternatives else Q.NullQuery


def filter_query(filters: dict[str, str]):
    terms = [Q.Term(FILTERS[k], v.lower() if k in ("country", "language", "region", "tag") else v)
             for k, v in sorted(filters.items()) if k in FILTERS and v]
    return Q.And(terms) if terms else None


# --- search ---------------------------------------------------------------------------------


# A query of several words requires every word when at least this many documents the reader
# may see (after the filters) have them all; otherwise documents with most of the words follow
# those that have all (docs/search.md, "Best-effort matching").
ENOUGH = 5


def query(text: str, filters: dict | None = None, viewer=None, page: int = 1,
          sort: str = "relevance", facets: bool = True, as_typed: bool = False) -> Page:
    """Raises storage.IndexUnavailable when there is no index to read. Unless `as_typed`, a
    query that finds nothing is replaced by its spelling correction when that finds something
    (the page's `corrected` is then the text whose results it shows)."""
    with storage.searcher() as s:
        return _query(s, (text or "").strip(), filters, viewer, page, sort, facets, not as_typed)


class _Matches:
    """What a query matches for one reader: strict (every word) and best effort."""

    def __init__(self, ev, text: str, visible: np.ndarray, score: bool):
        self.units = clauses(text) if text else None
        if self.units is None:
            q = parse(text) if text else Q.Every()
            self.strict, self.scores = ev.evaluate(q, score=score)
            self.leaves = [q]
        else:
            evaluated = [ev.evaluate(c.query, score=score) for c in self.units]
            self.each = [m for m, _ in evaluated]
            self.strict = np.logical_and.reduce(self.each)
            scored = [sc for _, sc in evaluated if sc is not None]
            self.scores = np.sum(scored, axis=0) if scored else None
            self.leaves = [c.query for c in self.units]
        self.strict &= visible
        self.strict_total = int(np.count_nonzero(self.strict))
        self.matched, self.partial = self.strict, False
        if self.units is not None and self.strict_total < ENOUGH:
            self._best_effort(ev, visible)

    def _best_effort(self, ev, visible: np.ndarray) -> None:
        """Documents with the required clauses and most of the words, ranked by coordination
        (the idf-weighted share of the words they contain), then by BM25F."""
        units = self.units or []
        optional = [i for i, c in enumerate(units) if not c.required]
        if not optional:
            return
        required = np.logical_and.reduce([self.each[i] for i in range(len(units))
                                          if units[i].required] or [visible]) & visible
        live = ev.live()
        n = max(1, int(np.count_nonzero(live)))
        weights = []
        for i in optional:
            df = int(np.count_nonzero(self.each[i] & live))
            weights.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        # Most of the words: at least half of them (or, when that finds nothing, fewer), not
        # counting stop words (which every document of their languages matches). With required
        # clauses (+word, "phrase"), the other words may all be missing.
        counted = [i for i in optional if not units[i].stop] or optional
        count = np.zeros(ev.size, dtype=np.int64)
        coverage = np.zeros(ev.size)
        for w, i in zip(weights, optional, strict=True):
            count += self.each[i] if i in counted else 0
            coverage += w * self.each[i]
        coverage /= sum(weights) or 1
        need = 0 if any(c.must for c in units) else max(1, math.ceil(len(counted) / 2))
        matched = required & (count >= need)
        while need > 1 and not matched.any():
            need -= 1
            matched = required & (count >= need)
        if np.count_nonzero(matched) <= self.strict_total:
            return
        self.matched, self.partial = matched, True
        if self.scores is not None:
            bm25 = self.scores * matched
            top = float(bm25.max()) if len(bm25) else 0.0
            self.scores = np.round(coverage * 1000) + 0.999 * bm25 / (top or 1)
            self.scores *= matched

    def missing(self, docnum: int) -> list[str]:
        if not self.partial or self.units is None:
            return []
        return [c.label for c, m in zip(self.units, self.each, strict=True)
                if not c.required and not m[docnum]]


def _query(s, text: str, filters, viewer, page: int, sort: str, facets: bool,
           autocorrect: bool = True) -> Page:
    ev = ranking.Evaluator(s)
    hidden = ev.match(mask_for(viewer))
    visible = ~hidden
    fq = filter_query(filters or {})
    if fq is not None:
        visible &= ev.match(fq)
    # Every matching document the viewer may read: the total, the facet counts and the page
    # all come from these arrays.
    found = _Matches(ev, text, visible, score=sort == "relevance")
    matched, scores = found.matched, found.scores
    suggestion = None
    counted: dict[str, tuple[int, int]] = {}

    def counts(fixed: str) -> tuple[int, int]:
        if fixed not in counted:
            counted[fixed] = _counts(ev, fixed, visible)
        return counted[fixed]

    if text and found.strict_total < 3:
        # Only words this viewer could find: a draft's or a private post's words stay unknown.
        suggestion = did_you_mean(
            s, text, lambda word: int(np.count_nonzero(ev.match(Q.Term("spell", word)) & visible)),
            counts)
    if suggestion and autocorrect:
        strict, anything = counts(suggestion)
        if (not matched.any() and anything) or (found.strict_total == 0 and strict):
            out = _query(s, suggestion, filters, viewer, page, sort, facets, autocorrect=False)
            out.corrected, out.suggestion = suggestion, None
            return out
    total = int(np.count_nonzero(matched))
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    start, end = (page - 1) * PER_PAGE, page * PER_PAGE
    docnums = _ranked(s, matched, scores, sort, end)[start:end]
    terms = set().union(*(_highlight_terms(q) for q in found.leaves)) if text else set()
    out = Page([_hit(s.stored_fields(int(n)), terms, found.missing(int(n))) for n in docnums],
               page, PER_PAGE, total)
    out.partial = "none" if found.partial and not found.strict_total else (
        "few" if found.partial else "")
    if facets:
        out.facets = facet_counts(s, _bitmask_of(matched))
    out.suggestion = suggestion
    return out


def _counts(ev, text: str, visible: np.ndarray) -> tuple[int, int]:
    """(documents with every word, documents with the best-effort rule) for a query."""
    found = _Matches(ev, text, visible, score=False)
    return found.strict_total, int(np.count_nonzero(found.matched))


def _ranked(s, matched: np.ndarray, scores: np.ndarray | None, sort: str, end: int) -> np.ndarray:
    """The first `end` matching document numbers: by score, or by a sort column, highest first.

    Ties are broken by the document's id (kind, then row id): never by its document number,
    which depends on how the index was written (a parallel rebuild's segments come in the
    order the processes finish; a replica applies the log in other batches than the node that
    wrote it), so every copy of the index gives the same order."""
    docnums = np.flatnonzero(matched)
    if SORTS.get(sort) or scores is None:  # nothing to rank by (an empty query): newest first
        key = _column(s, SORTS.get(sort) or SORTS["newest"])[docnums]
        kinds, ids = _doc_keys(s)
        # Highest first, ties by id descending (as Whoosh's reverse sort reverses them).
        return docnums[np.lexsort((-ids[docnums], _descending(kinds[docnums]), -key))][:end]
    key = scores[docnums]
    if len(docnums) > end:  # keep every document tied with the last one on the page
        cut = np.partition(key, len(key) - end)[len(key) - end]
        docnums, key = docnums[key >= cut], key[key >= cut]
    kinds, ids = _doc_keys(s)
    return docnums[np.lexsort((ids[docnums], kinds[docnums], -key))][:end]


def _descending(values: np.ndarray) -> np.ndarray:
    """Integer ranks that sort `values` (strings) in reverse order."""
    _, inverse = np.unique(values, return_inverse=True)
    return -inverse


def _doc_keys(s) -> tuple[np.ndarray, np.ndarray]:
    """(kind, row id) of every document number, from the doc_id column; cached on the
    searcher, each segment's arrays also across searchers (a drain adds a small segment and
    leaves the big ones as they were)."""
    cached = getattr(s, "_mp_doc_keys", None)
    if cached is not None:
        return cached
    kinds, ids, live = [], [], set()
    for reader, _ in s.reader().leaf_readers():
        seg = reader.segment() if hasattr(reader, "segment") else None
        if seg is None or not reader.doc_count_all():
            continue
        live.add(seg.segment_id())
        with _segment_masks_lock:
            leaf = _segment_keys.get(seg.segment_id())
        if leaf is None:
            leaf = _leaf_keys(reader)
            with _segment_masks_lock:
                leaf = _segment_keys.setdefault(seg.segment_id(), leaf)
        kinds.append(leaf[0])
        ids.append(leaf[1])
    with _segment_masks_lock:
        for key in [k for k in _segment_keys if k not in live]:
            if len(_segment_keys) > 20:
                _segment_keys.pop(key, None)
    out = ((np.concatenate(kinds), np.concatenate(ids)) if kinds
           else (np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64)))
    s._mp_doc_keys = out
    return out


def _leaf_keys(reader) -> tuple[np.ndarray, np.ndarray]:
    kinds, ids = [], []
    for value in reader.column_reader("doc_id", translate=False):
        kind, _, key = value.decode("utf-8").partition(":")
        kinds.append(kind)
        ids.append(int(key) if key.isdigit() else 0)
    return np.array(kinds, dtype=str), np.array(ids, dtype=np.int64)


def _column(s, fieldname: str) -> np.ndarray:
    """A sortable field's values for every document, cached on the (pooled) searcher."""
    cache = getattr(s, "_mp_columns", None)
    if cache is None:
        cache = s._mp_columns = {}
    if fieldname not in cache:
        values = np.zeros(s.doc_count_all())
        for reader, offset in s.reader().leaf_readers():
            if not reader.doc_count_all() or not reader.has_column(fieldname):
                continue
            column = reader.column_reader(fieldname, translate=False)
            values[offset:offset + reader.doc_count_all()] = list(column)
        cache[fieldname] = values
    return cache[fieldname]


def _bitmask_of(matched: np.ndarray) -> int:
    return int.from_bytes(np.packbits(matched, bitorder="little").tobytes(), "little")


def _highlight_terms(q: Q.Query) -> set[str]:
    """Index terms of the query's free words (prefixes kept with a trailing '*')."""
    out = set()
    for leaf in q.leaves():
        if getattr(leaf, "fieldname", None) not in SEARCHED:
            continue
        if isinstance(leaf, Q.Phrase):
            out.update(leaf.words)
        elif isinstance(leaf, Q.Prefix):
            out.add(leaf.text + "*")
        elif isinstance(leaf, Q.Term):
            out.add(leaf.text)
    return out


def mark(text: str, terms: set[str], lang: str) -> Markup:
    """Escape the whole of `text` (a title) and wrap the words whose index term is in `terms`
    in <mark>."""
    return _marked(text, _spans(text, terms, lang), 0, len(text)) if text else Markup("")


# Characters that fold to each ASCII letter ("e" -> "eéèêë…"), for the candidate regex.
_FOLDS: dict[str, str] = {}
for _code, _folded in accent_map.items():
    if isinstance(_folded, str) and len(_folded) == 1:
        _FOLDS[_folded] = _FOLDS.get(_folded, _folded) + chr(_code)
MAX_SPANS = 2000  # matched words looked at per document (a 20,000-character body has ~3,000 words)


@lru_cache(maxsize=512)
def _passage_pattern(terms: frozenset[str]) -> re.Pattern | None:
    """Words that may have one of `terms` as their index term: snowball stems are the folded
    word with (at most) its ending changed, so a word starts with its stem minus the last letter
    ("budgeting" -> "budget", "policies" -> "polici": "polic…"). A regex finds these in C; each
    candidate is then stemmed (cached) to be sure."""
    alternatives = []
    for term in sorted(terms):
        head = term[:-1] if term.endswith("*") else (term[:-1] if len(term) > 3 else term)
        if head:
            alternatives.append("".join(f"[{re.escape(_FOLDS.get(c, c))}]" if c in _FOLDS
                                        else re.escape(c) for c in head))
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})\w*", re.IGNORECASE)


def _spans(text: str, terms: set[str], lang: str) -> list[tuple[int, int, str]]:
    """(start, end, index term) of every word of `text` that matches one of `terms`."""
    pattern = _passage_pattern(frozenset(terms)) if terms else None
    if pattern is None:
        return []
    prefixes = tuple(t[:-1] for t in terms if t.endswith("*"))
    out = []
    for m in pattern.finditer(text):
        term = _matched_term(m.group(0).lower(), lang, terms, prefixes)
        if term is not None:
            out.append((m.start(), m.end(), term))
            if len(out) >= MAX_SPANS:
                break
    return out


def _window(text: str, spans: list[tuple[int, int, str]], chars: int,
            shown: frozenset[str] = frozenset()) -> tuple[int, int]:
    """The (start, end) of the passage of about `chars` characters with the most distinct
    matched terms; ties go to terms the title does not show already (`shown`), then to more
    matched words, then to the earlier passage. Starts at a sentence or word boundary a little
    before its first match; with no match at all, the beginning of the text."""
    best, best_score = None, None
    j = 0
    counts: dict[str, int] = {}
    for i, (a, _end, _term) in enumerate(spans):
        # spans[i:j] lie within `chars * 3 // 4` of spans[i] (room for context before it)
        while j < len(spans) and spans[j][1] - a <= chars * 3 // 4:
            counts[spans[j][2]] = counts.get(spans[j][2], 0) + 1
            j += 1
        score = (len(counts), len(counts.keys() - shown), j - i)
        if best_score is None or score > best_score:
            best, best_score = a, score
        counts[spans[i][2]] -= 1
        if not counts[spans[i][2]]:
            del counts[spans[i][2]]
    if best is None:
        space = text.rfind(" ", 0, chars)
        return 0, space if space > chars // 2 else chars
    start = max(0, best - chars // 5)
    sentence = max(text.rfind(". ", start, best), text.rfind("\n", start, best))
    if sentence >= 0:
        start = sentence + 1
    elif start:
        start = text.rfind(" ", 0, start) + 1
    while start < best and text[start].isspace():
        start += 1
    end = min(len(text), start + chars)
    if end < len(text):
        space = text.rfind(" ", best, end)
        end = space if space > 0 else end
    return start, end


def passage(f: dict, terms: set[str], lang: str, chars: int = 240) -> Markup:
    """The snippet of a hit: the best-matching passage of its summary, body and tags (all
    stored), with the matched words marked; the rest escaped."""
    body = zlib.decompress(f["passages"]).decode("utf-8") if f.get("passages") else ""
    tags = ", ".join(t for t in (f.get("tags") or "").split(",") if t)
    text = "\n".join(x for x in (f.get("summary", ""), body, tags) if x)
    if not text:
        return Markup("")
    spans = _spans(text, terms, lang)
    shown = frozenset(t for _a, _b, t in _spans(f.get("title", ""), terms, lang))
    start, end = (0, len(text)) if len(text) <= chars else _window(text, spans, chars, shown)
    return _marked(text, spans, start, end)


def _marked(text: str, spans, start: int, end: int) -> Markup:
    parts, pos = [], start
    for a, b, _term in spans:
        if a < start or b > end:
            continue
        parts += [escape(text[pos:a]), Markup("<mark>"), escape(text[a:b]), Markup("</mark>")]
        pos = b
    parts.append(escape(text[pos:end].rstrip()))
    return Markup("").join([Markup("… ") if start else Markup(""), *parts,
                            Markup(" …") if end < len(text) else Markup("")])


def _matched_term(word: str, lang: str, terms: set[str], prefixes: tuple[str, ...]) -> str | None:
    if word in STOP[lang]:
        return None
    term = stem(lang, word)
    if term in terms:
        return term
    folded = fold(word)
    return next((p + "*" for p in prefixes if folded.startswith(p)), None)


def _hit(f: dict, terms: set[str], missing: list[str] | None = None) -> Hit:
    lang = field_lang(f.get("language"))
    return Hit(
        doc_id=f["doc_id"], kind=f["kind"], title=mark(f.get("title", ""), terms, lang),
        snippet=passage(f, terms, lang),
        url=f.get("url"), countries=(f.get("countries") or "").upper().split(),
        language=f.get("language", ""), date=f.get("date"), endorsements=f.get("endorsements", 0),
        missing=missing or [],
    )


# --- facets: counted over every matching document, apart from the page of 10 ---------------


def facet_counts(s, matched: int) -> dict[str, list[tuple[str, int]]]:
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
_segment_keys: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # segment id -> (kinds, ids)
_segment_masks_lock = threading.Lock()


def _term_masks(s) -> dict[str, dict[str, int]]:
    """Per facet field, term -> bitmask of documents; cached per searcher and per segment.

    The threads of a worker share the per-segment cache: every read, write and sweep of it holds
    the lock (a sweep iterating it while another thread adds a new segment's masks fails with
    "dictionary changed size during iteration"); the masks themselves are read outside it."""
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
                with _segment_masks_lock:
                    leaf = _segment_masks.get(key)
                if leaf is None:
                    leaf = _leaf_masks(reader, fieldname)
                    with _segment_masks_lock:  # another thread may have read it meanwhile
                        leaf = _segment_masks.setdefault(key, leaf)
            for term, m in leaf.items():
                out[fieldname][term] = out[fieldname].get(term, 0) | (m << offset)
    with _segment_masks_lock:
        for key in [k for k in _segment_masks if k not in live]:
            if len(_segment_masks) > 20 * len(FACETS):
                _segment_masks.pop(key, None)
    s._mp_facet_masks = out
    return out


def _leaf_masks(reader, fieldname: str) -> dict[str, int]:
    size = reader.doc_count_all()
    masks: dict[str, int] = {}
    if fieldname not in reader.indexed_field_names():
        return masks
    words = list(reader.lexicon(fieldname))
    if fieldname in FACET_TERMS and len(words) > FACET_TERMS[fieldname]:
        words = sorted(words, key=lambda w: -reader.doc_frequency(fieldname, w))
        words = words[:FACET_TERMS[fieldname]]
    for btext in words:
        masks[btext.decode("utf-8")] = _bitmask(reader.postings(fieldname, btext).all_ids(), size)
    return masks


# --- did you mean, suggestions ------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


MAX_CORRECTIONS = 6  # whole-query corrections tried, closest first


def did_you_mean(s, text: str, frequency=lambda word: 1,
                 counts=lambda fixed: (1, 1)) -> str | None:
    """The query with its unknown words corrected, or None.

    A word is never corrected when it is a common word of a site language: a stop word ("la"),
    or a word of the site's own interface text in English, French or Spanish ("contre",
    common_words()). A candidate that is only the word's plural or singular ("publics" ->
    "public") is no correction: both are one index term, so it would find the same documents.

    A word's candidates are title/summary/tag words within two edits (sharing the first
    letter), by real Damerau-Levenshtein distance first — one edit before two — then by how
    many documents the reader may see have them (`frequency`; 0 = never offered). For several
    words the whole corrected query is offered only if it finds something (`counts(text)` ->
    (documents with every word, documents with most)), trying the next candidates otherwise."""
    reader = s.reader()
    analyzer = plain_analyzer()
    spans, options = [], []
    for m in _WORD.finditer(text):
        word = m.group(0)
        folded = [t.text for t in analyzer(word)]
        if (word in _OPERATORS or len(word) < 3 or len(folded) != 1
                or any(ch.isdigit() for ch in word)  # "alpha0", "G20": names, not typos
                or reader.doc_frequency("spell", folded[0])
                or stop_languages(word) or folded[0] in common_words()
                or m.string[m.end():m.end() + 1] == ":" or m.string[m.start() - 1:m.start()] == ":"):
            continue
        found = _candidates(s, folded[0], frequency)
        if found:
            spans.append((m.start(), m.end()))
            options.append(found)
    if not spans:
        return None
    combos = sorted(itertools.product(*options), key=lambda c: sum(d for d, _ in c))
    for combo in combos[:MAX_CORRECTIONS]:
        parts, pos = [], 0
        for (a, b), (_, word) in zip(spans, combo, strict=True):
            parts += [text[pos:a], word]
            pos = b
        fixed = "".join(parts) + text[pos:]
        if fixed != text and any(counts(fixed)):
            return fixed
    return None


def _candidates(s, word: str, frequency, limit: int = 3) -> list[tuple[int, str]]:
    """(distance, word) of the closest known words the reader may see, best first."""
    found: set[str] = set()
    for keys in _spell_keys(s):
        for key in _deletes(word, 2):
            found.update(keys.get(key, ()))
    reader = s.reader()
    if not found and not any(reader.doc_frequency(TEXT, v) for v in variants(word)):
        # A word no document has, with no neighbour in the deletion index (two edits such as an
        # insertion and a transposition): Whoosh's slower walk of the word list finds them all.
        found.update(reader.terms_within("spell", word, 2, prefix=1))
    scored = [(d, c) for c in found - {word} if c[:1] == word[:1] and len(c) > 1
              and not _inflection(word, c) and (d := damerau_levenshtein(word, c)) <= 2]
    out: list[tuple[int, int, str]] = []
    for distance in sorted({d for d, _ in scored}):
        ranked = sorted(((-frequency(c), c) for d, c in scored if d == distance))
        out += [(distance, f, c) for f, c in ranked if f < 0][:limit - len(out)]
        if len(out) >= limit:
            break
    return [(d, c) for d, _, c in out]


TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Every word of the site's interface text (the English messages and their French and Spanish
    translations, compiled catalogs), folded: words of the site's languages that "did you mean"
    never takes for typos ("contre" is not "centre")."""
    out: set[str] = set()
    for mo in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo")):
        with mo.open("rb") as f:
            for message in read_mo(f):
                for text in (message.id, message.string):
                    for part in (text if isinstance(text, (list, tuple)) else [text]):
                        out.update(w for w in plain_words(part or "")
                                   if len(w) > 2 and not any(c.isdigit() for c in w))
    return frozenset(out)


def _inflection(word: str, candidate: str) -> bool:
    """Whether one is the plural of the other ("publics", "public"; the stemmer of some language
    agrees): the same word, not a typo of it. A dropped "e" is a typo ("deliberativ")."""
    shorter, longer = sorted((word, candidate), key=len)
    return (longer[len(shorter):] in _PLURAL_ENDINGS and longer.startswith(shorter)
            and any(stem(lang, longer) == stem(lang, shorter) for lang in STEMMED))


_PLURAL_ENDINGS = ("s", "es", "x")  # English, French and Spanish plurals


def _deletes(word: str, depth: int) -> set[str]:
    """The word and every string made from it by deleting up to `depth` letters."""
    out, edge = {word}, {word}
    for _ in range(depth):
        edge = {w[:i] + w[i + 1:] for w in edge if len(w) > 1 for i in range(len(w))}
        out |= edge
    return out


_segment_spell: dict[str, dict[str, tuple[str, ...]]] = {}


def _spell_keys(s) -> list[dict[str, tuple[str, ...]]]:
    """Per segment: each "did you mean" word and its one-letter deletions -> the words. A typed
    word's deletions of up to two letters looked up here find every known word one edit away
    (and most two edits away) in microseconds; Whoosh's terms_within walks the term dictionary
    on disk, 10-100 ms a word at 2,000 documents. Cached per segment, like the facet masks."""
    cached = getattr(s, "_mp_spell", None)
    if cached is not None:
        return cached
    out, live = [], set()
    for reader, _ in s.reader().leaf_readers():
        seg = reader.segment() if hasattr(reader, "segment") else None
        key = seg.segment_id() if seg is not None else None
        with _segment_masks_lock:
            keys = _segment_spell.get(key) if key else None
        if keys is None:
            index: dict[str, list[str]] = {}
            if "spell" in reader.indexed_field_names():
                for btext in reader.lexicon("spell"):
                    word = btext.decode("utf-8")
                    for d in _deletes(word, 1):
                        index.setdefault(d, []).append(word)
            keys = {k: tuple(v) for k, v in index.items()}
            if key:
                with _segment_masks_lock:
                    keys = _segment_spell.setdefault(key, keys)
        if key:
            live.add(key)
        out.append(keys)
    with _segment_masks_lock:
        if len(_segment_spell) > 40:
            for key in [k for k in _segment_spell if k not in live]:
                _segment_spell.pop(key, None)
    s._mp_spell = out
    return out


# --- people by expertise (the expert directory) ----------------------------------------------


def people(text: str, viewer=None, limit: int = 2000) -> list[int]:
    """Ids of the people whose name, bio, expertise or public work (practices and case studies)
    contain every word of `text`, stemmed in each language ("procurement" finds "e-procurement"
    and "public procurements"), best first; when nobody does, the words are corrected to the
    closest ones people's documents hold (edit distance ≤ 2) and searched again.
    Raises storage.IndexUnavailable when there is no index."""
    words = [w for w in schema_words(text or "") if w not in COMMON_STOP_WORDS]
    if not words:
        return []
    with storage.searcher() as s:
        ev = ranking.Evaluator(s)
        allowed = ev.match(Q.Term("kind", "person")) & ~ev.match(mask_for(viewer))
        matched, scores = _people_matching(ev, words, allowed)
        if not matched.any():
            corrected = did_you_mean(
                s, " ".join(words), lambda w: bool((ev.match(Q.Term("spell", w)) & allowed).any()))
            if corrected:
                matched, scores = _people_matching(ev, corrected.split(), allowed)
        docnums = _ranked(s, matched, scores, "relevance", limit)
        return [int(s.stored_fields(int(n))["doc_id"].partition(":")[2]) for n in docnums]


# What people say they know (name, bio, expertise) weighs more than what they wrote about.
WORK_BOOST = 0.5


def _people_matching(ev, words: list[str], allowed: np.ndarray):
    q = Q.And([Q.Or([Q.Term(f, v, boost=WORK_BOOST if f == WORK else 1.0)
                     for f in (*SEARCHED, WORK) for v in variants(w)]) for w in words])
    matched, scores = ev.evaluate(q)
    return matched & allowed, scores


SUGGEST_STARTS_SCAN = 500  # titles starting with what was typed, looked at


def suggest(prefix: str, viewer=None, limit: int = 8) -> list[dict]:
    """Titles of every kind for what was typed so far, the last word being completed
    ("participatory b" -> "Participatory Budgeting"): first the titles that start with the
    typed words (_starting_titles); then titles holding every typed word,
    the last one as a prefix, by BM25F. Only what the viewer may read; a reply (titled by its
    thread) is left to its thread; one entry per kind and title."""
    words = plain_words(prefix)
    if not words or (len(words) == 1 and len(words[0]) < 2):
        return []
    typed = " ".join(words)
    with storage.searcher() as s:
        hidden = set(s.docs_for_query(mask_for(viewer)))
        out: list[dict] = []
        seen: set[tuple[str, str]] = set()

        def add(docnum: int) -> bool:
            f = s.stored_fields(docnum)
            key = (f["kind"], f["title"])
            if docnum not in hidden and f["kind"] != "post" and key not in seen:
                seen.add(key)
                out.append({"title": f["title"], "kind": f["kind"], "url": f.get("url")})
            return len(out) >= limit

        kinds, ids = _doc_keys(s)
        for term in _starting_titles(s.reader(), typed):
            found = np.fromiter(s.docs_for_query(Q.Term("title_start", term)), dtype=np.int64)
            # the same title on several documents: by document id, as every ranking here
            if any(add(int(n)) for n in found[np.lexsort((ids[found], kinds[found]))]):
                return out
        last, before = words[-1], [Q.Term("words", w) for w in words[:-1]]
        # One letter would expand to most of the lexicon: the titles are filtered instead.
        q = Q.And([*before, Q.Prefix("words", last)]) if len(last) >= 2 else Q.And(before)
        ev = ranking.Evaluator(s)  # BM25F with ties by document id, as every ranking here
        matched, scores = ev.evaluate(q)
        matched &= ~ev.match(mask_for(viewer))
        for n in _ranked(s, matched, scores, "relevance", max(limit * 6, 50)):
            completes = len(last) >= 2 or any(
                w.startswith(last) for w in plain_words(s.stored_fields(int(n))["title"]))
            if completes and add(int(n)):
                break
        return out


def _starting_titles(reader, typed: str) -> list[str]:
    """`title_start` terms that start with `typed` (up to SUGGEST_STARTS_SCAN, in lexicon order),
    best first: the title that begins the most other titles ("participatory budgeting" begins
    "participatory budgeting in Porto Alegre" and 85 more: it names a whole family of
    documents), then the shortest (the closest completion), then alphabetical."""
    starts = []
    for term in reader.expand_prefix("title_start", typed):
        starts.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        if len(starts) >= SUGGEST_STARTS_SCAN:
            break
    family = {}
    for i, term in enumerate(starts):  # sorted: the titles a term begins follow it
        j = i + 1
        while j < len(starts) and starts[j].startswith(term + " "):
            j += 1
        family[term] = j - i
    return sorted(starts, key=lambda t: (-family[t], len(t), t))
