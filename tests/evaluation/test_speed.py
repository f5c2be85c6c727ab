"""`sasiam bench` plumbing, the A-Net's multiply-add count, and the int8 path's boxes.

No timing is asserted: the machine running the suite is shared. The bench runs
on real frames with the real tracker and the real OpenCV trackers.
"""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import torch

from sasiam.cli import main
from sasiam.evaluation.speed import STAGES, appearance_macs, count_macs
from sasiam.models.appearance import AppearanceNet
from sasiam.tracking.backends import PRECISIONS, auto_precision, check_precision
from sasiam.tracking.geometry import iou

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


def test_auto_precision_rule():
    assert auto_precision(set()) == "fp32"
    assert auto_precision({"avx2", "fma"}) == "fp32"
    assert auto_precision({"avx2", "avx512_bf16"}) == "bf16"
    assert auto_precision({"amx_bf16", "amx_tile"}) == "bf16"
    assert check_precision("auto") in PRECISIONS
    with pytest.raises(ValueError, match="auto"):
        check_precision("fp16")


def test_int8_boxes_stay_close_to_fp32(shared_sequences, tmp_path, monkeypatch):
    from sasiam import SASiamTracker
    from sasiam.data.sequences import open_sequence

    monkeypatch.setenv("SASIAM_CACHE", str(tmp_path))  # calibrate here, from real crops, not from a cache
    sequence = open_sequence(shared_sequence("Walking2"))
    frames = [frame for _, frame in zip(range(11), sequence.frames())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        int8 = SASiamTracker(precision="int8")
        fp32 = SASiamTracker(precision="fp32")
    info = int8.backend.int8_info
    assert info["quantized"] == ["appearance.net (A-Net)"] and not info["cached"]
    assert "training split" in info["calibration"] and info["crops"] >= 30
    assert "Basketball" in info["calibration"] and "Walking2" not in info["calibration"]  # train names only
    overlaps = []
    for tracker in (int8, fp32):
        tracker.init(frames[0], sequence.first_box)
    for frame in frames[1:]:
        overlaps.append(iou(int8.update(frame), fp32.update(frame)))
    assert np.mean(overlaps) > 0.9 and min(overlaps) > 0.75, overlaps
    # the quantized A-Net's features are close to the fp32 ones on a real crop
    crops = fp32.search_crops(frames[-1])
    x = torch.from_numpy(crops).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        reference = fp32.net.appearance.search(x)
        quantized = int8.net.appearance.search(x)
    assert float((quantized - reference).norm() / reference.norm()) < 0.08
