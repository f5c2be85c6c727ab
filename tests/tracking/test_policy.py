"""SearchPolicy.locate: SiamFC's peak search, and the scale picked on other maps (semantic_scales="middle")."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from sasiam.config import TrackerConfig
from sasiam.tracking.policy import SearchPolicy

POLICY = SearchPolicy(TrackerConfig())
MAPS = arrays(np.float32, (3, 17, 17), elements=st.floats(-10, 10, width=32))



@settings(max_examples=30, deadline=None)
@given(MAPS)
def test_scale_maps_equal_to_the_maps_change_nothing(maps):
    assert POLICY.locate(maps, maps.copy()) == POLICY.locate(maps)


@settings(max_examples=30, deadline=None)
@given(MAPS, st.integers(0, 2))
def test_the_scale_maps_pick_the_scale_and_the_maps_the_peak(maps, wanted):
    scale_maps = np.zeros_like(maps)
    scale_maps[wanted, 8, 8] = 100.0  # far above anything a penalty of 0.9745 could undo
    scale, peak, response = POLICY.locate(maps, scale_maps)
    assert scale == wanted
    others_sunk = maps.copy()
    others_sunk[np.arange(3) != wanted] = -1e4  # the plain search then picks `wanted` itself
    assert (scale, peak, response) == POLICY.locate(others_sunk)


def test_a_shared_map_keeps_the_middle_scale_unless_the_scale_maps_decide():
    shared = np.zeros((17, 17), np.float32)
    shared[8, 8] = 1.0
    appearance = np.zeros((3, 17, 17), np.float32)
    appearance[:, 8, 8] = 1.0
    appearance[0, 8, 8] = 1.2  # the A-Net prefers the smaller scale by 20 %
    combined = 0.1 * appearance + 0.9 * shared
    assert POLICY.locate(combined)[0] == 1           # the penalty on the shared part wins
    assert POLICY.locate(combined, appearance)[0] == 0
