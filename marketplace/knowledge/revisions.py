"""Revisions for any versioned object (practices here, case studies in marketplace.cases).

A revision is a JSON snapshot of an object's editable fields. The API knows nothing about
the object's type; callers pass the target as a keyword (`practice_id=` or `case_study_id=`):

    snapshot(obj, fields) -> dict
        Plain JSON values of `fields` read from `obj` (lists stay lists, None stays None).
        For relations, pass a dict you built yourself instead of calling snapshot().
    record_revision(data, author, message, *, practice_id=None, case_study_id=None,
                    reverted_from=None) -> Revision
        Adds and flushes Revision number n+1 for that target (never commits).
    revision_query(*, practice_id=None, case_study_id=None) -> Select
        Revisions of one target, newest first (add .options()/.limit() as needed).
    revision_span(*, practice_id=None, case_study_id=None) -> Span
        How many revisions the target has and the latest one's number (one query).
    revisions_numbered(numbers, *, practice_id=None, case_study_id=None) -> dict[int, Revision]
        The target's revisions with those numbers, by number (one query; missing ones absent).
    get_revision(number, *, practice_id=None, case_study_id=None) -> Revision | None
    diff_snapshots(old, new, labels) -> list[FieldDiff]
        One FieldDiff(field, label, changed, html) per field in `labels` (in that order);
        `html` is Markup: a word-level diff with <del>/<ins>, every word escaped first.
    word_diff(old, new) -> Markup
        The word-level diff of two strings (lists are joined with ", ").
    plain_text(value) -> str
        A snapshot value as text, the way the diff reads it.

    merge_fields(base, theirs, mine) -> Merge
        A three-way merge field by field (an edit form opened on `base`, saved after others
        saved `theirs`): what only one side changed is taken, fields both changed differently
        are `conflicts`.
    editors_since(number, before=None, *, practice_id=None, case_study_id=None) -> list[str]
        Who saved the target's revisions after `number` (and before `before`), once each.
    saved_message(default, base, number, *, practice_id=None, case_study_id=None) -> str
        The flash of a save, naming who saved since the form was opened when it merged.
    edit_conflict(fields, names, current) -> EditConflict
        The error a save on an old base raises, naming the fields and who changed them.

`labels` maps field name -> (lazy) label; e.g. knowledge.services.FIELD_LABELS.
"""

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from marketplace.errors import ConflictField, EditConflict
from marketplace.extensions import db
from marketplace.knowledge.models import Revision

_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    changed: bool
    html: Markup


def snapshot(obj, fields: Iterable[str]) -> dict:
    return {name: getattr(obj, name) for name in fields}


def _target(practice_id: int | None, case_study_id: int | None):
    if (practice_id is None) == (case_study_id is None):
        raise ValueError("give exactly one of practice_id / case_study_id")
    if practice_id is not None:
        return Revision.practice_id, practice_id
    return Revision.case_study_id, case_study_id


def revision_query(*, practice_id: int | None = None, case_study_id: int | None = None) -> Select:
    column, value = _target(practice_id, case_study_id)
    return select(Revision).where(column == value).order_by(Revision.number.desc())


class Span(NamedTuple):
    total: int
    latest: int  # 0 when there is none


def revision_span(*, practice_id: int | None = None, case_study_id: int | None = None) -> Span:
    column, value = _target(practice_id, case_study_id)
    count, latest = db.session.execute(
        select(func.count(), func.max(Revision.number)).where(column == value)).one()
    return Span(count, latest or 0)


def revisions_numbered(numbers: Iterable[int], *, practice_id: int | None = None,
                       case_study_id: int | None = None) -> dict[int, Revision]:
    column, value = _target(practice_id, case_study_id)
    found = db.session.scalars(select(Revision).where(column == value, Revision.number.in_(set(numbers)))
                               .options(joinedload(Revision.author)))
    return {r.number: r for r in found}


def get_revision(number: int, *, practice_id: int | None = None,
                 case_study_id: int | None = None) -> Revision | None:
    column, value = _target(practice_id, case_study_id)
    return db.session.scalar(
        select(Revision).where(column == value, Revision.number == number)
    )


def record_revision(data: dict, author, message: str = "", *, practice_id: int | None = None,
                    case_study_id: int | None = None,
                    reverted_from: Revision | None = None, message_key: str = "") -> Revision:
    """Add the next-numbered revision of the target and flush (the caller commits).
    `message_key`: a summary the platform writes (models.REVISION_SUMMARIES), shown translated;
    it replaces `message`."""
    column, value = _target(practice_id, case_study_id)
    last = db.session.scalar(select(func.max(Revision.number)).where(column == value)) or 0
    revision = Revision(
        practice_id=practice_id, case_study_id=case_study_id, number=last + 1, data=data,
        author_id=author.id if author is not None else None, message="" if message_key else (message or "")[:300],
        message_key=message_key, reverted_from_id=reverted_from.id if reverted_from is not None else None,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def editors_since(number: int, before: int | None = None, *, practice_id: int | None = None,
                  case_study_id: int | None = None) -> list[str]:
    column, value = _target(practice_id, case_study_id)
    query = select(Revision).where(column == value, Revision.number > number)
    if before is not None:
        query = query.where(Revision.number < before)
    found = db.session.scalars(query.options(joinedload(Revision.author)).order_by(Revision.number))
    return list(dict.fromkeys(r.author.public_name if r.author else _("a former member") for r in found))


# --- concurrent edits -------------------------------------------------------------------------


def same(a, b) -> bool:
    """Equal values, reading line breaks as a browser sends them (CRLF) or as stored (LF)."""
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
    return a == b


@dataclass(frozen=True)
class Merge:
    data: dict  # theirs, with the fields only mine changed
    conflicts: tuple[str, ...]  # changed by both, to different values (theirs kept in data)
    theirs_changed: tuple[str, ...]  # fields the other saves changed since the base


def stale_base(number: int, *, practice_id: int | None = None,
               case_study_id: int | None = None) -> tuple[Revision, int] | None:
    """(revision `number`, the latest number) when others saved after `number`, else None: a
    form opened on the latest revision (or on one that no longer exists) saves as it is."""
    latest = revision_span(practice_id=practice_id, case_study_id=case_study_id).latest
    base = get_revision(number, practice_id=practice_id, case_study_id=case_study_id)
    return None if number >= latest or base is None else (base, latest)


def merge_fields(base: dict, theirs: dict, mine: dict) -> Merge:
    """Three-way, field by field, over the fields of `mine` (a form may show fewer)."""
    data, conflicts = dict(theirs), []
    for field, value in mine.items():
        if same(value, base.get(field)) or same(value, theirs.get(field)):
            continue
        if same(theirs.get(field), base.get(field)):
            data[field] = value
        else:
            conflicts.append(field)
    changed = tuple(f for f in theirs if not same(theirs[f], base.get(f)))
    return Merge(data, tuple(conflicts), changed)


def conflict_field(name: str, label, mine, theirs) -> ConflictField:
    return ConflictField(name, str(label), plain_text(theirs), word_diff(mine, theirs))


def saved_message(default: str, base: int | None, number: int | None, *,
                  practice_id: int | None = None, case_study_id: int | None = None) -> str:
    """The flash of an edit saved as revision `number` from a form opened on `base`: `default`,
    or, when others saved in between (merged), who they were."""
    if base is None or number is None or number <= base + 1:
        return default
    names = editors_since(base, number, practice_id=practice_id, case_study_id=case_study_id)
    return _("Your changes are saved as a new revision, merged with the changes %(names)s made "
             "meanwhile.", names=", ".join(names))


def edit_conflict(fields: list[ConflictField], names: list[str], current: int) -> EditConflict:
    return EditConflict(_(
        "%(fields)s changed since you opened this form: %(names)s saved revision #%(n)d "
        "meanwhile. Nothing is saved yet. Your text is kept in the form and theirs is shown "
        "here: reconcile them, then save again.",
        fields=", ".join(f"“{f.label}”" for f in fields), names=", ".join(names) or "?", n=current),
        current=current, fields=fields)


def plain_text(value) -> str:
    """A snapshot value as the diff reads it (lists joined with ", ", None as "")."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def word_diff(old, new) -> Markup:
    a, b = _TOKEN.findall(plain_text(old)), _TOKEN.findall(plain_text(new))
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            out.append(str(removed))
            continue
        if removed:
            out.append(f"<del>{removed}</del>")
        if added:
            out.append(f"<ins>{added}</ins>")
    # Every piece of user text went through escape() above; only our tags are raw.
    return Markup("".join(out))


def diff_snapshots(old: dict, new: dict, labels: Mapping[str, str]) -> list[FieldDiff]:
    diffs = []
    for field, label in labels.items():
        before, after = old.get(field), new.get(field)
        changed = plain_text(before) != plain_text(after)
        html = word_diff(before, after) if changed else Markup(escape(plain_text(after)))
        diffs.append(FieldDiff(field, str(label), changed, html))
    return diffs
