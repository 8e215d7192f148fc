"""Import practices, case studies and organizations from CSV or JSON Lines through a column
mapping (see docs/import.md). One service for the CLI (`marketplace import …`) and the admin
upload page: `read_rows`, `load_mapping`, then `check_rows` (a dry run) or `import_rows`.

Idempotent: a row whose source URL is already in the database is skipped. Imported content is
published and owned by the "Imported content" system account. Each kind of content is a `Kind`
in `KINDS`: practices and organizations are registered here; case studies, a higher layer,
register theirs from `marketplace.cases.importer` (wired in `create_app`).
"""

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pycountry
from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import IMPORT_ACCOUNT_EMAIL, Organization, OrganizationType, User
from marketplace.errors import InvalidInput, attempt
from marketplace.extensions import db
from marketplace.gate import clean_row
from marketplace.i18n import is_country, is_language
from marketplace.knowledge import language, services
from marketplace.knowledge.models import SECTIONS, Practice, Status
from marketplace.text import is_web_url

IMPORT_USER_EMAIL = IMPORT_ACCOUNT_EMAIL
MAPPINGS_DIR = Path(__file__).parent / "mappings"
FORMATS = ("csv", "jsonl")


class ImportFileError(ValueError):
    """The file or the mapping cannot be read at all (a message for the person importing)."""


@dataclass(frozen=True)
class Kind:
    """One kind of content the importer creates."""

    name: str
    text_fields: tuple[str, ...]
    list_fields: tuple[str, ...]
    single_line: tuple[str, ...]  # cells put on one line by the input gate
    required: Callable[[dict], str | None]  # the skip reason of a mapped row, before validation
    validate: Callable[[dict], dict]  # the cleaned data; raises InvalidInput
    create: Callable[[User, dict, str], object]
    existing_keys: Callable[[], Iterable[str]]  # source URLs already imported
    title_field: str = "title"

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.text_fields, *self.list_fields)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind


def get_kind(name: str) -> Kind:
    if name not in KINDS:
        raise ImportFileError(_("Unknown kind of content: %(name)s.", name=name))
    return KINDS[name]


@dataclass
class ImportReport:
    imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    preview: list[dict] = field(default_factory=list)  # check_rows: the first rows as mapped

    @property
    def total(self) -> int:
        return self.imported + len(self.skipped)

    def reason_counts(self) -> list[tuple[str, int]]:
        """Each skip reason with its number of rows, the commonest first."""
        return Counter(reason for _number, reason in self.skipped).most_common()


# --- reading ----------------------------------------------------------------------------------

def guess_format(filename: str, mapping: dict | None = None) -> str:
    if mapping and mapping.get("format") in FORMATS:
        return mapping["format"]
    return "jsonl" if filename.lower().endswith((".jsonl", ".ndjson")) else "csv"


def read_rows(path: Path, fmt: str) -> list[dict]:
    return parse_rows(path.read_bytes(), fmt)


def parse_rows(data: bytes, fmt: str) -> list[dict]:
    """The rows of a CSV (header row; a BOM is fine) or JSON Lines file; ImportFileError when it
    is not UTF-8, not valid JSON Lines or has no header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text.")) from None
    if fmt == "jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ImportFileError(
                    _("Line %(number)d is not valid JSON.", number=number)) from None
            if not isinstance(row, dict):
                raise ImportFileError(
                    _("Line %(number)d is not a JSON object.", number=number))
            rows.append(row)
        return rows
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [{k: v for k, v in row.items() if isinstance(k, str)} for row in reader]
    except csv.Error as err:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s", error=str(err))) from None
    if not reader.fieldnames:
        raise ImportFileError(_("The CSV file has no header row."))
    return rows


def shipped_mappings() -> dict[str, dict]:
    """File name -> contents of the mappings in `MAPPINGS_DIR`."""
    return {p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(MAPPINGS_DIR.glob("*.json"))}


def identity_mapping(kind: str = "practices") -> dict:
    """Columns named like the fields."""
    return {"kind": kind, "columns": {name: name for name in get_kind(kind).fields},
            "defaults": {}}


def load_mapping(path: Path | None, kind: str = "practices") -> dict:
    """The mapping file's contents, or the identity mapping (columns named like fields)."""
    if path is None:
        return identity_mapping(kind)
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ImportFileError(f"{path.name}: {err}") from None
    return check_mapping(mapping, kind)


def check_mapping(mapping: dict, kind: str) -> dict:
    fields = set(get_kind(kind).fields)
    if mapping.get("kind", kind) != kind:
        raise ImportFileError(_("This mapping is for %(kind)s, not %(wanted)s.",
                                kind=mapping["kind"], wanted=kind))
    unknown = (set(mapping.get("columns", {})) | set(mapping.get("defaults", {}))) - fields
    if unknown:
        raise ImportFileError(f"unknown fields in mapping: {', '.join(sorted(unknown))}")
    languages = set(mapping.get("languages") or ())
    if languages and languages - language.supported():
        wrong = ", ".join(sorted(languages - language.supported()))
        raise ImportFileError(f"languages the detector does not know: {wrong}")
    return mapping


# --- mapping a row ----------------------------------------------------------------------------

def _value(row: dict, spec) -> list[str]:
    """The raw values a column spec picks from a row: a column, a list of them, a template,
    or a column whose values are translated by a table."""
    if isinstance(spec, dict):
        if "template" in spec:
            try:
                return [spec["template"].format_map({k: v or "" for k, v in row.items()})]
            except (KeyError, ValueError, IndexError):
                return []
        values = _value(row, spec.get("column", []))
        table = spec.get("values", {})
        return [table.get(v, v) for v in values]
    columns = spec if isinstance(spec, list) else [spec]
    return [str(row[c]).strip() for c in columns if row.get(c) not in (None, "")]


def map_row(row: dict, mapping: dict, kind: Kind | None = None) -> dict:
    kind = kind or get_kind("practices")
    data = {k: (list(v) if isinstance(v, list) else v)
            for k, v in mapping.get("defaults", {}).items()}
    for name, spec in mapping.get("columns", {}).items():
        if isinstance(spec, dict) and "detect" in spec:  # the language of these columns' text
            text = "\n".join(_value(row, spec["detect"]))
            found = language.detect(text, mapping.get("languages", language.CANDIDATES))
            if found:
                data[name] = found
            continue
        values = [v for v in _value(row, spec) if v.strip()]
        if not values:
            continue
        if name in kind.list_fields:
            parts = [p.strip() for v in values for p in re.split(r"[,;]", v) if p.strip()]
            data[name] = list(dict.fromkeys([*data.get(name, []), *parts]))
        else:
            data[name] = "\n\n".join(values)
    return data


@cache
def _country_names() -> dict[str, str]:
    """Lower-cased country names -> ISO code: CLDR's names in the languages sources use
    ("Italia", "Deutschland", "Suisse"), then pycountry's English and official names."""
    names: dict[str, str] = {}
    for code in ("en", "fr", "es", "de", "it", "pt", "nl", "pl", "sv", "cs", "he", "ca"):
        for territory, name in Locale.parse(code).territories.items():
            if len(territory) == 2 and territory.isalpha() and is_country(territory):
                names.setdefault(name.lower(), territory)
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if hasattr(country, attr):
                names.setdefault(getattr(country, attr).lower(), country.alpha_2)
    return names


def country_code(value: str) -> str:
    """An ISO 3166 code as it is, or the code of a country's name; else the value unchanged
    (validation then refuses it)."""
    value = value.strip()
    if is_country(value):
        return value.upper()
    return _country_names().get(value.lower(), value)


# --- one row ----------------------------------------------------------------------------------

def _prepare(kind: Kind, row: dict, mapping: dict, seen: set) -> tuple[dict | None, str | None]:
    """(cleaned data, None) for a row to import, or (mapped data or None, skip reason)."""
    try:  # the input gate: controls, NFC, one-line titles (the mapped values, lists included)
        data = clean_row(map_row(row, mapping, kind), kind.single_line)
        for name in kind.list_fields:
            data[name] = [clean_row({name: v}, (name,))[name] for v in data.get(name, [])]
    except ValueError as err:
        return None, _("invalid %(problem)s", problem=str(err))
    reason = kind.required(data)
    if reason:
        return data, reason
    if data["source_url"].strip() in seen:
        return data, _("already imported")
    clean, problem = attempt(kind.validate, data)  # validate before writing: no savepoint needed
    if problem:
        return data, _("invalid %(field)s: %(message)s", field=problem.field or "row",
                       message=problem.message)
    seen.add(clean["source_url"])
    return clean, None


def _preview(kind: Kind, number: int, data: dict | None, reason: str | None) -> dict:
    data = data or {}
    return {"row": number, "title": data.get(kind.title_field) or "",
            "language": data.get("language") or "", "source_url": data.get("source_url") or "",
            "reason": reason}


def _seen(kind: Kind) -> set:
    return {k for k in kind.existing_keys() if k}


def check_rows(rows: list[dict], mapping: dict, kind: str = "practices",
               preview: int = 10) -> ImportReport:
    """What `import_rows` would do, writing nothing: counts, skip reasons, the first rows."""
    target = get_kind(kind)
    report, seen = ImportReport(), _seen(target)
    for number, row in enumerate(rows, start=1):
        data, reason = _prepare(target, row, mapping, seen)
        if reason:
            report.skipped.append((number, reason))
        else:
            report.imported += 1
        if number <= preview:
            report.preview.append(_preview(target, number, data, reason))
    return report


def import_user() -> User:
    user = db.session.scalar(select(User).where(User.email == IMPORT_USER_EMAIL))
    if user is None:
        # "!" is no valid hash: nobody can sign in as this account.
        # Stored in English; shown in the reader's language (accounts.models.SYSTEM_ACCOUNT_NAMES).
        user = User(email=IMPORT_USER_EMAIL, display_name="Imported content", password_hash="!")
        db.session.add(user)
        db.session.flush()
    return user


def import_rows(rows: list[dict], mapping: dict, message: str, progress=None,
                batch: int = 100, kind: str = "practices") -> ImportReport:
    """Create one published item per new row; commits every `batch` rows."""
    target = get_kind(kind)
    report = ImportReport()
    owner = import_user()
    seen = _seen(target)
    for number, row in enumerate(progress(rows) if progress else rows, start=1):
        data, reason = _prepare(target, row, mapping, seen)
        if reason:
            report.skipped.append((number, reason))
        else:
            target.create(owner, data, message)
            report.imported += 1
        if number % batch == 0:
            db.session.commit()
    db.session.commit()
    return report


def iter_report_lines(report: ImportReport) -> Iterator[str]:
    for number, reason in report.skipped:
        yield f"row {number}: skipped ({reason})"
    yield f"imported {report.imported}, skipped {len(report.skipped)}"


def missing(data: dict, name: str) -> bool:
    return not (data.get(name) or "").strip()


# --- practices --------------------------------------------------------------------------------

def _practice_required(data: dict) -> str | None:
    if missing(data, "title"):
        return _("missing title")
    if missing(data, "source_url"):
        return _("missing source URL")
    if all(missing(data, s) for s in SECTIONS):
        return _("empty body")
    return None


def _create_practice(owner: User, data: dict, message: str) -> Practice:
    return services.create_practice(owner, data, message, status=Status.PUBLISHED)


def _practice_urls() -> Iterable[str]:
    return db.session.scalars(select(Practice.source_url).where(Practice.source_url.is_not(None)))


register(Kind(
    name="practices",
    text_fields=("title", "summary", *SECTIONS, "level", "language", "licence", "source_url"),
    list_fields=("countries", "themes", "tags", "organizations"),
    single_line=("title", "level", "language", "licence", "source_url"),
    required=_practice_required, validate=services.clean_data, create=_create_practice,
    existing_keys=_practice_urls,
))


# --- organizations ----------------------------------------------------------------------------

def _organization_required(data: dict) -> str | None:
    if missing(data, "name"):
        return _("missing name")
    if missing(data, "source_url"):
        return _("missing source URL")
    return None


def _clean_organization(data: dict) -> dict:
    out = {"name": " ".join((data.get("name") or "").split()),
           "type": (data.get("type") or OrganizationType.NGO.value).strip().lower(),
           "country": country_code(data.get("country") or "") or None,
           "website": (data.get("website") or "").strip(),
           "description": (data.get("description") or "").strip(),
           "language": (data.get("language") or "en").strip().lower(),
           "source_url": (data.get("source_url") or "").strip()}
    if len(out["name"]) > 200:
        raise InvalidInput("name", _("Use at most %(max)d characters.", max=200))
    if out["type"] not in {t.value for t in OrganizationType}:
        raise InvalidInput("type", _("Choose a type from the list."))
    if out["country"] and not is_country(out["country"]):
        raise InvalidInput("country", _("Choose a country from the list."))
    out["country"] = out["country"].upper() if out["country"] else None
    for name, limit in (("website", 500), ("source_url", 1000)):
        if out[name] and (not is_web_url(out[name]) or len(out[name]) > limit):
            raise InvalidInput(name, _("Give a web address starting with http:// or https://."))
    if not is_language(out["language"]):
        raise InvalidInput("language", _("Choose a language from the list."))
    return out


def _create_organization(owner: User, data: dict, message: str) -> Organization:
    return accounts.create_organization(None, **data)  # imported: no member, no admin


def _organization_urls() -> Iterable[str]:
    return db.session.scalars(select(Organization.source_url).where(Organization.source_url != ""))


register(Kind(
    name="organizations",
    text_fields=("name", "description", "type", "country", "website", "language", "source_url"),
    list_fields=(),
    single_line=("name", "type", "country", "website", "language", "source_url"),
    required=_organization_required, validate=_clean_organization, create=_create_organization,
    existing_keys=_organization_urls, title_field="name",
))
