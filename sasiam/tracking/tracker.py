"""SA-Siam inference: SiamFC's tracking loop over the combined score map."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch

from ..checkpoint import load_checkpoint
from ..config import Backbone, Branches, ModelConfig, TrackerConfig
from ..errors import CheckpointError
from ..models.factory import build_network, network_from_checkpoint
from ..models.sasiam_net import SASiamNet
from ..weights import default_weights_path
from . import geometry
from .crops import crop_square, crops_to_tensor
from .frames import as_bgr_uint8


PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


class UntrainedWeightsWarning(UserWarning):
    """The network's learned parts are random: boxes will be poor."""


def load_network(weights: str | Path | None, branches: Branches, snet_weights: str | Path | None = None,
                 backbone: Backbone | None = None) -> tuple[SASiamNet, float | None, list[str]]:
    """The network, the checkpoint's lambda, and the names of branches that are untrained."""
    path = Path(weights) if weights is not None else default_weights_path()
    if path is None:
        net = build_network(ModelConfig(backbone=backbone or "efficientnet_lite0"), branches, snet_weights).eval()
        return net, None, list(net.branches())
    checkpoint = load_checkpoint(path)
    net = network_from_checkpoint(checkpoint, branches, snet_weights, source=str(path), backbone=backbone)
    untrained = [name for name in net.branches() if not checkpoint.trained.get(name, False)]
    return net, checkpoint.lam, untrained


class SASiamTracker:
    """Single-object tracker. `init(frame, box)` once, then `update(frame)` per frame.

    Frames are H x W x 3 uint8 BGR (OpenCV order; grayscale, BGRA, uint16 and
    float frames are converted); boxes are (x, y, w, h) in 0-based pixels.
    """

    def __init__(self, weights: str | Path | None = None, branches: Branches = "both", lam: float | None = None,
                 device: str = "cpu", config: TrackerConfig | None = None, snet_weights: str | Path | None = None,
                 backbone: Backbone | None = None, precision: str = "fp32") -> None:
        self.device = torch.device(device)
        self.precision = check_precision(precision)
        self.net, checkpoint_lam, self.untrained_branches = load_network(weights, branches, snet_weights, backbone)
        self.net.to(self.device)
        config = config or TrackerConfig()
        if lam is None:
            lam = checkpoint_lam if checkpoint_lam is not None else config.lam
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must lie in [0, 1], got {lam}")
        self.lam = float(lam)
        self.branches = branches
        if self.untrained_branches:
            warnings.warn(
                f"sasiam: the {' and '.join(self.untrained_branches)} branch weights are UNTRAINED "
                "(random initialisation): tracking quality is meaningless until trained weights are loaded",
                UntrainedWeightsWarning, stacklevel=2,
            )
        self._setup(config)

    @classmethod
    def from_network(cls, net: SASiamNet, lam: float = 0.3, config: TrackerConfig | None = None,
                     device: str = "cpu", precision: str = "fp32") -> "SASiamTracker":
        """A tracker around a network already in memory (validation during training, tuning lambda)."""
        tracker = cls.__new__(cls)
        tracker.device = torch.device(device)
        tracker.precision = check_precision(precision)
        tracker.net = net.to(tracker.device).eval()
        tracker.untrained_branches = []
        tracker.branches = "both" if len(net.branches()) == 2 else next(iter(net.branches()))
        tracker.lam = float(lam)
        tracker._setup(config or TrackerConfig())
        return tracker

    def _setup(self, config: TrackerConfig) -> None:
        self.config = config
        if self.precision == "bf16":
            self.net.to(memory_format=torch.channels_last)
        self._window = geometry.hann_window(config.upscaled_size)
        self._scale_factors = np.array(config.scale_factors())
        self._penalties = np.where(np.isclose(self._scale_factors, 1.0), 1.0, config.scale_penalty)
        self.score = float("nan")
        self._kernels: dict[str, torch.Tensor] | None = None

    # -- state ---------------------------------------------------------
    def _search_side(self) -> float:
        exemplar_side = geometry.context_side(self.size, self.config.context_amount)
        return exemplar_side * self.config.search_size / self.config.exemplar_size

    @property
    def box(self) -> tuple[float, float, float, float]:
        return geometry.center_to_box(self.center, self.size)

    # -- API -----------------------------------------------------------
    def init(self, frame: np.ndarray, box: Sequence[float]) -> None:
        frame = as_bgr_uint8(frame)
        height, width = frame.shape[:2]
        box = geometry.validate_box(box, width, height)
        self.center, self.size = geometry.box_to_center(box)
        self.initial_size = self.size.copy()
        self.fill = frame.mean(axis=(0, 1))
        context_crop = crop_square(frame, self.center, self._search_side(), self.config.search_size, self.fill)
        with self._autocast():
            self._kernels = self.net.exemplar(self._as_input(crops_to_tensor([context_crop], self.device)))
        self.score = 1.0

    def search_crops(self, frame: np.ndarray) -> np.ndarray:
        side = self._search_side()
        return np.stack([
            crop_square(frame, self.center, side * factor, self.config.search_size, self.fill)
            for factor in self._scale_factors
        ])

    def score_maps(self, frame: np.ndarray) -> np.ndarray:
        """Combined 17 x 17 map per scale (one batched forward of all scales)."""
        with self._autocast():
            maps = self.net.responses(self._kernels, self._as_input(crops_to_tensor(self.search_crops(frame), self.device)))
        return SASiamNet.combine({k: v.float() for k, v in maps.items()}, self.lam).cpu().numpy()

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def _as_input(self, crops: torch.Tensor) -> torch.Tensor:
        return crops.contiguous(memory_format=torch.channels_last) if self.precision == "bf16" else crops

    def update(self, frame: np.ndarray) -> tuple[float, float, float, float]:
        if self._kernels is None:
            raise RuntimeError("call init(frame, box) before update(frame)")
        frame = as_bgr_uint8(frame)
        search_side = self._search_side()
        scale_id, peak, response_peak = self.locate(self.score_maps(frame))
        factor = self._scale_factors[scale_id]
        config = self.config
        displacement = geometry.peak_displacement(
            peak[0], peak[1], config.upscaled_size, config.upscale, config.total_stride,
            search_side * factor, config.search_size,
        )
        height, width = frame.shape[:2]
        # Keep the centre on the frame (as pysot does): a target that leaves is searched for at the border.
        self.center = np.clip(self.center + displacement, [0.0, 0.0], [float(width), float(height)])
        scale = (1 - config.scale_damping) + config.scale_damping * factor
        self.size = geometry.clamp_size(self.size * scale, self.initial_size, config.min_scale, config.max_scale)
        self.score = response_peak
        return self.box

    def locate(self, maps: np.ndarray) -> tuple[int, tuple[int, int], float]:
        """SiamFC's peak search: upsample, penalise scale change, pick the best scale, cosine window."""
        config = self.config
        size = config.upscaled_size
        upsampled = np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_CUBIC) for m in maps])
        penalised = upsampled * self._penalties[:, None, None]
        scale_id = int(np.argmax(penalised.reshape(len(maps), -1).max(axis=1)))
        response = penalised[scale_id]
        response = response - response.min()
        response = response / (response.sum() + 1e-16)
        response = (1 - config.window_influence) * response + config.window_influence * self._window
        row, col = np.unravel_index(int(np.argmax(response)), response.shape)
        return scale_id, (int(row), int(col)), float(upsampled[scale_id, row, col])
