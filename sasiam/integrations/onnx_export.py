"""`sasiam export-onnx`: write the ONNX graphs, then check them against PyTorch on real crops.

The check runs both backends on the crops the tracker would cut (the first frame's
context crop, then three scales around the target in the next frames) and prints
the largest absolute difference of the kernels and of the score maps, so a user
sees at export time whether ONNX Runtime reproduces PyTorch on their machine.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.shared import shared_sequences_root
from ..errors import SASiamError

if TYPE_CHECKING:
    import numpy as np

# numpy, torch and onnxruntime are imported by the functions that use them, so that
# registering this command costs `sasiam --help` nothing.
DEFAULT_OPSET = 18  # kept equal to sasiam.integrations.onnx.DEFAULT_OPSET (tests check)

# Score maps span about +-5 and kernels about +-3; fp32 reordering gives ~1e-5. Far above that is a wrong graph.
DEFAULT_TOLERANCE = 1e-3
DEFAULT_CHECK_SEQUENCE = "Crossing"


def default_check_sequence() -> Path | None:
    """Crossing from ../shared/sequences beside a source checkout (or $SASIAM_SHARED_SEQUENCES), if there."""
    path = shared_sequences_root() / DEFAULT_CHECK_SEQUENCE
    return path if (path / "img").is_dir() else None


def check_frames(path: Path | None, count: int) -> tuple[list[np.ndarray], np.ndarray, str]:
    """`count` frames with their boxes: from an OTB-layout sequence, else the bundled demo clip."""
    import numpy as np

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
    import numpy as np

    from ..config import TrackerConfig
    from ..tracking.tracker import SearchPolicy

    policy = SearchPolicy(config or TrackerConfig())
    context = policy.context_crop(frames[0], policy.start(frames[0], boxes[0]))[None]
    search = np.concatenate([policy.search_crops(frame, policy.start(frame, box))
                             for frame, box in zip(frames[1:], boxes[1:])])
    return context, search


def check_export(folder: str | Path, context: np.ndarray, search: np.ndarray, source: str,
                 weights: str | Path | None = None, snet_weights=None, backbone=None) -> ExportCheck:
    import numpy as np

    from ..models.sasiam_net import SASiamNet
    from ..tracking.backends import TorchBackend, load_network
    from .onnx import OnnxBackend, kernel_name

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


def command_export_onnx(args: argparse.Namespace) -> int:
    from .onnx import MANIFEST_NAME, export_onnx

    manifest = export_onnx(args.out, weights=args.weights, branches=args.branches, opset=args.opset,
                           snet_weights=args.snet_weights, backbone=args.backbone, progress=not args.quiet)
    folder = manifest.parent
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(folder.glob("*.onnx")))
    print(f"exported {args.branches} -> {folder}: {sizes}, {MANIFEST_NAME}")
    if args.no_check:
        return 0
    sequence = args.check_on if args.check_on is not None else default_check_sequence()
    frames, boxes, source = check_frames(sequence, args.check_frames)
    context, search = crops_for_check(frames, boxes)
    result = check_export(folder, context, search, source, args.weights, args.snet_weights, args.backbone)
    print(result.summary())
    if result.worst > args.tolerance:
        print(f"sasiam: ONNX Runtime differs from PyTorch by {result.worst:.2e} > tolerance {args.tolerance:g}",
              file=sys.stderr)
        return 1
    return 0


def register(commands) -> None:
    parser = commands.add_parser(
        "export-onnx", help="write ONNX graphs (exemplar, search) for the onnxruntime backend and check them",
        description="Writes exemplar.onnx, search.onnx and sasiam_onnx.json; track with them through "
                    "SASiamTracker(backend='onnx', weights=OUT) (no PyTorch needed there).")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the graphs into")
    parser.add_argument("--weights", type=Path, help="checkpoint (.safetensors); default: the shipped weights")
    parser.add_argument("--branches", choices=("both", "appearance", "semantic"), default="both")
    parser.add_argument("--backbone", choices=("efficientnet_lite0", "alexnet"),
                        help="S-Net; must match the checkpoint (default: the checkpoint's)")
    parser.add_argument("--snet-weights", type=Path, help="ImageNet weights for the alexnet S-Net")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    parser.add_argument("--check-on", type=Path,
                        help="OTB-layout sequence whose first frames the check uses "
                             "(default: ../shared/sequences/Crossing if present, else the bundled demo clip)")
    parser.add_argument("--check-frames", type=int, default=4, help="frames used by the check (default 4)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help=f"exit 1 if any max abs difference exceeds this (default {DEFAULT_TOLERANCE:g})")
    parser.add_argument("--no-check", action="store_true", help="export only")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=command_export_onnx)
