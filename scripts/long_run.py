"""Run a tracker over a long video through the runner `sasiam track` uses, and report
its memory: is it flat?

The video is a real sequence played forwards then backwards, again and again (so
the target's motion stays continuous) until FRAMES frames are tracked. Resident
memory (VmRSS) and its peak so far (VmHWM) are printed every REPORT frames, then
a one-line summary.

    nice -n 19 .venv/bin/python scripts/long_run.py --frames 10000            # the real tracker
    .venv/bin/python scripts/long_run.py --frames 10000 --backend template    # stand-in, minutes

    .venv/bin/python scripts/long_run.py --frames 10000 --backend onnx        # the real tracker on ONNX Runtime

The real tracker runs 1.8-5 frames/s on two idle cores (AVX2 fp32 / AVX-512 bf16):
10,000 frames take 35-95 minutes; on ONNX Runtime ~3 frames/s on AVX2 (~55 min). `--backend template` is a labelled stand-in for when that is not
possible: OpenCV template matching replaces the two networks (everything else -
runner, crops, SiamFC's search policy, the tracker object - is the real code),
so it measures the tracking loop's memory without PyTorch's.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sasiam.data.sequences import open_sequence  # noqa: E402
from sasiam.tracking.runner import track_frames  # noqa: E402
from sasiam.tracking.tracker import SASiamTracker  # noqa: E402


def memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MiB."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class TemplateBackend:
    """Stand-in for the networks: normalised cross-correlation of the exemplar in each search crop."""

    lam = 0.3

    def exemplar(self, context_crops: np.ndarray):
        return [cv2.cvtColor(np.ascontiguousarray(crop[64:191, 64:191]), cv2.COLOR_BGR2GRAY) for crop in context_crops]

    def score_maps(self, kernels, search_crops: np.ndarray) -> np.ndarray:
        per_target = len(search_crops) // len(kernels)
        maps = []
        for index, crop in enumerate(search_crops):
            gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
            response = cv2.matchTemplate(gray, kernels[index // per_target], cv2.TM_CCOEFF_NORMED)  # 129 x 129
            maps.append(cv2.resize(response, (17, 17), interpolation=cv2.INTER_AREA))  # 8-px cells like SiamFC's
        return np.stack(maps).astype(np.float32)

    def select(self, kernels, indices):
        return [kernels[i] for i in indices]


def frames_with_memory(frames: list[np.ndarray], count: int, report: int, samples: list, started: list):
    """Yield `count` frames ping-ponging over `frames`; sample memory before every REPORT-th frame."""
    source = itertools.cycle(frames + frames[-2:0:-1])
    for index in range(count):
        done = index  # frames tracked so far
        if done and (done % report == 0 or done in (100, 500)):
            rss, peak = memory_mb()
            fps = (done - 1) / (time.perf_counter() - started[0])
            samples.append((done, rss, peak))
            print(f"{done:>7} {rss:>8.1f} {peak:>9.1f} {fps:>7.2f}", flush=True)
        if index == 1:
            started[0] = time.perf_counter()  # after init
        yield next(source)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequence", type=Path, default=REPO.parent / "shared" / "sequences" / "Crossing")
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--report", type=int, default=1000, help="print memory every this many frames")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--backend", choices=("torch", "onnx", "template"), default="torch",
                        help="torch: the real tracker; onnx: the real tracker on ONNX Runtime (graphs from the user "
                             "cache, exported on first use); template: the labelled stand-in (see above)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads and args.backend == "torch":
        import torch

        torch.set_num_threads(args.threads)
    sequence = open_sequence(args.sequence)
    frames = [cv2.imread(str(p)) for p in sequence.frame_paths]
    if args.backend == "onnx":
        tracker = SASiamTracker(backend="onnx")  # the shipped weights, exported into the user cache on first use
        what = "the real tracker on ONNX Runtime (fp32)"
    else:
        backend = "torch" if args.backend == "torch" else TemplateBackend()
        tracker = SASiamTracker(precision=args.precision, backend=backend)
        what = (f"the real tracker ({args.precision})" if args.backend == "torch"
                else "STAND-IN: template matching instead of the networks")
    rss, _ = memory_mb()
    print(f"{what}; {len(frames)} frames of {sequence.name} {frames[0].shape[1]}x{frames[0].shape[0]} played back "
          f"and forth; RSS after loading {rss:.1f} MiB", flush=True)
    print(f"{'frames':>7} {'RSS MiB':>8} {'peak MiB':>9} {'fps':>7}", flush=True)
    samples: list = []
    result = track_frames(tracker, frames_with_memory(frames, args.frames, args.report, samples, [time.perf_counter()]),
                          sequence.groundtruth[0], progress=False)
    rss, peak = memory_mb()
    samples.append((args.frames, rss, peak))
    print(f"{args.frames:>7} {rss:>8.1f} {peak:>9.1f} {result.fps:>7.2f}", flush=True)
    finite = bool(np.isfinite(result.boxes).all())
    reference = next((s for s in samples if s[0] >= 1000), samples[0])
    print(f"summary: {what}: {args.frames} frames, RSS {reference[1]:.1f} MiB at frame {reference[0]} -> "
          f"{rss:.1f} MiB at frame {args.frames} (peak {peak:.1f} MiB); {len(result.boxes)} boxes, all finite: {finite}")
    return 0 if finite and len(result.boxes) == args.frames else 1


if __name__ == "__main__":
    sys.exit(main())
