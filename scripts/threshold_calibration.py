"""Response peaks of tracked, absent and lost frames: where OpenCVStyleTracker's `ok` threshold belongs.

    .venv/bin/python scripts/threshold_calibration.py [--weights W] [--out docs/opencv_style_threshold.txt]

Runs SASiamTracker (fp32) from the first ground-truth box over real sequences of
../shared/sequences: the whole of votlt_skiing_half (the skier leaves the frame:
NaN ground truth) and the first frames of five others, frame 1 excluded. A frame is
"tracked" when visible with IoU >= 0.5, "absent" when its ground truth is NaN, and
"lost" when visible with IoU 0. Prints the peak statistics per group and, for a row
of thresholds, the share of tracked frames still ok and of absent-or-lost frames flagged.
"""
from __future__ import annotations

import argparse
import sys
from itertools import islice
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sasiam import SASiamTracker  # noqa: E402
from sasiam.data.sequences import open_sequence  # noqa: E402
from sasiam.data.shared import shared_sequences_root  # noqa: E402
from sasiam.evaluation.metrics import overlaps  # noqa: E402
from sasiam.tracking.runner import track_frames  # noqa: E402

SEQUENCES = {"votlt_skiing_half": None, "Jogging-1": 120, "FaceOcc1": 100, "uav123_10fps_wakeboard10": 80,
             "uav123_10fps_person11_half": 150, "uav123_10fps_boat1_half": 150}
THRESHOLDS = (-2, -1, 0, 0.5, 1, 1.5, 2, 3)


def peaks(tracker: SASiamTracker, folder: Path, frames: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame after the first: response peak, IoU with the ground truth, whether the target is absent."""
    sequence = open_sequence(folder)
    truth = sequence.groundtruth if frames is None else sequence.groundtruth[:frames]
    result = track_frames(tracker, islice(sequence.frames(), len(truth)), truth[0], progress=False)
    scores, boxes, truth = result.scores[1:], result.boxes[1:], truth[1:]
    absent = ~np.isfinite(truth).all(axis=1)
    iou = np.zeros(len(truth))
    iou[~absent] = overlaps(boxes[~absent], truth[~absent])
    return scores, iou, absent


def describe(name: str, values: np.ndarray) -> str:
    if not len(values):
        return f"{name:34s}    0 frames"
    p5, median, p95 = np.percentile(values, [5, 50, 95])
    return (f"{name:34s} {len(values):4d} frames  min {values.min():6.2f}  5% {p5:6.2f}  median {median:6.2f}  "
            f"95% {p95:6.2f}  max {values.max():6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", help="checkpoint (default: the shipped weights)")
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args()
    root = shared_sequences_root()
    tracker = SASiamTracker(weights=args.weights)
    scores, ious, absents = [], [], []
    for name, frames in SEQUENCES.items():
        s, iou, absent = peaks(tracker, root / name, frames)
        scores.append(s), ious.append(iou), absents.append(absent)
        print(f"{name}: {len(s)} frames", file=sys.stderr)
    scores, ious, absent = np.concatenate(scores), np.concatenate(ious), np.concatenate(absents)
    tracked = ~absent & (ious >= 0.5)
    lost = ~absent & (ious == 0)
    gone = absent | lost
    lines = [f"weights: {args.weights or 'shipped default'} (lambda {tracker.lam:.1f}); sequences: "
             + ", ".join(name if frames is None else f"{name}[:{frames}]" for name, frames in SEQUENCES.items()),
             describe("visible and tracked (IoU >= 0.5)", scores[tracked]),
             describe("absent (NaN ground truth)", scores[absent]),
             describe("lost (visible, IoU 0)", scores[lost]), "",
             "threshold            " + "".join(f"{t:>7}" for t in THRESHOLDS),
             "tracked still ok     " + "".join(f"{np.mean(scores[tracked] >= t):7.3f}" for t in THRESHOLDS),
             "absent/lost flagged  " + "".join(f"{np.mean(scores[gone] < t):7.3f}" for t in THRESHOLDS)]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
