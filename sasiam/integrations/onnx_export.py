"""ONNX export of SA-Siam and its check: `sasiam export-onnx` (sasiam/commands/export_onnx.py)
writes the two graphs the ONNX backend runs (`sasiam/backends/onnx.py`: what they compute, the
manifest), then checks them against PyTorch on real crops.

The check runs both backends on the crops the tracker would cut (the first frame's
context crop, then three scales around the target in the next frames) and prints
the largest absolute difference of the kernels and of the score maps, so a user
sees at export time whether ONNX Runtime reproduces PyTorch on their machine.
"""
from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..backends.onnx import (
    ATTENTION_OUTPUTS, BRANCH_ORDER, CROP_SIZE, DEFAULT_OPSET, EXEMPLAR_FILE, EXEMPLAR_INPUT, INSTALL_HINT,
    MANIFEST_NAME, SEARCH_FILE, SEARCH_INPUT, SEMANTIC_SEARCH_INPUT, OnnxBackend, OnnxManifest, kernel_name,
    manifest_path, map_name,
)
from ..config import TrackerConfig
from ..data.shared import shared_sequences_root
from ..errors import CheckpointError, SASiamError
from ..files import cached_folder, file_sha256, user_cache
from ..weights import default_weights_path

# torch and OpenCV, and the modules that import them, are imported by the functions that use them:
# `sasiam export-onnx` takes its defaults from this module, so `sasiam --help` imports it, and a
# missing PyTorch is one clear error from export_onnx, not an ImportError here.

# Score maps span about +-5 and kernels about +-3; fp32 reordering gives ~1e-5. Far above that is a wrong graph.
DEFAULT_TOLERANCE = 1e-3
DEFAULT_CHECK_SEQUENCE = "Crossing"


# -- export (imports torch) ---------------------------------------------------------

def _wrappers(net):
    """nn.Modules whose forward is exactly what each graph computes."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def as_float_nchw(crops):
        return crops.permute(0, 3, 1, 2).float()

    class Exemplar(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, context_crops):
            x = as_float_nchw(context_crops)
            outputs = []
            for name, branch in self.net.branches().items():
                if name == "semantic":
                    # backbone once; the attention is computed again for its own outputs (a 9-value MLP)
                    conv4, conv5 = branch.backbone(x)
                    outputs += [branch.exemplar_from_features(conv4, conv5),
                                *branch.attention_from_features(conv4, conv5)]
                else:
                    outputs.append(branch.exemplar(x))
            return tuple(outputs)

    class Search(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, search_crops, *crops_then_kernels):
            # with both branches the S-Net has its own crops input: the same crops, or only each target's
            # middle scale (semantic_scales="middle"); the correlation below pairs them by their own count
            inputs = [search_crops, *crops_then_kernels[:len(self.net.branches()) - 1]]
            kernels = crops_then_kernels[len(inputs) - 1:]
            maps = []
            for branch, crops_in, k in zip(self.net.branches().values(), inputs, kernels):
                x = as_float_nchw(crops_in)
                features = branch.search(x)
                every_pair = F.conv2d(features, k)  # M x N x 17 x 17: kernels as Conv's run-time W
                crops, targets = every_pair.shape[0], k.shape[0]
                owner = torch.arange(crops, device=x.device) // (crops // targets)
                mine = torch.gather(every_pair, 1, owner.view(-1, 1, 1, 1).expand(-1, 1, *every_pair.shape[2:]))
                maps.append(branch.adjust(mine)[:, 0])
            return tuple(maps)

    return Exemplar().eval(), Search().eval()


def cached_export(weights: str | Path | None = None, branches: str = "both", progress: bool = False) -> Path:
    """The ONNX export of `weights` (default: the shipped checkpoint) with `branches`, from the user cache
    (`sasiam.files.user_cache("onnx")`), keyed by the checkpoint's SHA-256: exported on first use, reused
    afterwards, exported again when the cached one is damaged (a graph whose bytes changed, a missing
    or unreadable manifest, one of an older export format): `sasiam.files.cached_folder`."""
    source = Path(weights) if weights is not None else default_weights_path()
    if source is None:
        raise CheckpointError("no checkpoint to export: the shipped weights are missing; pass weights=FILE")
    if not source.is_file():
        raise CheckpointError(f"{source}: no such checkpoint file")
    digest = file_sha256(source)
    names = tuple(name for name in BRANCH_ORDER if branches in (name, "both"))

    def made_from_these_weights(folder: Path) -> bool:
        try:
            manifest = OnnxManifest.read(folder / MANIFEST_NAME)
        except CheckpointError:
            return False
        return manifest.source_sha256 == digest and manifest.branches == names

    return cached_folder(user_cache("onnx") / f"{digest[:16]}-{branches}",
                         lambda staging: export_onnx(staging, weights=source, branches=branches, progress=progress),
                         (EXEMPLAR_FILE, SEARCH_FILE, MANIFEST_NAME), made_from_these_weights)


def exports_on_first_use(weights, snet_weights=None, backbone=None) -> bool:
    """Whether `backend="onnx"` exports `weights` into the user cache: a checkpoint, or None for the shipped
    one, with the checkpoint's own S-Net (the export fixes the S-Net: snet_weights / backbone are refused)."""
    one_checkpoint = weights is None or (Path(weights).suffix == ".safetensors" and "+" not in str(weights))
    return one_checkpoint and snet_weights is None and backbone is None  # "A+B": an ensemble's checkpoints


def onnx_can_run(weights, snet_weights=None, backbone=None) -> bool:
    """Whether an ONNX path can run these options: a checkpoint it exports, or an export folder (or a file
    in one) as it is."""
    if exports_on_first_use(weights, snet_weights, backbone):
        return True
    if snet_weights is not None or backbone is not None or weights is None:
        return False
    return manifest_path(weights).is_file()


def onnx_weights(weights: str | Path | None, branches: str = "both", snet_weights=None, backbone=None):
    """What `backend="onnx"` runs for `weights`: an export folder (or a file in one) as it is; a checkpoint,
    or None for the shipped one, as its export in the user cache (`cached_export`, made on first use:
    torch is needed once, onnxruntime alone afterwards). With snet_weights / backbone nothing is exported:
    the ONNX backend refuses them, since the export fixes the S-Net."""
    if exports_on_first_use(weights, snet_weights, backbone):
        return cached_export(weights, branches)
    return weights


def export_onnx(out_dir: str | Path, weights: str | Path | None = None, branches: str = "both",
                opset: int = DEFAULT_OPSET, snet_weights: str | Path | None = None,
                backbone: str | None = None, progress: bool = False) -> Path:
    """Write exemplar.onnx, search.onnx and sasiam_onnx.json into out_dir; returns the manifest's path."""
    try:
        import torch
        from torch.export import Dim
    except ImportError:
        raise SASiamError("exporting needs PyTorch (running the exported graphs does not)") from None
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise SASiamError(f"exporting needs onnx and onnxscript: {INSTALL_HINT}") from None
    from ..backends.torch import load_network

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SASiamError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    # A failed export must not leave an old manifest vouching for half-written graphs.
    (out / MANIFEST_NAME).unlink(missing_ok=True)
    source = Path(weights) if weights is not None else default_weights_path()
    net, checkpoint_lam, untrained = load_network(weights, branches, snet_weights, backbone)
    names = [name for name in BRANCH_ORDER if name in net.branches()]
    # In the order the Exemplar wrapper returns them: appearance, then semantic and its attention.
    exemplar_outputs = [kernel_name(n) for n in names] + (list(ATTENTION_OUTPUTS) if "semantic" in names else [])
    crop_inputs = [SEARCH_INPUT] + ([SEMANTIC_SEARCH_INPUT] if len(names) == 2 else [])
    search_inputs = crop_inputs + [kernel_name(n) for n in names]
    search_outputs = [map_name(n) for n in names]
    exemplar_module, search_module = _wrappers(net)

    # Examples with N = 2 targets and M = 6 crops: torch.export specialises sizes 0 and 1,
    # and N != M keeps the two batch sizes from being taken for one symbol.
    generator = torch.Generator().manual_seed(0)
    context = torch.randint(0, 256, (2, CROP_SIZE, CROP_SIZE, 3), dtype=torch.uint8, generator=generator)
    search = torch.randint(0, 256, (6, CROP_SIZE, CROP_SIZE, 3), dtype=torch.uint8, generator=generator)
    # the S-Net's crops with a size of their own (2 per target, neither M nor N), so they stay their own symbol
    semantic_search = search[:4].clone()
    with torch.no_grad():
        kernels = exemplar_module(context)[:len(names)]
    targets = Dim("targets", min=1, max=4096)
    crops = Dim("crops", min=1, max=4096)
    semantic_crops = Dim("semantic_crops", min=1, max=4096)
    crop_args = (search, semantic_search)[:len(crop_inputs)]
    crop_shapes = ({0: crops}, {0: semantic_crops})[:len(crop_inputs)]
    jobs = [
        (exemplar_module, (context,), EXEMPLAR_FILE, [EXEMPLAR_INPUT], exemplar_outputs,
         {"context_crops": {0: targets}}),
        (search_module, (*crop_args, *kernels), SEARCH_FILE, search_inputs, search_outputs,
         {"search_crops": crop_shapes[0],
          "crops_then_kernels": (*crop_shapes[1:], *({0: targets} for _ in names))}),
    ]
    # "torchvision is not installed. Skipping torchvision::nms": the exporter's, about ops we do not use
    registration_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    log_level = registration_log.level
    registration_log.setLevel(logging.ERROR)
    try:
        for module, args, filename, inputs, outputs_, shapes in tqdm(jobs, desc="export-onnx", unit="graph",
                                                                      disable=not progress):
            with warnings.catch_warnings():
                # torch's exporter warns about its own internals (pytree deprecations); nothing for the user
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.filterwarnings("ignore", message=".*axis name.*")
                torch.onnx.export(module, args, str(out / filename), input_names=inputs, output_names=outputs_,
                                  opset_version=opset, dynamo=True, dynamic_shapes=shapes, external_data=False,
                                  verbose=False)
    finally:
        registration_log.setLevel(log_level)
    lam = checkpoint_lam if checkpoint_lam is not None else TrackerConfig().lam
    manifest = OnnxManifest(
        lam=float(lam), branches=tuple(names), untrained=tuple(untrained),
        exemplar_outputs=tuple(exemplar_outputs), search_inputs=tuple(search_inputs),
        search_outputs=tuple(search_outputs), opset=opset,
        source_weights=str(source) if source is not None else None,
        source_sha256=file_sha256(source) if source is not None else None,
    )
    path = out / MANIFEST_NAME
    path.write_text(manifest.to_json())
    return path


# -- check against PyTorch ------------------------------------------------------------

def default_check_sequence() -> Path | None:
    """Crossing from ../shared/sequences beside a source checkout (or $SASIAM_SHARED_SEQUENCES), if there."""
    path = shared_sequences_root() / DEFAULT_CHECK_SEQUENCE
    return path if (path / "img").is_dir() else None


def check_frames(path: Path | None, count: int) -> tuple[list[np.ndarray], np.ndarray, str]:
    """`count` frames with their boxes: from an OTB-layout sequence, else the bundled demo clip."""
    if count < 2:
        raise SASiamError(f"--check-frames must be at least 2 (one exemplar frame, one search frame), got {count}")
    if path is None:
        from ..data.demo_clip import make_demo_clip

        clip = make_demo_clip(num_frames=count)
        return list(clip.frames), clip.boxes, "the bundled demo clip"
    from ..data.sequences import open_sequence

    sequence = open_sequence(path)
    if sequence.groundtruth is None:
        raise SASiamError(f"{path}: no ground truth; --check-on needs an OTB-layout sequence with groundtruth_rect.txt")
    frames, boxes = [], []
    for frame, box in zip(sequence.frames(), sequence.groundtruth):
        if np.all(np.isfinite(box)):
            frames.append(frame)
            boxes.append(box)
        if len(frames) == count:
            break
    if len(frames) < 2:
        raise SASiamError(f"{path}: fewer than 2 frames with a ground-truth box")
    return frames, np.asarray(boxes, dtype=np.float64), sequence.name


@dataclass(frozen=True)
class ExportCheck:
    """Largest |onnx - torch| of each output, each backend fed its own kernels (as the tracker does)."""

    source: str
    search_crops: int
    kernel_diff: dict[str, float]
    map_diff: dict[str, float]
    score_diff: float
    score_extent: float  # largest |torch score|, to read score_diff against

    @property
    def worst(self) -> float:
        return max([self.score_diff, *self.kernel_diff.values(), *self.map_diff.values()])

    def summary(self) -> str:
        kernels = ", ".join(f"{name} {value:.2e}" for name, value in self.kernel_diff.items())
        maps = ", ".join(f"{name} {value:.2e}" for name, value in self.map_diff.items())
        return (f"check on {self.source} ({self.search_crops} search crops): max |onnx - torch| "
                f"kernels: {kernels}; score maps: {self.score_diff:.2e} combined ({maps}); "
                f"torch scores reach +-{self.score_extent:.2f}")


def crops_for_check(frames: list[np.ndarray], boxes: np.ndarray, config=None) -> tuple[np.ndarray, np.ndarray]:
    """The tracker's context crop of frame 0 and its 3-scale search crops around each later box."""
    from ..tracking.policy import SearchPolicy

    policy = SearchPolicy(config or TrackerConfig())
    context = policy.context_crop(frames[0], policy.start(frames[0], boxes[0]))[None]
    search = np.concatenate([policy.search_crops(frame, policy.start(frame, box))
                             for frame, box in zip(frames[1:], boxes[1:])])
    return context, search


def check_export(folder: str | Path, context: np.ndarray, search: np.ndarray, source: str,
                 weights: str | Path | None = None, snet_weights=None, backbone=None) -> ExportCheck:
    from ..backends.torch import TorchBackend, load_network
    from ..models.sasiam_net import SASiamNet

    onnx_backend = OnnxBackend(folder)
    branches = "both" if len(onnx_backend.branches) == 2 else onnx_backend.branches[0]
    net, _, _ = load_network(weights, branches, snet_weights, backbone)
    torch_backend = TorchBackend(net, onnx_backend.lam)
    torch_kernels = torch_backend.exemplar(context)
    onnx_kernels = onnx_backend.exemplar(context)
    kernel_diff = {name: float(np.abs(torch_kernels[name].numpy() - onnx_kernels[kernel_name(name)]).max())
                   for name in onnx_backend.branches}
    torch_maps = torch_backend.branch_maps(torch_kernels, search)
    onnx_maps = onnx_backend.branch_maps(onnx_kernels, search)
    map_diff = {name: float(np.abs(torch_maps[name].numpy() - onnx_maps[name]).max()) for name in onnx_backend.branches}
    torch_score = SASiamNet.combine(torch_maps, onnx_backend.lam).numpy()
    onnx_score = onnx_backend.score_maps(onnx_kernels, search)
    return ExportCheck(source, len(search), kernel_diff, map_diff, float(np.abs(torch_score - onnx_score).max()),
                       float(np.abs(torch_score).max()))
