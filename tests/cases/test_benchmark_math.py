"""The percentile and improvement arithmetic behind every benchmark page."""

import pytest

from marketplace.cases.benchmark import (
    Point,
    bar_chart,
    improvement,
    percentile_rank,
    rank_points,
    relative_improvement,
    standing,
    standing_among,
)


def point(case_id, baseline, result, direction="higher", title=None):
    return Point(case_id=case_id, slug=f"c{case_id}", title=title or f"Case {case_id}",
                 country="KE", organization_type="ngo", baseline=baseline, result=result,
                 target=None, direction=direction)


def test_improvement_is_positive_when_better_in_either_direction():
    assert improvement(10, 15, "higher") == 5
    assert improvement(10, 15, "lower") == -5
    assert improvement(30, 12, "lower") == 18
    assert relative_improvement(30, 12, "lower") == pytest.approx(60)
    assert relative_improvement(-10, -5, "higher") == pytest.approx(50)
    assert relative_improvement(0, 5, "higher") is None


def test_mid_rank_percentile_of_distinct_values():
    values = [1, 2, 3, 4]
    assert [percentile_rank(v, values) for v in values] == [12.5, 37.5, 62.5, 87.5]


def test_ties_share_half_of_their_weight():
    values = [1, 2, 2, 3]
    assert percentile_rank(2, values) == 50.0  # 1 below + half of 2 equal, of 4
    assert percentile_rank(3, values) == 87.5
    assert standing(2, values).rank == 2
    assert standing(1, values).rank == 4


def test_float_noise_still_ties():
    assert percentile_rank(0.1 + 0.2, [0.3, 0.1 + 0.2]) == 50.0


def test_single_case_and_all_equal_sit_at_fifty():
    assert percentile_rank(7, [7]) == 50.0
    assert standing(7, [7]).n == 1
    assert {percentile_rank(5, [5, 5, 5, 5, 5])} == {50.0}


def test_lower_is_better_ranks_the_biggest_reduction_highest():
    points = [point(1, 30, 10, "lower"), point(2, 30, 25, "lower"), point(3, 30, 40, "lower")]
    ranked = rank_points(points)
    assert [p.case_id for p, _ in ranked] == [1, 2, 3]
    assert [s.percentile for _, s in ranked] == pytest.approx([500 / 6, 50, 100 / 6])
    assert ranked[2][0].improvement == -10


def test_standing_among_adds_a_case_that_is_not_a_peer_yet():
    peers = [point(1, 0, 1), point(2, 0, 3)]
    draft = point(9, 0, 2)
    assert standing_among(draft, peers).n == 3
    assert standing_among(draft, peers).percentile == 50.0
    assert standing_among(peers[1], peers).n == 2


def test_empty_population_is_an_error():
    with pytest.raises(ValueError):
        percentile_rank(1, [])


def test_chart_puts_best_first_and_negative_bars_left_of_zero():
    chart = bar_chart([point(1, 10, 5), point(2, 10, 20), point(3, 10, 10)], highlight_id=3)
    assert [b.point.case_id for b in chart.bars] == [2, 3, 1]
    best, zero, worst = chart.bars
    assert best.x == pytest.approx(chart.zero_x)
    assert worst.x + worst.width == pytest.approx(chart.zero_x)
    assert zero.is_highlighted and not best.is_highlighted
    assert chart.plot_left <= worst.x < chart.zero_x < best.x + best.width <= chart.plot_right


def test_chart_points_keep_the_best_the_worst_and_the_highlighted():
    from marketplace.cases.benchmark import chart_points

    ranked = [point(i, 0, 100 - i) for i in range(100)]
    shown = chart_points(ranked, highlight_id=50, limit=20)
    ids = [p.case_id for p in shown]
    assert ids == [*range(8), 48, 49, 50, 51, 52, *range(92, 100)]
    assert chart_points(ranked[:20], highlight_id=3, limit=20) == ranked[:20]
