"""OPE metrics: hand-checked cases, equality with the got10k toolkit on real
sequences, and properties of the curves."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sasiam.evaluation import metrics
from sasiam.evaluation.metrics import (
    NORMALIZED_PRECISION_THRESHOLDS,
    PRECISION_THRESHOLDS,
    SUCCESS_THRESHOLDS,
    aggregate,
    center_errors,
    normalized_center_errors,
    overlaps,
    precision_curve,
    score_sequence,
    success_curve,
)

# OTB sequences of the shared set, and one long-term sequence with absent-target (NaN) frames.
GOT10K_SEQUENCES = ["Crossing", "Girl", "David", "Football1", "votlt_skiing_half"]


# ---------------------------------------------------------------- hand-checked


def test_thresholds():
    assert SUCCESS_THRESHOLDS.shape == (21,) and SUCCESS_THRESHOLDS[0] == 0 and SUCCESS_THRESHOLDS[-1] == 1
    assert np.array_equal(PRECISION_THRESHOLDS, np.arange(51))
    assert NORMALIZED_PRECISION_THRESHOLDS.shape == (51,) and NORMALIZED_PRECISION_THRESHOLDS[-1] == 0.5


def test_identical_boxes_score_the_maximum():
    gt = np.array([[10, 20, 30, 40], [12.5, 21, 31, 39.5], [0, 0, 5, 5]], float)
    score = score_sequence(gt.copy(), gt)
    assert np.allclose(overlaps(gt, gt), 1.0)
    assert np.array_equal(center_errors(gt, gt), np.zeros(3))
    # strict `iou > threshold`: the threshold 1.0 is never passed, so a perfect
    # tracker has success curve [1]*20 + [0] and AUC 20/21 (got10k/OTB convention)
    assert np.array_equal(score.success_curve, np.r_[np.ones(20), 0.0])
    assert score.auc == pytest.approx(20 / 21)
    assert score.success_curve[:-1].mean() == 1.0
    assert score.precision == 1.0 and np.all(score.precision_curve == 1.0)
    assert score.normalized_precision == 1.0
    assert score.mean_iou == pytest.approx(1.0)
    assert score.num_frames == 3


def test_disjoint_boxes_score_zero():
    gt = np.array([[0, 0, 10, 10]] * 4, float)
    boxes = np.array([[100, 100, 10, 10]] * 4, float)
    score = score_sequence(boxes, gt)
    assert score.auc == 0.0 and np.all(score.success_curve == 0)
    assert score.mean_iou == 0.0
    assert center_errors(boxes, gt) == pytest.approx(np.full(4, 100 * np.sqrt(2)))
    assert score.precision == 0.0
    # touching edges are disjoint too: no +1 pixel in the IoU
    assert overlaps(np.array([[10, 0, 10, 10]]), np.array([[0, 0, 10, 10]]))[0] == 0.0


def test_known_partial_overlap():
    gt = np.array([[0, 0, 10, 10]], float)
    boxes = np.array([[5, 0, 10, 10]], float)  # intersection 50, union 150
    assert overlaps(boxes, gt)[0] == pytest.approx(1 / 3)
    score = score_sequence(boxes, gt)
    # 1/3 > 0, 0.05, ..., 0.30 (7 thresholds) and not above 0.35 ... 1.0
    assert np.array_equal(score.success_curve, np.r_[np.ones(7), np.zeros(14)])
    assert score.auc == pytest.approx(7 / 21)
    # centre error 5 px: counted from the 5 px threshold on (<=)
    assert center_errors(boxes, gt)[0] == pytest.approx(5.0)
    assert np.array_equal(score.precision_curve, np.r_[np.zeros(5), np.ones(46)])
    assert score.precision == 1.0
    # normalised error 5 / 10 = 0.5: only the last threshold (0.5, <=) counts it
    assert normalized_center_errors(boxes, gt)[0] == pytest.approx(0.5)
    assert np.array_equal(score.normalized_precision_curve, np.r_[np.zeros(50), 1.0])
    assert score.normalized_precision == pytest.approx(1 / 51)
    # a 4x4 box inside a 10x10 one: IoU 16 / 100 -- widths are taken as they are
    assert overlaps(np.array([[2, 2, 4, 4]]), gt)[0] == pytest.approx(0.16)


def test_normalized_error_uses_gt_width_and_height_separately():
    gt = np.array([[0, 0, 20, 10]], float)
    boxes = np.array([[4, 3, 20, 10]], float)
    assert normalized_center_errors(boxes, gt)[0] == pytest.approx(np.hypot(4 / 20, 3 / 10))


def test_invalid_ground_truth_frames_are_dropped():
    gt = np.array([[0, 0, 10, 10], [np.nan] * 4, [0, 0, 0, 10], [0, 0, 10, -1], [5, 5, 10, 10]], float)
    boxes = np.array([[0, 0, 10, 10], [1, 1, 5, 5], [0, 0, 10, 10], [0, 0, 10, 10], [100, 100, 10, 10]], float)
    score = score_sequence(boxes, gt)
    assert score.num_frames == 2
    assert np.array_equal(score.success_curve, np.r_[np.full(20, 0.5), 0.0])
    expected = score_sequence(boxes[[0, 4]], gt[[0, 4]])
    assert score.auc == expected.auc and score.precision == expected.precision
    # per-frame functions keep the frames: NaN ground truth -> NaN
    assert np.isnan(overlaps(boxes, gt)[1]) and np.isnan(center_errors(boxes, gt)[1])
    assert np.isnan(normalized_center_errors(boxes, gt)[[1, 2, 3]]).all()


def test_errors():
    gt = np.array([[0, 0, 10, 10]] * 3, float)
    with pytest.raises(ValueError, match="differ in length"):
        score_sequence(gt[:2], gt)
    with pytest.raises(ValueError, match="differ in length"):
        overlaps(gt[:2], gt)
    bad = gt.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        score_sequence(bad, gt)
    with pytest.raises(ValueError, match="NaN"):
        center_errors(bad, gt)
    with pytest.raises(ValueError, match="N x 4"):
        overlaps(np.zeros((3, 5)), gt)
    with pytest.raises(ValueError, match="no frame"):
        score_sequence(gt, np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="empty"):
        aggregate([])
    with pytest.raises(ValueError, match="zero frames"):
        success_curve(np.array([]))


def test_aggregate_is_mean_of_curves_not_of_frames():
    gt = np.array([[0, 0, 10, 10]] * 4, float)
    perfect = score_sequence(gt, gt[:4])
    lost = score_sequence(gt[:1] + 100, gt[:1])
    total = aggregate([perfect, lost])
    assert np.array_equal(total.success_curve, (perfect.success_curve + lost.success_curve) / 2)
    assert total.auc == pytest.approx(10 / 21)  # frame-weighted would be 4/5 of 20/21
    assert total.precision == 0.5
    assert total.num_frames == 5
    assert total.mean_iou == pytest.approx(0.5)


# ---------------------------------------------------------------- got10k equality


def _read_groundtruth(path) -> np.ndarray:
    rows = [re.split(r"[,\s]+", line.strip()) for line in path.read_text().splitlines() if line.strip()]
    return np.array([[float(v) for v in row] for row in rows], dtype=float)


def _fake_tracker(gt: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic "tracker output": the ground truth shifted and rescaled at
    random, some frames far off, absent-target frames filled with a finite box,
    frame 0 equal to the ground truth (got10k's report forces that), rounded to
    the 3 decimals got10k writes result files with."""
    rng = np.random.default_rng(seed)
    n = len(gt)
    filled = gt.copy()
    valid = np.isfinite(gt).all(axis=1)
    last = gt[np.flatnonzero(valid)[0]]
    for i in range(n):  # a tracker keeps its last box while the target is absent
        if valid[i]:
            last = gt[i]
        else:
            filled[i] = last
    size = filled[:, 2:]
    center = filled[:, :2] + size / 2
    center = center + rng.normal(0, 0.25, (n, 2)) * size
    size = size * np.exp(rng.normal(0, 0.2, (n, 2)))
    far = rng.random(n) < 0.1
    center[far] += rng.uniform(60, 200, (far.sum(), 2)) * rng.choice([-1, 1], (far.sum(), 2))
    boxes = np.round(np.concatenate([center - size / 2, size], axis=1), 3)
    boxes[0] = gt[0]
    assert np.isfinite(boxes).all()
    return boxes


@pytest.fixture(scope="module")
def got10k_otb():
    pytest.importorskip("got10k", reason="got10k==0.1.3 (test extra) not installed")
    from got10k.experiments.otb import ExperimentOTB
    from got10k.experiments.uav123 import ExperimentUAV123

    # the __init__s download/check a whole dataset; the metric methods only need nbins_*
    otb = ExperimentOTB.__new__(ExperimentOTB)
    uav = ExperimentUAV123.__new__(ExperimentUAV123)
    for exp in (otb, uav):
        exp.nbins_iou, exp.nbins_ce = 21, 51
    return otb, uav


@pytest.fixture(scope="module")
def sequences(shared_sequences):
    out = {}
    for k, name in enumerate(GOT10K_SEQUENCES):
        path = shared_sequences / name / "groundtruth_rect.txt"
        if not path.is_file():
            pytest.skip(f"real sequence {name} not found at {path.parent}")
        gt = _read_groundtruth(path)
        out[name] = (gt, _fake_tracker(gt, seed=1000 + k))
    return out


def test_sequences_exercise_nan_frames(sequences):
    gt, _ = sequences["votlt_skiing_half"]
    assert np.isnan(gt).any(axis=1).sum() == 228


@pytest.mark.parametrize("name", GOT10K_SEQUENCES)
def test_equals_got10k_on_real_sequence(name, sequences, got10k_otb):
    from got10k.utils.metrics import center_error, rect_iou

    otb, uav = got10k_otb
    gt, boxes = sequences[name]
    valid = metrics.valid_ground_truth(gt)
    score = score_sequence(boxes, gt)
    assert 0.05 < score.auc < 0.9  # the perturbation leaves a non-trivial curve

    # per-frame values on the frames with a ground truth
    assert np.abs(overlaps(boxes, gt)[valid] - rect_iou(boxes[valid], gt[valid])).max() <= 1e-12
    assert np.abs(center_errors(boxes, gt)[valid] - center_error(boxes[valid], gt[valid])).max() <= 1e-9

    # curves and scores: ExperimentUAV123 drops NaN ground truth as we do
    ious, errors = uav._calc_metrics(boxes, gt)
    succ, prec = uav._calc_curves(ious, errors)
    assert score.num_frames == len(ious) == valid.sum()
    assert np.abs(score.success_curve - succ).max() <= 1e-6
    assert np.abs(score.precision_curve - prec).max() <= 1e-6
    assert abs(score.auc - np.mean(succ)) <= 1e-6
    assert abs(score.precision - prec[20]) <= 1e-6
    assert abs(score.mean_iou - np.mean(ious)) <= 1e-6

    # ExperimentOTB keeps NaN frames as failures in the denominator
    ious_otb, errors_otb = otb._calc_metrics(boxes, gt)
    succ_otb, prec_otb = otb._calc_curves(ious_otb, errors_otb)
    fraction = valid.sum() / len(gt)
    assert np.abs(score.success_curve * fraction - succ_otb).max() <= 1e-6
    assert np.abs(score.precision_curve * fraction - prec_otb).max() <= 1e-6
    if valid.all():
        assert np.abs(score.success_curve - succ_otb).max() <= 1e-6


def test_aggregate_equals_got10k_report(sequences, got10k_otb, tmp_path):
    """The whole got10k pipeline: result files in its layout, ExperimentUAV123.report
    (ExperimentOTB.report with NaN-dropping metrics) over the five sequences."""
    import matplotlib

    from got10k.experiments.uav123 import ExperimentUAV123

    class _Dataset(list):  # what report() uses: len, iteration of (img_files, anno), seq_names
        seq_names: list

    exp = ExperimentUAV123.__new__(ExperimentUAV123)
    exp.nbins_iou, exp.nbins_ce = 21, 51
    exp.result_dir = str(tmp_path / "results")
    exp.report_dir = str(tmp_path / "reports")
    exp.dataset = _Dataset((None, gt) for gt, _ in sequences.values())
    exp.dataset.seq_names = list(sequences)
    for name, (gt, boxes) in sequences.items():
        exp._record(str(tmp_path / "results" / "fake" / f"{name}.txt"), boxes, np.full(len(boxes), 0.01))

    with matplotlib.rc_context():
        performance = exp.report(["fake"])["fake"]

    ours = {name: score_sequence(boxes, gt) for name, (gt, boxes) in sequences.items()}
    for name, score in ours.items():
        theirs = performance["seq_wise"][name]
        assert abs(score.auc - theirs["success_score"]) <= 1e-6
        assert abs(score.precision - theirs["precision_score"]) <= 1e-6
        assert np.abs(score.success_curve - theirs["success_curve"]).max() <= 1e-6
    total = aggregate(list(ours.values()))
    overall = performance["overall"]
    assert np.abs(total.success_curve - overall["success_curve"]).max() <= 1e-6
    assert np.abs(total.precision_curve - overall["precision_curve"]).max() <= 1e-6
    assert abs(total.auc - overall["success_score"]) <= 1e-6
    assert abs(total.precision - overall["precision_score"]) <= 1e-6


# ---------------------------------------------------------------- properties

coords = st.floats(min_value=-200, max_value=600, allow_nan=False)
sizes = st.floats(min_value=0.5, max_value=300, allow_nan=False)
box = st.tuples(coords, coords, sizes, sizes)


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(box, box), min_size=1, max_size=40))
def test_curves_are_monotone_and_bounded(pairs):
    boxes = np.array([p[0] for p in pairs], float)
    gt = np.array([p[1] for p in pairs], float)
    score = score_sequence(boxes, gt)
    for curve, direction in (
        (score.success_curve, -1),
        (score.precision_curve, 1),
        (score.normalized_precision_curve, 1),
    ):
        assert np.all((curve >= 0) & (curve <= 1))
        assert np.all(direction * np.diff(curve) >= 0)
    assert score.success_curve[-1] == 0.0
    for value in (score.auc, score.precision, score.normalized_precision, score.mean_iou):
        assert 0.0 <= value <= 1.0
    ious = overlaps(boxes, gt)
    assert np.all((ious >= 0) & (ious <= 1))
    assert np.array_equal(success_curve(ious), score.success_curve)
    assert np.array_equal(precision_curve(center_errors(boxes, gt)), score.precision_curve)
