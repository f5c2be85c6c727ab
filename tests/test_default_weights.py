"""The shipped default checkpoint: trained, loadable, and really tracking."""
import numpy as np

import sasiam
from sasiam.checkpoint import load_checkpoint
from sasiam.data.sequences import open_sequence
from sasiam.evaluation.otb import evaluate
from sasiam.weights import default_weights_path

from conftest import cut_sequence


def test_default_weights_are_shipped_and_trained():
    path = default_weights_path()
    assert path is not None, "sasiam/weights/default.safetensors is missing"
    checkpoint = load_checkpoint(path)
    assert checkpoint.trained == {"appearance": True, "semantic": True}
    assert checkpoint.model_config.backbone == "efficientnet_lite0"
    assert 0.0 < checkpoint.lam < 1.0 and "lambda_grid" in checkpoint.info


def test_default_tracker_does_not_warn_untrained(recwarn):
    tracker = sasiam.SASiamTracker()
    assert tracker.untrained_branches == []
    assert tracker.lam == load_checkpoint(default_weights_path()).lam
    assert not [w for w in recwarn if "UNTRAINED" in str(w.message)]


def test_default_weights_follow_a_held_out_sequence(tmp_path):
    # Crossing is in the test split: never trained on (the shipped weights score 0.623 on all of it in
    # docs/eval/test_split; the suite tracks its first half, 60 frames).
    sequence = open_sequence(cut_sequence("Crossing", tmp_path / "Crossing", 60))
    evaluation = evaluate(sasiam.SASiamTracker(precision="auto"), [sequence])  # bf16 only where the CPU has it
    assert evaluation.auc > 0.5, evaluation.auc
    assert np.isfinite(evaluation.results["Crossing"].boxes).all()
