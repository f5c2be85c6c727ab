"""The ONNX Runtime backend: runs the two graphs `sasiam export-onnx` writes
(`sasiam/integrations/onnx_export.py`), with numpy and onnxruntime only.

Why: with the two graphs and onnxruntime the tracker runs where PyTorch is not
installed (`SASiamTracker(backend="onnx", weights=DIR)`). Two graphs, because the
tracker computes the exemplar once and the search side every frame:

    exemplar.onnx  context_crops   N x 255 x 255 x 3 uint8 BGR
                   -> <branch>_kernels (attention applied) + semantic_attention4/5
    search.onnx    search_crops    M x 255 x 255 x 3 uint8 BGR, <branch>_kernels (N, ...)
                   [semantic_search_crops  M' x 255 x 255 x 3: with both branches, the S-Net's crops:
                    the same M crops, or each target's middle scale (M' = N, semantic_scales="middle")]
                   -> <branch>_map  M (M') x 17 x 17 (adjusted: 0.001 * xcorr + b)

The uint8 NHWC -> float NCHW conversion is inside the graphs, so the runtime side
passes the tracker's crops as they are. `lam * h_a + (1 - lam) * h_s` is done in
numpy, so lam stays a run-time choice (as with `TorchBackend`).

The correlation. PyTorch's `cross_correlate` is a grouped conv with groups = N,
which ONNX cannot keep dynamic (Conv's `group` is a static attribute). Here the
kernels are the *weight input* of a plain Conv (ONNX Conv takes W at run time):
every search map is correlated with every kernel (M x N x 17 x 17) and crop m
keeps kernel m // (M / N). Both M and N stay dynamic, the numbers are the same
sums as the grouped conv, and for one target (N = 1) nothing is wasted; with N
targets the correlation costs N times more, which is small next to the backbone.

This module imports onnxruntime only when `OnnxBackend` is built, and never torch.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import __version__
from ..errors import CheckpointError, InvalidOptionError, SASiamError
from .base import check_lam, check_semantic_scales, semantic_crops

MANIFEST_NAME = "sasiam_onnx.json"
EXEMPLAR_FILE = "exemplar.onnx"
SEARCH_FILE = "search.onnx"
# 2: the S-Net's search crops are an input of their own (semantic_scales="middle")
FORMAT_VERSION = 2
# 18: the opset torch's dynamo exporter writes natively (17 fails to down-convert its Pad).
DEFAULT_OPSET = 18
CROP_SIZE = 255
MAP_SIZE = 17
BRANCH_ORDER = ("appearance", "semantic")
EXEMPLAR_INPUT = "context_crops"
SEARCH_INPUT = "search_crops"
SEMANTIC_SEARCH_INPUT = "semantic_search_crops"
# what `onnx_int8.quantize_search` records beside an int8 search graph
QUANTIZATION_FILE = "quantization.json"
ATTENTION_OUTPUTS = ("semantic_attention4", "semantic_attention5")
INSTALL_HINT = "pip install 'sasiam[onnx]' (onnxruntime, onnx, onnxscript)"


def kernel_name(branch: str) -> str:
    return f"{branch}_kernels"


def map_name(branch: str) -> str:
    return f"{branch}_map"


@dataclass(frozen=True)
class OnnxManifest:
    """What `sasiam_onnx.json` records: enough to run the graphs without reading the checkpoint."""

    lam: float
    branches: tuple[str, ...]
    untrained: tuple[str, ...]
    exemplar_file: str = EXEMPLAR_FILE
    search_file: str = SEARCH_FILE
    exemplar_input: str = EXEMPLAR_INPUT
    exemplar_outputs: tuple[str, ...] = ()
    search_inputs: tuple[str, ...] = ()
    search_outputs: tuple[str, ...] = ()
    crop_size: int = CROP_SIZE
    map_size: int = MAP_SIZE
    opset: int = DEFAULT_OPSET
    source_weights: str | None = None
    source_sha256: str | None = None
    sasiam_version: str = __version__
    format_version: int = FORMAT_VERSION

    @property
    def kernel_names(self) -> tuple[str, ...]:
        return tuple(kernel_name(b) for b in self.branches)

    @property
    def map_names(self) -> tuple[str, ...]:
        return tuple(map_name(b) for b in self.branches)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2) + "\n"

    @classmethod
    def read(cls, path: Path) -> "OnnxManifest":
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise CheckpointError(f"{path}: cannot read the ONNX export manifest ({error})") from None
        if data.get("format_version") != FORMAT_VERSION:
            raise CheckpointError(f"{path}: ONNX export format {data.get('format_version')!r}, "
                                  f"this sasiam reads {FORMAT_VERSION}; export again with `sasiam export-onnx`")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
        return cls(**values)


def quantization_info(folder: str | Path) -> dict | None:
    """What `onnx_int8.quantize_search` recorded for an int8 export (None for an fp32 one)."""
    path = Path(folder) / QUANTIZATION_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def manifest_path(path: str | Path) -> Path:
    """Where the manifest of an export named by `path` (the folder, its json, or one of its .onnx files) is."""
    path = Path(path)
    return path / MANIFEST_NAME if path.is_dir() else path.with_name(MANIFEST_NAME)


def find_manifest(path: str | Path) -> Path:
    """The manifest of an export: the folder itself, its json, or one of its .onnx files."""
    manifest = manifest_path(path)
    if not manifest.is_file():
        raise CheckpointError(f"{path}: no {MANIFEST_NAME} there; write the ONNX graphs first with "
                              "`sasiam export-onnx --out DIR` and pass that folder")
    return manifest


# -- runtime (numpy + onnxruntime only) -----------------------------------------

def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def session_options(threads: int | None = None):
    """One intra-op pool as wide as the cores we may use (2 here), no inter-op parallelism.

    The graphs are a chain of convolutions, so running nodes in parallel (inter-op)
    only oversubscribes two cores; spinning is off because the tracker does its
    crops and upsampling between two runs, and a spinning pool thread would take
    that core from it (and from other processes on a shared machine).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _crops(crops: np.ndarray, size: int) -> np.ndarray:
    crops = np.ascontiguousarray(crops)
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[1:] != (size, size, 3):
        raise ValueError(f"crops must be N x {size} x {size} x 3 uint8, got {crops.shape} {crops.dtype}")
    return crops


class OnnxBackend:
    """The tracker backend (see `sasiam.backends.base`) on ONNX Runtime's CPU provider.

    Kernels are a dict {"<branch>_kernels": N x C x k x k float32 array}.
    """

    def __init__(self, path: str | Path, threads: int | None = None, semantic_scales: str = "all") -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise SASiamError(f"the ONNX backend needs onnxruntime: {INSTALL_HINT}") from None
        manifest_path = find_manifest(path)
        self.folder = manifest_path.parent
        self.manifest = OnnxManifest.read(manifest_path)
        self.lam = float(self.manifest.lam)
        self.branches = self.manifest.branches
        self.untrained = tuple(self.manifest.untrained)
        self.quantization = quantization_info(self.folder)  # None: the fp32 graphs
        self.precision = "int8" if self.quantization else "fp32"
        # as TorchBackend.semantic_crops: the S-Net's map of each target's middle crop stands for its scales
        self.semantic_scales = check_semantic_scales(semantic_scales, len(self.branches) == 2)
        options = session_options(threads)
        providers = ["CPUExecutionProvider"]
        self.exemplar_session = ort.InferenceSession(str(self.folder / self.manifest.exemplar_file), options,
                                                     providers=providers)
        self.search_session = ort.InferenceSession(str(self.folder / self.manifest.search_file), options,
                                                   providers=providers)

    def exemplar(self, context_crops: np.ndarray) -> dict[str, np.ndarray]:
        return self._run_exemplar(list(self.manifest.kernel_names), context_crops)

    def attention(self, context_crops: np.ndarray) -> dict[str, np.ndarray]:
        """The semantic branch's channel weights (N x C x 1 x 1 per level), for inspection."""
        if "semantic" not in self.branches:
            raise ValueError("this export has no semantic branch, hence no attention")
        return self._run_exemplar(list(ATTENTION_OUTPUTS), context_crops)

    def _run_exemplar(self, names: list[str], context_crops: np.ndarray) -> dict[str, np.ndarray]:
        feed = {self.manifest.exemplar_input: _crops(context_crops, self.manifest.crop_size)}
        return dict(zip(names, self.exemplar_session.run(names, feed)))

    def branch_maps(self, kernels: dict[str, np.ndarray], search_crops: np.ndarray) -> dict[str, np.ndarray]:
        crops = _crops(search_crops, self.manifest.crop_size)
        targets = next(iter(kernels.values())).shape[0]
        if targets == 0 or len(crops) % targets:
            raise ValueError(f"{len(crops)} search crops cannot be split among {targets} kernels")
        feed = {SEARCH_INPUT: crops}
        if SEMANTIC_SEARCH_INPUT in self.manifest.search_inputs:
            feed[SEMANTIC_SEARCH_INPUT] = semantic_crops(crops, targets, self.semantic_scales)
        feed.update({name: np.ascontiguousarray(kernels[name], dtype=np.float32)
                     for name in self.manifest.kernel_names})
        outputs = self.search_session.run(list(self.manifest.map_names), feed)
        return {name: np.repeat(m, len(crops) // len(m), axis=0) for name, m in zip(self.branches, outputs)}

    def combine(self, maps: dict[str, np.ndarray]) -> np.ndarray:
        """h = lam * h_a + (1 - lam) * h_s (`SASiamNet.combine` in numpy); one branch alone passes through."""
        if len(maps) == 1:
            return next(iter(maps.values()))
        return self.lam * maps["appearance"] + (1 - self.lam) * maps["semantic"]

    def score_maps(self, kernels: dict[str, np.ndarray], search_crops: np.ndarray) -> np.ndarray:
        return self.combine(self.branch_maps(kernels, search_crops))

    def score_and_scale_maps(self, kernels: dict[str, np.ndarray],
                             search_crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """`score_maps`, and the maps the scale is picked on: the A-Net's with semantic_scales="middle"
        (`base.maps_and_scale_maps`), else None."""
        maps = self.branch_maps(kernels, search_crops)
        return self.combine(maps), maps["appearance"] if self.semantic_scales == "middle" else None

    def select(self, kernels: dict[str, np.ndarray], indices: Sequence[int]) -> dict[str, np.ndarray]:
        index = np.asarray(list(indices), dtype=np.int64)
        return {name: k[index] for name, k in kernels.items()}


def load(weights: str | Path | None = None, branches: str = "both", lam: float | None = None, device: str = "cpu",
         precision: str = "fp32", snet_weights=None, backbone=None, calibration=None,
         default_lam: float | None = None, semantic_scales: str = "all") -> OnnxBackend:
    """`load_backend("onnx", weights=DIR)`: the graphs `sasiam export-onnx` wrote into DIR.

    Everything about the network is fixed by the export, so options that would
    change it are refused rather than silently ignored. lam None takes the export's
    (an export always records one, so `default_lam` is never needed here).
    """
    if weights is None:
        raise CheckpointError("backend='onnx' runs exported graphs: run `sasiam export-onnx --out DIR` first "
                              "and pass weights=DIR (the folder it wrote)")
    if device != "cpu":
        raise InvalidOptionError(f"backend='onnx' runs on ONNX Runtime's CPU provider; device={device!r} is not "
                                 f"supported")
    if precision not in ("fp32", "int8", "auto"):  # auto: the graphs' own precision
        raise InvalidOptionError(f"backend='onnx' runs the fp32 graphs or their int8 quantization; "
                                 f"precision={precision!r} is not supported")
    if snet_weights is not None or backbone is not None:
        raise InvalidOptionError("backend='onnx': the S-Net is baked into the exported graphs; "
                                 "pass snet_weights/backbone to `sasiam export-onnx` instead")
    if calibration is not None:
        raise InvalidOptionError("calibration is for precision='int8' (load_backend('onnx', ...) quantizes first)")
    backend = OnnxBackend(weights, semantic_scales=semantic_scales)
    if precision == "int8" and backend.precision != "int8":
        raise InvalidOptionError(f"{weights}: fp32 graphs; precision='int8' quantizes them first "
                                 "(load_backend('onnx', precision='int8', calibration=...))")
    exported = "both" if len(backend.branches) == 2 else backend.branches[0]
    if branches != exported:
        raise InvalidOptionError(f"{weights}: exported with branches={exported!r}, not {branches!r}; pass "
                                 f"branches={exported!r} or export again with `sasiam export-onnx --branches {branches}`")
    if lam is not None:
        backend.lam = check_lam(lam)
    return backend
