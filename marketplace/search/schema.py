"""The Whoosh schema and the language analysis.

Text is stemmed *before* it reaches Whoosh, with the stemmer of the document's language (English,
French, Spanish snowball; other languages unstemmed), then accent-folded. So one `text` field
and one `title_terms` field hold every language, and a query word becomes at most a few stems
(one per language, usually the same) against those two fields — instead of one term per
language-specific field, which made every query eight times the work. "évaluations" and
"évaluation" both become "evalu".

`text` and `title_terms` keep each term's positions as a raw uint16 array (TermPositions), in
posting blocks stored as raw arrays (search/whoosh_private.py) that numpy reads a block at a time. The
format takes the prestemmed, space-separated text directly instead of running Whoosh's token
pipeline word by word.
"""

import re
from array import array
from collections import defaultdict
from functools import lru_cache

from whoosh import fields
from whoosh.analysis import CharsetFilter, RegexTokenizer, Token, Tokenizer
from whoosh.formats import Format
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

from marketplace.search.whoosh_private import Codec

STEMMED = ("en", "fr", "es")
LANGS = (*STEMMED, "any")
TITLE_BOOST = 3.0
TITLE, TEXT = "title_terms", "text"
# The names of a document's themes, tags and countries, in every site language ("Anti-corruption",
# "Lutte contre la corruption", "Anticorrupción", "Kenya", "Kenia"): a theme, tag or country
# name finds what is tagged with it, ranked below a title match.
LABELS = "labels"
LABEL_BOOST = 1.5
SEARCHED = (TITLE, LABELS, TEXT)  # the fields a free word or phrase is looked up in
# What a person worked on (their public practices and case studies): searched by the expert
# directory only, so a topic search does not list every author beside their own work.
WORK = "work"
FACETS = ("kind", "region", "countries", "themes", "tags", "org_type", "language")
# Each document drops the stop words of its own language only ("son", "sea", "ai" are words in
# English); other languages keep every word. A query word that is a stop word in some of the
# languages is not required of those languages' documents (searching.parse).
STOP = {lang: frozenset(stopwords_for_language(lang)) for lang in STEMMED} | {"any": frozenset()}
# Stop words in every stemmed language are dropped from queries altogether.
COMMON_STOP_WORDS = frozenset.intersection(*(STOP[lang] for lang in STEMMED))
# Bumped when what a document's text becomes changes, so old indexes are rebuilt (3: UN M49
# regions, taxonomy-only themes, organizations and communities, people's contributions; 4: the
# doc_id column that orders ties; 5: one tokenizer for documents and queries (dots, hyphens,
# apostrophes, acronyms, numbers), stop words keep their positions, accents folded before
# stemming in every language; 6: the `labels` field, theme, tag and country names in en/fr/es).
ANALYSIS_VERSION = 6
_STEMMERS = {lang: stemmer_for_language(lang) for lang in STEMMED}

# --- one tokenizer for documents and queries ---------------------------------------------------
#
# Words are runs of letters and digits; every other character separates them, so "Change.org",
# "AskThem.io", "e-voting" and "l'État" are several words (a query word that splits becomes a
# phrase of them, see parse_schema). Three exceptions keep a unit whole:
# - acronyms written with dots, "e.g.", "U.S.A." -> "eg", "usa" (single letters between dots);
# - numbers with thousands separators, "1,000,000", "1.000", "10 000" (no-break spaces) ->
#   "1000000", "1000", "10000"; a decimal "2.5" or "2,5" -> "2.5";
# - an English possessive "'s" belongs to its word: "Robert's" -> "robert".
_TOKEN = re.compile(
    r"(?P<acronym>(?<![\w.])(?:[^\W\d_]\.){2,}(?!\w)|(?<![\w.])[^\W\d_](?:\.[^\W\d_])+(?![\w.]))"
    r"|(?P<thousands>(?<![\w.,])\d{1,3}(?:[,.\u00a0\u202f]\d{3})+(?![\w]|[.,]\d))"
    r"|(?P<decimal>(?<![\w.,])\d+[.,]\d+(?![\w]|[.,]\d))"
    r"|(?P<word>\w+)(?:['\u2019]s\b)?",
    re.UNICODE)
WORD = _TOKEN  # the highlighter scans text with the same pattern


def _normal(m: re.Match) -> str:
    kind = m.lastgroup
    if kind == "acronym":
        return re.sub(r"\W", "", m.group(kind)).lower()
    if kind == "thousands":
        return re.sub(r"\D", "", m.group(kind))
    if kind == "decimal":
        return m.group(kind).replace(",", ".")
    return m.group(kind).lower()


def word_spans(text: str):
    """(word, start, end) for each word of `text`: lower-cased, not yet folded or stemmed."""
    for m in _TOKEN.finditer(text):
        yield _normal(m), m.start(), m.end()


def words(text: str) -> list[str]:
    return [_normal(m) for m in _TOKEN.finditer(text)]


def field_lang(language: str | None) -> str:
    language = (language or "").lower()[:2]
    return language if language in STEMMED else "any"


def fold(word: str) -> str:
    return word.translate(accent_map)


# Snowball's Spanish stemmer strips suffixes written with their accent ("licitación" -> "licit")
# and leaves the unaccented spelling whole ("licitacion"); words are folded before stemming (so a
# word with and without its accents is one term) and these suffixes get their accent back first.
_ES_SUFFIXES = re.compile(r"(aci|uci)on$|(log)ia(s?)$")


def _es_accents(word: str) -> str:
    return _ES_SUFFIXES.sub(lambda m: f"{m.group(1)}ón" if m.group(1)
                            else f"{m.group(2)}ía{m.group(3)}", word)


@lru_cache(maxsize=300_000)
def stem(lang: str, word: str) -> str:
    """The index term for a lower-cased word in a language ("any": folded only): folded, then
    stemmed, then folded again, so "licitacion" and "licitación" are the same term."""
    stemmer = _STEMMERS.get(lang)
    folded = fold(word)
    if stemmer is None:
        return folded
    return fold(stemmer(_es_accents(folded) if lang == "es" else folded))


STOP_GAP = "|"  # a dropped stop word in prestemmed text (never a word): it keeps its position


def terms(text: str, lang: str) -> list[str]:
    """Index terms of `text`, with STOP_GAP for each of the language's stop words, so "space for
    open" keeps "open" two positions after "space" and the phrase "space open" does not match."""
    stop = STOP[lang]
    return [STOP_GAP if w in stop else stem(lang, w) for w in words(text)]


def prestem(text: str, language: str | None) -> str:
    out = terms(text, field_lang(language))
    while out and out[-1] == STOP_GAP:
        out.pop()
    return " ".join(out)


def label_terms(labels) -> str:
    """Prestemmed text of (name, language) pairs for the `labels` field. Each name is stemmed in
    its own language, but its stop words are kept, folded (as the "any" language has them: a
    query word's variants always include that form), so "lutte contre la corruption" finds the
    French theme name word for word. Names are separated by a gap (no phrase spans two), a
    repeated one is kept once, and a hyphenated name also gives its joined spelling
    ("Anti-corruption" -> "anticorruption")."""
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for name, language in labels:
        lang = field_lang(language)
        spellings = [name]
        if re.search(r"\w-\w", name):
            spellings.append(re.sub(r"(?<=\w)-(?=\w)", "", name))
        for spelling in spellings:
            found = tuple(fold(w) if w in STOP[lang] else stem(lang, w) for w in words(spelling))
            if found and found not in seen:
                seen.add(found)
                out += [*found, STOP_GAP]
    return " ".join(out[:-1])


def variants(word: str) -> list[str]:
    """The distinct index terms a query word may have in documents of the languages that do
    not drop it as a stop word."""
    word = word.lower()
    return list(dict.fromkeys(stem(lang, word) for lang in LANGS if word not in STOP[lang]))


def stop_languages(word: str) -> list[str]:
    """The languages whose documents drop this word."""
    return [lang for lang in STEMMED if word.lower() in STOP[lang]]


# Bigger, uncompressed posting blocks: fewer blocks to read per common word.
CODEC_ARGS = {"blocklimit": 512, "compression": 0}
MAX_POSITION = 0xFFFF  # positions are stored as uint16; words past this one are not indexed


def codec() -> Codec:
    return Codec(**CODEC_ARGS)


class TermPositions(Format):
    """Positions of the terms of prestemmed, space-separated text, as raw uint16 arrays."""

    def __init__(self, field_boost: float = 1.0, **options):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        boost = self.field_boost
        positions = defaultdict(list)
        for pos, word in enumerate(value.split()[:MAX_POSITION + 1]):
            if word != STOP_GAP:
                positions[word].append(pos)
        for word, found in positions.items():
            yield word, len(found), len(found) * boost, array("H", found).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(array("H", valuestring))

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in array("H", valuestring)]

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 2

    def decode_weight(self, valuestring: bytes) -> float:
        return len(valuestring) // 2 * self.field_boost


def _prestemmed(fmt: Format) -> fields.TEXT:
    field = fields.TEXT(analyzer=_PRESTEMMED)
    field.format = fmt
    return field


class WordTokenizer(Tokenizer):
    """Whoosh's view of `words()`: the same words for the query parser and the plain fields."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        spans = word_spans(value) if tokenize else [(value.lower(), 0, len(value))]
        for pos, (word, start, end) in enumerate(spans):
            t.text, t.boost, t.stopped = word, 1.0, False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


def plain_analyzer():
    return WordTokenizer() | CharsetFilter(accent_map)


_PLAIN = plain_analyzer()


def plain_words(text: str) -> list[str]:
    """Lower-cased, accent-folded words, as the `words`, `spell` and `title_start` fields hold
    them."""
    return [t.text for t in _PLAIN(text or "")]


_PRESTEMMED = RegexTokenizer(r"\S+")


def build_schema() -> fields.Schema:
    return fields.Schema(
        # sortable: a column of ids, the stable key that breaks ties between equal scores.
        doc_id=fields.ID(stored=True, unique=True, sortable=True),
        kind=fields.ID(stored=True),
        visibility=fields.KEYWORD(),
        parent=fields.KEYWORD(),
        countries=fields.KEYWORD(stored=True, lowercase=True, scorable=False),
        region=fields.KEYWORD(stored=True),  # UN M49 sub-region codes ("014")
        themes=fields.KEYWORD(stored=True, commas=True, scorable=False),
        org_type=fields.KEYWORD(stored=True),
        language=fields.ID(stored=True),
        tags=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        author=fields.TEXT(stored=True, analyzer=plain_analyzer()),
        # Plain words of titles for suggestions and title:… queries (no stemming).
        words=fields.TEXT(analyzer=plain_analyzer(), phrase=False),
        # The whole title as one term of its plain words ("participatory budgeting"): titles
        # that start with what was typed come first in suggestions (a prefix of this term).
        title_start=fields.ID(),
        # Plain words of titles, summaries and tags for "did you mean".
        spell=fields.TEXT(analyzer=plain_analyzer(), phrase=False),
        title_terms=_prestemmed(TermPositions(field_boost=TITLE_BOOST)),
        text=_prestemmed(TermPositions()),
        labels=_prestemmed(TermPositions(field_boost=LABEL_BOOST)),
        work=_prestemmed(TermPositions()),
        title=fields.STORED(),
        summary=fields.STORED(),
        passages=fields.STORED(),  # the plain body, zlib-compressed (searching.passage)
        url=fields.STORED(),
        digest=fields.STORED(),  # of everything indexed (indexer.digest), for `search check`
        date=fields.DATETIME(stored=True, sortable=True),
        endorsements=fields.NUMERIC(stored=True, sortable=True),
    )


def parse_schema() -> fields.Schema:
    """The index schema plus the parser's default field "q": raw words, expanded afterwards."""
    schema = build_schema()
    # A query word the tokenizer splits ("Change.org", "e-voting") is a phrase of its parts.
    schema.add("q", fields.TEXT(analyzer=WordTokenizer(), multitoken_query="phrase"))
    return schema


def fingerprint(schema: fields.Schema) -> list[tuple[str, str, str]]:
    """What an index must match to be read by this code: field names, types and formats."""
    return sorted((name, type(field).__name__, type(field.format).__name__)
                  for name, field in schema.items())
