"""Evidence across a practice's lineage: what the case studies of the practice and of every
adaptation of it (transitively) measured, rolled up per metric.

Only what the viewer may see counts (marketplace.policy): a draft adaptation or a draft case
study is never counted for someone who cannot read it. Improvements follow benchmark.py (a
positive value always means "got better", in the metric's unit); a case linked to several
practices of the lineage counts once per metric.
"""

from dataclasses import dataclass, field
from statistics import median

from sqlalchemy import select

from marketplace import policy
from marketplace.cases.benchmark import improvement
from marketplace.cases.models import CaseStudy, Metric, MetricDefinition, case_study_practice
from marketplace.extensions import db
from marketplace.knowledge import services as practices
from marketplace.knowledge.models import Practice


@dataclass(frozen=True)
class MetricRollup:
    slug: str
    name: str
    unit: str
    direction: str
    cases: int
    median: float
    low: float
    high: float


@dataclass
class LineageEvidence:
    adaptations: list[Practice] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # where it was adapted (ISO codes)
    reporting: list[Practice] = field(default_factory=list)  # adaptations with measured results
    silent: list[Practice] = field(default_factory=list)  # adaptations reporting nothing yet
    metrics: list[MetricRollup] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.adaptations and not self.metrics


def _measurements(practice_ids: list[int], viewer) -> list:
    """(practice_id, case_id, baseline, result, definition) rows of the visible cases."""
    query = (
        select(case_study_practice.c.practice_id, Metric.case_study_id, Metric.baseline,
               Metric.result, MetricDefinition)
        .join(Metric, Metric.case_study_id == case_study_practice.c.case_study_id)
        .join(MetricDefinition, MetricDefinition.id == Metric.metric_definition_id)
        .join(CaseStudy, CaseStudy.id == Metric.case_study_id)
        .where(case_study_practice.c.practice_id.in_(practice_ids),
               policy.clause(viewer, "case", CaseStudy))
        .order_by(MetricDefinition.name, Metric.case_study_id)
    )
    return list(db.session.execute(query).all())


def _rollups(rows: list) -> list[MetricRollup]:
    per_metric: dict[int, tuple[MetricDefinition, dict[int, float]]] = {}
    for _practice_id, case_id, baseline, result, definition in rows:
        values = per_metric.setdefault(definition.id, (definition, {}))[1]
        values[case_id] = improvement(baseline, result, definition.direction)
    out = []
    for definition, values in per_metric.values():
        found = list(values.values())
        out.append(MetricRollup(definition.slug, definition.label, definition.unit_label,
                                definition.direction, len(found), median(found), min(found),
                                max(found)))
    return sorted(out, key=lambda m: (-m.cases, m.name.lower()))


def subtree(practice: Practice, tree: list[tuple[int, Practice]]) -> list[Practice]:
    """The adaptations (transitively) of `practice` in a lineage tree already read, as the
    practice page has it: (depth, node) pairs, parents before their children."""
    inside, out = {practice.id}, []
    for _depth, node in tree:
        if node.parent_id in inside and node.id not in inside:
            inside.add(node.id)
            out.append(node)
    return out


def lineage_evidence(practice: Practice, viewer,
                     adaptations: list[Practice] | None = None) -> LineageEvidence:
    """The roll-up for `practice` and its adaptations that `viewer` may see (two queries; one
    when the caller passes the visible adaptations, e.g. from `subtree`)."""
    if adaptations is None:
        adaptations = practices.descendants(practice.id, viewer)
    rows = _measurements([practice.id, *(a.id for a in adaptations)], viewer)
    measured = {practice_id for practice_id, *_ in rows}
    return LineageEvidence(
        adaptations=adaptations,
        countries=sorted({a.adaptation_country for a in adaptations if a.adaptation_country}),
        reporting=[a for a in adaptations if a.id in measured],
        silent=[a for a in adaptations if a.id not in measured],
        metrics=_rollups(rows),
    )
