"""Trackers an evaluation can run, named by a spec string:
`sasiam`, `sasiam:branches=appearance,lam=0.5,weights=w.safetensors,precision=bf16` (any field of
`sasiam.tracking.options.TrackerOptions`),
`opencv:csrt`, `opencv:kcf`, `opencv:nano` (NanoTrack v2 through OpenCV's TrackerNano, with its
ONNX models from ../shared/baselines/nanotrackv2 or `opencv:nano,models=DIR`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..data.shared import nanotrack_models_root
from ..errors import CheckpointError, InvalidOptionError, SASiamError
from ..tracking.frames import as_bgr_uint8
from ..tracking.options import FROM_TEXT, TrackerOptions, tracker_from_options

NANOTRACK_FILES = ("nanotrack_backbone_sim.onnx", "nanotrack_head_sim.onnx")


def nanotrack_model_files(models: str | Path | None = None) -> tuple[Path, Path]:
    """NanoTrack's backbone and neck/head ONNX files in `models` (default: ../shared/baselines/nanotrackv2)."""
    folder = Path(models) if models else nanotrack_models_root()
    where = f"opencv:nano: {folder}" + ("" if models else " (the default model folder)")
    wanted = " and ".join(NANOTRACK_FILES)
    if not folder.is_dir():
        raise CheckpointError(f"{where}: no such folder; pass the folder holding {wanted} "
                              f"as --tracker opencv:nano,models=DIR")
    missing = [name for name in NANOTRACK_FILES if not (folder / name).is_file()]
    if missing:
        raise CheckpointError(f"{where}: no {' or '.join(missing)} there; pass the folder holding {wanted} "
                              f"as --tracker opencv:nano,models=DIR")
    return folder / NANOTRACK_FILES[0], folder / NANOTRACK_FILES[1]


def create_nano(models: str | None = None):
    backbone, head = nanotrack_model_files(models)
    if not hasattr(cv2, "TrackerNano_create"):
        raise InvalidOptionError(f"OpenCV {cv2.__version__} has no TrackerNano (opencv:nano needs OpenCV 4.7 or newer)")
    params = cv2.TrackerNano_Params()
    params.backbone, params.neckhead = str(backbone), str(head)
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # OpenCV 5 warns on every model load
    try:
        return cv2.TrackerNano_create(params)
    except cv2.error as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "unknown error"
        raise CheckpointError(f"{backbone.parent}: OpenCV cannot load NanoTrack's models ({reason})") from None
    finally:
        cv2.utils.logging.setLogLevel(level)


OPENCV_TRACKERS = {
    "csrt": lambda **options: cv2.TrackerCSRT.create(),
    "kcf": lambda **options: cv2.TrackerKCF.create(),
    "nano": lambda models=None: create_nano(models),
}
OPENCV_OPTIONS = {"csrt": {}, "kcf": {}, "nano": {"models": str}}
OPENCV_LABELS = {"csrt": "OpenCV CSRT", "kcf": "OpenCV KCF", "nano": "NanoTrack (OpenCV)"}


@dataclass(frozen=True)
class TrackerSpec:
    spec: str
    kind: str
    options: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """File-system-safe name for result folders: sasiam_branches-appearance."""
        if not self.options:
            return self.kind if self.kind == "sasiam" else f"{self.kind}_{self.options.get('type', '')}".rstrip("_")
        return self.spec.replace(":", "_").replace("=", "-").replace(",", "_").replace("/", "-")

    @property
    def label(self) -> str:
        """A name for legends and tables: 'SA-Siam (appearance only)', 'OpenCV CSRT', 'NanoTrack (OpenCV)'.
        Where files come from (weights, models, backend, device) is left out; `default_labels` tells
        apart specs that differ only there."""
        if self.kind == "opencv":
            return OPENCV_LABELS[self.options["type"]]
        details = []
        if self.options.get("branches", "both") != "both":
            details.append(f"{self.options['branches']} only")
        if "lam" in self.options:
            details.append(f"lambda {self.options['lam']:g}")
        if self.options.get("precision", "fp32") != "fp32":
            details.append(self.options["precision"])
        if "backbone" in self.options:
            details.append(f"{self.options['backbone']} S-Net")
        return "SA-Siam" + (f" ({', '.join(details)})" if details else "")


def parse_options(spec: str, text: str, known: dict) -> dict:
    options = {}
    for item in filter(None, text.split(",")):
        key, separator, value = item.partition("=")
        if not separator or key not in known:
            raise SASiamError(f"bad option {item!r} in {spec!r}; known: {', '.join(known) or 'none'}")
        try:
            options[key] = known[key](value)
        except ValueError:
            raise SASiamError(f"bad value in {item!r} of {spec!r}") from None
    return options


def parse_tracker_spec(spec: str) -> TrackerSpec:
    kind, _, rest = spec.partition(":")
    if kind == "opencv":
        kind_name, _, rest = rest.partition(",")
        if kind_name not in OPENCV_TRACKERS:
            raise SASiamError(f"unknown OpenCV tracker {kind_name!r} in {spec!r}; known: {', '.join(OPENCV_TRACKERS)}")
        return TrackerSpec(spec, "opencv", {"type": kind_name, **parse_options(spec, rest, OPENCV_OPTIONS[kind_name])})
    if kind != "sasiam":
        raise SASiamError(f"unknown tracker {spec!r}; use sasiam[:key=value,...], opencv:csrt|kcf "
                          "or opencv:nano[,models=DIR]")
    return TrackerSpec(spec, "sasiam", parse_options(spec, rest, FROM_TEXT))


def default_labels(specs: list[str]) -> list[str]:
    """Each spec's `TrackerSpec.label`; specs whose labels would be equal get their spec text added."""
    labels = [parse_tracker_spec(spec).label for spec in specs]
    return [f"{label} [{spec}]" if labels.count(label) > 1 else label for spec, label in zip(specs, labels)]


def check_tracker_files(spec: TrackerSpec) -> None:
    """Fail now, with a one-line error, on model files a tracker will not find (before any work)."""
    if spec.kind == "opencv" and spec.options["type"] == "nano":
        nanotrack_model_files(spec.options.get("models"))


class OpenCVTracker:
    """OpenCV's trackers behind the same init/update interface; a lost target keeps the last box."""

    def __init__(self, kind: str, **options) -> None:
        self.kind = kind
        self.options = options
        self.score = float("nan")

    def init(self, frame: np.ndarray, box) -> None:
        self._tracker = OPENCV_TRACKERS[self.kind](**self.options)
        x, y, w, h = (float(v) for v in box)
        self.box = (x, y, w, h)
        self._tracker.init(as_bgr_uint8(frame), (int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h)))))

    def update(self, frame: np.ndarray):
        ok, box = self._tracker.update(as_bgr_uint8(frame))
        self.score = 1.0 if ok else 0.0
        if ok:
            self.box = tuple(float(v) for v in box)
            if self.kind == "nano":
                self.score = float(self._tracker.getTrackingScore())
        return self.box


def build_tracker(spec: TrackerSpec):
    if spec.kind == "opencv":
        options = {key: value for key, value in spec.options.items() if key != "type"}
        return OpenCVTracker(spec.options["type"], **options)
    return tracker_from_options(TrackerOptions(**spec.options))
