"""What `sasiam eval-vot` (sasiam/commands/eval_vot.py) runs: the VOT reset-based protocol
(see `vot.py`) for one or more trackers over VOT-layout sequences or the shared folder layout,
with the raw results in the toolkit's own workspace layout and a report of A, R and EAO.

Sequences: DATA/list.txt names the sequence folders (VOT layout; without it, every
sub-folder with ground truth). Ground truth: `groundtruth.txt` (VOT), else
`groundtruth_original.txt` (the shared folders' polygons), else `groundtruth_rect.txt`.
Frames: `color/`, else `img/`, else the images in the sequence folder itself. These are the
rules `sasiam.data.layouts.vot.EVAL_VOT_FILES` names (`sasiam eval --dataset vot*` reads the
same layout by `TOOLKIT_FILES`); regions stay polygons, scored as vot-toolkit does.

Layout of OUT (the same as a vot-toolkit workspace, so either can score the other's runs):
    OUT/results/<tracker>/baseline/<sequence>/<sequence>_001.txt        1 init, 2 failure, 0 skipped, else x,y,w,h
    OUT/results/<tracker>/baseline/<sequence>/<sequence>_001_time.value  seconds per frame
    OUT/report.json, OUT/report.md
"""
from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from ..data.layouts import vot as vot_layout
from ..data.layouts.folders import list_images
from ..errors import InputSourceError, SASiamError
from .trackers import build_tracker, parse_tracker_spec
from .vot import (Region, SequenceRuns, Special, VOTScore, VOTSettings, load_frame, read_trajectory, run_supervised,
                  write_trajectory)

FILES = vot_layout.EVAL_VOT_FILES
GROUNDTRUTH_FILES = FILES.groundtruth
EXPERIMENT = "baseline"


@dataclass
class VOTSequence:
    name: str
    frame_paths: list[Path]
    groundtruth: list[Region]
    size: tuple[int, int]  # width, height: the overlap is counted inside it


def open_vot_sequence(folder: Path) -> VOTSequence:
    truth_file = vot_layout.groundtruth_file(folder, FILES)
    if truth_file is None:
        raise InputSourceError(f"{folder}: no ground truth ({', '.join(GROUNDTRUTH_FILES)})")
    frame_folder = vot_layout.frame_folder(folder, FILES)
    frames = list_images(frame_folder)
    if not frames:
        raise InputSourceError(f"{frame_folder}: holds no image files")
    try:
        truth = read_trajectory(truth_file)
    except ValueError as error:
        raise InputSourceError(str(error)) from None
    if len(truth) > len(frames):
        raise InputSourceError(f"{truth_file}: {len(truth)} regions for {len(frames)} frames")
    truth += [Special(0)] * (len(frames) - len(truth))  # as the toolkit pads a short ground truth
    metadata = vot_layout.read_properties(folder)
    if metadata.get("width", "").isdigit() and metadata.get("height", "").isdigit():
        size = int(metadata["width"]), int(metadata["height"])
    else:
        height, width = load_frame(frames[0]).shape[:2]
        size = width, height
    return VOTSequence(folder.name, frames, truth, size)


def find_sequences(data: Path, names: list[str] | None = None) -> list[Path]:
    if not data.is_dir():
        raise SASiamError(f"{data}: no such folder of sequences")
    folders = vot_layout.sequence_folders(data, FILES)
    if names is not None:
        missing = sorted(set(names) - {f.name for f in folders})
        if missing:
            raise SASiamError(f"{data}: missing sequences {', '.join(missing)}")
        folders = [f for f in folders if f.name in names]
    if not folders:
        raise SASiamError(f"{data}: holds no sequences (list.txt or folders with {GROUNDTRUTH_FILES[0]})")
    return folders


def run_path(out: Path, tracker: str, sequence: str, repetition: int = 1, suffix: str = ".txt") -> Path:
    return out / "results" / tracker / EXPERIMENT / sequence / f"{sequence}_{repetition:03d}{suffix}"


def run_tracker(spec_text: str, sequences: list[VOTSequence], out: Path, settings: VOTSettings,
                rerun: bool = False, progress: bool = True) -> None:
    spec = parse_tracker_spec(spec_text)
    tracker = None
    for sequence in sequences:
        path = run_path(out, spec.name, sequence.name)
        if path.is_file() and not rerun:
            continue
        tracker = tracker or build_tracker(spec)
        with tqdm(total=len(sequence.groundtruth), desc=f"{spec.name} {sequence.name}", unit="frame",
                  disable=not progress, leave=False) as bar:
            run = run_supervised(tracker, lambda i: load_frame(sequence.frame_paths[i]), sequence.groundtruth,
                                 sequence.size, settings, on_frame=lambda i: bar.update(i + 1 - bar.n))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_trajectory(path, run.trajectory)
        path.with_name(path.stem + "_time.value").write_text(
            "".join(f"{t}\n" if t is not None else "\n" for t in run.times))


def _read_times(path: Path) -> list[float | None]:
    if not path.is_file():
        return []
    return [float(line) if line.strip() else None for line in path.read_text().splitlines()]


def load_runs(out: Path, tracker: str, sequences: list[VOTSequence]) -> list[SequenceRuns]:
    """All repetitions of `tracker` found under OUT/results, text or the toolkit's .bin."""
    runs = []
    for sequence in sequences:
        trajectories, times = [], []
        repetition = 1
        while True:
            found = [run_path(out, tracker, sequence.name, repetition, s) for s in (".txt", ".bin")]
            found = [p for p in found if p.is_file()]
            if not found:
                break
            try:
                trajectory = read_trajectory(found[0])
            except (ValueError, struct.error) as error:  # a damaged file, or regions we do not read (masks)
                raise InputSourceError(f"{found[0]}: cannot read the trajectory: {error}") from None
            if len(trajectory) != len(sequence.groundtruth):
                raise SASiamError(f"{found[0]}: {len(trajectory)} frames, the sequence has {len(sequence.groundtruth)}")
            trajectories.append(trajectory)
            times.append(_read_times(found[0].with_name(found[0].stem + "_time.value")))
            repetition += 1
        if not trajectories:
            raise SASiamError(f"{out / 'results' / tracker}: no results for sequence {sequence.name}")
        runs.append(SequenceRuns(sequence.name, sequence.groundtruth, sequence.size, trajectories, times))
    return runs


def tracker_report(result: VOTScore, settings: VOTSettings) -> dict:
    entry = result.as_dict()
    fps = [s["fps"] for s in result.sequences.values() if s["fps"]]
    frames = [s["frames"] for s in result.sequences.values() if s["fps"]]
    entry["fps"] = (sum(frames) / sum(f / r for f, r in zip(frames, fps))) if fps else None
    entry["eao_interval"] = list(settings.eao_interval)
    return entry


def write_report(report: dict, out: Path, settings: VOTSettings) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({"settings": asdict(settings), "trackers": report}, indent=2) + "\n")
    low, high = settings.eao_interval
    lines = ["# VOT reset-based evaluation\n",
             f"Re-initialisation {settings.skip_initialize} frames after a failure (overlap <= "
             f"{settings.failure_overlap:g}), {settings.burnin} burn-in frames left out of accuracy, "
             f"EAO over lengths {low}..{high}. R: failures per sequence, weighted by length (vot-toolkit's R).\n",
             "| tracker | A | R | failures | EAO | frames | fps |", "|---|---|---|---|---|---|---|"]
    for name, e in report.items():
        lines.append(f"| {name} | {e['accuracy']:.3f} | {e['robustness']:.3f} | {e['failures']:g} | "
                     f"{format_score(e['eao'])} | {e['frames']} | {format_score(e['fps'], '.1f')} |")
    for name, e in report.items():
        lines += [f"\n## {name}\n", "| sequence | A | failures | EAO | frames |", "|---|---|---|---|---|"]
        for seq, s in e["sequences"].items():
            lines.append(f"| {seq} | {s['accuracy']:.3f} | {s['failures']:g} | {format_score(s['eao'])} | "
                         f"{s['frames']} |")
    (out / "report.md").write_text("\n".join(lines) + "\n")


def format_score(value, spec: str = ".3f") -> str:
    """A score, or n/a where there is none (an EAO interval past every run, no timings)."""
    return "n/a" if value is None else format(value, spec)
