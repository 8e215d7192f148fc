"""Matching and scoring a parsed query over whole posting lists, with numpy.

Whoosh matches and scores one document at a time in Python (~10 µs each), so a query of two
common words — tens of thousands of matches at 100k documents — took hundreds of ms, and a
phrase more (positions checked document by document). Here each term's postings are read once
per query, a block at a time, into arrays; every node of the query tree becomes a boolean array
(which documents match) and a float array (their score). Scores use Whoosh's own BM25F formula
and statistics, node by node as Whoosh's matchers combine them (sum over the matching children),
so the ranking is Whoosh's (tests/search/test_ranking.py compares the two). Phrases are checked
on positions decoded a block at a time (schema.TermPositions).
"""

import numpy as np
from whoosh import query as Q

from marketplace.search import whoosh_private
from marketplace.search.schema import TermPositions

# Whoosh's default weighting, BM25F(B=0.75, K1=1.2); field lengths as its length bytes decode.
B, K1 = 0.75, 1.2
_BYTE_TO_LENGTH = np.array(whoosh_private.LENGTH_BYTE_CACHE, dtype=np.float64)
_EMPTY = np.zeros(0, dtype=np.int64)


class Postings:
    """One term's postings over the whole index: document numbers, weights and, for
    positional fields, every position with the document it belongs to."""

    __slots__ = ("ids", "weights", "positions", "counts")

    def __init__(self, ids, weights, positions=None, counts=None):
        self.ids, self.weights, self.positions, self.counts = ids, weights, positions, counts


class GapPhrase(Q.Phrase):
    """A phrase whose words sit at given offsets from the first one: "space for open" searched
    in English documents (where "for" was dropped but kept its position) is "space" then "open"
    two positions later. Only this evaluator reads `offsets`."""

    def __init__(self, fieldname, words, offsets, slop=1, boost=1.0, char_ranges=None):
        super().__init__(fieldname, words, slop=slop, boost=boost, char_ranges=char_ranges)
        self.offsets = tuple(offsets)

    def __eq__(self, other):
        return super().__eq__(other) and self.offsets == getattr(other, "offsets", None)

    def __hash__(self):
        return hash((super().__hash__(), self.offsets))

    def __repr__(self):
        return f"GapPhrase({self.fieldname!r}, {self.words!r}, {self.offsets!r}, slop={self.slop})"

    def normalize(self):
        return self


class Evaluator:
    """Evaluates queries against one searcher. Per-segment arrays (field lengths, deletions)
    are cached on the searcher, which the pool keeps open across requests."""

    def __init__(self, searcher):
        self.s = searcher
        self.size = searcher.doc_count_all()
        self.leaves = searcher.reader().leaf_readers()
        self._postings: dict[tuple[str, bytes, bool], Postings] = {}

    # --- public ----------------------------------------------------------------------------

    def match(self, q: Q.Query) -> np.ndarray:
        return self.evaluate(q, score=False)[0]

    def evaluate(self, q: Q.Query, score: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """(matches, scores) for q; scores are 0 where a document does not match, and None
        when nothing in q scores (e.g. an empty query)."""
        m, sc = self._node(q, score)
        m &= self.live()
        return m, _masked(sc, m)

    def live(self) -> np.ndarray:
        cached = getattr(self.s, "_mp_live", None)
        if cached is None:
            cached = np.ones(self.size, dtype=bool)
            for reader, offset in self.leaves:
                if reader.has_deletions():
                    cached[np.fromiter(reader.deleted_docs_set, dtype=np.int64) + offset] = False
            self.s._mp_live = cached
        return cached

    # --- the query tree ----------------------------------------------------------------------

    def _none(self) -> tuple[np.ndarray, None]:
        return np.zeros(self.size, dtype=bool), None

    def _node(self, q: Q.Query, score: bool):
        kind = type(q)  # exact types: subclasses such as Ordered(And) mean something else
        if kind is Q.Term:
            return self._term(q, score)
        if kind is Q.Phrase or kind is GapPhrase:
            return self._phrase(q, score)
        if kind is Q.And or (kind is Q.Or and not q.minmatch and q.scale is None):
            m, sc = self._combine(q.subqueries, score, np.logical_and if kind is Q.And
                                  else np.logical_or)
            return m, _masked(sc, m, q.boost)
        if kind is Q.AndNot:
            m, sc = self._node(q.a, score)
            m &= ~self._node(q.b, False)[0]
            return m, _masked(sc, m)
        if kind is Q.AndMaybe:
            m, sc = self._node(q.a, score)
            return m, (_masked(_add(sc, self._node(q.b, True)[1]), m) if score else None)
        if kind is Q.Not:  # Whoosh's inverse matcher scores every document it yields 1.0
            m = ~self._node(q.query, False)[0]
            return m, (m * q.boost if score else None)
        if kind is Q.Every and not q.fieldname:
            return np.ones(self.size, dtype=bool), None
        if q is Q.NullQuery:
            return self._none()
        return self._whoosh(q, score)

    def _combine(self, children, score: bool, op):
        m, sc = None, None
        for child in children:
            cm, csc = self._node(child, score)
            m = cm if m is None else op(m, cm)
            sc = _add(sc, csc)
        return (m, sc) if m is not None else self._none()

    def _whoosh(self, q: Q.Query, score: bool):
        """Any other query (prefix, wildcard, ranges…): Whoosh matches and scores it."""
        m = np.zeros(self.size, dtype=bool)
        if not score:
            m[np.fromiter(self.s.docs_for_query(q), dtype=np.int64)] = True
            return m, None
        sc = np.zeros(self.size)
        for hit in self.s.search(q, limit=None):
            m[hit.docnum], sc[hit.docnum] = True, hit.score
        return m, sc

    def _term(self, q: Q.Term, score: bool):
        m = np.zeros(self.size, dtype=bool)
        p = self._read(q.fieldname, q.text)
        m[p.ids] = True
        if not score:
            return m, None
        sc = np.zeros(self.size)
        sc[p.ids] = self._bm25(q.fieldname, q.text, p.ids, p.weights) * q.boost
        return m, sc

    def _phrase(self, q: Q.Phrase, score: bool):
        schema = self.s.schema
        if q.fieldname not in schema or not schema[q.fieldname].format.supports("positions"):
            return self._combine([Q.Term(q.fieldname, w) for w in q.words], score, np.logical_and)
        if not isinstance(schema[q.fieldname].format, TermPositions):  # e.g. author:"…"
            return self._whoosh(q, score)
        ends = None
        offsets = getattr(q, "offsets", None) or range(len(q.words))
        for i, word in enumerate(q.words):
            p = self._read(q.fieldname, word, positions=True)
            keys = (np.repeat(p.ids, p.counts) << 16) + p.positions
            gap = offsets[i] - offsets[i - 1] if i else 0
            ends = keys if ends is None else _follows(ends, keys, gap, gap + q.slop - 1)
            if not len(ends):
                break
        m = np.zeros(self.size, dtype=bool)
        m[ends >> 16] = True
        if not score:
            return m, None
        sc = np.zeros(self.size)
        for word in q.words:
            p = self._read(q.fieldname, word)
            sc[p.ids] += self._bm25(q.fieldname, word, p.ids, p.weights)
        return m, sc * m * q.boost

    # --- postings and statistics -------------------------------------------------------------

    def _read(self, fieldname: str, text, positions: bool = False) -> Postings:
        btext = text if isinstance(text, bytes) else self.s.schema[fieldname].to_bytes(text)
        if (fieldname, btext, True) in self._postings:  # positions read for a phrase: reuse
            return self._postings[(fieldname, btext, True)]
        key = (fieldname, btext, positions)
        if key not in self._postings:
            self._postings[key] = self._load(fieldname, btext, positions)
        return self._postings[key]

    def _load(self, fieldname: str, btext: bytes, positions: bool) -> Postings:
        ids, weights, pos, counts = [], [], [], []
        for reader, offset in self.leaves:
            if (fieldname, btext) not in reader:
                continue
            for block_ids, block_weights, lengths, blob in _blocks(reader, fieldname, btext):
                ids.append(block_ids + offset)
                weights.append(block_weights)
                if positions:
                    pos.append(np.frombuffer(blob, dtype=np.uint16))
                    counts.append(lengths.astype(np.int64) >> 1)
        if not ids:
            return Postings(_EMPTY, np.zeros(0), _EMPTY, _EMPTY)
        return Postings(np.concatenate(ids), np.concatenate(weights),
                        np.concatenate(pos).astype(np.int64) if positions else None,
                        np.concatenate(counts) if positions else None)

    def _bm25(self, fieldname: str, text, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        field = self.s.schema[fieldname]
        if not field.scorable:
            return weights  # Whoosh scores a term of an unscored field by its weight
        btext = text if isinstance(text, bytes) else field.to_bytes(text)
        idf = self.s.idf(fieldname, btext)
        avg = self.s.avg_field_length(fieldname) or 1
        lengths = self._lengths(fieldname)[ids]
        return idf * (weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avg))

    def _lengths(self, fieldname: str) -> np.ndarray:
        cache = getattr(self.s, "_mp_lengths", None)
        if cache is None:
            cache = self.s._mp_lengths = {}
        if fieldname not in cache:
            out = np.zeros(self.size)
            for reader, offset in self.leaves:
                out[offset:offset + reader.doc_count_all()] = _segment_lengths(reader, fieldname)
            cache[fieldname] = out
        return cache[fieldname]


def _segment_lengths(reader, fieldname: str) -> np.ndarray:
    n = reader.doc_count_all()
    raw = whoosh_private.length_bytes(reader, fieldname)
    out = np.zeros(n)
    if raw is not None:
        out[:len(raw)] = _BYTE_TO_LENGTH[np.frombuffer(raw, dtype=np.uint8)]
    return out


def _blocks(reader, fieldname: str, btext: bytes):
    """A term's postings in one segment, a block at a time: (document numbers within the
    segment, weights, position lengths in bytes, positions blob), as numpy arrays read straight
    from the blocks of search/whoosh_private.py's codec; Whoosh's matcher API would hand over a posting at a
    time."""
    terminfo = whoosh_private.term_info(reader, fieldname, btext)
    if terminfo.is_inlined():  # a single posting kept in the term dictionary
        ids, weights, values = terminfo.inlined_postings()
        yield (np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64),
               np.fromiter(map(len, values), dtype=np.int64), b"".join(values))
        return
    for ids, weights, values in whoosh_private.term_blocks(reader, fieldname, btext):
        ids = np.frombuffer(ids, dtype=np.uint32).astype(np.int64)
        if isinstance(values, tuple):
            lengths, blob = np.frombuffer(values[0], dtype=np.uint32), values[1]
        else:
            lengths, blob = None, b""
        yield ids, _weights(weights, len(ids)), lengths, blob


def _weights(raw, n: int) -> np.ndarray:
    if raw is None:
        return np.ones(n)
    if isinstance(raw, float):
        return np.full(n, raw)
    return np.frombuffer(raw, dtype=np.float32).astype(np.float64)


def _follows(before: np.ndarray, keys: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The keys (doc << 16 | position) that come lo..hi positions after some key in `before`
    (sorted), in the same document: Whoosh's ordered SpanNear with mindist 1 when lo is 1 and
    hi the slop."""
    idx = np.searchsorted(before, keys - lo, side="right") - 1  # the last key at least lo before
    found = idx >= 0
    prev = before[np.where(found, idx, 0)]
    found &= (keys - prev <= hi) & ((prev >> 16) == (keys >> 16))
    return keys[found]


def _masked(sc: np.ndarray | None, m: np.ndarray, boost: float = 1.0) -> np.ndarray | None:
    """Scores kept only where the node matches (Whoosh scores only documents a matcher yields)."""
    if sc is None:
        return None
    return sc * m * boost if boost != 1 else sc * m


def _add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b
