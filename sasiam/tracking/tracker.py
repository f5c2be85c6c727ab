"""SA-Siam inference: SiamFC's tracking loop over the combined score map.

The loop knows crops and boxes only; a backend (`sasiam.backends`) turns crops into
score maps, and `SearchPolicy` (policy.py) turns one target's maps into its new state,
so a multi-target tracker reuses both unchanged.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ..backends import Backend, Calibration, check_lam, load_backend
from ..backends.base import maps_and_scale_maps
from ..backends.paths import SPEEDS
from ..config import DEFAULT_LAMBDA, Backbone, Branches, TrackerConfig
from ..errors import InvalidOptionError
from .calibration import calibration_for
from .frames import as_bgr_uint8
from .path_choice import pick_path
from .policy import SearchPolicy, TargetState


class UntrainedWeightsWarning(UserWarning):
    """The network's learned parts are random: boxes will be poor."""


class SASiamTracker:
    """Single-object tracker. `init(frame, box)` once, then `update(frame)` per frame.

    Frames are H x W x 3 uint8 BGR (OpenCV order; grayscale, BGRA, uint16 and
    float frames are converted); boxes are (x, y, w, h) in 0-based pixels.
    `backend` is a backend object (see `sasiam.backends.Backend`), which runs whatever
    it wraps, or the name of a kind, "torch" (default: PyTorch) or "onnx" (graphs of
    `sasiam export-onnx`, weights=their folder, no torch import on that path; or weights=a
    checkpoint / None, exported into the user cache on first use and reused after), built
    by `sasiam.backends.load_backend` from the other options. precision="int8"
    calibrates on `calibration` (default: crops of the training split, see calibration.py).

    `speed` picks the inference path (backend, precision, semantic_scales; `sasiam/backends/paths.py`):
    "faithful" (default) the paper's configuration, torch fp32 with every scale through the S-Net; "fast"
    the fastest path whose recorded test-split AUC is within 0.01 of it and that runs fast here. Options
    given explicitly replace the faithful path's, or narrow the fast choice to the recorded paths that have
    them (`path_choice.pick_path`). `path` names the path that runs, `path_reason` says why.
    """

    def __init__(self, weights: str | Path | None = None, branches: Branches = "both", lam: float | None = None,
                 device: str = "cpu", config: TrackerConfig | None = None, snet_weights: str | Path | None = None,
                 backbone: Backbone | None = None, precision: str | None = None, backend: Backend | str | None = None,
                 calibration: Calibration | None = None, semantic_scales: str | None = None,
                 speed: str = "faithful") -> None:
        config = config or TrackerConfig()
        if speed not in SPEEDS:
            raise InvalidOptionError(f"speed must be one of {', '.join(map(repr, SPEEDS))}, got {speed!r}")
        self.branches = branches
        untrained: list[str] = []
        if backend is None or isinstance(backend, str):
            from ..integrations.onnx_export import onnx_can_run

            # only the fast choice asks whether an ONNX path could run these weights (stat calls, no I/O else)
            chosen = pick_path(speed, device=device, weights=weights,
                               onnx_ok=speed != "fast" or onnx_can_run(weights, snet_weights, backbone),
                               given={"backend": backend, "precision": precision, "semantic_scales": semantic_scales})
            backend, precision, semantic_scales = chosen.backend, chosen.precision, chosen.semantic_scales
            self.path, self.path_reason = chosen.name, chosen.reason
            if backend == "onnx":
                from ..integrations.onnx_export import onnx_weights

                weights = onnx_weights(weights, branches, snet_weights, backbone)
            backend = load_backend(backend, weights=weights, branches=branches, lam=lam, device=device,
                                   precision=precision, snet_weights=snet_weights, backbone=backbone,
                                   calibration=calibration_for(precision, calibration), default_lam=config.lam,
                                   semantic_scales=semantic_scales)
            untrained = list(backend.untrained)
        else:
            self.path, self.path_reason = type(backend).__name__, "a backend object given by the caller"
            if lam is not None:
                backend.lam = check_lam(lam)
        self.precision = getattr(backend, "precision", precision or "fp32")  # what runs: an export's own, say
        self.backend = backend
        self.untrained_branches = untrained
        if untrained:
            warnings.warn(
                f"sasiam: the {' and '.join(untrained)} branch weights are UNTRAINED "
                "(random initialisation): tracking quality is meaningless until trained weights are loaded",
                UntrainedWeightsWarning, stacklevel=2,
            )
        self.config = config
        self.policy = SearchPolicy(config)
        self.state: TargetState | None = None
        self._kernels = None

    @classmethod
    def from_network(cls, net, lam: float = DEFAULT_LAMBDA, config: TrackerConfig | None = None,
                     device: str = "cpu", precision: str = "fp32",
                     calibration: Calibration | None = None) -> "SASiamTracker":
        """A tracker around a network already in memory (validation during training, tuning lambda)."""
        from ..backends.torch import TorchBackend

        backend = TorchBackend(net, check_lam(lam), device, precision,
                               calibration=calibration_for(precision, calibration))
        tracker = cls(config=config, precision=precision, backend=backend)
        tracker.branches = "both" if len(net.branches()) == 2 else next(iter(net.branches()))
        return tracker

    # -- properties kept for callers and tests --------------------------
    @property
    def net(self):
        return self.backend.net

    @property
    def lam(self) -> float:
        return self.backend.lam

    @property
    def kernels(self):
        """The exemplar kernels of `init` (the backend's own type), None before it."""
        return self._kernels

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
        maps, scale_maps = maps_and_scale_maps(self.backend, self._kernels, self.policy.search_crops(frame, self.state))
        self.state = self.policy.step(self.state, maps, frame.shape, scale_maps=scale_maps)
        return self.box
