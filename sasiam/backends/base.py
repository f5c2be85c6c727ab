"""What every backend shares, without torch: the interface, the lam and precision checks, and
the calibration crops int8 is given.

The tracking loop (`sasiam.tracking.tracker`) only sees this interface, so the same loop drives
PyTorch (`torch.py`) or an exported graph (`onnx.py`), and one batched call serves many scales
and many targets:

    kernels = backend.exemplar(context_crops)        # N x 255 x 255 x 3 -> opaque, batch N
    maps = backend.score_maps(kernels, search_crops)  # M x 255 x 255 x 3 -> M x 17 x 17 (numpy)

Kernel i scores the M/N consecutive search crops i*M/N .. (i+1)*M/N - 1 (the
scales of target i). `select(kernels, indices)` keeps some targets' kernels.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from ..errors import InvalidOptionError
from .paths import auto_precision  # re-exported: the rule lives with the paths (paths.py)

PRECISIONS = ("fp32", "bf16", "int8")
# "auto" picks one of PRECISIONS for the running CPU (`auto_precision`).
AUTO = "auto"


class Backend(Protocol):
    """Backends built by `sasiam.backends.load_backend` also carry `untrained`: the names of
    their branches whose weights are random."""

    lam: float

    def exemplar(self, context_crops: np.ndarray): ...

    def score_maps(self, kernels, search_crops: np.ndarray) -> np.ndarray: ...

    def select(self, kernels, indices: Sequence[int]): ...


def concat_kernels(backend, first, second):
    """Kernels of two target batches as one batch: a backend's own `concat` if it has one, else
    per-branch dicts of torch tensors (TorchBackend) or numpy arrays (OnnxBackend)."""
    if hasattr(backend, "concat"):
        return backend.concat(first, second)
    merged = {}
    for name, kernels in first.items():
        if isinstance(kernels, np.ndarray):
            merged[name] = np.concatenate([kernels, second[name]])
        else:
            import torch  # only reached with a torch backend's kernels

            merged[name] = torch.cat([kernels, second[name]])
    return merged


def check_lam(lam: float) -> float:
    if not 0.0 <= lam <= 1.0:
        raise InvalidOptionError(f"lam must lie in [0, 1], got {lam}")
    return float(lam)


SEMANTIC_SCALES = ("all", "middle")


def check_semantic_scales(semantic_scales: str, both_branches: bool) -> str:
    """"middle" (issue 15, not in the paper): the S-Net sees only each target's middle-scale crop and its map
    stands for all three scales; SiamFC's scale step is 3.75 %, and the A-Net's maps pick the scale."""
    if semantic_scales not in SEMANTIC_SCALES:
        raise InvalidOptionError(f"semantic_scales must be 'all' or 'middle', got {semantic_scales!r}")
    if semantic_scales == "middle" and not both_branches:
        raise InvalidOptionError("semantic_scales='middle' needs both branches: the appearance branch picks "
                                 "the scale")
    return semantic_scales


def semantic_crops(crops, targets: int, semantic_scales: str):
    """The search crops the S-Net sees (numpy or torch, target after target, their scales consecutive): all,
    or each target's middle scale ("middle")."""
    if semantic_scales == "all":
        return crops
    scales = len(crops) // targets
    return crops[scales // 2::scales]


def maps_and_scale_maps(backend, kernels, search_crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The combined maps, and the maps the scale is picked on (`SearchPolicy.locate`): the backend's
    `score_and_scale_maps` where it has one (torch, onnx: the A-Net's maps with semantic_scales="middle",
    since the one semantic map every scale shares carries no scale), else None: the combined maps pick it,
    as in SiamFC and the paper."""
    if hasattr(backend, "score_and_scale_maps"):
        return backend.score_and_scale_maps(kernels, search_crops)
    return backend.score_maps(kernels, search_crops), None


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "flags":
                return set(value.split())
    except OSError:
        pass
    return set()


def check_precision(precision: str) -> str:
    """The precision to run: one of PRECISIONS, with "auto" resolved for this CPU."""
    if precision == AUTO:
        return auto_precision(cpu_flags())
    if precision not in PRECISIONS:
        raise InvalidOptionError(f"precision must be one of {', '.join(PRECISIONS + (AUTO,))}, got {precision!r}")
    return precision


@dataclass(frozen=True)
class Calibration:
    """The crops int8 calibrates its activations on, chosen by whoever builds the backend
    (the tracker's default: `sasiam.tracking.calibration`).

    `source` names them for the calibration cache, so equal sources must mean equal crops;
    `load()` returns (N x 255 x 255 x 3 uint8 crops, a description) and runs only when the
    cache has no calibration for this source (reading frames costs more than a cache hit).
    """

    source: str
    load: Callable[[], tuple[np.ndarray, str]]

    @classmethod
    def of_crops(cls, crops: np.ndarray) -> "Calibration":
        crops = np.ascontiguousarray(crops)
        digest = hashlib.sha256(crops.tobytes()).hexdigest()[:16]
        return cls(f"given crops {digest}", lambda: (crops, f"{len(crops)} given crops"))
