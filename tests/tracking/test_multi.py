"""MultiTargetTracker on real frames: per target the same boxes as independent SASiamTrackers,
with one batched forward per network per frame and one grouped correlation per branch."""
from itertools import islice

import numpy as np
import pytest

import sasiam
from sasiam.data.sequences import open_sequence
from sasiam.errors import InvalidBoxError
from sasiam.models import branches as branches_module
from sasiam.tracking.runner import track_frames
from conftest import shared_sequence

FRAMES = 6
# Basketball frame 1: the annotated player (ground truth) and two other players.
BOXES = [(198.0, 214.0, 34.0, 81.0), (270.0, 198.0, 36.0, 82.0), (333.0, 218.0, 42.0, 92.0)]


@pytest.fixture(scope="module")
def frames():
    sequence = open_sequence(shared_sequence("Basketball"))
    return list(islice(sequence.frames(), FRAMES))


@pytest.fixture(scope="module")
def multi():
    return sasiam.MultiTargetTracker()


@pytest.fixture(scope="module")
def single_runs(multi, frames):
    """Each target tracked alone by its own SASiamTracker (same network weights)."""
    runs = []
    for box in BOXES:
        single = sasiam.SASiamTracker(backend=multi.backend)
        runs.append(track_frames(single, frames, box, progress=False))
    return runs


def test_boxes_equal_independent_single_trackers(multi, frames, single_runs):
    result = track_frames(multi, frames, BOXES, progress=False)
    assert result.boxes.shape == (FRAMES, len(BOXES), 4)
    for i, run in enumerate(single_runs):
        np.testing.assert_allclose(result.boxes[:, i], run.boxes, atol=1e-3, rtol=0)
        np.testing.assert_allclose(multi.scores[i], run.scores[-1], rtol=1e-4)
    # the targets really move apart: not three copies of one box
    assert np.ptp(result.boxes[-1, :, 0]) > 50


@pytest.mark.parametrize("per_target_trunks", [False, True], ids=["one-batch", "per-target-trunks"])
def test_one_batched_forward_per_network_and_one_grouped_correlation(multi, frames, monkeypatch, per_target_trunks):
    """One trunk forward of all 9 crops (a GPU), or 3 of one target's 3 crops (the CPU default); either
    way one grouped correlation per branch."""
    assert multi.backend.per_target_trunks  # the default on a CPU
    monkeypatch.setattr(multi.backend, "per_target_trunks", per_target_trunks)
    forwards, correlations = [], []
    net = multi.backend.net
    hooks = [net.appearance.net.register_forward_hook(lambda m, i, o: forwards.append(("anet", i[0].shape[0]))),
             net.semantic.backbone.register_forward_hook(lambda m, i, o: forwards.append(("snet", i[0].shape[0])))]
    real = branches_module.cross_correlate

    def counting(search, kernels):
        correlations.append(search.shape[0])
        return real(search, kernels)

    monkeypatch.setattr(branches_module, "cross_correlate", counting)
    try:
        multi.init(frames[0], BOXES)
        assert sorted(forwards) == [("anet", 3), ("snet", 3)]
        forwards.clear()
        multi.update(frames[1])
        batches = [3, 3, 3] if per_target_trunks else [9]
        assert sorted(forwards) == [("anet", b) for b in batches] + [("snet", b) for b in batches]
        assert correlations == [9, 9]  # one grouped correlation per branch over all 3 targets x 3 scales
    finally:
        for hook in hooks:
            hook.remove()


def test_add_and_remove_keep_each_target_on_its_single_track(multi, frames, single_runs):
    multi.init(frames[0], BOXES[:1])
    assert multi.add(frames[0], BOXES[1]) == 1
    assert multi.add(frames[0], BOXES[2]) == 2
    for index in (1, 2):
        multi.update(frames[index])
    np.testing.assert_allclose(multi.boxes, [run.boxes[2] for run in single_runs], atol=1e-3, rtol=0)
    multi.remove(1)
    for index in (3, 4):
        boxes = multi.update(frames[index])
    np.testing.assert_allclose(boxes, [single_runs[0].boxes[4], single_runs[2].boxes[4]], atol=1e-3, rtol=0)
    assert len(multi) == 2
    multi.remove(0)
    multi.remove(-1)
    assert multi.update(frames[5]) == [] and multi.scores == []


def test_bad_calls(multi, frames):
    fresh = sasiam.MultiTargetTracker(backend=multi.backend)
    with pytest.raises(RuntimeError, match="init"):
        fresh.update(frames[0])
    with pytest.raises(InvalidBoxError, match=r"\[box\]"):
        fresh.init(frames[0], BOXES[0])  # one flat box, not a list of boxes
    with pytest.raises(InvalidBoxError):
        fresh.init(frames[0], [BOXES[0], (10, 10, 0, 5)])  # zero width
    with pytest.raises(IndexError):
        fresh.remove(0)
