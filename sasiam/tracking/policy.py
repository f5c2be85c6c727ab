"""SiamFC's per-target search: one target's state, and its update from score maps.

`TargetState` and `SearchPolicy` know crops, maps and boxes only (no network), so the
single tracker, the multi-target tracker and the bench (`sasiam bench`, which times
`locate` apart from the rest of `step`) reuse them unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from ..config import TrackerConfig
from . import geometry
from .crops import crop_square


@dataclass
class TargetState:
    center: np.ndarray       # (cx, cy) in frame pixels
    size: np.ndarray         # (w, h)
    initial_size: np.ndarray
    fill: np.ndarray         # padding colour: the first frame's mean
    score: float = 1.0

    @property
    def box(self) -> tuple[float, float, float, float]:
        return geometry.center_to_box(self.center, self.size)


class SearchPolicy:
    """SiamFC's crops, peak search, scale damping and clamps: pure given the score maps."""

    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self.window = geometry.hann_window(config.upscaled_size)
        self.scale_factors = np.array(config.scale_factors())
        self.penalties = np.where(np.isclose(self.scale_factors, 1.0), 1.0, config.scale_penalty)

    def start(self, frame: np.ndarray, box: Sequence[float]) -> TargetState:
        height, width = frame.shape[:2]
        center, size = geometry.box_to_center(geometry.validate_box(box, width, height))
        return TargetState(center, size, size.copy(), frame.mean(axis=(0, 1)))

    def search_side(self, state: TargetState) -> float:
        exemplar_side = geometry.context_side(state.size, self.config.context_amount)
        return exemplar_side * self.config.search_size / self.config.exemplar_size

    def context_crop(self, frame: np.ndarray, state: TargetState) -> np.ndarray:
        """The first frame's 255 crop the exemplar kernels (and attention) are cut from."""
        return crop_square(frame, state.center, self.search_side(state), self.config.search_size, state.fill)

    def search_crops(self, frame: np.ndarray, state: TargetState) -> np.ndarray:
        side = self.search_side(state)
        return np.stack([crop_square(frame, state.center, side * factor, self.config.search_size, state.fill)
                         for factor in self.scale_factors])

    def step(self, state: TargetState, maps: np.ndarray, frame_shape: tuple[int, ...],
             located: tuple[int, tuple[int, int], float] | None = None,
             scale_maps: np.ndarray | None = None) -> TargetState:
        """The new state from this target's per-scale maps (S x 17 x 17); `located` is `locate(maps)`
        when the caller already has it (the stage bench times the two apart); `scale_maps`: see `locate`."""
        if not np.isfinite(maps).all() or (scale_maps is not None and not np.isfinite(scale_maps).all()):
            return self.hold(state, frame_shape)
        return self.move(state, self.locate(maps, scale_maps) if located is None else located, frame_shape)

    def move(self, state: TargetState, located: tuple[int, tuple[int, int], float],
             frame_shape: tuple[int, ...]) -> TargetState:
        """The new state from `locate`'s (scale, peak, response) on this target's maps."""
        config = self.config
        search_side = self.search_side(state)
        scale_id, peak, response_peak = located
        if not np.isfinite(response_peak):  # finite maps too large for the bicubic upsampling
            return self.hold(state, frame_shape)
        factor = self.scale_factors[scale_id]
        displacement = geometry.peak_displacement(
            peak[0], peak[1], config.upscaled_size, config.upscale, config.total_stride,
            search_side * factor, config.search_size,
        )
        height, width = frame_shape[:2]
        # Keep the centre on the frame (as pysot does): a target that leaves is searched for at the border.
        center = np.clip(state.center + displacement, [0.0, 0.0], [float(width), float(height)])
        scale = (1 - config.scale_damping) + config.scale_damping * factor
        size = geometry.clamp_size(state.size * scale, state.initial_size, config.min_scale, config.max_scale)
        return TargetState(center, size, state.initial_size, state.fill, response_peak)

    @staticmethod
    def hold(state: TargetState, frame_shape: tuple[int, ...]) -> TargetState:
        """No usable measurement (NaN or infinite scores): the target stays where it was, score NaN.

        Boxes stay finite whatever the network outputs; NaN weights are refused when loaded,
        so this guards against what is left (an overflow, a backend that misbehaves)."""
        height, width = frame_shape[:2]
        center = np.clip(state.center, [0.0, 0.0], [float(width), float(height)])
        return TargetState(center, state.size.copy(), state.initial_size, state.fill, float("nan"))

    def upsampled(self, maps: np.ndarray) -> np.ndarray:
        size = self.config.upscaled_size
        return np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_CUBIC) for m in maps])

    def best_scale(self, upsampled: np.ndarray) -> int:
        """The scale whose penalised upsampled map peaks highest."""
        penalised = upsampled * self.penalties[:, None, None]
        return int(np.argmax(penalised.reshape(len(upsampled), -1).max(axis=1)))

    def locate(self, maps: np.ndarray, scale_maps: np.ndarray | None = None) -> tuple[int, tuple[int, int], float]:
        """SiamFC's peak search: upsample, penalise scale change, pick the best scale, cosine window.

        `scale_maps` (same shape), when given, pick the scale in place of `maps`; the peak is still found on
        `maps` at that scale. With semantic_scales="middle" they are the A-Net's maps: the semantic map is
        one map shared by the three scales, and with it in the combined maps the scale penalty, which scales
        the shared part too, keeps the middle scale (docs/bench)."""
        config = self.config
        upsampled = self.upsampled(maps)
        scale_id = self.best_scale(upsampled if scale_maps is None else self.upsampled(scale_maps))
        response = upsampled[scale_id] * self.penalties[scale_id]
        response = response - response.min()
        response = response / (response.sum() + 1e-16)
        response = (1 - config.window_influence) * response + config.window_influence * self.window
        row, col = np.unravel_index(int(np.argmax(response)), response.shape)
        return scale_id, (int(row), int(col)), float(upsampled[scale_id, row, col])
