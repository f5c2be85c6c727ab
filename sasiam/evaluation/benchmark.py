"""Run many trackers over the same sequences, save raw results in the usual
per-sequence text format, and score saved results without re-running.

Layout of DIR (what other tools read):
    DIR/results/<tracker>/<sequence>.txt         one x,y,w,h line per frame
    DIR/results/<tracker>/<sequence>_time.txt    seconds per frame
    DIR/results/<tracker>/<sequence>.error       why a sequence failed (then no .txt)
    DIR/report.json, DIR/report.md, DIR/*.png
"""
from __future__ import annotations

import os
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..data.sequences import open_sequence
from .metrics import aggregate, score_sequence
from .trackers import build_tracker, parse_tracker_spec


def result_path(out_dir: Path, tracker: str, sequence: str, suffix: str = ".txt") -> Path:
    return out_dir / "results" / tracker / f"{sequence}{suffix}"


def run_job(spec_text: str, sequence_dir: str, out_dir: str, threads: int = 0) -> tuple[str, str, str | None]:
    """One tracker on one sequence. Never raises: a failure is written beside the results."""
    from ..evaluation.otb import run_one_pass

    if threads:
        import torch

        torch.set_num_threads(threads)
    spec = parse_tracker_spec(spec_text)
    sequence = open_sequence(sequence_dir)
    out = Path(out_dir)
    boxes_path = result_path(out, spec.name, sequence.name)
    error_path = result_path(out, spec.name, sequence.name, ".error")
    boxes_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = run_one_pass(build_tracker(spec), sequence)
        if not np.isfinite(result.boxes).all():
            raise FloatingPointError("tracker returned a non-finite box")
    except Exception as error:  # noqa: BLE001 - one sequence's failure must not lose the others
        error_path.write_text(f"{type(error).__name__}: {error}\n\n{traceback.format_exc()}")
        boxes_path.unlink(missing_ok=True)
        return spec.name, sequence.name, f"{type(error).__name__}: {error}"
    np.savetxt(boxes_path, result.boxes, fmt="%.3f", delimiter=",")
    np.savetxt(result_path(out, spec.name, sequence.name, "_time.txt"), result.times, fmt="%.6f")
    error_path.unlink(missing_ok=True)
    return spec.name, sequence.name, None


def run_benchmark(specs: list[str], sequence_dirs: list[Path], out_dir: Path, workers: int = 1,
                  rerun: bool = False, progress: bool = True) -> list[tuple[str, str, str | None]]:
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    jobs = []
    for spec_text in specs:
        name = parse_tracker_spec(spec_text).name
        for sequence_dir in sequence_dirs:
            if rerun or not result_path(out_dir, name, sequence_dir.name).is_file():
                jobs.append((spec_text, str(sequence_dir), str(out_dir)))
    jobs = jobs[rank::world]  # under torchrun each rank takes its share
    outcomes = []
    bar = tqdm(total=len(jobs), desc="evaluating", unit="run", disable=not progress)
    if workers <= 1:
        for job in jobs:
            outcomes.append(run_job(*job))
            bar.update(1)
    else:
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(run_job, *job, threads) for job in jobs]
            for future in as_completed(futures):
                outcomes.append(future.result())
                bar.update(1)
    bar.close()
    return outcomes


def read_attributes(sequence_dir: Path) -> list[str]:
    path = sequence_dir / "attributes.txt"
    if not path.is_file():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [tag.strip() for line in lines for tag in line.split(",") if tag.strip()]


def attribute_entry(scores: list) -> dict:
    overall = aggregate(scores)
    return {"auc": overall.auc, "precision": overall.precision, "sequences": len(scores),
            "success_curve": overall.success_curve.tolist()}


def score_results(specs: list[str], sequence_dirs: list[Path], out_dir: Path) -> dict:
    """report.json's content, from the saved result files only."""
    report: dict = {}
    sequences = [(directory, open_sequence(directory)) for directory in sequence_dirs]  # listed once, scored per tracker
    for spec_text in specs:
        name = parse_tracker_spec(spec_text).name
        per_sequence, scores, failed, by_attribute = {}, [], {}, {}
        frames, seconds = 0, 0.0
        for sequence_dir, sequence in sequences:
            boxes_path = result_path(out_dir, name, sequence.name)
            if not boxes_path.is_file():
                error_path = result_path(out_dir, name, sequence.name, ".error")
                failed[sequence.name] = error_path.read_text().splitlines()[0] if error_path.is_file() else "no result"
                continue
            boxes = np.loadtxt(boxes_path, delimiter=",", ndmin=2)
            boxes[0] = sequence.groundtruth[0]  # frame 1 counted as ground truth (GOT-10k toolkit)
            score = score_sequence(boxes, sequence.groundtruth[: len(boxes)])
            times = np.loadtxt(result_path(out_dir, name, sequence.name, "_time.txt"), ndmin=1)
            frames += len(times) - 1
            seconds += float(times[1:].sum())
            scores.append(score)
            per_sequence[sequence.name] = {"auc": score.auc, "precision": score.precision,
                                           "normalized_precision": score.normalized_precision,
                                           "fps": (len(times) - 1) / max(float(times[1:].sum()), 1e-9),
                                           "frames": int(len(boxes))}
            for attribute in read_attributes(sequence_dir):
                by_attribute.setdefault(attribute, []).append(score)
        entry = {"spec": spec_text, "sequences": per_sequence, "failed": failed}
        if scores:
            overall = aggregate(scores)
            entry.update(auc=overall.auc, precision=overall.precision,
                         normalized_precision=overall.normalized_precision,
                         fps=frames / seconds if seconds else float("nan"),
                         success_curve=overall.success_curve.tolist(), precision_curve=overall.precision_curve.tolist(),
                         attributes={attribute: attribute_entry(s) for attribute, s in sorted(by_attribute.items())})
        report[name] = entry
    return report
