"""Ranking mentors for a mentee's request. Pure functions: easy to test, documented on the page.

score = 0.45 × topic + 0.20 × language + 0.20 × context + 0.15 × capacity, each part in [0, 1]:

- topic: 1 when a mentor's topic or expertise tag equals the requested topic; otherwise the best
  word overlap (Jaccard) between the requested topic and any of the mentor's tags.
- language: 1 when the mentor mentors in the requested language; 0.5 when mentor and mentee
  share any other language; else 0.
- context: the mean of three similarities — country (1 same country, 0.5 same region, else 0),
  organization type (1 when they share one, else 0) and organization size (1 when their largest
  organizations fall in the same size band: 1–5, 6–50 or 51+ members on the platform).
- capacity: the share of the mentor's places still free.

Mentors without a free place, with a closed offer, suspended or deleted, and the mentee
themself are never suggested.
"""

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.i18n import country_name, language_name, region_name, region_of

WEIGHTS = {"topic": 0.45, "language": 0.20, "context": 0.20, "capacity": 0.15}
SIZE_BANDS = ((1, 5), (6, 50), (51, None))
FORMULA = _l(
    "score = 0.45 × topic match + 0.20 × shared language + 0.20 × similar context "
    "(country or region, organization type and size) + 0.15 × free capacity"
)


@dataclass
class Profile:
    """What matching needs to know about a person."""

    user_id: int
    country: str | None
    languages: list[str]
    org_types: set[str]
    org_size: int  # members of their largest organization on the platform (0: none)
    tags: list[str] = field(default_factory=list)  # mentor: offered topics + expertise


@dataclass
class Suggestion:
    mentor_id: int
    score: float
    parts: dict[str, float]
    reasons: list[str]


def words(text: str) -> set[str]:
    return {w for w in text.lower().replace("-", " ").split() if len(w) > 2}


def topic_score(topic: str, tags: list[str]) -> tuple[float, str | None]:
    """(score, best tag) for a requested topic against a mentor's tags."""
    wanted = topic.strip().lower()
    best, best_tag = 0.0, None
    for tag in tags:
        if tag.lower() == wanted:
            return 1.0, tag
        a, b = words(wanted), words(tag)
        overlap = len(a & b) / len(a | b) if a | b else 0.0
        if overlap > best:
            best, best_tag = overlap, tag
    return best, best_tag


def language_score(language: str | None, offer_languages: list[str], mentee: Profile,
                   mentor: Profile) -> tuple[float, str | None]:
    if language and language in offer_languages:
        return 1.0, language
    shared = [code for code in mentor.languages if code in mentee.languages]
    return (0.5, shared[0]) if shared else (0.0, None)


def size_band(members: int) -> int | None:
    for i, (low, high) in enumerate(SIZE_BANDS):
        if members >= low and (high is None or members <= high):
            return i
    return None


def context_score(mentee: Profile, mentor: Profile) -> tuple[float, list[str]]:
    reasons = []
    place = 0.0
    if mentee.country and mentee.country == mentor.country:
        place = 1.0
        reasons.append(_("Also works in %(country)s", country=country_name(mentor.country)))
    elif mentee.country and region_of(mentee.country) and region_of(mentee.country) == region_of(mentor.country):
        place = 0.5
        reasons.append(_("Also works in %(region)s", region=region_name(region_of(mentor.country))))
    shared_types = mentee.org_types & mentor.org_types
    org_type = 1.0 if shared_types else 0.0
    if shared_types:
        reasons.append(_("Works for the same kind of organization"))
    band = size_band(mentee.org_size)
    size = 1.0 if band is not None and band == size_band(mentor.org_size) else 0.0
    if size:
        reasons.append(_("Organization of a similar size"))
    return (place + org_type + size) / 3, reasons


def rank(topic: str, language: str | None, mentee: Profile, candidates: list[tuple[Profile, Any]]
         ) -> list[Suggestion]:
    """Rank (mentor profile, offer) pairs; the offer has languages, capacity and active_count."""
    suggestions = []
    for mentor, offer in candidates:
        if mentor.user_id == mentee.user_id or offer.capacity - offer.active_count <= 0:
            continue
        suggestions.append(_suggest(topic, language, mentee, mentor, offer))
    suggestions.sort(key=lambda s: (-s.score, s.mentor_id))
    return suggestions


def _suggest(topic, language, mentee, mentor, offer) -> Suggestion:
    t, tag = topic_score(topic, mentor.tags)
    lang, lang_code = language_score(language, offer.languages or mentor.languages, mentee, mentor)
    ctx, reasons = context_score(mentee, mentor)
    free = (offer.capacity - offer.active_count) / offer.capacity if offer.capacity else 0.0
    parts = {"topic": t, "language": lang, "context": ctx, "capacity": free}
    score = sum(WEIGHTS[k] * v for k, v in parts.items())
    lead = []
    if tag:
        lead.append(_("Mentors on “%(tag)s”", tag=tag))
    if lang_code:
        lead.append(_("Speaks %(language)s", language=language_name(lang_code)))
    places = _("%(free)d of %(capacity)d places free", free=offer.capacity - offer.active_count,
               capacity=offer.capacity)
    return Suggestion(mentor.user_id, round(score, 4), parts, [*lead, *reasons, places])
