"""`sasiam eval` end to end on real sequences, with OpenCV's trackers as baselines."""
import json
import shutil
import subprocess
import sys

import pytest

from conftest import cut_sequence, shared_sequence


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


def test_labels_name_trackers_in_the_report_and_legends_and_survive_a_rescore(tmp_path):
    from sasiam.evaluation.report import curves_figure

    data = tmp_path / "data"
    cut_sequence("Crossing", data / "Crossing", 20)
    out = tmp_path / "out"
    result = run_eval(data, out, "--label", "KCF baseline", "--label", "CSRT (OpenCV 5)")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert {name: entry["label"] for name, entry in report.items()} == {"opencv_kcf": "KCF baseline",
                                                                       "opencv_csrt": "CSRT (OpenCV 5)"}
    assert sorted(p.name for p in (out / "results").iterdir()) == ["opencv_csrt", "opencv_kcf"]
    assert "| sequence | KCF baseline | CSRT (OpenCV 5) |" in (out / "report.md").read_text()
    legend = curves_figure(report, "success", "t").axes[0].get_legend()
    assert {text.get_text().split(" [")[0] for text in legend.get_texts()} == {"KCF baseline", "CSRT (OpenCV 5)"}

    # re-scoring without --tracker takes the trackers and labels of report.json
    rescored = subprocess.run([sys.executable, "-m", "sasiam", "eval", "--data", str(data), "--out", str(out),
                               "--rescore", "--quiet"], capture_output=True, text=True, timeout=600)
    assert rescored.returncode == 0, rescored.stderr
    assert json.loads((out / "report.json").read_text()) == report
    # and without --label the labels are derived from the specs
    assert run_eval(data, out, "--rescore").returncode == 0
    assert [e["label"] for e in json.loads((out / "report.json").read_text()).values()] == ["OpenCV KCF", "OpenCV CSRT"]


@pytest.mark.parametrize("labels, message", [
    (["--label", "KCF"], "1 --label for 2 --tracker"),
    (["--label", "a", "--label", "b", "--label", "c"], "3 --label for 2 --tracker"),
    (["--label", "same", "--label", "same"], "--label 'same' given twice"),
])
def test_label_count_must_match_the_trackers(tmp_path, labels, message):
    result = run_eval(tmp_path, tmp_path / "out", *labels)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
