"""`sasiam bench-targets` plumbing on 2 real frames (no timing claims: the machine is shared)."""
import json
import statistics

import pytest

from conftest import shared_sequence
from sasiam.cli import main
from sasiam.evaluation.bench_targets import spread_boxes


def test_spread_boxes_keep_the_first_and_stay_in_the_frame():
    boxes = spread_boxes((10, 20, 30, 40), 16, 128, 96)
    assert len(boxes) == 16 and boxes[0] == (10.0, 20.0, 30.0, 40.0)
    for x, y, w, h in boxes[1:]:
        assert (w, h) == (30.0, 40.0)
        assert 0 <= x and x + w <= 128 and 0 <= y and y + h <= 96
    assert len(set(boxes)) == 16
    assert spread_boxes((10, 20, 30, 40), 1, 128, 96) == [(10.0, 20.0, 30.0, 40.0)]


def test_bench_targets_runs_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench-targets", str(shared_sequence("Girl")), "--targets", "1,2", "--frames", "2",
                 "--repeats", "2", "--json", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "target-fps" in printed and "speedup" in printed
    report = json.loads(out.read_text())
    assert report["frames"] == 2 and report["repeats"] == 2 and report["path"] == "torch-fp32"
    assert [r["targets"] for r in report["results"]] == [1, 2]
    for r in report["results"]:
        assert len(r["passes"]) == len(r["separate_passes"]) == 2
        assert r["seconds_per_frame"] == pytest.approx(statistics.median(r["passes"]))
        assert r["separate_seconds_per_frame"] == pytest.approx(statistics.median(r["separate_passes"]))
        assert r["target_fps"] == pytest.approx(r["fps"] * r["targets"])
        assert r["speedup"] > 0
        # the batched tracker and the N separate ones follow the same boxes
        assert r["max_box_difference"] < 0.01


def test_bench_targets_user_errors(tmp_path, capsys):
    frames = tmp_path / "frames"
    frames.mkdir()
    for image in sorted((shared_sequence("Girl") / "img").glob("*.jpg"))[:3]:
        (frames / image.name).symlink_to(image)
    assert main(["bench-targets", str(frames), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("sasiam: error: ")
    with pytest.raises(SystemExit) as exit_info:
        main(["bench-targets", str(frames), "--targets", "0,4"])
    assert exit_info.value.code == 2
