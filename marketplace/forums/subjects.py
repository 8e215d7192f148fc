"""Things a thread can discuss (a practice, a case study, a project), named by type and id.

Each subject type is a kind of marketplace.policy, which finds its model and decides who sees it.
"""

from marketplace import links, policy
from marketplace.extensions import db

ENDPOINTS = {"practice": "knowledge.show", "case": "cases.show", "project": "projects.show"}


def load(subject_type: str, subject_id: int):
    """The subject object, or None when the type is unknown or the row is missing."""
    if subject_type not in ENDPOINTS:
        return None
    return db.session.get(policy.model(subject_type), subject_id)


def can_view(user, subject_type: str, subject) -> bool:
    return policy.visible(user, subject_type, subject)


def url(subject_type: str, subject) -> str:
    return links.path(ENDPOINTS[subject_type], slug=subject.slug)
