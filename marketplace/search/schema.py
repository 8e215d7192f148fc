"""The Whoosh schema and the language analysis.

Text is stemmed *before* it reaches Whoosh, with the stemmer of the document's language (English,
French, Spanish snowball; other languages unstemmed), then accent-folded. So one `text` field
and one `title_terms` field hold every language, and a query word becomes at most a few stems
(one per language, usually the same) against those two fields — instead of one term per
language-specific field, which made every query eight times the work. "évaluations" and
"évaluation" both become "evalu".
"""

import re
from functools import lru_cache

from whoosh import fields
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

STEMMED = ("en", "fr", "es")
LANGS = (*STEMMED, "any")
TITLE_BOOST = 3.0
TITLE, TEXT = "title_terms", "text"
FACETS = ("kind", "countries", "themes", "org_type", "language")
# One stop list for every language: a stop word in one language dropped from queries but kept
# in another would make AND queries fail.
STOP_WORDS = frozenset().union(*(stopwords_for_language(lang) for lang in STEMMED))
WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = {lang: stemmer_for_language(lang) for lang in STEMMED}


def field_lang(language: str | None) -> str:
    language = (language or "").lower()[:2]
    return language if language in STEMMED else "any"


def fold(word: str) -> str:
    return word.translate(accent_map)


@lru_cache(maxsize=300_000)
def stem(lang: str, word: str) -> str:
    """The index term for a lower-cased word in a language ("any": folded only)."""
    stemmer = _STEMMERS.get(lang)
    return fold(stemmer(word) if stemmer else word)


def terms(text: str, lang: str) -> list[str]:
    return [stem(lang, w) for w in WORD.findall(text.lower()) if w not in STOP_WORDS]


def prestem(text: str, language: str | None) -> str:
    return " ".join(terms(text, field_lang(language)))


def variants(word: str) -> list[str]:
    """The distinct index terms a query word may have in a document of any language."""
    word = word.lower()
    return list(dict.fromkeys(stem(lang, word) for lang in LANGS))


def plain_analyzer():
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


_PRESTEMMED = RegexTokenizer(r"\S+")


def build_schema() -> fields.Schema:
    return fields.Schema(
        doc_id=fields.ID(stored=True, unique=True),
        kind=fields.ID(stored=True),
        visibility=fields.KEYWORD(),
        parent=fields.KEYWORD(),
        countries=fields.KEYWORD(stored=True, lowercase=True, scorable=False),
        region=fields.KEYWORD(stored=True),
        themes=fields.KEYWORD(stored=True, commas=True, scorable=False),
        org_type=fields.KEYWORD(stored=True),
        language=fields.ID(stored=True),
        tags=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        author=fields.TEXT(stored=True, analyzer=plain_analyzer()),
        # Plain words of titles for suggestions and title:… queries (no stemming).
        words=fields.TEXT(analyzer=plain_analyzer(), phrase=False),
        # Plain words of titles, summaries and tags for "did you mean".
        spell=fields.TEXT(analyzer=plain_analyzer(), phrase=False),
        title_terms=fields.TEXT(analyzer=_PRESTEMMED, field_boost=TITLE_BOOST),
        text=fields.TEXT(analyzer=_PRESTEMMED),
        title=fields.STORED(),
        summary=fields.STORED(),
        excerpt=fields.STORED(),
        url=fields.STORED(),
        date=fields.DATETIME(stored=True, sortable=True),
        endorsements=fields.NUMERIC(stored=True, sortable=True),
    )


def parse_schema() -> fields.Schema:
    """The index schema plus the parser's default field "q": raw words, expanded afterwards."""
    schema = build_schema()
    schema.add("q", fields.TEXT(analyzer=RegexTokenizer() | LowercaseFilter()))
    return schema
