"""Train the ablation models that are missing, assemble each row's checkpoint, evaluate every row.

Everything is resumable: a model whose `log.csv` holds its last epoch is not trained again, a cut
run continues from its last good epoch checkpoint (`training/trainer.py::latest_good_state`), and
the evaluation skips the (row, sequence) pairs whose boxes are saved (`evaluation/benchmark.py`).

    RUNS/<model>/            one training run per model (log.csv, <branch>_epoch_NNN.safetensors, ...)
    RUNS/weights/<row>.safetensors   a combined row's checkpoint (sasiam assemble)
    OUT/models/<model>/      a finished model's config, log and kept weights (`keep_model`; committed, so
                             that a fresh clone's run seeds RUNS from it instead of training: `seed_runs`)
    OUT/results/<row>/       boxes per test sequence; OUT/report.md, report.json (report.py)
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..checkpoint import load_checkpoint
from ..errors import SASiamError
from ..training.experiments import load_split, override
from ..training.settings import load_experiment
from .rows import MODELS, SETTINGS, Model, Row

SHIPPED = Path(__file__).resolve().parents[1] / "weights" / "default.safetensors"


@dataclass(frozen=True)
class Budget:
    """What a model was trained with, for the report: epochs x pairs, and the epoch kept."""
    epochs: int
    pairs_per_epoch: int
    epoch: int | None           # the one kept (best validation AUC); None: not trained yet
    val_auc: float | None
    done: int = 0               # epochs trained so far

    def text(self) -> str:
        if self.epoch is None:
            return f"{self.done} of {self.epochs} epochs x {self.pairs_per_epoch:,} pairs trained"
        auc = f", val AUC {self.val_auc:.3f}" if self.val_auc is not None else ""
        return f"{self.epochs} x {self.pairs_per_epoch:,} pairs, epoch {self.epoch} kept{auc}"


def train_config(model: Model):
    """The model's `TrainConfig` (SETTINGS's branch config with the model's changes) and its experiment."""
    experiment = load_experiment(SETTINGS, model.branch)
    return override(experiment.config, list(model.overrides)), experiment


def read_log(run_dir: Path) -> list[dict]:
    path = run_dir / "log.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def weights_name(model: Model, epoch: int) -> str:
    return f"{'both' if model.branch == 'joint' else model.branch}_epoch_{epoch:03d}.safetensors"


def _auc(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if value != value else value


def budget(model: Model, runs: Path) -> Budget:
    config, _ = train_config(model)
    if model.shipped:
        info = load_checkpoint(SHIPPED).info
        return Budget(config.epochs, int(info.get(f"{model.branch}_pairs_per_epoch", config.pairs_per_epoch)),
                      int(info[f"{model.branch}_epoch"]), _auc(info.get(f"{model.branch}_val_auc")), config.epochs)
    rows = read_log(runs / model.name)
    done = max((int(row["epoch"]) for row in rows), default=0)
    if done < config.epochs:
        return Budget(config.epochs, config.pairs_per_epoch, None, None, done)
    # the rule the shipped weights were picked by: the best validation AUC, the earliest of equals
    best = max(rows, key=lambda row: (_auc(row.get("val_auc")) or -1.0, -int(row["epoch"])))
    if not (runs / model.name / weights_name(model, int(best["epoch"]))).is_file():  # the kept epoch's weights
        return Budget(config.epochs, config.pairs_per_epoch, None, None, done)
    return Budget(config.epochs, config.pairs_per_epoch, int(best["epoch"]), _auc(best.get("val_auc")), done)


KEPT_FILES = ("config.json", "log.csv")


def keep_model(model: Model, runs: Path, kept: Path) -> Path:
    """A finished model's record beside the report: config.json, log.csv and the kept epoch's weights
    (kilobytes for a semantic model; the training states, megabytes each, stay in RUNS). Committed, it
    spares the next run the training (`seed_runs`)."""
    import shutil

    epoch = budget(model, runs).epoch
    if model.shipped or epoch is None:
        raise SASiamError(f"ablation model {model.name} is not trained yet ({runs / model.name})")
    target = kept / model.name
    target.mkdir(parents=True, exist_ok=True)
    for name in KEPT_FILES + (weights_name(model, epoch),):
        if (runs / model.name / name).is_file():
            shutil.copyfile(runs / model.name / name, target / name)
    return target


def seed_runs(kept: Path, runs: Path) -> list[str]:
    """Copy each model record of `kept` that RUNS lacks a finished run of into RUNS; the names seeded."""
    import shutil

    seeded = []
    for model in MODELS.values():
        if model.shipped or not (kept / model.name).is_dir() or budget(model, runs).epoch is not None:
            continue
        if budget(model, kept).epoch is None:
            continue  # an incomplete record: train as usual
        shutil.copytree(kept / model.name, runs / model.name, dirs_exist_ok=True)
        seeded.append(model.name)
    return seeded


def model_weights(model: Model, runs: Path) -> Path:
    """The checkpoint holding the model's kept epoch."""
    if model.shipped:
        return SHIPPED
    kept = budget(model, runs).epoch
    if kept is None:
        raise SASiamError(f"ablation model {model.name} is not trained yet ({runs / model.name})")
    return runs / model.name / weights_name(model, kept)


def train_model(model: Model, runs: Path, cache_dir: Path, progress: bool = True) -> Budget:
    """Train `model` unless its last epoch is logged; a cut run resumes from its last good epoch."""
    from ..training.experiments import run_training  # torch: only when something is trained

    current = budget(model, runs)
    if model.shipped or current.epoch is not None:
        return current
    config, experiment = train_config(model)
    if progress:
        print(f"training {model.name} ({model.about}): {SETTINGS} {model.branch} "
              f"{' '.join('--set ' + o for o in model.overrides)}".rstrip())
    split = load_split(experiment.split)
    run_training(config, experiment.data, runs / model.name, cache_dir, split=split,
                 validation_root=experiment.val_root, resume=True, progress=progress)
    trained = budget(model, runs)
    if trained.epoch is None and trained.done < trained.epochs:  # killed while validating the last epoch
        raise SASiamError(f"{runs / model.name}: {trained.done} of {trained.epochs} epochs logged after training; "
                          "delete the last state_epoch file and run again to redo that epoch")
    if trained.epoch is None:
        raise SASiamError(f"{runs / model.name}: every epoch is logged but the best one's weights file is missing; "
                          "restore it, or delete the folder to train the model again")
    return trained


def row_weights(row: Row, runs: Path, lam: float) -> str:
    """The weights text of a row's tracker spec; a combined row's checkpoint is assembled on first use."""
    from ..training.assemble import assemble

    paths = [model_weights(MODELS[name], runs) for name in row.models]
    if row.kind == "ensemble":
        return "+".join(map(str, paths))
    if row.kind != "both" or len(paths) == 1:
        return str(paths[0])
    out = runs / "weights" / f"{row.key}.safetensors"
    sources = f"{paths[0]} + {paths[1]}"
    if not out.is_file() or load_checkpoint(out).info.get("ablation_sources") != sources:
        out.parent.mkdir(parents=True, exist_ok=True)
        assemble(paths[0], paths[1], out, lam=lam, info={"ablation_sources": sources})
    return str(out)


def row_spec(row: Row, runs: Path, lam: float, precision: str) -> str:
    """The `sasiam eval` tracker spec of a row."""
    options = {"weights": row_weights(row, runs, lam), "precision": precision}
    if row.kind == "ensemble":
        options.update(backend="ensemble", branches=row.branches, lam=lam)
    elif row.kind != "both":
        options["branches"] = row.kind
    return "sasiam:" + ",".join(f"{key}={value}" for key, value in options.items())


def shipped_lambda() -> float:
    return float(load_checkpoint(SHIPPED).lam)


def evaluate_rows(rows: list[Row], runs: Path, out: Path, sequences_root: Path, split: str, precision: str,
                  workers: int = 1, progress: bool = True) -> dict:
    """Run (what is not saved yet) and score each row on the split's sequences: report.json's content,
    keyed by row."""
    from ..data.benchmarks import load_benchmark
    from ..evaluation.benchmark import run_benchmark, score_results

    lam = shipped_lambda()
    specs = [row_spec(row, runs, lam, precision) for row in rows]
    names = [row.key for row in rows]
    sequences = load_benchmark("folder", sequences_root, names=load_split()[split])
    run_benchmark(specs, sequences, out, workers=workers, progress=progress, names=names)
    return score_results(specs, sequences, out, labels=[row.label for row in rows], names=names)
