"""int8 for `OnnxBackend` (`load_backend("onnx", precision="int8")`): ONNX Runtime's static post-training
quantization (`onnxruntime.quantization.quantize_static`) of the search graph, the one that runs every frame.

Why this library: it is ONNX Runtime's own tool for what `int8.py` does by hand for PyTorch, and its QDQ
graphs run on ONNX Runtime's int8 kernels (MLAS: AVX2 u8s8, AVX-512 VNNI, AMX), so one calibration serves
every x86 CPU.

What is quantized (QDQ format, per-channel symmetric int8 weights, uint8 activations, min-max calibration):
the trunks' convolutions, chosen by the PyTorch module each ONNX node came from (the exporter's
`pkg.torch.onnx.name_scopes` metadata): `net.appearance` (A-Net) and `net.semantic.backbone` (S-Net).
Never quantized: the correlations (Conv nodes whose weight is the run-time kernel input, a graph input
and not a constant), the semantic 1x1 fusion and everything after it, and the exemplar graph (it runs
once per video). `keep_fp32` names further trunk layers to leave in fp32, by their module name
(default `EARLY_SEMANTIC_LAYERS`: the S-Net's stem and blocks 0-3, see `quantize_search` for why).

Calibration: real crops (`Calibration`, base.py; the tracker's default is three scales around the true box
of frames of the training split, `sasiam/tracking/calibration.py`), scored against kernels of the same
frames' middle-scale crops, which are the crops the tracker's exemplar sees. Without VNNI the x86 u8 x s8
kernels sum pairs of products in int16 and can saturate, so weights get 7 bits there (`reduce_range`,
ONNX Runtime's documented remedy; the same reason as int8.py's WEIGHT_QMAX).

The quantized export lives in the user cache (`user_cache("onnx-int8")`), keyed by the fp32 search graph's
SHA-256, the calibration's source and the settings, so only the first int8 tracker pays (16-20 s here,
calibration included).
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..files import cached_folder, file_sha256, user_cache
from .base import Calibration, cpu_flags

CACHE_VERSION = 1
TRUNK_SCOPES = {"appearance": "net.appearance", "semantic": "net.semantic.backbone"}
# every depthwise conv of the S-Net (EfficientNet-Lite0's blocks): what `keep_fp32="depthwise"` keeps
KEEP_FP32_DEPTHWISE = "depthwise"
# the S-Net layers whose int8 ruins the semantic map (measured: `quantize_search`): stem (its BN-folded conv)
# and blocks 0-3, the stride-2/4 layers at 64-128 px
EARLY_SEMANTIC_LAYERS = ("net.semantic.backbone._bn0",
                         *(f"net.semantic.backbone._blocks.{block}" for block in range(4)))
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def name_scopes(node) -> list[str]:
    """The PyTorch module path an exported node came from (torch's dynamo exporter records it)."""
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            return [part.strip("'\" ") for part in prop.value.strip("[]").split(",")]
    return []


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def module_name(node) -> str:
    """The deepest module path of `node` ("net.semantic.backbone.blocks.3.conv_dw"), "" if unknown."""
    scopes = [scope for scope in name_scopes(node) if scope.startswith("net.")]
    return scopes[-1] if scopes else ""


@dataclass(frozen=True)
class ConvChoice:
    """Which Conv nodes of the search graph are quantized and which stay fp32 (and why)."""

    quantized: tuple[str, ...]
    kept_fp32: dict[str, str]  # node name -> reason


def choose_convs(model, trunks: Sequence[str], keep_fp32: Sequence[str] = ()) -> ConvChoice:
    """The trunk convolutions to quantize: those under `TRUNK_SCOPES[trunk]`, minus correlations (their
    weight is a graph input) and the layers `keep_fp32` names (module names, or "depthwise")."""
    graph = model.graph
    constants = {init.name for init in graph.initializer}
    groups_of = {}
    for node in graph.node:
        if node.op_type == "Conv":
            groups_of[node.name] = next((a.i for a in node.attribute if a.name == "group"), 1)
    quantized, kept = [], {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        module = module_name(node)
        if node.input[1] not in constants:
            kept[node.name] = "correlation: its weight is the run-time kernel input"
            continue
        trunk = next((t for t in trunks if _under(module, TRUNK_SCOPES[t])), None)
        if trunk is None:
            kept[node.name] = f"{module or 'unknown module'}: not a quantized trunk"
            continue
        if KEEP_FP32_DEPTHWISE in keep_fp32 and trunk == "semantic" and groups_of[node.name] > 1:
            kept[node.name] = f"{module}: depthwise (keep_fp32='depthwise')"
            continue
        if any(_under(module, name) for name in keep_fp32):
            kept[node.name] = f"{module}: keep_fp32"
            continue
        quantized.append(node.name)
    return ConvChoice(tuple(quantized), kept)


def calibration_feeds(exemplar_session, exemplar_input: str, crops: np.ndarray, input_names: Sequence[str],
                      kernel_names: Sequence[str]) -> Iterator[dict[str, np.ndarray]]:
    """The search graph's inputs for each calibration frame: its three scale crops and the kernels of its
    middle crop (the crop the exemplar sees on a first frame)."""
    scales = 3
    for start in range(0, len(crops) - scales + 1, scales):
        frame_crops = np.ascontiguousarray(crops[start:start + scales])
        kernels = exemplar_session.run(list(kernel_names), {exemplar_input: frame_crops[1:2]})
        feed = {name: frame_crops for name in input_names}
        feed.update(zip(kernel_names, kernels))
        yield feed


def _reader(feeds: Iterator[dict[str, np.ndarray]]):
    from onnxruntime.quantization import CalibrationDataReader

    class Feeds(CalibrationDataReader):
        def get_next(self):
            return next(feeds, None)

    return Feeds()


def settings_key(search_sha256: str, calibration: Calibration, trunks: Sequence[str], keep_fp32: Sequence[str],
                 reduce_range: bool) -> str:
    text = json.dumps([CACHE_VERSION, search_sha256, calibration.source, sorted(trunks), sorted(keep_fp32),
                       reduce_range])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _PreprocessingHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-process" not in record.getMessage()


def quantize_search(export: str | Path, calibration: Calibration, trunks: Sequence[str] = ("appearance", "semantic"),
                    keep_fp32: Sequence[str] = EARLY_SEMANTIC_LAYERS, reduce_range: bool | None = None) -> Path:
    """An export folder like `export` whose search graph is int8 (QDQ), from the user cache: quantized and
    calibrated on first use, reused afterwards, redone when damaged (like `cached_export`).

    keep_fp32 default, from a sweep on this repository's weights (72 crops of the 6 validation sequences,
    relative L2 error of each branch's maps against fp32, AVX-512 VNNI machine; scripts/onnx_int8_sweep.py):
    A-Net 0.015 in every setting. S-Net all in int8: 0.49 (depthwise kept fp32: 0.43), unusable. One group
    of blocks at a time in int8: blocks 0-3 0.28, 4-7 0.022, 8-11 0.033, 12-15 0.019. So the stem and
    blocks 0-3 stay fp32 (S-Net error 0.045; 0.031 with every depthwise conv also kept, ~6 ms slower),
    search graph 139 -> 91 ms for 3 crops. Likely why: the early layers' per-tensor activation scales span
    channels whose ranges differ by orders of magnitude (the failure int8.py records for PyTorch)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    from .onnx import MANIFEST_NAME, QUANTIZATION_FILE, SEARCH_INPUT, SEMANTIC_SEARCH_INPUT, OnnxManifest, session_options

    source = Path(export)
    manifest = OnnxManifest.read(source / MANIFEST_NAME)
    if reduce_range is None:
        reduce_range = not any(flag in cpu_flags() for flag in VNNI_FLAGS)
    trunks = tuple(t for t in trunks if t in manifest.branches)
    key = settings_key(file_sha256(source / manifest.search_file), calibration, trunks, keep_fp32, reduce_range)
    folder = user_cache("onnx-int8") / key

    def build(staging: Path) -> None:
        import onnxruntime as ort

        model = onnx.load(str(source / manifest.search_file))
        choice = choose_convs(model, trunks, keep_fp32)
        crops, described = calibration.load()
        exemplar = ort.InferenceSession(str(source / manifest.exemplar_file), session_options(),
                                        providers=["CPUExecutionProvider"])
        inputs = [name for name in (SEARCH_INPUT, SEMANTIC_SEARCH_INPUT) if name in manifest.search_inputs]
        reader = _reader(calibration_feeds(exemplar, manifest.exemplar_input, crops, inputs, manifest.kernel_names))
        # quantize_static logs "consider pre-processing" through the root logger on every call: a hint that
        # reaches the user's terminal as a warning; the graph quantized here is the one docs/bench checked
        hint = _PreprocessingHint()
        logging.getLogger().addFilter(hint)
        try:
            with tempfile.TemporaryDirectory() as scratch:  # the calibrator's augmented model goes there
                quantize_static(source / manifest.search_file, staging / manifest.search_file, reader,
                                quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"], per_channel=True,
                                reduce_range=reduce_range, activation_type=QuantType.QUInt8,
                                weight_type=QuantType.QInt8, nodes_to_quantize=list(choice.quantized),
                                calibrate_method=CalibrationMethod.MinMax,
                                extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
                                calibration_cache_path=Path(scratch) / "calibration")
        finally:
            logging.getLogger().removeFilter(hint)
        shutil.copyfile(source / manifest.exemplar_file, staging / manifest.exemplar_file)
        (staging / MANIFEST_NAME).write_text((source / MANIFEST_NAME).read_text())
        (staging / QUANTIZATION_FILE).write_text(json.dumps({
            "method": "onnxruntime.quantization.quantize_static, QDQ, per-channel symmetric int8 weights, "
                      "uint8 activations, min-max calibration",
            "trunks": list(trunks), "keep_fp32": list(keep_fp32), "reduce_range": reduce_range,
            "calibration": described, "calibration_source": calibration.source,
            "quantized": list(choice.quantized), "kept_fp32": choice.kept_fp32,
            "fp32_export": str(source)}, indent=2) + "\n")

    return cached_folder(folder, build, (manifest.exemplar_file, manifest.search_file, MANIFEST_NAME,
                                         QUANTIZATION_FILE))
