"""Things a thread can discuss (a practice, a case study, a project), named by type and id.

Models are found by import path so that forums works whether or not a feature is installed.
"""

import importlib
from dataclasses import dataclass

from marketplace import links
from marketplace.accounts import permissions
from marketplace.extensions import db


@dataclass(frozen=True)
class SubjectType:
    model: str
    endpoint: str
    can_view: str  # predicate name in accounts/permissions.py


SUBJECTS = {
    "practice": SubjectType("marketplace.knowledge.models:Practice", "knowledge.show",
                            "can_view_practice"),
    "case": SubjectType("marketplace.cases.models:CaseStudy", "cases.show", "can_view_case_study"),
    "project": SubjectType("marketplace.projects.models:Project", "projects.show",
                           "can_view_project"),
}


def load(subject_type: str, subject_id: int):
    """The subject object, or None when the type is unknown or the row is missing."""
    spec = SUBJECTS.get(subject_type)
    if spec is None:
        return None
    module, _, name = spec.model.partition(":")
    try:
        model = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return db.session.get(model, subject_id)


def can_view(user, subject_type: str, subject) -> bool:
    predicate = getattr(permissions, SUBJECTS[subject_type].can_view, None)
    return bool(predicate(user, subject)) if predicate else True


def url(subject_type: str, subject) -> str:
    return links.path(SUBJECTS[subject_type].endpoint, slug=subject.slug)
