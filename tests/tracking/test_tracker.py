import numpy as np
import pytest

import sasiam
from sasiam.data.demo_clip import make_demo_clip
from sasiam.errors import InvalidBoxError


@pytest.fixture(scope="module")
def clip():
    return make_demo_clip(num_frames=12)


@pytest.fixture(scope="module")
def tracker():
    return sasiam.SASiamTracker()


def count_forwards(module, log, name):
    return module.register_forward_hook(lambda m, inputs, output: log.append((name, inputs[0].shape[0])))


def test_one_forward_per_frame_for_all_three_scales(tracker, clip):
    log = []
    hooks = [count_forwards(tracker.net.appearance.net, log, "anet"),
             count_forwards(tracker.net.semantic.backbone, log, "snet")]
    try:
        tracker.init(clip.frames[0], clip.boxes[0])
        assert sorted(log) == [("anet", 1), ("snet", 1)]
        log.clear()
        tracker.update(clip.frames[1])
        assert sorted(log) == [("anet", 3), ("snet", 3)]
    finally:
        for hook in hooks:
            hook.remove()


def test_score_maps_are_17x17_per_scale(tracker, clip):
    tracker.init(clip.frames[0], clip.boxes[0])
    maps = tracker.score_maps(clip.frames[1])
    assert maps.shape == (3, 17, 17) and np.isfinite(maps).all()


def test_update_returns_finite_float_boxes_and_a_score(tracker, clip):
    tracker.init(clip.frames[0], tuple(clip.boxes[0]))
    initial = clip.boxes[0][2:]
    for frame in clip.frames[1:]:
        box = tracker.update(frame)
        assert len(box) == 4 and all(isinstance(v, float) for v in box)
        assert np.isfinite(box).all() and np.isfinite(tracker.score)
        assert np.all(np.array(box[2:]) >= 0.2 * initial - 1e-6) and np.all(np.array(box[2:]) <= 5 * initial + 1e-6)


def test_scale_search_uses_siamfc_constants(tracker):
    assert np.allclose(tracker.policy.scale_factors, [1 / 1.0375, 1.0, 1.0375])
    assert np.allclose(tracker.policy.penalties, [0.9745, 1.0, 0.9745])


def test_api_misuse(tracker, clip):
    fresh = sasiam.SASiamTracker(branches="appearance")
    with pytest.raises(RuntimeError, match="init"):
        fresh.update(clip.frames[0])
    with pytest.raises(InvalidBoxError):
        fresh.init(clip.frames[0], (0, 0, 0, 10))
    with pytest.raises(ValueError, match="lam"):
        sasiam.SASiamTracker(branches="appearance", lam=1.5)
    with pytest.raises(ValueError, match="speed must be one of 'faithful', 'fast'"):
        sasiam.SASiamTracker(speed="turbo")


def test_the_default_is_the_paper_faithful_path_and_says_so(tracker):
    assert (tracker.path, tracker.precision, type(tracker.backend).__name__) == ("torch-fp32", "fp32", "TorchBackend")
    assert "faithful" in tracker.path_reason


@pytest.mark.parametrize("branches, names", [("appearance", {"appearance"}), ("semantic", {"semantic"})])
def test_single_branch_trackers(clip, branches, names):
    single = sasiam.SASiamTracker(branches=branches)
    assert set(single.net.branches()) == names
    single.init(clip.frames[0], clip.boxes[0])
    assert np.isfinite(single.update(clip.frames[1])).all()
