"""Case studies for the importer (`marketplace import cases`, the admin upload page): the
`cases` kind of `marketplace.knowledge.importer`, registered by `create_app`."""

from collections.abc import Iterable
from dataclasses import asdict

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.cases import services
from marketplace.cases.models import SECTIONS, CaseStudy
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.knowledge import importer
from marketplace.knowledge.models import Status

SUMMARY_MAX = 600


def _required(data: dict) -> str | None:
    if importer.missing(data, "title"):
        return _("missing title")
    if importer.missing(data, "source_url"):
        return _("missing source URL")
    if all(importer.missing(data, name) for name in ("summary", *SECTIONS)):
        return _("empty body")
    return None


def _cut(text: str, limit: int) -> str:
    """`text` up to `limit` characters, cut at a word with an ellipsis when longer."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def _clean(data: dict) -> dict:
    """A CaseInput's fields, checked; raises InvalidInput."""
    case = services.CaseInput(
        title=" ".join((data.get("title") or "").split())[:200],
        summary=_cut((data.get("summary") or "").strip(), SUMMARY_MAX),
        country=importer.country_code(data.get("country") or "") or None,
        language=(data.get("language") or "en").strip().lower(),
        source_url=(data.get("source_url") or "").strip(),
        status=Status.PUBLISHED.value,
    )
    for name in SECTIONS:
        setattr(case, name, (data.get(name) or "").strip())
    services.check_input(case)
    if len(case.source_url) > 1000:  # the column's size (the form's field has the same limit)
        raise InvalidInput("source_url", _("Give a web address starting with http:// or https://."))
    if case.country:
        case.country = case.country.upper()
    return asdict(case)


def _create(owner: User, data: dict, message: str) -> CaseStudy:
    return services.create_case_study(owner, services.CaseInput(**data), message)


def _urls() -> Iterable[str]:
    return db.session.scalars(select(CaseStudy.source_url).where(CaseStudy.source_url != ""))


def register() -> None:
    importer.register(importer.Kind(
        name="cases",
        text_fields=("title", "summary", *SECTIONS, "country", "language", "source_url"),
        list_fields=(),
        single_line=("title", "country", "language", "source_url"),
        required=_required, validate=_clean, create=_create, existing_keys=_urls,
    ))
