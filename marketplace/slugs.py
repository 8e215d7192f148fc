"""Readable addresses and tags: slugs transliterated from any script, unique per model.

A slug is stored when a thing is created and never regenerated from a later title, so an
address, once given out, keeps working.
"""

from slugify import slugify as _transliterated_slug
from sqlalchemy import select

from marketplace.extensions import db


def slugify(text: str, max_length: int = 100) -> str:
    """Lower-case ASCII words joined by hyphens, transliterated from any script ("Бюджет участия"
    → "biudzhet-uchastiia", "参与式预算" → "can-yu-shi-yu-suan"); "item" when nothing is left."""
    return _transliterated_slug(text or "", max_length=max_length) or "item"


def unique_slug(model, text: str) -> str:
    """`slugify(text)`, with -2, -3 … appended until no `model` row has it."""
    base = slugify(text)
    slug, n = base, 1
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def parse_tags(text: str) -> list[str]:
    """Split comma-separated tags, normalise to lower case, drop blanks and repeats."""
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        tag = " ".join(part.strip().lower().split())[:60]
        if tag:
            seen[tag] = None
    return list(seen)
