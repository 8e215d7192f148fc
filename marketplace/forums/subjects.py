"""Things a thread can discuss (a practice, a case study, a project), named by type and id.

Practices and case studies sit below forums and are listed here; projects sit above forums, so
create_app registers them (`register`), and forums never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for

from marketplace.accounts import permissions
from marketplace.cases.models import CaseStudy
from marketplace.extensions import db
from marketplace.knowledge.models import Practice


@dataclass(frozen=True)
class SubjectType:
    model: type
    endpoint: str
    can_view: Callable[[object, object], bool]  # a predicate from accounts/permissions.py


SUBJECTS: dict[str, SubjectType] = {
    "practice": SubjectType(Practice, "knowledge.show", permissions.can_view_practice),
    "case": SubjectType(CaseStudy, "cases.show", permissions.can_view_case_study),
}


def register(subject_type: str, spec: SubjectType) -> None:
    """Let threads discuss a kind from a layer above forums (idempotent)."""
    SUBJECTS[subject_type] = spec


def load(subject_type: str, subject_id: int):
    """The subject object, or None when the type is unknown or the row is missing."""
    spec = SUBJECTS.get(subject_type)
    return db.session.get(spec.model, subject_id) if spec is not None else None


def can_view(user, subject_type: str, subject) -> bool:
    return bool(SUBJECTS[subject_type].can_view(user, subject))


def url(subject_type: str, subject) -> str:
    return url_for(SUBJECTS[subject_type].endpoint, slug=subject.slug)
