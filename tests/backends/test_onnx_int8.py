"""int8 through ONNX Runtime (`sasiam/backends/onnx_int8.py`): the real quantize_static on the real export,
calibrated on real training-split crops, tracking real frames of a test sequence (Crossing)."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.backends.base import Calibration
from sasiam.backends import onnx_int8
from sasiam.backends.onnx import QUANTIZATION_FILE
from sasiam.data.sequences import open_sequence
from sasiam.integrations.onnx_export import cached_export
from sasiam.tracking.calibration import calibration_crops
from sasiam.tracking.geometry import iou
from sasiam.tracking.tracker import SASiamTracker

FRAMES = 25


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SASIAM_CACHE", str(tmp_path_factory.mktemp("cache")))
        sequence = open_sequence(shared_sequence("Crossing"))  # skips with its reason before any export
        export = cached_export()
        crops, _ = calibration_crops(frames_per_sequence=1)  # one frame per training sequence: enough to test
        calibration = Calibration.of_crops(crops)
        folder = onnx_int8.quantize_search(export, calibration)
        frames = list(itertools.islice(sequence.frames(), FRAMES))
        yield export, calibration, folder, frames, sequence.groundtruth[:FRAMES]


def track(tracker, frames, first_box):
    tracker.init(frames[0], first_box)
    return np.array([first_box] + [tracker.update(frame) for frame in frames[1:]])


def test_int8_boxes_stay_near_fp32_on_real_frames(setup):
    export, calibration, _, frames, truth = setup
    fp32 = track(SASiamTracker(backend="onnx", weights=export), frames, truth[0])
    int8_tracker = SASiamTracker(backend="onnx", weights=export, precision="int8", calibration=calibration)
    assert int8_tracker.backend.precision == "int8"
    int8 = track(int8_tracker, frames, truth[0])
    overlaps = [iou(a, b) for a, b in zip(fp32[1:], int8[1:])]
    print(f"\nint8 vs fp32 boxes on {FRAMES} Crossing frames: mean IoU {np.mean(overlaps):.3f}, "
          f"min {np.min(overlaps):.3f}")
    assert np.mean(overlaps) > 0.85 and np.min(overlaps) > 0.6
    assert np.mean([iou(a, b) for a, b in zip(int8[1:], truth[1:])]) > 0.5  # still on the person


def test_what_is_quantized_and_what_stays_fp32(setup):
    _, _, folder, _, _ = setup
    info = json.loads((folder / QUANTIZATION_FILE).read_text())
    kept = info["kept_fp32"]
    assert sum("correlation" in why for why in kept.values()) == 2  # one per branch: run-time kernels
    assert any("_blocks.3." in why for why in kept.values()) and any("_bn0" in why for why in kept.values())
    assert len(info["quantized"]) > 30  # A-Net convs and the S-Net's blocks 4-15
    import onnx

    ops = {node.op_type for node in onnx.load(str(folder / "search.onnx")).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops


def test_the_quantized_export_is_cached_and_redone_when_damaged(setup, monkeypatch):
    export, calibration, folder, _, _ = setup
    calls = []
    real_quantize = __import__("onnxruntime.quantization", fromlist=["quantize_static"]).quantize_static

    def counted(*args, **kwargs):
        calls.append(1)
        return real_quantize(*args, **kwargs)

    monkeypatch.setattr("onnxruntime.quantization.quantize_static", counted)
    monkeypatch.setenv("SASIAM_CACHE", str(folder.parent.parent))
    assert onnx_int8.quantize_search(export, calibration) == folder and not calls  # reused
    (folder / "search.onnx").write_bytes(b"truncated")
    assert onnx_int8.quantize_search(export, calibration) == folder and len(calls) == 1  # redone
    other = Calibration.of_crops(np.zeros((3, 255, 255, 3), np.uint8))
    assert onnx_int8.quantize_search(export, other) != folder  # other crops: another cache entry


def test_speed_fast_runs_the_path_the_rule_picks_here(setup):
    """`speed="fast"` builds the path `paths.fastest` names for this machine, and it tracks like that path
    asked for by its options (the given calibration: the quantized graph of `setup`, from the cache)."""
    from sasiam.backends.paths import PATHS_BY_NAME, fastest
    from sasiam.tracking.path_choice import machine_facts

    _, calibration, _, frames, truth = setup
    expected = fastest(machine_facts()).path
    tracker = SASiamTracker(speed="fast", calibration=calibration)
    assert tracker.path == expected.name and tracker.path in PATHS_BY_NAME
    assert expected.name in tracker.path_reason and tracker.precision == expected.precision
    same = SASiamTracker(**expected.options, calibration=calibration)
    assert type(tracker.backend) is type(same.backend) and tracker.backend.precision == same.backend.precision
    np.testing.assert_allclose(track(tracker, frames[:8], truth[0]), track(same, frames[:8], truth[0]))
