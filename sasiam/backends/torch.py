"""The PyTorch backend: SASiamNet on crops, in fp32, bf16 (autocast + channels-last) or with an
int8 A-Net (`int8.py`).

A frame's search side runs as named stages, which `score_maps` chains and `sasiam bench`
(`sasiam/evaluation/speed.py`) times one by one, so the bench measures the tracker's own code:

    x = backend.search_input(crops)                                   # crop: uint8 NHWC -> float NCHW
    appearance = backend.appearance_trunk(x, targets)                 # anet: A-Net features
    levels = backend.semantic_trunk(x, targets)                       # snet: S-Net conv4, conv5
    maps, scale_maps = backend.fusion_and_correlation(kernels, appearance, levels)  # 1x1 fusion, correlations,
                                                                      # combine (scale_maps: "middle" only)

On CUDA, `score_maps` replays those stages as one captured CUDA graph per input shape
(`cuda_graphs.py`); `cuda_graphs=False` keeps the eager path.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..checkpoint import load_checkpoint
from ..config import DEFAULT_LAMBDA, Backbone, Branches, ModelConfig
from ..errors import InvalidOptionError
from ..models.factory import build_network, network_from_checkpoint
from ..models.sasiam_net import SASiamNet
from ..weights import default_weights_path
from .base import Calibration, check_lam, check_precision, check_semantic_scales, semantic_crops
from .cuda_graphs import Capture, StaticShapeGraphs, cuda_capture
from .int8 import quantize_network


def crops_to_tensor(crops: Sequence[np.ndarray] | np.ndarray | torch.Tensor,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """N x H x W x 3 uint8 crops (numpy, or a tensor already on the device) -> N x 3 x H x W float32
    (BGR, [0, 255])."""
    if isinstance(crops, torch.Tensor):
        batch = crops
    else:
        batch = torch.from_numpy(np.ascontiguousarray(np.stack(crops) if not isinstance(crops, np.ndarray) else crops))
    return batch.to(device).permute(0, 3, 1, 2).float()


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


def repeat_per_group(kernels: torch.Tensor, total: int) -> torch.Tensor:
    """Kernel i repeated for its total / N consecutive search crops."""
    if total % kernels.shape[0]:
        raise ValueError(f"{total} search crops cannot be split among {kernels.shape[0]} kernels")
    return kernels.repeat_interleave(total // kernels.shape[0], dim=0)


class TorchBackend:
    """SASiamNet in PyTorch: fp32; bf16 autocast with channels-last (CPUs with AVX-512 BF16 / AMX);
    int8 A-Net (`int8.py`, CPU only, calibrated on the real crops `calibration` gives); or "auto"
    (`auto_precision`)."""

    def __init__(self, net: SASiamNet, lam: float, device: str | torch.device = "cpu", precision: str = "fp32",
                 per_target_trunks: bool | None = None, calibration: Calibration | None = None,
                 untrained: Sequence[str] = (), cuda_graphs: bool | None = None,
                 capture: Capture | None = None, semantic_scales: str = "all") -> None:
        try:
            self.device = torch.device(device)
        except RuntimeError as error:
            raise InvalidOptionError(f"device {device!r}: {error}") from None
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise InvalidOptionError(f"device {device!r}: no CUDA device is available to this PyTorch "
                                     f"({torch.__version__}); use --device cpu")
        self.precision = check_precision(precision)
        # Many targets: on a CPU one batch of all N x 3 search crops through a trunk costs more per crop than
        # N batches of one target's 3 crops (measured on the 2-core AVX2 machine: S-Net 328 vs ~110-150 ms
        # per crop at 24 crops; activations of a big batch no longer fit in cache), so the trunks run one
        # target at a time there; the kernels stay stacked and the correlation stays one grouped conv.
        # A GPU gets the whole batch at once.
        self.per_target_trunks = self.device.type == "cpu" if per_target_trunks is None else per_target_trunks
        self.lam = float(lam)
        self.untrained = tuple(untrained)
        self.semantic_scales = check_semantic_scales(semantic_scales,
                                                     net.appearance is not None and net.semantic is not None)
        self.int8_info: dict | None = None
        if self.precision == "int8":
            if self.device.type != "cpu":
                raise InvalidOptionError("precision int8 runs on the CPU only")
            if calibration is None:
                raise InvalidOptionError("precision int8 needs calibration crops (calibration=...); "
                                         "SASiamTracker passes the training split's by default")
            net, self.int8_info = quantize_network(net, calibration)
        self.net = net.to(self.device).eval()
        if self.precision == "bf16":
            self.net.to(memory_format=torch.channels_last)
        # None: on for CUDA (launch-bound there), off on the CPU (one graph launch saves nothing there).
        # `capture` replaces the CUDA capture (tests on the CPU pass cuda_graphs.eager_capture).
        graphs = self.device.type == "cuda" if cuda_graphs is None else cuda_graphs
        if graphs and self.device.type != "cuda" and capture is None:
            raise InvalidOptionError(f"CUDA graphs need a CUDA device, not {self.device}")
        self.graphs = StaticShapeGraphs(self._maps, self.device, capture or cuda_capture) if graphs else None

    def _autocast(self):
        # no autocast weight cache: a graph must not capture casts cached from an earlier call
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16",
                              cache_enabled=False)

    def _input(self, crops: np.ndarray) -> torch.Tensor:
        tensor = crops_to_tensor(crops, self.device)
        return tensor.contiguous(memory_format=torch.channels_last) if self.precision == "bf16" else tensor

    def exemplar(self, context_crops: np.ndarray) -> dict[str, torch.Tensor]:
        with self._autocast():
            return self.net.exemplar(self._input(context_crops))

    # -- the search side, stage by stage ------------------------------------------------------------
    def search_input(self, search_crops: np.ndarray) -> torch.Tensor:
        """Stage "crop" (its tensor half): uint8 NHWC crops -> the float NCHW batch the trunks take."""
        return self._input(search_crops)

    def _per_target(self, trunk, x: torch.Tensor, targets: int):
        """`trunk(x)`, one target's crops at a time when `per_target_trunks` (same result, see __init__)."""
        if not self.per_target_trunks or targets <= 1:
            return trunk(x)
        outputs = [trunk(chunk) for chunk in x.split(len(x) // targets)]
        if isinstance(outputs[0], tuple):  # the S-Net's two levels
            return tuple(torch.cat(level) for level in zip(*outputs))
        return torch.cat(outputs)

    @torch.no_grad()
    def appearance_trunk(self, x: torch.Tensor, targets: int = 1) -> torch.Tensor | None:
        """Stage "anet": the A-Net's search features (None without the appearance branch)."""
        if self.net.appearance is None:
            return None
        with self._autocast():
            return self._per_target(self.net.appearance.search, x, targets)

    def semantic_crops(self, x: torch.Tensor, targets: int = 1) -> torch.Tensor:
        """The search crops the S-Net sees: all, or each target's middle scale (semantic_scales="middle")."""
        return semantic_crops(x, targets, self.semantic_scales)

    @torch.no_grad()
    def semantic_trunk(self, x: torch.Tensor, targets: int = 1) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Stage "snet": the S-Net's conv4 and conv5 (None without the semantic branch)."""
        if self.net.semantic is None:
            return None
        with self._autocast():
            return self._per_target(self.net.semantic.backbone, self.semantic_crops(x, targets), targets)

    @torch.no_grad()
    def branch_responses(self, kernels: dict[str, torch.Tensor], appearance: torch.Tensor | None,
                         levels: tuple[torch.Tensor, torch.Tensor] | None) -> dict[str, torch.Tensor]:
        """Each branch's adjusted maps from the trunks' outputs: the semantic 1x1 fusion, kernel i
        repeated for target i's crops, one grouped correlation per branch."""
        features = {}
        with self._autocast():
            if appearance is not None:
                features["appearance"] = appearance
            if levels is not None:
                features["semantic"] = self.net.semantic.search_from_features(*levels)
            maps = {name: branch.score(repeat_per_group(kernels[name], len(features[name])), features[name])[:, 0]
                    for name, branch in self.net.branches().items()}
        total = max(len(m) for m in maps.values())  # semantic_scales="middle": its map stands for every scale
        return {name: m.float().repeat_interleave(total // len(m), dim=0) for name, m in maps.items()}

    def fusion_and_correlation(self, kernels: dict[str, torch.Tensor], appearance: torch.Tensor | None,
                               levels: tuple[torch.Tensor, torch.Tensor] | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Stage "fusion_correlation": `branch_responses` combined with lam (numpy, M x 17 x 17), and the maps
        the scale is picked on: the A-Net's with semantic_scales="middle" (`base.maps_and_scale_maps`), else None."""
        responses = self.branch_responses(kernels, appearance, levels)
        scale_maps = responses["appearance"].cpu().numpy() if self.semantic_scales == "middle" else None
        return SASiamNet.combine(responses, self.lam).cpu().numpy(), scale_maps

    @staticmethod
    def targets(kernels: dict[str, torch.Tensor], total: int) -> int:
        """How many targets the kernels hold, checked against the number of search crops."""
        count = next(iter(kernels.values())).shape[0]
        if total % count:
            raise ValueError(f"{total} search crops cannot be split among {count} kernels")
        return count

    def _trunks(self, kernels: dict[str, torch.Tensor], search_crops: np.ndarray | torch.Tensor):
        targets = self.targets(kernels, len(search_crops))
        x = self.search_input(search_crops)
        return self.appearance_trunk(x, targets), self.semantic_trunk(x, targets)

    def branch_maps(self, kernels: dict[str, torch.Tensor], search_crops: np.ndarray) -> dict[str, torch.Tensor]:
        return self.branch_responses(kernels, *self._trunks(kernels, search_crops))

    @torch.no_grad()
    def _maps(self, kernels: dict[str, torch.Tensor], search_crops: np.ndarray | torch.Tensor) -> torch.Tensor:
        """The combined maps as a tensor on the device: what a CUDA graph captures."""
        return SASiamNet.combine(self.branch_maps(kernels, search_crops), self.lam)

    def score_maps(self, kernels: dict[str, torch.Tensor], search_crops: np.ndarray) -> np.ndarray:
        return self.score_and_scale_maps(kernels, search_crops)[0]

    def score_and_scale_maps(self, kernels: dict[str, torch.Tensor],
                             search_crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The combined maps and the maps the scale is picked on (`fusion_and_correlation`). A CUDA graph
        captures the combined maps only, so semantic_scales="middle" runs eagerly there."""
        if self.graphs is not None and self.semantic_scales != "middle":
            return self.graphs.run(kernels, search_crops), None
        return self.fusion_and_correlation(kernels, *self._trunks(kernels, search_crops))

    def select(self, kernels: dict[str, torch.Tensor], indices: Sequence[int]) -> dict[str, torch.Tensor]:
        index = torch.as_tensor(list(indices), dtype=torch.long, device=self.device)
        return {name: k.index_select(0, index) for name, k in kernels.items()}


def load(weights: str | Path | None = None, branches: Branches = "both", lam: float | None = None,
         device: str = "cpu", precision: str = "fp32", snet_weights: str | Path | None = None,
         backbone: Backbone | None = None, calibration: Calibration | None = None,
         default_lam: float = DEFAULT_LAMBDA, cuda_graphs: bool | None = None,
         semantic_scales: str = "all") -> TorchBackend:
    """`load_backend("torch", ...)`: the network of `weights` (default: the shipped checkpoint); lam None
    takes the checkpoint's, else `default_lam` (a network without a checkpoint)."""
    net, checkpoint_lam, untrained = load_network(weights, branches, snet_weights, backbone)
    if lam is None:
        lam = checkpoint_lam if checkpoint_lam is not None else default_lam
    return TorchBackend(net, check_lam(lam), device, precision, calibration=calibration, untrained=untrained,
                        cuda_graphs=cuda_graphs, semantic_scales=semantic_scales)
