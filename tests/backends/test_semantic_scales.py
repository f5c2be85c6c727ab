"""semantic_scales="middle" (issue 15): the S-Net runs on each target's middle-scale crop only and that
map stands for all three scales; the appearance maps, computed per scale, pick the scale."""
import cv2
import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.backends.torch import TorchBackend, load
from sasiam.errors import InvalidOptionError
from sasiam.evaluation.trackers import build_tracker, parse_tracker_spec
from sasiam.tracking.tracker import SASiamTracker


@pytest.fixture(scope="module")
def setup():
    root = shared_sequence("David")
    frames = [cv2.imread(str(p)) for p in sorted((root / "img").glob("*.jpg"))[:2]]
    full = load()
    shared = TorchBackend(full.net, full.lam, semantic_scales="middle")
    tracker = SASiamTracker(backend=full)
    tracker.init(frames[0], (160, 112, 60, 80))
    return full, shared, tracker, frames


def test_the_middle_scale_semantic_map_stands_for_all_scales(setup):
    full, shared, tracker, frames = setup
    crops = tracker.policy.search_crops(frames[1], tracker.state)
    kernels = tracker.kernels
    every = full.branch_maps(kernels, crops)
    middle = shared.branch_maps(kernels, crops)
    np.testing.assert_allclose(middle["appearance"], every["appearance"], atol=1e-5)  # per scale, as before
    for scale in range(3):  # the middle crop's semantic map, for each scale
        np.testing.assert_allclose(middle["semantic"][scale], every["semantic"][1], atol=1e-4)
    assert not np.allclose(every["semantic"][0], every["semantic"][1], atol=1e-3)  # it is a change
    combined = shared.score_maps(kernels, crops)
    np.testing.assert_allclose(combined, shared.lam * every["appearance"].numpy()
                               + (1 - shared.lam) * every["semantic"][1:2].numpy(), atol=1e-4)


def test_two_targets_each_get_their_own_middle_crop(setup):
    full, shared, tracker, frames = setup
    other = SASiamTracker(backend=full)
    other.init(frames[0], (100, 60, 50, 50))
    crops = np.concatenate([tracker.policy.search_crops(frames[1], tracker.state),
                            other.policy.search_crops(frames[1], other.state)])
    kernels = {name: np.concatenate([a.numpy(), b.numpy()]) for name, a, b in
               ((n, tracker.kernels[n], other.kernels[n]) for n in tracker.kernels)}
    import torch

    kernels = {name: torch.from_numpy(k) for name, k in kernels.items()}
    every, middle = full.branch_maps(kernels, crops), shared.branch_maps(kernels, crops)
    for target in range(2):
        for scale in range(3):
            np.testing.assert_allclose(middle["semantic"][3 * target + scale], every["semantic"][3 * target + 1],
                                       atol=1e-4)


def test_semantic_scales_choices_and_specs(setup):
    full = setup[0]
    with pytest.raises(InvalidOptionError, match="needs both branches"):
        load(branches="semantic", semantic_scales="middle")
    with pytest.raises(InvalidOptionError, match="'all' or 'middle'"):
        TorchBackend(full.net, full.lam, semantic_scales="first")
    assert build_tracker(parse_tracker_spec("sasiam:semantic_scales=middle")).backend.semantic_scales == "middle"


def test_in_middle_mode_the_appearance_maps_pick_the_scale(setup):
    from sasiam.backends.base import maps_and_scale_maps

    full, shared, tracker, frames = setup
    crops = tracker.policy.search_crops(frames[1], tracker.state)
    combined, scale_maps = maps_and_scale_maps(shared, tracker.kernels, crops)
    np.testing.assert_allclose(combined, shared.score_maps(tracker.kernels, crops), atol=1e-5)
    np.testing.assert_allclose(scale_maps, shared.branch_maps(tracker.kernels, crops)["appearance"].numpy())
    every, none = maps_and_scale_maps(full, tracker.kernels, crops)
    assert none is None and np.array_equal(every, full.score_maps(tracker.kernels, crops))
