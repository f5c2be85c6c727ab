"""`sasiam bench` plumbing and the A-Net's multiply-add count.

No timing is asserted: the machine running the suite is shared. The bench runs
on real frames with the real tracker and the real OpenCV trackers.
"""
from __future__ import annotations

import json
import math

import torch

from sasiam.cli import main
from sasiam.evaluation.speed import STAGES, appearance_macs, count_macs
from sasiam.models.appearance import AppearanceNet

from conftest import shared_sequence


def test_bench_three_frames_writes_every_stage(shared_sequences, tmp_path):
    out = tmp_path / "bench.json"
    code = main(["bench", str(shared_sequence("Crossing")), "--frames", "3", "--warmup", "1", "--repeats", "1",
                 "--peak-size", "256", "--json", str(out), "--quiet"])
    assert code == 0
    result = json.loads(out.read_text())
    assert set(result["stages"]) == set(STAGES)
    for stage in STAGES:
        assert result["stages"][stage]["samples"] == 3
        assert result["stages"][stage]["median_ms"] >= 0
    # every stage with arithmetic has a finite, positive floor and ratio
    for stage in ("anet", "snet", "fusion_correlation", "upsample_peak"):
        entry = result["stages"][stage]
        assert entry["macs"] > 0
        assert math.isfinite(entry["floor_ms"]) and entry["floor_ms"] > 0
        assert math.isfinite(entry["measured_over_floor"]) and entry["measured_over_floor"] > 0
    e2e = result["end_to_end"]
    assert e2e["samples"] == 3
    assert math.isfinite(e2e["measured_over_floor"]) and e2e["measured_over_floor"] > 0
    assert e2e["macs"] == sum(result["stages"][s]["macs"] for s in STAGES)
    # the staged pass calls what tracker.update calls: same boxes, same maps
    assert result["checks"]["staged_box_mismatches"] == 0
    assert result["checks"]["staged_max_map_difference"] < 1e-4
    for kind in ("csrt", "kcf"):
        assert result["opencv"][kind]["samples"] == 3
        assert result["opencv"][kind]["fps"] > 0
    for precision in ("fp32", "bf16", "int8"):
        assert result["peak"][precision]["gmacs_per_second"] > 0
    assert result["memory"]["peak_rss_mb"] > 100  # a model and frames are in memory
    assert result["machine"]["torch_version"] == torch.__version__
    # CPU time of other processes while tracking: a share of the machine's cores, measured from /proc/stat
    assert 0.0 <= result["machine"]["other_processes_cores_while_tracking"] <= result["machine"]["logical_cpus"]
    assert "avx512_bf16" in result["machine"]["cpu_flags"]
    assert result["input"]["sequence"] == "Crossing"


def test_bench_user_errors_are_one_line(tmp_path, capsys):
    assert main(["bench", str(tmp_path / "missing"), "--json", str(tmp_path / "b.json"), "--quiet"]) == 2
    assert main(["bench", str(tmp_path), "--frames", "0", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("sasiam: error: ") for line in err)


def test_anet_flop_count_equals_siamfc_arithmetic():
    # SiamFC's A-Net on a 255 crop, layer by layer (valid convs, pools 3/2), written out by hand:
    conv1 = 123 * 123 * 96 * 3 * 11 * 11        # 255 -> 123, stride 2
    conv2 = 57 * 57 * 256 * (96 // 2) * 5 * 5   # pool -> 61, 2 groups
    conv3 = 26 * 26 * 384 * 256 * 3 * 3         # pool -> 28
    conv4 = 24 * 24 * 384 * (384 // 2) * 3 * 3  # 2 groups
    conv5 = 22 * 22 * 256 * (384 // 2) * 3 * 3  # 2 groups
    by_hand = conv1 + conv2 + conv3 + conv4 + conv5
    net = AppearanceNet().eval()
    counted = count_macs(lambda: net(torch.zeros(1, 3, 255, 255)))
    assert counted == by_hand == appearance_macs(255)


def test_stage_clock_splits_the_wall_time_into_named_stages():
    import time

    from sasiam.evaluation.speed import StageClock

    clock = StageClock("cpu")
    started = time.perf_counter()
    clock.mark()
    time.sleep(0.02)
    clock.mark("first")
    time.sleep(0.01)
    clock.mark("second")
    total = time.perf_counter() - started
    spans = clock.seconds()
    assert list(spans) == ["first", "second"]
    assert spans["first"] >= 0.02 and spans["second"] >= 0.01
    assert sum(spans.values()) <= total
