"""Where a search hit's match sits in one of its files: "in evaluation-report.pdf, page 4".

The files' text is indexed inside the parent's document (documents.files_text); this finds, for a
hit shown to a reader, the page of an attached file that holds the most of the query's words.
A word counts when the page holds its first letters (a crude stem, enough to point at a page)."""

import re
from dataclasses import dataclass

from sqlalchemy import or_, select

from marketplace.extensions import db
from marketplace.files import parents, services
from marketplace.files.models import TEXT_DONE, Attachment
from marketplace.forums.models import Post
from marketplace.projects.models import ProgressReport

_WORD = re.compile(r"\w{3,}")


@dataclass(frozen=True)
class FileMatch:
    attachment: Attachment
    page: int  # 1-based
    url: str


def _stems(text: str) -> list[str]:
    words = dict.fromkeys(w.lower() for w in _WORD.findall(text or ""))
    return [w[:max(4, len(w) - 2)] for w in words]


def _parents(kind: str, key: int) -> list[tuple[str, int]]:
    if kind in ("practice", "case"):
        return [(kind, key)]
    if kind in ("project", "event"):
        reports = db.session.scalars(select(ProgressReport.id).where(ProgressReport.project_id == key))
        return [("project", key), *(("report", r) for r in reports)]
    if kind == "post":
        return [("post", key)]
    if kind == "thread":
        first = db.session.scalar(select(Post.id).where(Post.thread_id == key, Post.number == 1))
        return [("post", first)] if first else []
    return []


def find(viewer, doc_id: str, query: str) -> FileMatch | None:
    stems = _stems(query)
    kind, _, key = doc_id.partition(":")
    if not stems or not key.isdigit():
        return None
    wanted = _parents(kind, int(key))
    if not wanted:
        return None
    rows = db.session.scalars(select(Attachment).where(
        or_(*((Attachment.parent_kind == k) & (Attachment.parent_id == i) for k, i in wanted)),
        Attachment.removed_at.is_(None), Attachment.text_status == TEXT_DONE).order_by(Attachment.id))
    best: tuple[int, Attachment, int] | None = None
    for attachment in rows:
        for number, page in enumerate(attachment.text_pages or [], start=1):
            text = page.lower()
            score = sum(stem in text for stem in stems)
            if score and (best is None or score > best[0]):
                best = (score, attachment, number)
    if best is None or best[0] * 2 < len(stems):
        return None
    _, attachment, number = best
    row = parents.load(attachment.parent_kind, attachment.parent_id)
    if not parents.visible(viewer, attachment.parent_kind, row):
        return None
    url = services.url(attachment)
    if attachment.media_type == "application/pdf":
        url += f"#page={number}"
    return FileMatch(attachment, number, url)
