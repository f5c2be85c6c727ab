"""int8 search graph through ONNX Runtime's own post-training quantization (issue 15).

`onnxruntime.quantization.quantize_static` in QDQ format, per-channel int8 weights, activations
calibrated (MinMax) on real search crops of the training split (`sasiam.tracking.calibration`), as ONNX
Runtime's docs describe ("Quantize ONNX models" > "Static quantization"; `quant_pre_process` first).
Only `search.onnx` is quantized: it runs every frame, while `exemplar.onnx` runs once per video and
stays fp32. The two correlations (Conv nodes whose weight is the *run-time* kernels input, see
`sasiam/backends/onnx.py`) stay fp32 too: their "weights" are activations of another graph, and
quantizing them with the calibration's ranges would tie the result to the calibration videos' targets.
Further nodes can be kept in fp32 by name (`keep_fp32`), for layers whose int8 error is too large.

    folder = quantize_search(cached_export(), out_dir, default_calibration())
    tracker = SASiamTracker(backend="onnx", weights=folder)
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from ..backends.base import Calibration
from ..backends.onnx import EXEMPLAR_FILE, MANIFEST_NAME, SEARCH_FILE, SEARCH_INPUT, OnnxBackend
from ..errors import SASiamError


def correlation_nodes(model) -> list[str]:
    """Conv nodes whose weight is a graph input (the kernels), not an initializer."""
    inputs = {value.name for value in model.graph.input}
    return [node.name for node in model.graph.node if node.op_type == "Conv" and node.input[1] in inputs]


def calibration_feeds(folder: Path, crops: np.ndarray) -> list[dict[str, np.ndarray]]:
    """One feed per calibration frame: its three scale crops and the kernels of its middle crop (the
    exemplar graph run on it), as the tracker would pass them."""
    backend = OnnxBackend(folder)
    feeds = []
    for start in range(0, len(crops) - len(crops) % 3, 3):
        scales = crops[start:start + 3]
        kernels = backend.exemplar(scales[1:2])
        feeds.append({SEARCH_INPUT: scales, **kernels})  # keyed by the kernel inputs already
    return feeds


def quantize_search(folder: str | Path, out_dir: str | Path, calibration: Calibration,
                    keep_fp32: Sequence[str] = (), per_channel: bool = True) -> Path:
    """An export folder whose search.onnx is int8 (QDQ); exemplar.onnx and the manifest are copied."""
    try:
        import onnx
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError:
        raise SASiamError("int8 ONNX needs onnxruntime and onnx: pip install 'sasiam[onnx]'") from None
    folder, out = Path(folder), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    crops, _ = calibration.load()
    feeds = calibration_feeds(folder, crops)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter(feeds)

        def get_next(self):
            return next(self._feeds, None)

    prepared = out / "search.prepared.onnx"
    quant_pre_process(str(folder / SEARCH_FILE), str(prepared))
    excluded = correlation_nodes(onnx.load(str(prepared))) + list(keep_fp32)
    quantize_static(str(prepared), str(out / SEARCH_FILE), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=per_channel, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    nodes_to_exclude=excluded)
    prepared.unlink()
    for name in (EXEMPLAR_FILE, MANIFEST_NAME):
        shutil.copy(folder / name, out / name)
    return out


__all__ = ["quantize_search", "correlation_nodes", "calibration_feeds"]
