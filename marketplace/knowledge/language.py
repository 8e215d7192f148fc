"""The language a text is written in, for the importer (docs/import.md, "Languages").

py3langid (the maintained fork of langid.py: a naive Bayes model of byte n-grams over 97
languages, 4.6 MB, numpy only) instead of lingua-language-detector, whose wheel is 96 MB. The
model loads once per process (about 1.5 s), on first use.

A text is attributed only when the detector is sure: at least `MIN_LETTERS` letters, and a
best language that is a candidate with a probability of at least `MIN_CONFIDENCE`. Otherwise `detect`
returns None and the caller keeps the language the mapping declares: a title of three words
("City of Barcelona") says too little.
"""

import html
import re
from collections.abc import Iterable
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# What the importer may attribute unless a mapping names its own list: the languages of the
# European Union, of the UN, and others common in the sources we import. A text the model
# attributes to another language (Latin, Aragonese, Nigerian Pidgin: on short or mixed text,
# mistakes) keeps the declared language.
CANDIDATES = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "mt", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl",
    "sv", "sw", "tr", "uk", "zh",
)
MIN_LETTERS = 200
MIN_CONFIDENCE = 0.9
SAMPLE_CHARS = 4000  # the start of the text decides; long bodies add time, not accuracy
_TAGS = re.compile(r"<[^>]{0,200}>")


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def supported() -> frozenset[str]:
    """Every code the model knows (the mapping's `languages` must be among them)."""
    return frozenset(_identifier().labels)


def detect(text: str, candidates: Iterable[str] = CANDIDATES) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when the text is too short or the
    detector unsure."""
    sample = " ".join(_TAGS.sub(" ", html.unescape(text or "")).split())[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    lang, p = _identifier().rank(sample)[0]
    # The best language over the whole model must be a candidate: renormalizing among the
    # candidates alone would call French text Spanish when French is not on the list.
    return lang if lang in set(candidates) and p >= MIN_CONFIDENCE else None
