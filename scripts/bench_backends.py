"""End-to-end update time of the full tracker on each inference path, and its boxes
against PyTorch fp32's: which path should be the fast one on this machine?

`sasiam bench` splits a frame by stage inside PyTorch; ONNX Runtime runs each graph
as one call, so this script compares the paths end to end instead: the same frames,
the same first box, warm-up, then the median over REPEATS passes of the per-update
time (`SASiamTracker.update`, crops to box), and the mean IoU of each path's boxes
with the fp32 boxes of the same frames.

    .venv/bin/python scripts/bench_backends.py ../shared/sequences/David --frames 60 --repeats 3 \
        --json docs/bench/backends.json

Run it on an otherwise idle machine. The ONNX graphs come from the user cache (exported on first use,
needs the `onnx` extra; `sasiam/integrations/onnx_export.py::cached_export`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sasiam.backends.paths import PATHS as INFERENCE_PATHS  # noqa: E402
from sasiam.data.sequences import open_sequence  # noqa: E402
from sasiam.evaluation.speed import machine_facts  # noqa: E402
from sasiam.tracking.geometry import iou  # noqa: E402
from sasiam.tracking.tracker import SASiamTracker  # noqa: E402

# the inference paths `speed="fast"` ranks (their names, options and recorded checks: sasiam/backends/paths.py)
PATHS = {path.name: path.options for path in INFERENCE_PATHS}


class Csrt:
    """OpenCV's CSRT behind the tracker's init/update, timed on the same frames as the reference."""

    def init(self, frame, box):
        self.tracker = cv2.TrackerCSRT.create()
        self.tracker.init(frame, tuple(int(round(v)) for v in box))

    def update(self, frame):
        return self.tracker.update(frame)[1]


def run_pass(tracker, frames, box):
    tracker.init(frames[0], box)
    boxes, times = [], []
    for frame in frames[1:]:
        start = time.perf_counter()
        boxes.append(tracker.update(frame))
        times.append(time.perf_counter() - start)
    return np.array(boxes), np.array(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequence", type=Path)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5, help="updates before each measured pass")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated names of PATHS")
    args = parser.parse_args()

    sequence = open_sequence(args.sequence)
    frames = [cv2.imread(str(path)) for path in sequence.frame_paths[: args.frames + 1]]
    box = tuple(float(v) for v in sequence.groundtruth[0])
    from sasiam.integrations.onnx_export import cached_export

    onnx_dir = cached_export()  # exported before the timing, not inside it
    results, reference = {}, None
    for name in ["opencv-csrt", *args.paths.split(",")]:
        options = PATHS.get(name, {})
        if options.get("backend") == "onnx":
            options = dict(options, weights=onnx_dir)
        tracker = Csrt() if name == "opencv-csrt" else SASiamTracker(**options)
        tracker.init(frames[0], box)
        for frame in frames[1: args.warmup + 1]:
            tracker.update(frame)
        medians = []
        for _ in range(args.repeats):
            boxes, times = run_pass(tracker, frames, box)
            medians.append(float(np.median(times)))
        if reference is None and name != "opencv-csrt":
            reference = boxes
        overlap = float(np.mean([iou(a, b) for a, b in zip(boxes, reference)])) if reference is not None else None
        median = float(np.median(medians))
        results[name] = {"update_ms_median": 1000 * median, "update_ms_per_repeat": [1000 * m for m in medians],
                         "fps": 1.0 / median, "mean_iou_vs_torch_fp32": overlap}
        print(f"{name:24s} {1000 * median:7.1f} ms/update  {1 / median:6.2f} fps  "
              f"mean IoU vs torch-fp32 {overlap if overlap is None else round(overlap, 3)}", flush=True)
    report = {"sequence": sequence.name, "frames": args.frames, "warmup": args.warmup, "repeats": args.repeats,
              "machine": machine_facts(), "paths": results,
              "command": " ".join(["scripts/bench_backends.py", *sys.argv[1:]])}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
