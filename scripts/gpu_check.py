"""The GPU check of issue 16, in one run: training pairs/s of every actor with validation on the GPU,
tracking fps per path, many targets, and CPU-vs-CUDA box agreement. `scripts/gpu_check.sh` installs
what the machine lacks and runs this; it is sized to finish in under 8 minutes on an H100/H200.

    python scripts/gpu_check.py [--sequences DIR] [--device cuda] [--quick]

Data: DIR (OTB layout, e.g. ../shared/sequences copied beside the repository) when given and it holds
David; otherwise the bundled demo clip (real photographs composited, `sasiam/data/demo_clip.py`)
written as an OTB folder, so the check runs on a bare machine. `--device cpu --quick` runs the same
steps on a CPU in about a minute (the test suite does, so the script cannot rot between GPU loans).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sasiam.backends.torch import load  # noqa: E402
from sasiam.data.demo_clip import make_demo_clip  # noqa: E402
from sasiam.data.sequences import open_sequence  # noqa: E402
from sasiam.evaluation.bench_targets import run_bench as bench_targets  # noqa: E402
from sasiam.evaluation.metrics import overlaps  # noqa: E402
from sasiam.tracking.tracker import SASiamTracker  # noqa: E402

TRAIN_SEQUENCES = ("vot_bag", "Dudek_first20", "Football1")  # used when --sequences holds them
VAL_SEQUENCES = ("Woman",)


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def demo_sequences(root: Path) -> tuple[Path, list[str], list[str]]:
    """The demo clip as OTB folders: `demo` for tracking and training, its reverse for validation."""
    clip = make_demo_clip()
    for name, order in (("demo", range(len(clip.frames))), ("demo_reversed", reversed(range(len(clip.frames))))):
        folder = root / name
        (folder / "img").mkdir(parents=True, exist_ok=True)
        lines = []
        for index, source in enumerate(order, start=1):
            cv2.imwrite(str(folder / "img" / f"{index:04d}.jpg"), clip.frames[source])
            lines.append(",".join(f"{v:.2f}" for v in clip.boxes[source]))
        (folder / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    return root, ["demo"], ["demo_reversed"]


def choose_data(sequences: Path | None, scratch: Path) -> tuple[Path, list[str], list[str], Path]:
    """(root, train names, val names, tracking sequence)."""
    if sequences is not None and (sequences / "David").is_dir():
        train = [n for n in TRAIN_SEQUENCES if (sequences / n).is_dir()]
        val = [n for n in VAL_SEQUENCES if (sequences / n).is_dir()]
        if train and val:
            return sequences, train, val, sequences / "David"
    root, train, val = demo_sequences(scratch / "demo_sequences")
    return root, train, val, root / "demo"


def train_rates(device: str, root: Path, train: list[str], val: list[str], scratch: Path, quick: bool) -> None:
    """Each actor for 2 epochs (joint: 1) with validation after each, on `device`."""
    split = scratch / "split.json"
    split.write_text(json.dumps({"train": train, "val": val, "test": []}))
    pairs = 16 if quick else 8000
    for branch, epochs in (("appearance", 2), ("semantic", 2), ("joint", 1)):
        run_dir = scratch / f"train_{branch}"
        command = [sys.executable, "-m", "sasiam", "train", branch, "--data", f"otb:{root}", "--split", str(split),
                   "--val-root", str(root), "--run-dir", str(run_dir), "--cache-dir", str(scratch / "cache"),
                   "--quiet", "--set", f"device={device}", "--set", f"epochs={epochs}",
                   "--set", f"pairs_per_epoch={pairs // (4 if branch == 'joint' else 1)}",
                   "--set", f"workers={0 if quick else 4}", "--set", "still_fraction=0"]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            print(f"{branch}: FAILED (exit {result.returncode}) after {wall:.0f} s\n{result.stderr[-1500:]}")
            continue
        rows = list(csv.DictReader((run_dir / "log.csv").open()))
        each = "; ".join(f"epoch {r['epoch']}: {float(r['pairs_per_s']):.0f} pairs/s, val AUC {r['val_auc']}"
                         for r in rows)
        print(f"{branch}: {each}  ({wall:.0f} s with caching and validation)", flush=True)
    if device.startswith("cuda") and torch.cuda.device_count() < 2:
        print("torchrun with NCCL: skipped, one GPU (NCCL refuses two ranks on one GPU)")
    elif device.startswith("cuda"):
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
                   "sasiam", "train", "appearance", "--data", f"otb:{root}", "--split", str(split), "--val-root",
                   str(root), "--run-dir", str(scratch / "train_ddp"), "--cache-dir", str(scratch / "cache"),
                   "--quiet", "--set", f"device={device}", "--set", "epochs=2", "--set", f"pairs_per_epoch={pairs}"]
        result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        rows = list(csv.DictReader((scratch / "train_ddp" / "log.csv").open())) if result.returncode == 0 else []
        print("torchrun 2 x NCCL appearance: " + ("; ".join(f"epoch {r['epoch']} {r['pairs_per_s']} pairs/s" for r in rows)
                                                  or f"FAILED\n{result.stderr[-1500:]}"))


def frames_of(sequence: Path, count: int) -> tuple[list[np.ndarray], tuple[float, ...]]:
    opened = open_sequence(sequence)
    frames = []
    for frame in opened.frames():
        frames.append(frame)
        if len(frames) == count:
            break
    return frames, tuple(opened.first_box)


def timed_track(backend, frames, box, warmup: int) -> tuple[np.ndarray, float]:
    """Boxes of every update, and the median seconds of the updates after `warmup`."""
    tracker = SASiamTracker(backend=backend)
    tracker.init(frames[0], box)
    boxes, seconds = [], []
    for frame in frames[1:]:
        started = time.perf_counter()
        boxes.append(tracker.update(frame))
        seconds.append(time.perf_counter() - started)
    return np.array(boxes), statistics.median(seconds[warmup:])


def mean_iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(overlaps(np.asarray(a, dtype=float), np.asarray(b, dtype=float))))


def tracking_paths(device: str, sequence: Path, quick: bool) -> None:
    warmup, updates = (2, 4) if quick else (20, 300)
    frames, box = frames_of(sequence, 1 + warmup + updates)
    paths = [("fp32 eager", dict(precision="fp32", cuda_graphs=False)),
             ("fp32 CUDA graph", dict(precision="fp32")),
             ("bf16 CUDA graph", dict(precision="bf16")),
             ("appearance only, fp32 CUDA graph", dict(precision="fp32", branches="appearance")),
             ("semantic only, fp32 CUDA graph", dict(precision="fp32", branches="semantic"))]
    if not device.startswith("cuda"):
        paths = [(name.replace("CUDA graph", "eager"), dict(options, cuda_graphs=False)) for name, options in paths]
    boxes = {}
    print(f"{sequence.name}: {len(frames) - 1} updates, median after {warmup} warm-up")
    for name, options in paths:
        branches = options.pop("branches", "both")
        backend = load(branches=branches, device=device, **options)
        boxes[name], seconds = timed_track(backend, frames, box, warmup)
        print(f"{name:34s} {1000 * seconds:7.2f} ms  {1 / seconds:7.1f} fps", flush=True)
        del backend
    eager, graphed = boxes[paths[0][0]], boxes[paths[1][0]]
    print(f"mean IoU fp32 graph vs eager: {mean_iou(graphed, eager):.4f} "
          f"(max box difference {np.abs(graphed - eager).max():.2e} px)")
    cpu_frames = frames[: 1 + (4 if quick else 60)]
    cpu_boxes, _ = timed_track(load(device="cpu", precision="fp32"), cpu_frames, box, 0)
    print(f"mean IoU CPU fp32 vs {device} fp32 eager over {len(cpu_boxes)} updates: "
          f"{mean_iou(cpu_boxes, eager[: len(cpu_boxes)]):.4f}")


def many_targets(device: str, sequence: Path, quick: bool) -> None:
    """Batched N targets against N separate trackers; on CUDA also with TF32 convolutions off, which
    tells a TF32 rounding difference between batch sizes from a bug."""
    counts = [1, 4] if quick else [1, 4, 16]
    settings = [("default", torch.backends.cudnn.allow_tf32)]
    if device.startswith("cuda"):
        settings.append(("TF32 off", False))
    for label, allow_tf32 in settings:
        torch.backends.cudnn.allow_tf32 = allow_tf32
        results, updates, _ = bench_targets(sequence, counts, lambda: SASiamTracker(device=device),
                                            updates=4 if quick else 20, repeats=1 if quick else 3, progress=False)
        for r in results:
            print(f"[{label}] {r.targets:2d} targets: {r.target_fps:8.1f} target-updates/s, {r.fps:7.1f} fps, "
                  f"separate {r.separate_fps:7.1f} fps, speedup {r.speedup:5.2f}x, "
                  f"batched vs separate boxes differ by {r.max_box_difference:.2e} px", flush=True)
    torch.backends.cudnn.allow_tf32 = settings[0][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=Path, help="OTB-layout sequences (default: the demo clip)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="a few pairs and frames: checks the script runs")
    parser.add_argument("--skip", default="", help="comma-separated steps to skip: train,track,targets,bench")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    started = time.perf_counter()
    section("machine")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"{os.cpu_count()} CPUs, device {args.device}"
          + (f": {torch.cuda.get_device_name(args.device)}" if args.device.startswith("cuda") else ""))
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as scratch_name:
        scratch = Path(scratch_name)
        root, train, val, sequence = choose_data(args.sequences, scratch)
        print(f"data: {root} (train {', '.join(train)}; val {', '.join(val)}; tracking {sequence.name})")
        if "train" not in skip:
            section("training: pairs/s with validation on the training device")
            train_rates(args.device, root, train, val, scratch, args.quick)
        if "track" not in skip:
            section("tracking fps per path (tracker.update, median)")
            tracking_paths(args.device, sequence, args.quick)
        if "targets" not in skip:
            section("many targets: one batch against separate trackers")
            many_targets(args.device, sequence, args.quick)
        if "bench" not in skip:
            section("sasiam bench: stages (CUDA events on a GPU)")
            frames = 5 if args.quick else 100
            command = [sys.executable, "-m", "sasiam", "bench", str(sequence), "--device", args.device, "--quiet",
                       "--no-opencv", "--frames", str(frames), "--warmup", "2" if args.quick else "20",
                       "--repeats", "1" if args.quick else "3", "--json", str(scratch / "bench.json"),
                       "--peak-size", "256" if args.quick else "4096"]
            result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
            print(result.stdout if result.returncode == 0 else f"FAILED\n{result.stderr[-1500:]}")
    print(f"\ngpu_check done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
