"""SA-Siam inference: SiamFC's tracking loop over the combined score map.

The loop knows crops and boxes only; a backend (`backends.py`) turns crops into
score maps. `TargetState` and `SearchPolicy` hold one target's state and
SiamFC's per-frame update, so a multi-target tracker reuses them unchanged.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ..config import DEFAULT_LAMBDA, Backbone, Branches, TrackerConfig
from ..errors import InvalidOptionError
from . import geometry
from .crops import crop_square
from .frames import as_bgr_uint8


class UntrainedWeightsWarning(UserWarning):
    """The network's learned parts are random: boxes will be poor."""


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
             located: tuple[int, tuple[int, int], float] | None = None) -> TargetState:
        """The new state from this target's per-scale maps (S x 17 x 17); `located` is `locate(maps)`
        when the caller already has it (the stage bench times the two apart)."""
        if not np.isfinite(maps).all():
            return self.hold(state, frame_shape)
        return self.move(state, self.locate(maps) if located is None else located, frame_shape)

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

    def locate(self, maps: np.ndarray) -> tuple[int, tuple[int, int], float]:
        """SiamFC's peak search: upsample, penalise scale change, pick the best scale, cosine window."""
        config = self.config
        size = config.upscaled_size
        upsampled = np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_CUBIC) for m in maps])
        penalised = upsampled * self.penalties[:, None, None]
        scale_id = int(np.argmax(penalised.reshape(len(maps), -1).max(axis=1)))
        response = penalised[scale_id]
        response = response - response.min()
        response = response / (response.sum() + 1e-16)
        response = (1 - config.window_influence) * response + config.window_influence * self.window
        row, col = np.unravel_index(int(np.argmax(response)), response.shape)
        return scale_id, (int(row), int(col)), float(upsampled[scale_id, row, col])


def torch_backend(weights, branches, lam, device, snet_weights, backbone, precision, config: TrackerConfig):
    """The PyTorch backend and the names of untrained branches (imports torch only here)."""
    from .backends import TorchBackend, load_network

    net, checkpoint_lam, untrained = load_network(weights, branches, snet_weights, backbone)
    if lam is None:
        lam = checkpoint_lam if checkpoint_lam is not None else config.lam
    return TorchBackend(net, check_lam(lam), device, precision), untrained


def check_lam(lam: float) -> float:
    if not 0.0 <= lam <= 1.0:
        raise InvalidOptionError(f"lam must lie in [0, 1], got {lam}")
    return float(lam)


class SASiamTracker:
    """Single-object tracker. `init(frame, box)` once, then `update(frame)` per frame.

    Frames are H x W x 3 uint8 BGR (OpenCV order; grayscale, BGRA, uint16 and
    float frames are converted); boxes are (x, y, w, h) in 0-based pixels.
    `backend="torch"` (default) runs PyTorch; a backend object (see
    `sasiam.tracking.backends.Backend`) runs whatever it wraps.
    """

    def __init__(self, weights: str | Path | None = None, branches: Branches = "both", lam: float | None = None,
                 device: str = "cpu", config: TrackerConfig | None = None, snet_weights: str | Path | None = None,
                 backbone: Backbone | None = None, precision: str = "fp32", backend="torch") -> None:
        config = config or TrackerConfig()
        self.branches = branches
        self.precision = precision
        if backend == "torch":
            backend, untrained = torch_backend(weights, branches, lam, device, snet_weights, backbone, precision, config)
        elif backend == "onnx":
            # weights = the folder `sasiam export-onnx` wrote; no torch import on this path
            from ..integrations.onnx import tracker_backend as onnx_backend

            backend, untrained = onnx_backend(weights, branches, lam, device, snet_weights, backbone, precision)
        elif isinstance(backend, str):
            raise InvalidOptionError(f"unknown backend {backend!r}; use 'torch', 'onnx' or a backend object")
        else:
            untrained = []
            if lam is not None:
                backend.lam = check_lam(lam)
        self.backend = backend
        self.untrained_branches = untrained
        if untrained:
            warnings.warn(
                f"sasiam: the {' and '.join(untrained)} branch weights are UNTRAINED "
                "(random initialisation): tracking quality is meaningless until trained weights are loaded",
                UntrainedWeightsWarning, stacklevel=2,
            )
        self._setup(config)

    @classmethod
    def from_network(cls, net, lam: float = DEFAULT_LAMBDA, config: TrackerConfig | None = None,
                     device: str = "cpu", precision: str = "fp32") -> "SASiamTracker":
        """A tracker around a network already in memory (validation during training, tuning lambda)."""
        from .backends import TorchBackend

        tracker = cls.__new__(cls)
        tracker.backend = TorchBackend(net, check_lam(lam), device, precision)
        tracker.precision = precision
        tracker.untrained_branches = []
        tracker.branches = "both" if len(net.branches()) == 2 else next(iter(net.branches()))
        tracker._setup(config or TrackerConfig())
        return tracker

    def _setup(self, config: TrackerConfig) -> None:
        self.config = config
        self.policy = SearchPolicy(config)
        self.state: TargetState | None = None
        self._kernels = None

    # -- properties kept for callers and tests --------------------------
    @property
    def net(self):
        return self.backend.net

    @property
    def lam(self) -> float:
        return self.backend.lam

    @property
    def score(self) -> float:
        return self.state.score if self.state is not None else float("nan")

    @property
    def box(self) -> tuple[float, float, float, float]:
        if self.state is None:
            raise RuntimeError("call init(frame, box) first")
        return self.state.box

    # -- API -----------------------------------------------------------
    def init(self, frame: np.ndarray, box: Sequence[float]) -> None:
        frame = as_bgr_uint8(frame)
        state = self.policy.start(frame, box)
        self._kernels = self.backend.exemplar(self.policy.context_crop(frame, state)[None])
        self.state = state

    def search_crops(self, frame: np.ndarray) -> np.ndarray:
        return self.policy.search_crops(as_bgr_uint8(frame), self.state)

    def score_maps(self, frame: np.ndarray) -> np.ndarray:
        """Combined 17 x 17 map per scale (one batched forward of all scales)."""
        return self.backend.score_maps(self._kernels, self.search_crops(frame))

    def update(self, frame: np.ndarray) -> tuple[float, float, float, float]:
        if self._kernels is None:
            raise RuntimeError("call init(frame, box) before update(frame)")
        frame = as_bgr_uint8(frame)
        maps = self.backend.score_maps(self._kernels, self.policy.search_crops(frame, self.state))
        self.state = self.policy.step(self.state, maps, frame.shape)
        return self.box
