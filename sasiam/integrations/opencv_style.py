"""SA-Siam behind OpenCV's tracker call pattern, so code written for `cv2.TrackerCSRT` runs unchanged:

    tracker = OpenCVStyleTracker()          # instead of cv2.TrackerCSRT.create()
    tracker.init(frame, (x, y, w, h))       # returns None, as cv2.Tracker.init does in OpenCV >= 4.5.1
    ok, (x, y, w, h) = tracker.update(frame)

OpenCV's `ok` says whether the target was found. SA-Siam always returns its best
guess, so `ok` is derived from the response peak (`SASiamTracker.score`): False
when the peak falls below `threshold`.

DEFAULT_THRESHOLD = 1.0 was chosen from the peaks of the default weights (session 8's crops_v2
weights, lambda 0.1, fp32) on real sequences of ../shared/sequences (whole votlt_skiing_half; the first
120/100/80/150/150 frames of Jogging-1, FaceOcc1, uav123_10fps_wakeboard10,
uav123_10fps_person11_half, uav123_10fps_boat1_half), frame 1 excluded, measured
by `scripts/threshold_calibration.py` (docs/opencv_style_threshold.txt):

    visible and tracked (IoU >= 0.5)  613 frames  min  1.30  5%  3.55  median  5.96  max 11.81
    absent (NaN ground truth)         228 frames  min -6.08  median -4.40  95%  2.05  max  3.77
    lost (visible, IoU 0)             158 frames  min -5.17  median -2.25  95%  4.67  max  5.08

    threshold              -2     -1      0    0.5      1    1.5      2      3
    tracked still ok    1.000  1.000  1.000  1.000  1.000  0.998  0.995  0.987
    absent/lost flagged 0.557  0.617  0.718  0.756  0.798  0.826  0.839  0.868

1.0 is the highest of these thresholds at which every tracked frame stays ok; it
flags 79.8 % of the absent-or-lost frames (the previous weights: 94.5 % at 0.5; the
lost frames now peak higher, the semantic branch, weighted 0.9, scores a wrong
object confidently). Only one of these sequences has absent frames, so this is a
small sample; with other weights, run the script again.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

# The peak is the raw combined score map (about -6..12 with the default weights), not a probability.
DEFAULT_THRESHOLD = 1.0


class OpenCVStyleTracker:
    """`init(frame, box) -> None`, `update(frame) -> (ok, box)`, like `cv2.Tracker`.

    `ok` is False when the response peak (`score`) of this frame is below
    `threshold`: the target is probably absent, occluded or lost. The box is
    still the tracker's best guess in that case (unlike OpenCV, whose box is
    then undefined): SA-Siam keeps searching around it, and tracking goes on
    when the target reappears nearby.

    Boxes are returned as four Python ints, as OpenCV's trackers return them (so
    `cv2.rectangle(frame, box, ...)` works with either); `round_box=False` returns
    floats, and `.box` always holds the unrounded box. Other keyword arguments go
    to `sasiam.SASiamTracker` (weights, branches, lam, device, precision, backend, ...);
    `tracker=` wraps an existing tracker instead.
    """

    def __init__(self, threshold: float | None = None, *, round_box: bool = True, tracker=None,
                 **tracker_options) -> None:
        if tracker is None:
            from ..tracking.tracker import SASiamTracker

            tracker = SASiamTracker(**tracker_options)
        elif tracker_options:
            raise TypeError(f"give either tracker= or tracker options, not both ({', '.join(tracker_options)})")
        self.tracker = tracker
        self.threshold = float(DEFAULT_THRESHOLD if threshold is None else threshold)
        self.round_box = round_box

    @classmethod
    def create(cls, threshold: float | None = None, **tracker_options) -> "OpenCVStyleTracker":
        """Spelled like `cv2.TrackerCSRT.create()`."""
        return cls(threshold, **tracker_options)

    @property
    def score(self) -> float:
        return self.tracker.score

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.tracker.box

    def _out(self, box: Sequence[float]) -> tuple:
        if self.round_box:
            return tuple(int(round(v)) for v in box)
        return tuple(float(v) for v in box)

    def init(self, image: np.ndarray, boundingBox: Sequence[float]) -> None:  # noqa: N803 - OpenCV's names
        self.tracker.init(image, boundingBox)

    def update(self, image: np.ndarray) -> tuple[bool, tuple]:
        box = self.tracker.update(image)
        return bool(self.tracker.score >= self.threshold), self._out(box)
