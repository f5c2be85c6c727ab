"""Tracker specs: OpenCV's NanoTrack with its ONNX models from a folder, and readable default labels."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import cut_sequence
from sasiam.data.sequences import open_sequence
from sasiam.errors import CheckpointError
from sasiam.evaluation import trackers
from sasiam.evaluation.metrics import score_sequence
from sasiam.evaluation.otb import run_one_pass
from sasiam.evaluation.trackers import (NANOTRACK_FILES, build_tracker, check_tracker_files, default_labels,
                                        parse_tracker_spec)


def nanotrack_models():
    folder = trackers.nanotrack_models_root()
    if not all((folder / name).is_file() for name in NANOTRACK_FILES):
        pytest.skip(f"NanoTrack's ONNX models not found in {folder} (../shared/baselines/nanotrackv2 beside the repo)")
    return folder


def sasiam(*args):
    return subprocess.run([sys.executable, "-m", "sasiam", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_opencv_nano_tracks_the_first_frames_of_a_real_sequence(tmp_path):
    models = nanotrack_models()
    sequence = open_sequence(cut_sequence("Crossing", tmp_path / "Crossing", 20))
    for spec in ("opencv:nano", f"opencv:nano,models={models}"):
        tracker = build_tracker(parse_tracker_spec(spec))
        result = run_one_pass(tracker, sequence)
        assert result.boxes.shape == (20, 4) and np.isfinite(result.boxes).all()
        assert 0 < tracker.score <= 1  # NanoTrack's own confidence, not a 0/1 flag
        boxes = result.boxes.copy()
        boxes[0] = sequence.groundtruth[0]
        # the whole sequence scores 0.760 in ../shared/reference/published-baselines.md
        assert score_sequence(boxes, sequence.groundtruth).auc > 0.7


def test_eval_reports_opencv_nano_with_its_label_name_and_fps(tmp_path):
    nanotrack_models()
    data = tmp_path / "data"
    cut_sequence("Crossing", data / "Crossing", 20)
    out = tmp_path / "out"
    result = sasiam("eval", "--data", data, "--tracker", "opencv:nano", "--tracker", "opencv:kcf", "--out", out,
                    "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "WARN" not in result.stderr, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert list(report) == ["opencv_nano", "opencv_kcf"]  # result folders keep the spec's name
    nano = report["opencv_nano"]
    assert nano["label"] == "NanoTrack (OpenCV)" and nano["spec"] == "opencv:nano"
    assert nano["fps"] > 0 and nano["auc"] > 0.7 and not nano["failed"]
    assert (out / "results" / "opencv_nano" / "Crossing.txt").is_file()
    assert "| NanoTrack (OpenCV) |" in (out / "report.md").read_text()
    assert "NanoTrack (OpenCV)" in result.stdout


def test_missing_nanotrack_models_are_a_clear_error(tmp_path, monkeypatch):
    absent = tmp_path / "no_models"
    with pytest.raises(CheckpointError, match="no such folder.*opencv:nano,models=DIR") as error:
        check_tracker_files(parse_tracker_spec(f"opencv:nano,models={absent}"))
    assert str(absent) in str(error.value)

    half = tmp_path / "half"
    half.mkdir()
    (half / NANOTRACK_FILES[0]).write_bytes(b"")
    with pytest.raises(CheckpointError, match=f"no {NANOTRACK_FILES[1]} there"):
        build_tracker(parse_tracker_spec(f"opencv:nano,models={half}")).init(np.zeros((50, 50, 3), np.uint8),
                                                                             (5, 5, 10, 10))

    monkeypatch.setattr(trackers, "nanotrack_models_root", lambda: absent)
    with pytest.raises(CheckpointError, match="default model folder.*opencv:nano,models=DIR"):
        check_tracker_files(parse_tracker_spec("opencv:nano"))


def test_missing_nanotrack_models_on_the_command_line_are_one_line_and_exit_2(tmp_path):
    absent = tmp_path / "no_models"
    result = sasiam("eval", "--data", tmp_path, "--tracker", "opencv:kcf", "--tracker", f"opencv:nano,models={absent}",
                    "--out", tmp_path / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(absent) in lines[0] and "opencv:nano,models=DIR" in lines[0], result.stderr
    assert not (tmp_path / "out" / "results").exists()  # failed before any work


@pytest.mark.parametrize("spec, message", [
    ("opencv:nano,model=x", "bad option 'model=x'"),
    ("opencv:csrt,models=x", "bad option 'models=x'"),
    ("opencv:nanotrack", "unknown OpenCV tracker 'nanotrack'"),
])
def test_bad_opencv_options_are_errors(spec, message):
    with pytest.raises(Exception, match=message):
        parse_tracker_spec(spec)


def test_default_labels_are_readable_and_tell_trackers_apart():
    specs = ["sasiam:backend=onnx,weights=runs/onnx_both", "sasiam:branches=appearance,backend=onnx",
             "sasiam:branches=semantic", "opencv:csrt", "opencv:kcf", "opencv:nano"]
    assert default_labels(specs) == ["SA-Siam", "SA-Siam (appearance only)", "SA-Siam (semantic only)",
                                     "OpenCV CSRT", "OpenCV KCF", "NanoTrack (OpenCV)"]
    assert default_labels(["sasiam:lam=0.5,precision=int8"]) == ["SA-Siam (lambda 0.5, int8)"]
    assert default_labels(["sasiam", "sasiam:weights=a.safetensors"]) == [
        "SA-Siam [sasiam]", "SA-Siam [sasiam:weights=a.safetensors]"]
    # result folders are named as before labels existed (committed results stay readable)
    assert [parse_tracker_spec(s).name for s in specs[:1] + specs[3:]] == [
        "sasiam_backend-onnx_weights-runs-onnx_both", "opencv_csrt", "opencv_kcf", "opencv_nano"]
