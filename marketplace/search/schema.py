"""The Whoosh schema: one index, per-language analysed text, facet keywords, sortable columns."""

from whoosh import fields
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map

# Languages with a snowball stemmer; anything else is indexed into the "any" fields
# (lower-cased and accent-folded, not stemmed).
STEMMED = ("en", "fr", "es")
LANGS = (*STEMMED, "any")
TITLE_BOOST = 3.0
FACETS = ("kind", "countries", "themes", "org_type", "language")
# One stop list for every language field: a query is parsed against all of them with AND, so a
# word dropped in one language ("and") but kept in another would make every query fail.
STOP_WORDS = frozenset().union(*(stopwords_for_language(lang) for lang in STEMMED))


def analyzer(lang: str):
    """Tokenize, lower-case, drop (en+fr+es) stop words, stem for the language, fold accents.

    Folding after stemming keeps the snowball rules (which expect accents) correct and makes
    "évaluation", "evaluation" and "Évaluations" meet on one term.
    """
    chain = RegexTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)
    if lang in STEMMED:
        chain = chain | StemFilter(lang=lang)
    return chain | CharsetFilter(accent_map)


def plain_analyzer():
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def title_field(lang: str) -> str:
    return f"title_{lang}"


def text_field(lang: str) -> str:
    return f"text_{lang}"


def field_lang(language: str | None) -> str:
    language = (language or "").lower()[:2]
    return language if language in STEMMED else "any"


def build_schema() -> fields.Schema:
    schema = fields.Schema(
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
        # Plain words of titles for suggestions and "did you mean" (no stemming).
        words=fields.TEXT(analyzer=plain_analyzer(), phrase=False),
        # Plain words of titles, summaries and tags for "did you mean".
        spell=fields.TEXT(analyzer=plain_analyzer(), phrase=False),
        title=fields.STORED(),
        summary=fields.STORED(),
        excerpt=fields.STORED(),
        url=fields.STORED(),
        date=fields.DATETIME(stored=True, sortable=True),
        endorsements=fields.NUMERIC(stored=True, sortable=True),
    )
    for lang in LANGS:
        schema.add(title_field(lang), fields.TEXT(analyzer=analyzer(lang), field_boost=TITLE_BOOST))
        schema.add(text_field(lang), fields.TEXT(analyzer=analyzer(lang)))
    return schema
