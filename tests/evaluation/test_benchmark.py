"""`sasiam eval` end to end on real sequences, with OpenCV's trackers as baselines."""
import json
import shutil
import subprocess
import sys

import pytest

from conftest import shared_sequence


@pytest.fixture(scope="module")
def data(tmp_path_factory, shared_sequences):
    root = tmp_path_factory.mktemp("eval_data")
    for name in ("Dudek_first20", "Crossing"):
        (root / name).symlink_to(shared_sequence(name))
    # a sequence whose 5th frame is corrupt: every tracker must fail on it alone
    broken = root / "Broken"
    shutil.copytree(shared_sequence("Dudek_first20"), broken)
    (broken / "img" / "0005.jpg").write_bytes(b"not a jpeg")
    return root


def run_eval(data, out, *extra):
    return subprocess.run([sys.executable, "-m", "sasiam", "eval", "--data", str(data), "--out", str(out),
                           "--tracker", "opencv:kcf", "--tracker", "opencv:csrt", "--quiet", *extra],
                          capture_output=True, text=True, timeout=600)


def test_eval_runs_scores_reports_and_isolates_failures(data, tmp_path):
    out = tmp_path / "out"
    result = run_eval(data, out, "--workers", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert set(report) == {"opencv_kcf", "opencv_csrt"}
    for entry in report.values():
        assert set(entry["sequences"]) == {"Dudek_first20", "Crossing"}
        assert "Broken" in entry["failed"] and "cannot decode" in entry["failed"]["Broken"]
        assert 0 <= entry["auc"] <= 1 and entry["fps"] > 0
    # the published OpenCV numbers on these sequences (../shared/reference/published-baselines.md)
    assert report["opencv_csrt"]["sequences"]["Crossing"]["auc"] == pytest.approx(0.771, abs=0.02)
    assert report["opencv_kcf"]["sequences"]["Dudek_first20"]["auc"] == pytest.approx(0.943, abs=0.02)
    lines = (out / "results" / "opencv_csrt" / "Crossing.txt").read_text().splitlines()
    assert len(lines) == 120 and len(lines[0].split(",")) == 4
    for name in ("report.md", "success.png", "precision.png"):
        assert (out / name).is_file()
    assert "Broken" in (out / "report.md").read_text()

    # re-scoring the saved results gives the same numbers without running anything
    rescored = run_eval(data, out, "--rescore")
    assert rescored.returncode == 0, rescored.stderr
    assert json.loads((out / "report.json").read_text()) == report


def test_bad_tracker_spec_is_a_one_line_error(data, tmp_path):
    result = subprocess.run([sys.executable, "-m", "sasiam", "eval", "--data", str(data), "--tracker", "opencv:mosse",
                             "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "mosse" in result.stderr
