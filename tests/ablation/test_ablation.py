"""sasiam/ablation: the rows' models, resuming without retraining, the report's verdicts, the command's errors.
(Each semantic variant building and running forward, attention off giving weights exactly 1: tests/models/
test_branches.py; the ensemble averaging maps: tests/backends/test_ensemble.py.)"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sasiam.ablation import runner
from sasiam.ablation.report import claim_verdict, write_markdown
from sasiam.ablation.rows import CLAIMS, MODELS, ROWS, Claim
from sasiam.cli import main


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_has_a_train_config_of_its_variant(name):
    model = MODELS[name]
    config, experiment = runner.train_config(model)
    assert config.branch == model.branch and experiment.data
    basic = name in ("S1", "S2", "J")
    assert (config.multilevel, config.attention) == ((False, False) if basic else
                                                     {"S-ML": (True, False), "S-Att": (False, True)}.get(name, (True, True)))
    assert config.seed == (1 if name in ("S2", "A2") else 0)


def test_rows_use_known_models_and_claims_known_rows():
    keys = {row.key for row in ROWS}
    assert all(name in MODELS for row in ROWS for name in row.models)
    assert all(c.better in keys and set(c.worse) <= keys for c in CLAIMS)
    assert {row.kind for row in ROWS if len(row.models) == 2} == {"both", "ensemble"}


def _fake_run(runs: Path, name: str, epochs: int, aucs: list[float], branch: str) -> None:
    folder = runs / name
    folder.mkdir(parents=True)
    with (folder / "log.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["epoch", "loss", "val_auc"])
        writer.writeheader()
        for epoch, auc in enumerate(aucs[:epochs], 1):
            writer.writerow({"epoch": epoch, "loss": 1.0, "val_auc": auc})
            (folder / f"{branch}_epoch_{epoch:03d}.safetensors").write_bytes(b"weights")


def test_finished_model_is_not_trained_again_and_its_best_epoch_is_kept(tmp_path, monkeypatch):
    import sasiam.training.experiments as experiments

    calls = []
    monkeypatch.setattr(experiments, "run_training", lambda *a, **k: calls.append(k))
    _fake_run(tmp_path, "S1", 5, [0.30, 0.41, 0.41, 0.35, 0.38], "semantic")
    kept = runner.train_model(MODELS["S1"], tmp_path, tmp_path / "cache", progress=False)
    assert calls == [] and kept.epoch == 2 and kept.val_auc == pytest.approx(0.41)  # the earliest of equals
    assert runner.model_weights(MODELS["S1"], tmp_path) == tmp_path / "S1" / "semantic_epoch_002.safetensors"


def test_cut_model_resumes_and_an_untrained_one_starts(tmp_path, monkeypatch):
    import sasiam.training.experiments as experiments

    calls = []

    def fake_training(config, data, run_dir, cache_dir, **options):
        calls.append((Path(run_dir).name, options["resume"]))
        done = len(runner.read_log(Path(run_dir)))
        Path(run_dir).mkdir(exist_ok=True)
        for epoch in range(done + 1, config.epochs + 1):  # what the trainer would add
            (Path(run_dir) / f"semantic_epoch_{epoch:03d}.safetensors").write_bytes(b"w")
        with (Path(run_dir) / "log.csv").open("a", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=["epoch", "loss", "val_auc"])
            if not done:
                writer.writeheader()
            for epoch in range(done + 1, config.epochs + 1):
                writer.writerow({"epoch": epoch, "loss": 1.0, "val_auc": 0.1 * epoch})

    monkeypatch.setattr(experiments, "run_training", fake_training)
    _fake_run(tmp_path, "S-ML", 2, [0.5, 0.6], "semantic")
    assert runner.budget(MODELS["S-ML"], tmp_path).epoch is None  # 2 of 5: not finished
    resumed = runner.train_model(MODELS["S-ML"], tmp_path, tmp_path, progress=False)
    assert resumed.done == 5 and resumed.epoch == 2  # epochs 3-5 logged 0.3..0.5: the cut run's 0.6 stays best
    assert runner.train_model(MODELS["S-Att"], tmp_path, tmp_path, progress=False).epoch == 5
    assert calls == [("S-ML", True), ("S-Att", True)]
    runner.train_model(MODELS["S-ML"], tmp_path, tmp_path, progress=False)
    assert len(calls) == 2  # finished now: not trained a third time


def test_shipped_models_read_their_budget_from_the_default_weights(tmp_path):
    appearance = runner.budget(MODELS["A1"], tmp_path)
    assert appearance.epoch == 6 and appearance.epochs == 7 and appearance.pairs_per_epoch == 8000
    assert runner.model_weights(MODELS["S"], tmp_path) == runner.SHIPPED


def _entry(auc: float, per_sequence: dict[str, float]) -> dict:
    return {"auc": auc, "precision": 0.5, "sequences": {n: {"auc": a} for n, a in per_sequence.items()}}


def test_claim_verdicts_follow_the_scores():
    claim = Claim("x", "A1+S1", ("A1", "S1"))
    scores = {"A1+S1": _entry(0.55, {"a": 0.6, "b": 0.5}), "A1": _entry(0.50, {"a": 0.5, "b": 0.5}),
              "S1": _entry(0.60, {"a": 0.7, "b": 0.5})}
    here, paper, verdict, wins = claim_verdict(claim, scores)
    assert verdict == "partly" and here == "+0.050 vs A1; -0.050 vs S1" and wins == "1/2, 0/2"
    assert paper == "+0.050 vs A1; +0.042 vs S1"
    scores["S1"] = _entry(0.40, {"a": 0.4, "b": 0.4})
    assert claim_verdict(claim, scores)[2] == "yes"
    assert claim_verdict(claim, {"A1+S1": scores["A1+S1"]})[2] == "not measured yet"


def test_report_lays_out_every_row_with_the_paper_numbers(tmp_path):
    budgets = {name: runner.budget(model, tmp_path) for name, model in MODELS.items()}
    text = write_markdown({"A1": _entry(0.5, {"David": 0.5})}, budgets,
                          {"command": "sasiam ablate --data x", "split": "test", "sequences": ["David"],
                           "precision": "fp32", "lam": 0.1, "cpu": "cpu"})
    assert "| ✓ |  |  |  | 0.500 | 0.500 | 0.599 | 0.811 |" in text
    assert all(f"{row.paper[0]:.3f}" in text for row in ROWS)
    assert "0 of 7 epochs x 8,000 pairs trained" in text and "Not measured yet" in text


def test_unknown_row_is_one_line_and_exit_code_2(capsys, tmp_path):
    assert main(["ablate", "--data", str(tmp_path), "--rows", "A1,B7", "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err.strip()
    assert "unknown row 'B7'" in error and "\n" not in error


def test_a_kept_model_record_seeds_a_fresh_runs_folder_without_training(tmp_path, monkeypatch):
    import sasiam.training.experiments as experiments

    monkeypatch.setattr(experiments, "run_training", lambda *a, **k: pytest.fail("trained again"))
    _fake_run(tmp_path / "runs", "S1", 5, [0.30, 0.41, 0.45, 0.35, 0.38], "semantic")
    (tmp_path / "runs" / "S1" / "config.json").write_text("{}")
    record = runner.keep_model(MODELS["S1"], tmp_path / "runs", tmp_path / "kept")
    assert sorted(p.name for p in record.iterdir()) == ["config.json", "log.csv", "semantic_epoch_003.safetensors"]
    fresh = tmp_path / "fresh"
    assert runner.seed_runs(tmp_path / "kept", fresh) == ["S1"]
    assert runner.train_model(MODELS["S1"], fresh, tmp_path / "cache", progress=False).epoch == 3
    assert runner.seed_runs(tmp_path / "kept", fresh) == []  # finished there now: nothing to copy
    (fresh / "S1" / "semantic_epoch_003.safetensors").unlink()  # the kept epoch's weights lost: not finished
    assert runner.budget(MODELS["S1"], fresh).epoch is None
