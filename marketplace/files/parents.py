"""The things a file can be attached to. Each feature registers its kind from
`create_app._connect_layers()` (this package sits below them and imports none):

    register(Parent("practice", model="Practice", policy_kind="practice",
                    may_attach=can_edit_practice, url=lambda p: links.path(...), ...))

Who may see a file is who may see its parent: `policy_object(row)` gives the row the visibility
policy judges (a progress report's project), `policy_kind` its kind in marketplace/policy.py.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marketplace import policy
from marketplace.extensions import db


@dataclass(frozen=True)
class Parent:
    kind: str
    model: str  # class name in SQLAlchemy's registry
    policy_kind: str
    may_attach: Callable[[Any, Any], bool]  # (user, row) -> bool
    url: Callable[[Any], str]  # the parent's page
    title: Callable[[Any], str]
    policy_object: Callable[[Any], Any] = field(default=lambda row: row)
    # Called in the transaction after a file is attached or removed: (row, user, message).
    changed: Callable[[Any, Any, str], int | None] | None = None
    # Rows shown on the same page as this one (a thread's posts): a select of their ids, so one
    # query lists the files of them all.
    siblings: Callable[[Any], Any] | None = None


PARENTS: dict[str, Parent] = {}


def register(parent: Parent) -> None:
    PARENTS[parent.kind] = parent


def load(kind: str, parent_id: int):
    """The parent row, or None when the kind is unknown or the row missing."""
    parent = PARENTS.get(kind)
    if parent is None:
        return None
    return db.session.get(policy.mapped(parent.model), parent_id)


def visible(user, kind: str, row) -> bool:
    parent = PARENTS.get(kind)
    return parent is not None and row is not None and policy.visible(
        user, parent.policy_kind, parent.policy_object(row))
