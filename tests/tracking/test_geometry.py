import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sasiam.errors import InvalidBoxError
from sasiam.tracking import geometry
from sasiam.tracking.crops import crop_square

sizes = st.floats(min_value=1.0, max_value=2000.0)
coords = st.floats(min_value=-500.0, max_value=3000.0)


@given(cx=coords, cy=coords, side=sizes, out=st.sampled_from([127, 239, 255]),
       points=st.lists(st.tuples(coords, coords), min_size=1, max_size=5))
def test_crop_frame_mapping_round_trips(cx, cy, side, out, points):
    center = np.array([cx, cy])
    points = np.array(points)
    back = geometry.crop_to_frame(geometry.frame_to_crop(points, center, side, out), center, side, out)
    assert np.allclose(back, points, atol=1e-6 * max(1.0, np.abs(points).max()))


@given(cx=coords, cy=coords, side=sizes, out=st.sampled_from([127, 255]))
def test_affine_matrix_agrees_with_continuous_mapping(cx, cy, side, out):
    center = np.array([cx, cy])
    matrix = geometry.crop_transform(center, side, out)
    index = np.array([3.0, out - 7.0])
    # crop pixel index i has its centre at continuous i + 0.5; frame index = continuous - 0.5
    expected = geometry.crop_to_frame(index + 0.5, center, side, out) - 0.5
    assert np.allclose(matrix[:, :2] @ index + matrix[:, 2], expected)


@settings(deadline=None, max_examples=40)
@given(width=st.integers(1, 400), height=st.integers(1, 400), cx=coords, cy=coords, side=sizes,
       out=st.sampled_from([17, 127, 255]))
def test_crop_of_any_box_on_any_frame_has_the_right_shape(width, height, cx, cy, side, out):
    frame = np.full((height, width, 3), 200, np.uint8)
    crop = crop_square(frame, np.array([cx, cy]), side, out, fill=(1, 2, 3))
    assert crop.shape == (out, out, 3) and crop.dtype == np.uint8


def test_crop_pads_with_the_fill_colour_and_keeps_the_centre():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[45:55, 45:55] = 255
    crop = crop_square(frame, np.array([50.0, 50.0]), 200.0, 200, fill=(7, 8, 9))
    assert tuple(crop[0, 0]) == (7, 8, 9)
    assert (crop[95:105, 95:105] == 255).all()


@given(x=coords, y=coords, w=sizes, h=sizes)
def test_box_center_round_trip(x, y, w, h):
    center, size = geometry.box_to_center((x, y, w, h))
    assert np.allclose(geometry.center_to_box(center, size), (x, y, w, h))


@pytest.mark.parametrize("box", [(0, 0, 0, 5), (0, 0, -3, 5), (math.nan, 0, 5, 5), (0, math.inf, 5, 5),
                                 (200, 200, 10, 10), (-50, -50, 20, 20), (1, 2, 3)])
def test_untrackable_boxes_are_refused(box):
    with pytest.raises(InvalidBoxError):
        geometry.validate_box(box, 100, 80)


def test_boxes_partly_outside_are_clipped():
    assert geometry.validate_box((-10, 70, 30, 30), 100, 80) == (0.0, 70.0, 20.0, 10.0)
    assert geometry.validate_box((-10, -10, 500, 500), 100, 80) == (0.0, 0.0, 100.0, 80.0)


def test_context_side_matches_siamfc():
    # p = (w + h) / 2; s_z = sqrt((w + p)(h + p))
    assert geometry.context_side(np.array([40.0, 20.0]), 0.5) == pytest.approx(math.sqrt(70 * 50))


def test_hann_window_is_normalised_and_peaks_in_the_centre():
    window = geometry.hann_window(272)
    assert window.sum() == pytest.approx(1.0)
    assert np.unravel_index(window.argmax(), window.shape) in {(135, 135), (136, 136), (135, 136), (136, 135)}


def test_peak_displacement():
    assert np.allclose(geometry.peak_displacement(135.5, 135.5, 272, 16, 8, 510.0, 255), 0)
    # 16 upsampled cells = one score cell = 8 crop pixels = 16 frame pixels at a 2x crop scale
    assert np.allclose(geometry.peak_displacement(135.5, 151.5, 272, 16, 8, 510.0, 255), [16.0, 0.0])


@given(w=sizes, h=sizes, s=st.floats(0.01, 100))
def test_clamp_size_holds(w, h, s):
    initial = np.array([w, h])
    clamped = geometry.clamp_size(initial * s, initial, 0.2, 5.0)
    assert np.all(clamped >= initial * 0.2 - 1e-9) and np.all(clamped <= initial * 5.0 + 1e-9)


def test_iou():
    assert geometry.iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert geometry.iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert geometry.iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
