"""Experiment settings modules (`sasiam train --settings NAME`)."""
import subprocess
import sys

import pytest

from sasiam.errors import InputSourceError
from sasiam.training.config import TrainConfig
from sasiam.training.settings import load_experiment


def test_the_crops_recipe_names_both_branches_and_both_sources():
    appearance = load_experiment("crops_v1", "appearance")
    semantic = load_experiment("crops_v1", "semantic")
    assert isinstance(appearance.config, TrainConfig) and appearance.config.branch == "appearance"
    assert semantic.config.branch == "semantic"
    assert [kind for kind, _ in appearance.data] == ["otb", "crops"]
    assert appearance.data[1][1].endswith("training/crops255")
    with pytest.raises(InputSourceError, match="no JOINT TrainConfig"):
        load_experiment("crops_v1", "joint")


def test_a_settings_file_of_ones_own_is_read(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("from sasiam.training.config import TrainConfig\n"
                    "DATA = ['otb:/data/seqs']\nAPPEARANCE = TrainConfig(epochs=2, negative_fraction=0.1)\n")
    experiment = load_experiment(str(path), "appearance")
    assert experiment.config.epochs == 2 and experiment.config.negative_fraction == 0.1
    assert experiment.data == [("otb", "/data/seqs")] and experiment.val_root is None


@pytest.mark.parametrize("settings, message", [("no_such_experiment", "no such module"),
                                               ("missing.py", "settings file not found")])
def test_unknown_settings_are_one_line_errors(settings, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "sasiam", "train", "appearance", "--settings", settings,
                             "--run-dir", str(tmp_path / "run")], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
