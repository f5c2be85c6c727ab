"""Every tracker built during training runs on the training device and leaves the model there.

CI has no GPU, so the training device here is "cpu:0": the same memory as "cpu", but a different
`torch.device`, so a tracker that fell back to the default "cpu" is told apart from one built on the
training device. On a GPU machine `scripts/gpu_check.sh` runs the same path with "cuda".
"""
from dataclasses import replace

import pytest
import torch

from conftest import cut_sequence
from sasiam.training import assemble, experiments
from sasiam.training.config import TrainConfig

TRAINING_DEVICE = torch.device("cpu:0")


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_sequences):
    root = tmp_path_factory.mktemp("device")
    cut_sequence("Dudek_first20", root / "sequences" / "train_clip", 12)
    cut_sequence("Dudek_first20", root / "sequences" / "val_clip", 4)
    return root


class TrackerSpy:
    """Wraps `evaluate`: records where each tracker runs and where the model's parameters are after it."""

    def __init__(self, real_evaluate, parameters_of):
        self.real_evaluate, self.parameters_of = real_evaluate, parameters_of
        self.tracker_devices, self.parameter_devices = [], []

    def __call__(self, tracker, sequences, **kwargs):
        result = self.real_evaluate(tracker, sequences, **kwargs)
        self.tracker_devices.append(tracker.backend.device)
        self.parameter_devices.extend({p.device for p in self.parameters_of(tracker)})
        return result


@pytest.mark.parametrize("branch", ["appearance", "semantic", "joint"])
def test_validation_tracks_on_the_training_device_and_leaves_the_model_there(branch, clips, monkeypatch):
    spy = TrackerSpy(experiments.evaluate, lambda tracker: tracker.net.parameters())
    monkeypatch.setattr(experiments, "evaluate", spy)
    config = replace(TrainConfig(branch=branch), device=str(TRAINING_DEVICE), epochs=1, pairs_per_epoch=8,
                     batch_size=4, workers=0, still_fraction=0.0)
    model = experiments.run_training(config, [("otb", str(clips / "sequences"))], clips / f"run_{branch}",
                                     clips / "cache", split={"train": ["train_clip"], "val": ["val_clip"]},
                                     validation_root=clips / "sequences", progress=False)
    assert spy.tracker_devices == [TRAINING_DEVICE]  # one epoch, one validation, on the training device
    assert spy.parameter_devices and all(device.type == TRAINING_DEVICE.type for device in spy.parameter_devices)
    assert all(p.device.type == TRAINING_DEVICE.type for p in model.parameters())
    assert model.training  # validation put the network in eval mode; training mode is restored


def test_tune_lambda_tracks_on_the_device_it_is_given(clips, monkeypatch, tmp_path, appearance_and_semantic):
    spy = TrackerSpy(assemble.evaluate, lambda tracker: tracker.net.parameters())
    monkeypatch.setattr(assemble, "evaluate", spy)
    from sasiam.data.sequences import open_sequence

    best, results = assemble.tune_lambda(appearance_and_semantic, [open_sequence(clips / "sequences" / "val_clip")],
                                         tmp_path / "tuned.safetensors", grid=(0.3, 0.7), progress=False,
                                         device=str(TRAINING_DEVICE))
    assert spy.tracker_devices == [TRAINING_DEVICE, TRAINING_DEVICE]
    assert best in results


@pytest.fixture
def appearance_and_semantic(clips):
    """The two branches the parametrised runs above exported, assembled (they run first in this module)."""
    appearance = clips / "run_appearance" / "appearance_epoch_001.safetensors"
    semantic = clips / "run_semantic" / "semantic_epoch_001.safetensors"
    if not (appearance.is_file() and semantic.is_file()):
        pytest.skip("needs the appearance and semantic runs of this module (run the whole module)")
    return assemble.assemble(appearance, semantic, clips / "both.safetensors")
