"""What runs the networks for the tracker: crops in (uint8 BGR, numpy), combined score maps out
(the interface: `base.py`).

Kinds, by name:

    torch   `torch.py`: SASiamNet in PyTorch, fp32, bf16, or int8 A-Net (`int8.py`)
    onnx    `onnx.py`: ONNX Runtime on the graphs `sasiam export-onnx` writes (no torch)
    ensemble  `ensemble.py`: the averaged maps of torch backends, weights="A.safetensors+B.safetensors"
            (the paper's Table 2 ensembles A1A2 and S1S2)

`load_backend(kind, **options)` builds one, as pysot's models/backbone/__init__.py builds
backbones: a dict name -> builder (`BACKENDS`) and a get function. The builders import their
module when called, so importing this package imports no torch (`SASiamTracker(backend="onnx")`
runs where PyTorch is not installed). The registry lives here, not in base.py, because
torch.py and onnx.py import base.py's checks: base.py importing them back would be a cycle.
"""
from __future__ import annotations

from typing import Callable

from ..errors import InvalidOptionError
from .base import AUTO, PRECISIONS, SEMANTIC_SCALES, Backend, Calibration, auto_precision, check_lam, check_precision, cpu_flags


def _torch(**options) -> Backend:
    from .torch import load

    return load(**options)


def _onnx(**options) -> Backend:
    from .onnx import find_manifest, load

    if options.get("precision") == "int8" and options.get("weights") is not None:
        # int8: the export's search graph quantized (onnx_int8.py, cached), then run like any export
        from .onnx_int8 import quantize_search

        if options.get("calibration") is None:
            raise InvalidOptionError("backend='onnx' precision='int8' needs calibration crops (calibration=...); "
                                     "SASiamTracker passes the training split's by default")
        options["weights"] = quantize_search(find_manifest(options["weights"]).parent, options.pop("calibration"))
    return load(**options)


def _ensemble(**options) -> Backend:
    from .ensemble import EnsembleBackend
    from .torch import load

    if options.get("semantic_scales") == "middle":  # its averaged maps have no A-Net maps to pick the scale on
        raise InvalidOptionError("backend='ensemble' runs every scale through the S-Net: semantic_scales='all'")
    paths = [part for part in str(options.pop("weights", None) or "").split("+") if part]
    if len(paths) < 2:
        raise InvalidOptionError("backend='ensemble' averages the maps of two or more checkpoints: "
                                 "weights='A.safetensors+B.safetensors'")
    return EnsembleBackend([load(weights=path, **options) for path in paths])


BACKENDS: dict[str, Callable[..., Backend]] = {"torch": _torch, "onnx": _onnx, "ensemble": _ensemble}


def load_backend(kind: str, **options) -> Backend:
    """A backend of `kind` ("torch" or "onnx") built from the tracker's options (weights, branches, lam,
    device, precision, snet_weights, backbone, calibration, default_lam; see each kind's `load`).
    Its `untrained` lists the branches whose weights are random."""
    if kind not in BACKENDS:
        raise InvalidOptionError(f"unknown backend {kind!r}; use {', '.join(map(repr, BACKENDS))} or a backend object")
    return BACKENDS[kind](**options)


__all__ = ["BACKENDS", "load_backend", "Backend", "Calibration", "check_lam", "check_precision", "auto_precision",
           "cpu_flags", "PRECISIONS", "AUTO", "SEMANTIC_SCALES"]
