"""Benchmarking: improvement from baseline, mid-rank percentiles among peers, the bar chart.

Everything here is a pure function of plain values except `peer_points` (one query).

Definitions (also shown on the benchmark page):

- improvement = result − baseline when higher is better, baseline − result when lower is
  better, so a positive improvement always means "got better", in the metric's unit;
- relative improvement = improvement ÷ |baseline| × 100 (undefined when the baseline is 0);
- percentile rank (mid-rank) of a case among N peers, the case itself included:
  100 × (peers with a strictly smaller improvement + ½ × peers with an equal one) ÷ N.
  Alone (N = 1) or among equals a case sits at 50; the best of N distinct values at
  100 × (N − ½) ÷ N. Improvements are rounded to 9 significant digits before comparing, so
  float noise (0.1 + 0.2) does not break ties.
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from math import isfinite

from sqlalchemy import bindparam, select

from marketplace.accounts.models import Organization
from marketplace.cases.models import CaseStudy, Metric
from marketplace.extensions import db
from marketplace.i18n import region_of

HIGHER = "higher"
LOWER = "lower"
DIRECTIONS = (HIGHER, LOWER)
TIE_DIGITS = 9
CHART_LIMIT = 40  # bars; beyond that the chart shows the best, the worst and the highlighted


@dataclass(frozen=True)
class Point:
    """One published case's measurement of one metric."""

    case_id: int
    slug: str
    title: str
    country: str | None
    organization_type: str | None
    baseline: float
    result: float
    target: float | None
    direction: str

    # Computed once: the ranking, the chart and the table each read them several times.
    @cached_property
    def improvement(self) -> float:
        return improvement(self.baseline, self.result, self.direction)

    @cached_property
    def relative(self) -> float | None:
        return relative_improvement(self.baseline, self.result, self.direction)


def improvement(baseline: float, result: float, direction: str) -> float:
    """Change from baseline, in the metric's unit, positive when it got better."""
    delta = result - baseline
    return -delta if direction == LOWER else delta


def relative_improvement(baseline: float, result: float, direction: str) -> float | None:
    """Improvement as a percentage of |baseline|; None when the baseline is zero."""
    if baseline == 0:
        return None
    return improvement(baseline, result, direction) / abs(baseline) * 100


def _key(value: float) -> float:
    return float(f"{value:.{TIE_DIGITS}g}") if isfinite(value) else value


@dataclass(frozen=True)
class Standing:
    """Where one value stands among its peers."""

    percentile: float
    n: int
    rank: int  # 1 = best; ties share the best rank among them


def _standing(key: float, ordered: list[float]) -> Standing:
    """`key` within the sorted keys `ordered` (which include it): O(log N)."""
    below = bisect_left(ordered, key)
    not_better = bisect_right(ordered, key)
    n = len(ordered)
    return Standing(100 * (below + 0.5 * (not_better - below)) / n, n, n - not_better + 1)


def standing(value: float, population: list[float]) -> Standing:
    """Mid-rank standing of `value` within `population` (which includes it)."""
    if not population:
        raise ValueError("empty population")
    return _standing(_key(value), sorted(_key(v) for v in population))


def percentile_rank(value: float, population: list[float]) -> float:
    """Mid-rank percentile of `value` within `population` (which includes it); 0..100."""
    return standing(value, population).percentile


def rank_points(points: list[Point]) -> list[tuple[Point, Standing]]:
    """Every point with its standing among all of them, best improvement first: O(N log N).
    One pass over the sorted keys: equal keys at [i, j) share one Standing (rank i + 1)."""
    keyed = sorted(((_key(p.improvement), p) for p in points),
                   key=lambda kp: (-kp[0], kp[1].title.lower()))
    n, i, out = len(keyed), 0, []
    while i < n:
        j = i + 1
        while j < n and keyed[j][0] == keyed[i][0]:
            j += 1
        standing_ = Standing(100 * ((n - j) + 0.5 * (j - i)) / n, n, i + 1)
        out += [(p, standing_) for _k, p in keyed[i:j]]
        i = j
    return out


def standing_among(own: Point, peers: list[Point]) -> Standing:
    """`own` among `peers`; `own` is added to the population when it is not one of them."""
    values = [p.improvement for p in peers if p.case_id != own.case_id]
    return standing(own.improvement, [*values, own.improvement])


# --- chart geometry -------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    point: Point
    y: float
    x: float
    width: float
    is_highlighted: bool
    label_y: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    zero_x: float
    plot_left: int
    plot_right: int
    bars: list[Bar]
    bar_height: int
    axis_min: float
    axis_max: float
    label_x: float = 0
    label_anchor: str = "end"


def chart_points(ranked: list[Point], highlight_id: int | None = None,
                 limit: int = CHART_LIMIT) -> list[Point]:
    """What the chart can show legibly: every point when there are few; otherwise the best and
    the worst (limit/2 − 2 each) and the highlighted point with two neighbours either side.
    `ranked` is best first."""
    n = len(ranked)
    if n <= limit:
        return ranked
    half = limit // 2 - 2
    keep = set(range(half)) | set(range(n - half, n))
    at = next((i for i, p in enumerate(ranked) if p.case_id == highlight_id), None)
    if at is not None:
        keep |= set(range(max(0, at - 2), min(n, at + 3)))
    return [ranked[i] for i in sorted(keep)]


def bar_chart(points: list[Point], highlight_id: int | None = None, *, width: int = 760,
              label_width: int = 280, bar_height: int = 18, gap: int = 8,
              stacked: bool = False) -> Chart:
    """Horizontal bars of improvement, best first, with a zero line for mixed signs.
    `stacked`: each label on its own line above its bar (a phone's narrow chart)."""
    ordered = sorted(points, key=lambda p: (-_key(p.improvement), p.title.lower()))
    values = [p.improvement for p in ordered] or [0.0]
    lo, hi = min(0.0, *values), max(0.0, *values)
    if lo == hi:
        hi = lo + 1
    if stacked:
        label_width, label_line = 0, 16
    else:
        label_line = 0
    plot_left, plot_right = label_width + (4 if stacked else 0), width - (56 if stacked else 80)
    scale = (plot_right - plot_left) / (hi - lo)
    zero_x = plot_left + (0 - lo) * scale
    top = 10
    bars = []
    for i, p in enumerate(ordered):
        row = top + i * (label_line + bar_height + gap)
        y = row + label_line
        end = plot_left + (p.improvement - lo) * scale
        bars.append(Bar(point=p, y=y, x=min(zero_x, end), width=max(abs(end - zero_x), 1.0),
                        is_highlighted=p.case_id == highlight_id,
                        label_y=row + 12 if stacked else y + bar_height * 0.75,
                        value_y=y + bar_height * 0.75))
    height = top * 2 + len(ordered) * (label_line + bar_height + gap) + 20
    return Chart(width=width, height=height, label_width=label_width, zero_x=zero_x,
                 plot_left=plot_left, plot_right=plot_right, bars=bars, bar_height=bar_height,
                 axis_min=lo, axis_max=hi, label_x=plot_left if stacked else label_width - 8,
                 label_anchor="start" if stacked else "end")


# --- peers ----------------------------------------------------------------------------------

# Built once: building it cost about as much as running it.
_PEERS = (
    select(Metric.metric_definition_id, Metric.baseline, Metric.result, Metric.target,
           CaseStudy.id, CaseStudy.slug, CaseStudy.title, CaseStudy.country, Organization.type)
    .join(CaseStudy, Metric.case_study_id == CaseStudy.id)
    .outerjoin(Organization, CaseStudy.organization_id == Organization.id)
    .where(Metric.metric_definition_id.in_(bindparam("definition_ids", expanding=True)),
           CaseStudy.status == "published")
    .order_by(CaseStudy.id)
)


def peer_points(definitions) -> dict[int, list[Point]]:
    """Every published case's measurement of each definition: {definition id: points}.

    One query whatever the number of cases or definitions."""
    directions = {d.id: d.direction for d in definitions}
    out: dict[int, list[Point]] = {d: [] for d in directions}
    if not directions:
        return out
    rows = db.session.execute(_PEERS, {"definition_ids": list(directions)}).all()
    for def_id, baseline, result, target, case_id, slug, title, country, org_type in rows:
        out[def_id].append(Point(case_id, slug, title, country, org_type, baseline, result,
                                 target, directions[def_id]))
    return out


def own_point(metric, case) -> Point:
    """A case's own measurement as a Point (it may be a draft, not yet among the peers)."""
    return Point(case.id, case.slug, case.title, case.country,
                 case.organization.type if case.organization else None, metric.baseline,
                 metric.result, metric.target, metric.definition.direction)


def filter_points(points: list[Point], *, country: str | None = None, region: str | None = None,
                  organization_type: str | None = None) -> list[Point]:
    return [p for p in points
            if (not country or p.country == country)
            and (not region or region_of(p.country) == region)
            and (not organization_type or p.organization_type == organization_type)]
