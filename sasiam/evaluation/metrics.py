"""One-pass-evaluation (OPE) metrics, computed as the GOT-10k toolkit computes them.

Reference: ``got10k==0.1.3`` -- ``got10k/utils/metrics.py`` (``rect_iou``,
``center_error``) and ``got10k/experiments/otb.py``
(``ExperimentOTB._calc_metrics``, ``_calc_curves``, ``report``). The
conventions reproduced here, checked against that source:

* Boxes are ``(x, y, w, h)`` in pixels, float. The IoU uses the widths as they
  are -- **no +1 pixel** -- and is ``inter / (union + eps)`` with
  ``eps = np.finfo(float).eps``, clipped to ``[0, 1]``.
* got10k's centre is ``x + (w - 1) / 2``; the ``- 1`` cancels in a difference of
  two centres, so the centre error equals the distance between the continuous
  centres ``x + w / 2`` used by the rest of sasiam.
* Success curve: 21 thresholds ``np.linspace(0, 1, 21)``, a frame succeeds when
  ``iou > threshold`` (strict). Success score ("AUC") = mean of the 21 points.
  Because of the strict ``>``, the point at threshold 1.0 is always 0, so a
  perfect tracker scores 20/21 ~= 0.952, not 1.0 (as in got10k, pysot and the
  original OTB toolkit).
* Precision curve: 51 thresholds 0, 1, ..., 50 px, a frame counts when
  ``error <= threshold``. Precision score = the curve at 20 px.
* A set of sequences is scored as got10k does: the per-sequence curves are
  averaged (every sequence weighs the same, whatever its length), then the
  scores are read off the mean curves.

Normalised precision -- got10k 0.1.3 has none, so this is the TrackingNet /
LaSOT definition: the centre error with its x part divided by the ground-truth
width and its y part by the ground-truth height, 51 thresholds
``np.linspace(0, 0.5, 51)`` with ``<=``, and the score is the area under that
curve normalised to ``[0, 1]`` (the mean of the 51 points, like the success
AUC). pysot and pytracking report instead the curve at 0.2, which is
``normalized_precision_curve[20]``.

Frames without a usable ground truth -- a NaN (or otherwise non-finite) value,
as in the absent-target frames of long-term sequences, or a non-positive width
or height -- are dropped by :func:`score_sequence` before any metric is taken.
got10k's ``ExperimentOTB`` does not do this: NaN propagates through
``rect_iou``/``center_error``, NaN compares False, and such a frame counts as a
failure that stays in the denominator (the scores shrink by the fraction of
absent frames). got10k's ``ExperimentUAV123._calc_metrics`` drops the NaN rows,
which is what is matched here; neither got10k experiment drops a finite
ground-truth box of non-positive size (it scores IoU 0 there), this module does.
got10k's ``report`` also overwrites the tracker's first box with the ground
truth; :func:`score_sequence` scores the boxes it is given.

Everything here is pure numpy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "SUCCESS_THRESHOLDS",
    "PRECISION_THRESHOLDS",
    "NORMALIZED_PRECISION_THRESHOLDS",
    "PRECISION_SCORE_INDEX",
    "overlaps",
    "center_errors",
    "normalized_center_errors",
    "valid_ground_truth",
    "success_curve",
    "precision_curve",
    "normalized_precision_curve",
    "SequenceScore",
    "score_sequence",
    "aggregate",
]

SUCCESS_THRESHOLDS: np.ndarray = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS: np.ndarray = np.arange(0, 51, dtype=float)
NORMALIZED_PRECISION_THRESHOLDS: np.ndarray = np.linspace(0, 0.5, 51)
PRECISION_SCORE_INDEX = 20  # PRECISION_THRESHOLDS[20] == 20 px

_EPS = np.finfo(float).eps


def _as_boxes(array, name: str) -> np.ndarray:
    boxes = np.asarray(array, dtype=float)
    if boxes.ndim == 1 and boxes.shape[0] == 4:
        boxes = boxes[np.newaxis, :]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must be an N x 4 array of x,y,w,h boxes, got shape {boxes.shape}")
    return boxes


def _check_pair(boxes, gt) -> tuple[np.ndarray, np.ndarray]:
    """Boxes and ground truth as float N x 4 arrays of the same length; tracker boxes finite."""
    boxes = _as_boxes(boxes, "boxes")
    gt = _as_boxes(gt, "gt")
    if len(boxes) != len(gt):
        raise ValueError(
            f"boxes and gt differ in length: {len(boxes)} tracker boxes for {len(gt)} ground-truth frames"
        )
    bad = ~np.isfinite(boxes).all(axis=1)
    if bad.any():
        frames = np.flatnonzero(bad)
        shown = ", ".join(str(i) for i in frames[:10]) + (", ..." if len(frames) > 10 else "")
        raise ValueError(
            f"tracker boxes contain NaN or infinite values in {len(frames)} frame(s) (indices {shown}); "
            "a tracker must output a finite box for every frame"
        )
    return boxes, gt


def valid_ground_truth(gt) -> np.ndarray:
    """Boolean mask of the ground-truth frames that are scored: all four values
    finite and a positive width and height."""
    gt = _as_boxes(gt, "gt")
    with np.errstate(invalid="ignore"):
        return np.isfinite(gt).all(axis=1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)


def overlaps(boxes: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame IoU of tracker boxes and ground truth, exactly got10k's ``rect_iou``
    (no +1 pixel, ``inter / (union + eps)`` clipped to [0, 1]). A NaN ground-truth
    frame gives NaN."""
    boxes, gt = _check_pair(boxes, gt)
    x1 = np.maximum(boxes[:, 0], gt[:, 0])
    y1 = np.maximum(boxes[:, 1], gt[:, 1])
    x2 = np.minimum(boxes[:, 0] + boxes[:, 2], gt[:, 0] + gt[:, 2])
    y2 = np.minimum(boxes[:, 1] + boxes[:, 3], gt[:, 1] + gt[:, 3])
    area_inter = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    area_union = boxes[:, 2] * boxes[:, 3] + gt[:, 2] * gt[:, 3] - area_inter
    return np.clip(area_inter / (area_union + _EPS), 0.0, 1.0)


def center_errors(boxes, gt) -> np.ndarray:
    """Per-frame distance in pixels between box centres (got10k's ``center_error``).
    A NaN ground-truth frame gives NaN."""
    boxes, gt = _check_pair(boxes, gt)
    centers1 = boxes[:, :2] + (boxes[:, 2:] - 1) / 2
    centers2 = gt[:, :2] + (gt[:, 2:] - 1) / 2
    return np.sqrt(np.sum(np.power(centers1 - centers2, 2), axis=-1))


def normalized_center_errors(boxes, gt) -> np.ndarray:
    """Per-frame centre error with x divided by the ground-truth width and y by its
    height (TrackingNet / LaSOT). NaN where the ground truth is not valid
    (non-finite or non-positive size)."""
    boxes, gt = _check_pair(boxes, gt)
    valid = valid_ground_truth(gt)
    out = np.full(len(gt), np.nan)
    delta = (boxes[valid, :2] + boxes[valid, 2:] / 2) - (gt[valid, :2] + gt[valid, 2:] / 2)
    out[valid] = np.sqrt(np.sum(np.power(delta / gt[valid, 2:], 2), axis=-1))
    return out


def _curve(values, thresholds: np.ndarray, passes, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float).reshape(-1)
    if values.size == 0:
        raise ValueError(f"cannot compute a {name} curve from zero frames")
    with np.errstate(invalid="ignore"):
        hits = passes(values[:, np.newaxis], thresholds[np.newaxis, :])
    return np.mean(hits, axis=0)


def success_curve(ious) -> np.ndarray:
    """Fraction of frames with IoU strictly above each of the 21 SUCCESS_THRESHOLDS.
    A NaN IoU counts as a failure (got10k behaviour)."""
    return _curve(ious, SUCCESS_THRESHOLDS, np.greater, "success")


def precision_curve(errors) -> np.ndarray:
    """Fraction of frames with centre error <= each of the 51 PRECISION_THRESHOLDS
    (0..50 px). A NaN error counts as a failure (got10k behaviour)."""
    return _curve(errors, PRECISION_THRESHOLDS, np.less_equal, "precision")


def normalized_precision_curve(nerrors) -> np.ndarray:
    """Fraction of frames with normalised centre error <= each of the 51
    NORMALIZED_PRECISION_THRESHOLDS (0..0.5). A NaN error counts as a failure."""
    return _curve(nerrors, NORMALIZED_PRECISION_THRESHOLDS, np.less_equal, "normalized precision")


@dataclass
class SequenceScore:
    """Scores of one sequence (or, from :func:`aggregate`, of a set of sequences).

    auc: success score, mean of ``success_curve``; precision: ``precision_curve``
    at 20 px; normalized_precision: mean of ``normalized_precision_curve``;
    num_frames: frames scored (valid ground truth only; summed by aggregate);
    mean_iou: average overlap over the scored frames (mean of the per-sequence
    values in aggregate, every sequence weighing the same like the curves).
    """

    auc: float
    precision: float
    normalized_precision: float
    success_curve: np.ndarray
    precision_curve: np.ndarray
    normalized_precision_curve: np.ndarray
    num_frames: int
    mean_iou: float


def _from_curves(succ: np.ndarray, prec: np.ndarray, nprec: np.ndarray, num_frames: int, mean_iou: float) -> SequenceScore:
    return SequenceScore(
        auc=float(np.mean(succ)),
        precision=float(prec[PRECISION_SCORE_INDEX]),
        normalized_precision=float(np.mean(nprec)),
        success_curve=succ,
        precision_curve=prec,
        normalized_precision_curve=nprec,
        num_frames=int(num_frames),
        mean_iou=float(mean_iou),
    )


def score_sequence(boxes: np.ndarray, gt: np.ndarray) -> SequenceScore:
    """Score one sequence: tracker boxes against ground truth, both N x 4 x,y,w,h.

    Frames whose ground truth is NaN/non-finite or of non-positive size are
    dropped first. Raises ValueError if the lengths differ, a tracker box is not
    finite, or no frame has a valid ground truth.
    """
    boxes, gt = _check_pair(boxes, gt)
    valid = valid_ground_truth(gt)
    if not valid.any():
        raise ValueError(f"no frame of the {len(gt)} has a valid ground-truth box (all NaN or of non-positive size)")
    boxes, gt = boxes[valid], gt[valid]
    ious = overlaps(boxes, gt)
    return _from_curves(
        success_curve(ious),
        precision_curve(center_errors(boxes, gt)),
        normalized_precision_curve(normalized_center_errors(boxes, gt)),
        num_frames=len(gt),
        mean_iou=float(np.mean(ious)),
    )


def aggregate(scores: list[SequenceScore]) -> SequenceScore:
    """Overall score of a set of sequences, as got10k's ``report``: the mean of the
    per-sequence curves, scores read off the mean curves."""
    scores = list(scores)
    if not scores:
        raise ValueError("cannot aggregate an empty list of sequence scores")
    return _from_curves(
        np.mean([s.success_curve for s in scores], axis=0),
        np.mean([s.precision_curve for s in scores], axis=0),
        np.mean([s.normalized_precision_curve for s in scores], axis=0),
        num_frames=sum(s.num_frames for s in scores),
        mean_iou=float(np.mean([s.mean_iou for s in scores])),
    )
