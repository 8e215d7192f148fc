"""The discover ranking for donors. The formula is shown on the page; keep FORMULA in step.

    score = 2 × log2(1 + E) + 10 × T

E, evidence: for each published practice the project implements or adapts, its endorsements
plus 2 × its adaptations, plus 3 × each published case study of those practices whose measured result improved on its
baseline (in the metric's direction).
T, track record: (verified + achieved + 1) / (verified + achieved + missed + 2) over the owner's
objectives on their other projects (Laplace smoothing: a newcomer starts at 0.5).
"""

import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace import policy
from marketplace.cases.models import CaseStudy, Metric, MetricDefinition, case_study_practice
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.knowledge.models import THEMES, Practice, Status
from marketplace.projects.models import (
    FUNDING_MODEL_LABELS,
    KIND_LABELS,
    Objective,
    ObjectiveStatus,
    Project,
    ProjectCountry,
    ProjectState,
    ProjectTheme,
    project_practice,
)

FORMULA = "score = 2 × log₂(1 + E) + 10 × T"
FORMULA_PARTS = (
    _l("E (evidence) = for each linked practice: endorsements + 2 × adaptations, plus 3 × each "
       "published case study of that practice whose measured result improved on its baseline."),
    _l("T (track record) = (verified + achieved + 1) ÷ (verified + achieved + missed + 2) over "
       "the owner's objectives on their other projects; a newcomer starts at 0.5."),
)


@dataclass
class Score:
    evidence: float = 0.0
    verified: int = 0
    achieved: int = 0
    missed: int = 0

    @property
    def track_record(self) -> float:
        good = self.verified + self.achieved
        return (good + 1) / (good + self.missed + 2)

    @property
    def value(self) -> float:
        return 2 * math.log2(1 + self.evidence) + 10 * self.track_record


def score(evidence: float, verified: int, achieved: int, missed: int) -> float:
    return Score(evidence, verified, achieved, missed).value


def scores_for(projects: list[Project]) -> dict[int, Score]:
    """Scores for many projects in three queries."""
    result = {p.id: Score() for p in projects}
    for project_id, evidence in _evidence(list(result)).items():
        result[project_id].evidence = evidence
    _add_track_records(projects, result)
    return result


def _evidence(project_ids: list[int]) -> dict[int, float]:
    if not project_ids:
        return {}
    link = project_practice.c
    rows = db.session.execute(
        select(link.project_id, Practice.id,
               Practice.endorsement_count + 2 * Practice.adaptation_count)
        .join(Practice, Practice.id == link.practice_id)
        .where(link.project_id.in_(project_ids), Practice.status == Status.PUBLISHED)
    ).all()
    cases = _case_successes({practice_id for _, practice_id, _ in rows})
    evidence: dict[int, float] = {}
    for project_id, practice_id, points in rows:
        evidence[project_id] = evidence.get(project_id, 0) + points + 3 * cases.get(practice_id, 0)
    return evidence


def _case_successes(practice_ids: set[int]) -> dict[int, int]:
    """Published case studies per practice with at least one metric that improved."""
    if not practice_ids:
        return {}

    link = case_study_practice.c
    improved = or_(
        and_(MetricDefinition.direction == "higher", Metric.result > Metric.baseline),
        and_(MetricDefinition.direction == "lower", Metric.result < Metric.baseline),
    )
    rows = db.session.execute(
        select(link.practice_id, func.count(distinct(CaseStudy.id)))
        .join(CaseStudy, CaseStudy.id == link.case_study_id)
        .join(Metric, Metric.case_study_id == CaseStudy.id)
        .join(MetricDefinition, MetricDefinition.id == Metric.metric_definition_id)
        .where(link.practice_id.in_(practice_ids), CaseStudy.status == "published", improved)
        .group_by(link.practice_id)
    ).all()
    return dict(rows)


def _add_track_records(projects: list[Project], result: dict[int, Score]) -> None:
    owners = {p.owner_id for p in projects}
    if not owners:
        return
    now = utcnow()
    rows = db.session.execute(
        select(Project.owner_id, Objective.project_id, Objective.status, Objective.due_at,
               func.count())
        .join(Objective, Objective.project_id == Project.id)
        .where(Project.owner_id.in_(owners))
        .group_by(Project.owner_id, Objective.project_id, Objective.status, Objective.due_at)
    ).all()
    for p in projects:
        s = result[p.id]
        for owner_id, project_id, status, due_at, n in rows:
            if owner_id != p.owner_id or project_id == p.id:
                continue
            if status == ObjectiveStatus.VERIFIED:
                s.verified += n
            elif status == ObjectiveStatus.ACHIEVED:
                s.achieved += n
            elif status == ObjectiveStatus.MISSED or due_at < now:
                s.missed += n


# The list's status filter: each value -> the condition it selects. "" (the default) is every
# public project, the open ones first; funded projects count as "in progress" once money was released.
STATUS_FILTERS = {
    "": Project.state.in_([ProjectState.OPEN.value, ProjectState.FUNDED.value, ProjectState.COMPLETED.value,
                           ProjectState.EXPIRED.value, ProjectState.CANCELLED.value]),
    "open": Project.state == ProjectState.OPEN.value,
    "funded": (Project.state == ProjectState.FUNDED.value) & (Project.released_minor == 0),
    "in_progress": (Project.state == ProjectState.FUNDED.value) & (Project.released_minor > 0),
    "completed": Project.state == ProjectState.COMPLETED.value,
    "expired": Project.state.in_([ProjectState.EXPIRED.value, ProjectState.CANCELLED.value]),
}
_STATE_ORDER = {ProjectState.OPEN.value: 0, ProjectState.FUNDED.value: 1, ProjectState.COMPLETED.value: 2,
                ProjectState.EXPIRED.value: 3, ProjectState.CANCELLED.value: 4}


def discover_query(filters: dict):
    """Public projects matching the discover filters (status, theme, country, funding_model, kind);
    without a status, only open ones (the API's and the ranking's default)."""
    status = filters.get("status")
    query = select(Project).where(STATUS_FILTERS.get(status, Project.state == ProjectState.OPEN))
    if filters.get("theme") in THEMES:
        query = query.where(Project.theme_links.any(ProjectTheme.theme == filters["theme"]))
    if filters.get("country"):
        query = query.where(Project.country_links.any(ProjectCountry.country == filters["country"]))
    if filters.get("funding_model") in FUNDING_MODEL_LABELS:
        query = query.where(Project.funding_model == filters["funding_model"])
    if filters.get("kind") in KIND_LABELS:
        query = query.where(Project.kind == filters["kind"])
    return query.options(selectinload(Project.country_links), selectinload(Project.theme_links),
                         joinedload(Project.owner))


def discover(filters: dict) -> tuple[list[Project], dict[int, Score]]:
    """Open projects ranked by score (then nearest deadline), for the page and the API alike."""
    projects = list(db.session.scalars(discover_query(filters)))
    scores = scores_for(projects)
    far = utcnow()
    projects.sort(key=lambda p: (_STATE_ORDER.get(p.state, 9),
                                 -scores[p.id].value if p.state == ProjectState.OPEN else 0,
                                 (p.deadline or far).timestamp() * (1 if p.state == ProjectState.OPEN else -1),
                                 p.id))
    return projects, scores


def country_counts() -> dict[str, int]:
    """Projects the unfiltered discover list shows (every public state), per ISO country code:
    the world map."""
    return dict(db.session.execute(
        select(ProjectCountry.country, func.count())
        .join(Project, Project.id == ProjectCountry.project_id)
        .where(STATUS_FILTERS[""], policy.clause(None, "project", Project))
        .group_by(ProjectCountry.country)).all())
