"""Import practices from CSV or JSON Lines through a column mapping (see docs/import.md).

Idempotent: a row whose source URL is already in the database is skipped. Imported practices
are published and owned by the "Imported content" system account.
"""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from marketplace.accounts.models import IMPORT_ACCOUNT_EMAIL, User
from marketplace.errors import attempt
from marketplace.extensions import db
from marketplace.gate import clean_row
from marketplace.knowledge import services
from marketplace.knowledge.models import SECTIONS, Practice, Status

IMPORT_USER_EMAIL = IMPORT_ACCOUNT_EMAIL
LIST_FIELDS = ("countries", "themes", "tags", "organizations")
TEXT_FIELDS = ("title", "summary", *SECTIONS, "level", "language", "licence", "source_url")
MAPPINGS_DIR = Path(__file__).parent / "mappings"


@dataclass
class ImportReport:
    imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)


def read_rows(path: Path, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load_mapping(path: Path | None) -> dict:
    """The mapping file's contents, or the identity mapping (columns named like fields)."""
    if path is None:
        return {"columns": {name: name for name in (*TEXT_FIELDS, *LIST_FIELDS)}, "defaults": {}}
    mapping = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(mapping.get("columns", {})) - set(TEXT_FIELDS) - set(LIST_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields in mapping: {', '.join(sorted(unknown))}")
    return mapping


def _value(row: dict, spec) -> list[str]:
    """The raw values a column spec picks from a row: a column, a list of them, a template."""
    if isinstance(spec, dict):
        try:
            return [spec["template"].format_map({k: v or "" for k, v in row.items()})]
        except KeyError:
            return []
    columns = spec if isinstance(spec, list) else [spec]
    return [str(row[c]).strip() for c in columns if row.get(c) not in (None, "")]


def map_row(row: dict, mapping: dict) -> dict:
    data = {k: (list(v) if isinstance(v, list) else v)
            for k, v in mapping.get("defaults", {}).items()}
    for name, spec in mapping.get("columns", {}).items():
        values = [v for v in _value(row, spec) if v.strip()]
        if not values:
            continue
        if name in LIST_FIELDS:
            parts = [p.strip() for v in values for p in re.split(r"[,;]", v) if p.strip()]
            data[name] = list(dict.fromkeys([*data.get(name, []), *parts]))
        else:
            data[name] = "\n\n".join(values)
    return data


def skip_reason(data: dict) -> str | None:
    if not (data.get("title") or "").strip():
        return "missing title"
    if not (data.get("source_url") or "").strip():
        return "missing source URL"
    if not any((data.get(s) or "").strip() for s in SECTIONS):
        return "empty body"
    return None


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
                batch: int = 100) -> ImportReport:
    """Create one published practice per new row; commits every `batch` rows."""
    report = ImportReport()
    owner = import_user()
    seen = set(db.session.scalars(select(Practice.source_url)
                                  .where(Practice.source_url.is_not(None))))
    for number, row in enumerate(progress(rows) if progress else rows, start=1):
        reason = _import_one(row, mapping, owner, seen, message)
        if reason:
            report.skipped.append((number, reason))
        else:
            report.imported += 1
        if number % batch == 0:
            db.session.commit()
    db.session.commit()
    return report


SINGLE_LINE_FIELDS = ("title", "level", "language", "licence", "source_url")


def _import_one(row: dict, mapping: dict, owner: User, seen: set, message: str) -> str | None:
    try:  # the input gate: controls, NFC, one-line titles (the mapped values, lists included)
        data = clean_row(map_row(row, mapping), SINGLE_LINE_FIELDS)
        for name in LIST_FIELDS:
            data[name] = [clean_row({name: v}, (name,))[name] for v in data.get(name, [])]
    except ValueError as err:
        return f"invalid {err}"
    reason = skip_reason(data)
    if reason:
        return reason
    if data["source_url"].strip() in seen:
        return "already imported"
    data, problem = attempt(services.clean_data, data)  # validate before writing: no savepoint needed
    if problem:
        return f"invalid {problem.field or 'row'}: {problem.message}"
    practice = services.create_practice(owner, data, message, status=Status.PUBLISHED)
    seen.add(practice.source_url)
    return None


def iter_report_lines(report: ImportReport) -> Iterator[str]:
    for number, reason in report.skipped:
        yield f"row {number}: skipped ({reason})"
    yield f"imported {report.imported}, skipped {len(report.skipped)}"
