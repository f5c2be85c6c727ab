"""The int8 path (quantized A-Net) on real frames: boxes and features close to fp32."""
from __future__ import annotations

import warnings

import numpy as np
import torch

from sasiam.tracking.geometry import iou

from conftest import shared_sequence


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


def test_calibration_crops_come_from_the_caller_and_are_read_on_a_cache_miss_only(tmp_path, monkeypatch):
    import pytest

    from sasiam.backends.base import Calibration
    from sasiam.backends.torch import TorchBackend, load_network
    from sasiam.errors import InvalidOptionError
    from sasiam.tracking.calibration import calibration_crops

    monkeypatch.setenv("SASIAM_CACHE", str(tmp_path))
    net, lam, _ = load_network(None, "appearance")
    with pytest.raises(InvalidOptionError, match="calibration"):
        TorchBackend(net, lam, precision="int8")
    crops, _ = calibration_crops(root=tmp_path / "no-sequences")  # the bundled demo clip's real photographs
    reads = []

    def load():
        reads.append(1)
        return crops[:6], "six demo crops"

    first = TorchBackend(net, lam, precision="int8", calibration=Calibration("six demo crops", load))
    again = TorchBackend(net, lam, precision="int8", calibration=Calibration("six demo crops", load))
    assert reads == [1]
    assert first.int8_info["calibration"] == again.int8_info["calibration"] == "six demo crops"
    assert not first.int8_info["cached"] and again.int8_info["cached"]
