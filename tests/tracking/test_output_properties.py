"""Property tests (hypothesis) of what the tracking loop outputs, whatever the score maps:
SiamFC's update (`SearchPolicy.step`) driven by arbitrary maps - NaN, infinite, huge,
flat - from arbitrary valid states always gives a sane box: finite, centre on the frame,
size within the scale clamps. The network is not needed for this; test_bad_input.py
checks the same property through the real tracker."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sasiam.config import TrackerConfig
from sasiam.errors import BoxClippedWarning, InvalidBoxError
from sasiam.tracking import geometry
from sasiam.tracking.crops import crop_square
from sasiam.tracking.policy import SearchPolicy, TargetState

CONFIG = TrackerConfig()
POLICY = SearchPolicy(CONFIG)

any_float = st.floats(allow_nan=True, allow_infinity=True, width=32)
sizes = st.floats(1.0, 4000.0)


@st.composite
def states(draw):
    width, height = draw(st.integers(1, 8000)), draw(st.integers(1, 5000))
    initial = np.array([draw(sizes), draw(sizes)])
    size = initial * np.array([draw(st.floats(CONFIG.min_scale, CONFIG.max_scale)) for _ in range(2)])
    center = np.array([draw(st.floats(0, width)), draw(st.floats(0, height))])
    return TargetState(center, size, initial, np.zeros(3)), (height, width, 3)


@st.composite
def score_maps(draw):
    """Random maps at any magnitude, some flat, with NaN/inf/huge values planted anywhere."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    magnitude = draw(st.sampled_from([0.0, 1e-30, 1e-3, 1.0, 1e3, 1e30]))
    maps = (rng.normal(size=(3, 17, 17)) * magnitude).astype(np.float32)
    for _ in range(draw(st.integers(0, 3))):
        where = (draw(st.integers(0, 2)), draw(st.integers(0, 16)), draw(st.integers(0, 16)))
        maps[where] = draw(any_float)
    return maps


@settings(max_examples=200, deadline=None)
@given(state_and_shape=states(), maps=score_maps(), steps=st.integers(1, 4), resize=st.floats(0.1, 3.0))
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # maps near float32's limit overflow
def test_any_score_maps_give_sane_boxes(state_and_shape, maps, steps, resize):
    state, shape = state_and_shape
    for step in range(steps):
        if step == steps - 1:  # the frame may change size between updates
            shape = (max(1, int(shape[0] * resize)), max(1, int(shape[1] * resize)), 3)
        state = POLICY.step(state, maps, shape)
        assert geometry.is_sane_box(state.box, shape[1], shape[0], state.initial_size, CONFIG.min_scale,
                                    CONFIG.max_scale), (state.box, shape)
        maps = np.roll(maps, 1)


@settings(max_examples=100, deadline=None)
@given(state_and_shape=states(), value=st.sampled_from([np.nan, np.inf, -np.inf]),
       where=st.tuples(st.integers(0, 2), st.integers(0, 16), st.integers(0, 16)))
def test_a_non_finite_score_keeps_the_target_where_it_was(state_and_shape, value, where):
    state, shape = state_and_shape
    maps = np.random.default_rng(0).normal(size=(3, 17, 17)).astype(np.float32)
    maps[where] = value
    new = POLICY.step(state, maps, shape)
    assert np.array_equal(new.center, state.center) and np.array_equal(new.size, state.size)
    assert np.isnan(new.score)


def test_finite_maps_behave_as_before_the_guard():
    """The guard only acts on non-finite maps: a peak right of centre moves the target right."""
    state = TargetState(np.array([500.0, 400.0]), np.array([50.0, 60.0]), np.array([50.0, 60.0]), np.zeros(3))
    maps = np.zeros((3, 17, 17), np.float32)
    maps[1, 8, 11] = 1.0
    new = POLICY.step(state, maps, (800, 1000, 3))
    assert new.center[0] > 510 and abs(new.center[1] - 400) < 1 and new.score > 0


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 1200), height=st.integers(1, 900), box=st.tuples(
    st.floats(-2e3, 2e3), st.floats(-2e3, 2e3), st.floats(1, 4e3), st.floats(1, 4e3)))
def test_search_crops_of_any_valid_box_on_any_frame_size_are_255_squares(width, height, box):
    frame = np.full((height, width, 3), 90, np.uint8)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoxClippedWarning)
            clipped = geometry.validate_box(box, width, height)
    except InvalidBoxError:
        return
    center, size = geometry.box_to_center(clipped)
    state = TargetState(center, size, size.copy(), np.array([1.0, 2.0, 3.0]))
    crops = POLICY.search_crops(frame, state)
    assert crops.shape == (3, 255, 255, 3) and crops.dtype == np.uint8
    context = crop_square(frame, center, POLICY.search_side(state), 255, state.fill)
    assert context.shape == (255, 255, 3)
