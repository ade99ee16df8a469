"""Metrics against LeanAgent's published numbers (its single-repository lifelong-learning
table, Kumarappan et al., ICLR 2025, and the R@10 arrays of ``statistical_analysis.py`` in
LeanAgent's repository history; docs/method.md) and small hand-computed cases."""

from __future__ import annotations

import pytest

from leanagent import metrics as m

# LeanAgent's first-curriculum accuracy matrix (test R@10 %), rounded to 0.1, with its
# A_i and V_i columns (2 decimals, from the authors' arrays).
_ROWS = """60.6
61.3 65.5
61.7 65.8 60.2
61.1 66.5 61.6 63.3
60.3 66.5 61.5 65.3 67.1
60.3 68.1 62.1 64.5 67.5 62.6
60.6 67.9 61.6 67.2 68.1 64.1 68.2
60.2 67.9 62.3 66.2 68.9 64.1 68.9 68.9
59.8 68.0 63.2 67.5 69.3 63.8 70.2 68.9 71.0
60.0 67.6 63.0 68.1 69.1 64.0 70.1 69.2 71.1 65.8
59.9 67.7 62.8 68.2 69.1 63.9 70.1 69.3 71.1 66.1 65.2
59.9 67.6 62.8 67.8 69.2 63.7 70.2 69.6 71.4 64.9 64.7 70.4
59.6 67.8 62.6 68.1 69.5 64.1 69.7 69.1 71.2 66.0 65.4 73.2 82.7
59.4 67.6 62.2 68.4 69.5 64.0 69.7 69.5 71.6 65.5 65.1 71.6 83.1 81.5"""
R = [[float(x) for x in line.split()] for line in _ROWS.splitlines()]
A = [60.65, 63.41, 62.55, 63.13, 64.13, 64.18, 65.39, 65.93, 66.85, 66.79, 66.67, 66.85, 68.39, 69.18]
V = [61.55, 67.99, 62.11, 64.44, 69.52, 63.13, 69.13, 70.35, 69.23, 58.69, 67.33, 77.12, 75.33, 74.85]

# The matrix is rounded to 0.1, so each R[a][b] - R[c][d] term is off by up to 0.1 and
# so is any mean of such terms; in practice the means land within 0.03. The two
# variants of each metric differ by far more than this tolerance (checked below).
ROUNDING = 0.05


def test_matrix_shape_and_A_match_published_column():
    assert m.check_matrix(R) == 14
    for ours, published in zip(m.average_accuracies(R), A, strict=True):
        assert ours == pytest.approx(published, abs=0.05)


@pytest.mark.parametrize(
    ("fn", "published", "other"),
    [
        (m.forgetting_measure_leanagent, 0.846, m.forgetting_measure),
        (m.expanded_backward_transfer_leanagent, 1.209, m.expanded_backward_transfer),
    ],
)
def test_leanagent_variants_on_matrix_reproduce_published(fn, published, other):
    assert fn(R) == pytest.approx(published, abs=ROUNDING)
    # the textbook value is clearly different: the variant is not a rounding artefact
    assert abs(other(R) - published) > 3 * ROUNDING


def test_leanagent_variants_on_A_and_V_reproduce_published_exactly():
    # These take the published A/V columns (2 decimals): the published values come out.
    assert m.windowed_forgetting_leanagent(A, 5) == pytest.approx(0.18, abs=0.005)
    assert m.windowed_plasticity_leanagent(A, 5) == pytest.approx(2.474, abs=0.0005)
    assert m.catastrophic_forgetting_resilience(A) == pytest.approx(0.877, abs=0.0005)
    assert m.incremental_plasticity(V) == pytest.approx(1.023, abs=0.0005)


def test_textbook_recomputations_from_reference():
    assert m.expanded_backward_transfer(R) == pytest.approx(1.378, abs=ROUNDING)
    assert m.forgetting_measure(R) == pytest.approx(0.484, abs=ROUNDING)
    assert m.backward_transfer(R) == pytest.approx(1.185, abs=ROUNDING)
    assert m.final_average_accuracy(R) == pytest.approx(69.18, abs=ROUNDING)


def test_hand_computed_small_matrix():
    r = [[50.0], [40.0, 70.0], [45.0, 60.0, 80.0]]
    v = [55.0, 75.0, 85.0]
    assert m.average_accuracies(r) == [50.0, 55.0, pytest.approx(185 / 3)]
    # FM: task0 best before end 50 -> 45 (5); task1 best 70 -> 60 (10); mean 7.5
    assert m.forgetting_measure(r) == 7.5
    # LeanAgent FM: row0 max 50 - 45 = 5; row1 max 70 - 60 = 10 -> 7.5 (coincides here)
    assert m.forgetting_measure_leanagent(r) == 7.5
    assert m.backward_transfer(r) == ((45 - 50) + (60 - 70)) / 2
    # EBWT: (40-50) + (45-50) + (60-70) over 3 pairs
    assert m.expanded_backward_transfer(r) == pytest.approx(-25 / 3)
    # LeanAgent EBWT: i=1: R[0][0]-R[0][0]=0; i=2: R[1][0]-50=-10, R[1][1]-70=0
    assert m.expanded_backward_transfer_leanagent(r) == pytest.approx(-10 / 3)
    # windowed forgetting, window 1: task0 drops 50->40 (10), task1 70->60 (10)
    assert m.windowed_forgetting(r, 1) == 10.0
    assert m.incremental_plasticity(v) == 15.0
    assert m.windowed_plasticity(v, 5) == 30.0
    assert m.forward_transfer([10.0, 30.0, 50.0], [10.0, 20.0, 20.0]) == 20.0
    out = m.compute_all(r, v, pre=[10.0, 30.0, 50.0], base=[10.0, 20.0, 20.0])
    assert out["FWT"] == 20.0 and out["AA"] == pytest.approx(185 / 3)
    assert {"AA", "FM", "BWT", "EBWT", "WF5", "WP5", "CFR", "IP", "FM_leanagent"} <= out.keys()


def test_no_forgetting_gives_zero():
    r = [[50.0], [50.0, 60.0], [50.0, 60.0, 70.0]]
    assert m.forgetting_measure(r) == 0.0
    assert m.windowed_forgetting(r) == 0.0
    assert m.backward_transfer(r) == 0.0
    assert m.catastrophic_forgetting_resilience(m.average_accuracies(r)) == pytest.approx(50 / 60)


def test_single_task_and_bad_shapes():
    assert m.compute_all([[42.0]], [40.0])["FM"] == 0.0
    assert m.compute_all([[42.0]], [40.0])["FWT"] is None
    with pytest.raises(m.MetricsError, match="row 1"):
        m.check_matrix([[1.0], [1.0]])
    with pytest.raises(m.MetricsError, match="empty"):
        m.check_matrix([])
    with pytest.raises(m.MetricsError, match="V has 1"):
        m.compute_all([[1.0], [1.0, 2.0]], [1.0])
