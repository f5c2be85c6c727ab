"""Run many trackers over the same sequences, save raw results in the usual
per-sequence text format, and score saved results without re-running.

Layout of DIR (what other tools read):
    DIR/results/<tracker>/<sequence>.txt         one x,y,w,h line per frame
    DIR/results/<tracker>/<sequence>_time.txt    seconds per frame
    DIR/results/<tracker>/<sequence>.error       why a sequence failed (then no .txt)
    DIR/shards/rank-<r>-of-<w>.tsv               under torchrun: the runs each rank did
    DIR/report.json, DIR/report.md, DIR/*.png   (legends and tables show each tracker's label)

Sequences come from `sasiam.data.benchmarks.load_benchmark` (any benchmark, already
cut to the evaluated frames); a job carries its `Sequence` itself, which pickles, so
worker processes need not know the benchmark's layout.

Under torchrun (RANK / WORLD_SIZE / MASTER_ADDR set) each rank runs `jobs[rank::world]`.
`Shard` joins a gloo process group so that ranks can wait for each other: once after
listing the jobs (a rank that starts late would otherwise see results another rank
already wrote, list fewer jobs and shift the split), and once before rank 0 scores.
A barrier is exact, where rank 0 polling for result files would have to guess which
files to expect and how long to wait; if a rank dies, torchrun stops the others.
"""
from __future__ import annotations

import os
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm import tqdm

from ..data.layouts.otb import read_attributes
from ..data.sequences import Sequence, open_sequence
from ..errors import SASiamError
from .metrics import aggregate, score_sequence
from .trackers import build_tracker, default_labels, parse_tracker_spec

# Ranks wait at a barrier for the slowest one; a whole benchmark on one CPU can take many hours.
SHARD_TIMEOUT = timedelta(hours=48)


@dataclass
class Shard:
    """This process's place in a run sharded by rank (rank 0 of 1 when not under torchrun)."""

    rank: int = 0
    world: int = 1
    grouped: bool = False  # a torch.distributed process group is up, so barrier() waits for every rank

    @classmethod
    def from_environment(cls) -> "Shard":
        return cls(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")))

    def barrier(self) -> None:
        if self.grouped:
            import torch.distributed as dist

            dist.barrier()


@contextmanager
def shard_group() -> Iterator[Shard]:
    """The Shard of this process, with a gloo group joined while WORLD_SIZE > 1."""
    shard = Shard.from_environment()
    if shard.world <= 1:
        yield shard
        return
    if not (os.environ.get("MASTER_ADDR") and os.environ.get("MASTER_PORT")):
        raise SASiamError(f"WORLD_SIZE={shard.world} but MASTER_ADDR/MASTER_PORT are not set: "
                          "launch sharded runs with torchrun")
    import torch.distributed as dist

    dist.init_process_group("gloo", rank=shard.rank, world_size=shard.world, timeout=SHARD_TIMEOUT)
    try:
        yield Shard(shard.rank, shard.world, grouped=True)
    finally:
        dist.destroy_process_group()


def result_path(out_dir: Path, tracker: str, sequence: str, suffix: str = ".txt") -> Path:
    return out_dir / "results" / tracker / f"{sequence}{suffix}"


def _as_sequence(item: Sequence | Path | str) -> Sequence:
    """A Sequence as it is; a path (the former API) as an OTB-layout folder."""
    if isinstance(item, Sequence):
        return item
    sequence = open_sequence(item)
    sequence.attributes = read_attributes(Path(item))
    return sequence


def run_job(spec_text: str, sequence: Sequence | Path | str, out_dir: str,
            threads: int = 0, folder: str | None = None) -> tuple[str, str, str | None]:
    """One tracker on one sequence, its results under `folder` (default: the spec's name). Never raises:
    a failure is written beside the results."""
    from ..evaluation.otb import run_one_pass

    if threads:
        import torch

        torch.set_num_threads(threads)
    spec = parse_tracker_spec(spec_text)
    folder = folder or spec.name
    out = Path(out_dir)
    name = sequence.name if isinstance(sequence, Sequence) else Path(sequence).name
    boxes_path = result_path(out, folder, name)
    error_path = result_path(out, folder, name, ".error")
    boxes_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = run_one_pass(build_tracker(spec), _as_sequence(sequence))
        if not np.isfinite(result.boxes).all():
            raise FloatingPointError("tracker returned a non-finite box")
    except Exception as error:  # noqa: BLE001 - one sequence's failure must not lose the others
        error_path.write_text(f"{type(error).__name__}: {error}\n\n{traceback.format_exc()}")
        boxes_path.unlink(missing_ok=True)
        return folder, name, f"{type(error).__name__}: {error}"
    np.savetxt(boxes_path, result.boxes, fmt="%.3f", delimiter=",")
    np.savetxt(result_path(out, folder, name, "_time.txt"), result.times, fmt="%.6f")
    error_path.unlink(missing_ok=True)
    return folder, name, None


def run_benchmark(specs: list[str], sequences: list[Sequence | Path], out_dir: Path, workers: int = 1,
                  rerun: bool = False, progress: bool = True, shard: Shard | None = None,
                  names: list[str] | None = None) -> list[tuple[str, str, str | None]]:
    """Run every tracker on every sequence that has no saved result yet (all of them with rerun).

    names: each spec's result folder (default: the spec's `TrackerSpec.name`).

    shard: this rank's place under torchrun (default: RANK / WORLD_SIZE from the
    environment, without waiting for the other ranks).
    """
    shard = shard or Shard.from_environment()
    sequences = [_as_sequence(s) for s in sequences]
    jobs = []
    for spec_text, name in zip(specs, result_folders(specs, names)):
        for sequence in sequences:
            if rerun or not result_path(out_dir, name, sequence.name).is_file():
                jobs.append((spec_text, sequence, str(out_dir), name))
    jobs = jobs[shard.rank::shard.world]  # under torchrun each rank takes its share
    shard.barrier()  # every rank has listed its jobs before any rank writes a result
    outcomes = []
    bar = tqdm(total=len(jobs), desc="evaluating" if shard.world == 1 else f"rank {shard.rank}/{shard.world}",
               unit="run", disable=not progress)
    if workers <= 1:
        for spec_text, sequence, out, name in jobs:
            outcomes.append(run_job(spec_text, sequence, out, folder=name))
            bar.update(1)
    else:
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(run_job, spec_text, sequence, out, threads, name)
                       for spec_text, sequence, out, name in jobs]
            for future in as_completed(futures):
                outcomes.append(future.result())
                bar.update(1)
    bar.close()
    if shard.world > 1:
        log = Path(out_dir) / "shards" / f"rank-{shard.rank}-of-{shard.world}.tsv"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(f"{tracker}\t{sequence}\t{error or 'ok'}\n"
                               for tracker, sequence, error in sorted(outcomes, key=lambda o: o[:2])))
    return outcomes


def attribute_entry(scores: list) -> dict:
    overall = aggregate(scores)
    return {"auc": overall.auc, "precision": overall.precision, "sequences": len(scores),
            "success_curve": overall.success_curve.tolist()}


def result_folders(specs: list[str], names: list[str] | None = None) -> list[str]:
    """Each spec's result folder: `names` where given, else the spec's `TrackerSpec.name`."""
    if names is None:
        return [parse_tracker_spec(spec).name for spec in specs]
    if len(names) != len(specs) or len(set(names)) != len(names):
        raise SASiamError(f"{len(names)} result folders for {len(specs)} trackers: give one distinct name per tracker")
    return list(names)


def score_results(specs: list[str], sequences: list[Sequence | Path], out_dir: Path,
                  labels: list[str] | None = None, names: list[str] | None = None) -> dict:
    """report.json's content, from the saved result files only; keyed by result folder name (`names`, else
    each spec's name), each entry with its spec and the label legends and tables show (default:
    `default_labels(specs)`)."""
    if labels is not None and len(labels) != len(specs):
        raise SASiamError(f"{len(labels)} labels for {len(specs)} trackers: give one label per tracker, in order")
    labels = list(labels) if labels is not None else default_labels(specs)
    report: dict = {}
    sequences = [_as_sequence(s) for s in sequences]  # opened once, scored per tracker
    for spec_text, label, name in zip(specs, labels, result_folders(specs, names)):
        per_sequence, scores, failed, by_attribute = {}, [], {}, {}
        frames, seconds = 0, 0.0
        for sequence in sequences:
            boxes_path = result_path(out_dir, name, sequence.name)
            if not boxes_path.is_file():
                error_path = result_path(out_dir, name, sequence.name, ".error")
                failed[sequence.name] = error_path.read_text().splitlines()[0] if error_path.is_file() else "no result"
                continue
            boxes = np.loadtxt(boxes_path, delimiter=",", ndmin=2)
            if len(boxes) != len(sequence):  # e.g. saved for a full folder, scored on a cut range
                failed[sequence.name] = (f"{boxes_path} has {len(boxes)} boxes for {len(sequence)} frames "
                                         "(results of another run? --rerun)")
                continue
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
            for attribute in sequence.attributes:
                by_attribute.setdefault(attribute, []).append(score)
        entry = {"spec": spec_text, "label": label, "sequences": per_sequence, "failed": failed}
        if scores:
            overall = aggregate(scores)
            entry.update(auc=overall.auc, precision=overall.precision,
                         normalized_precision=overall.normalized_precision,
                         fps=frames / seconds if seconds else float("nan"),
                         success_curve=overall.success_curve.tolist(), precision_curve=overall.precision_curve.tolist(),
                         attributes={attribute: attribute_entry(s) for attribute, s in sorted(by_attribute.items())})
        report[name] = entry
    return report
