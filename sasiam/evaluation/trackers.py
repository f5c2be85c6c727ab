"""Trackers an evaluation can run, named by a spec string:
`sasiam`, `sasiam:branches=appearance,lam=0.5,weights=w.safetensors,precision=bf16`,
`opencv:csrt`, `opencv:kcf`."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..errors import SASiamError
from ..tracking.frames import as_bgr_uint8

OPENCV_TRACKERS = {
    "csrt": lambda: cv2.TrackerCSRT.create(),
    "kcf": lambda: cv2.TrackerKCF.create(),
}
SASIAM_OPTIONS = {"branches": str, "lam": float, "weights": str, "precision": str, "backbone": str, "device": str,
                  "snet_weights": str, "backend": str}


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


def parse_tracker_spec(spec: str) -> TrackerSpec:
    kind, _, rest = spec.partition(":")
    if kind == "opencv":
        if rest not in OPENCV_TRACKERS:
            raise SASiamError(f"unknown OpenCV tracker {rest!r} in {spec!r}; known: {', '.join(OPENCV_TRACKERS)}")
        return TrackerSpec(spec, "opencv", {"type": rest})
    if kind != "sasiam":
        raise SASiamError(f"unknown tracker {spec!r}; use sasiam[:key=value,...] or opencv:csrt|kcf")
    options = {}
    for item in filter(None, rest.split(",")):
        key, separator, value = item.partition("=")
        if not separator or key not in SASIAM_OPTIONS:
            raise SASiamError(f"bad option {item!r} in {spec!r}; known: {', '.join(SASIAM_OPTIONS)}")
        try:
            options[key] = SASIAM_OPTIONS[key](value)
        except ValueError:
            raise SASiamError(f"bad value in {item!r} of {spec!r}") from None
    return TrackerSpec(spec, "sasiam", options)


class OpenCVTracker:
    """OpenCV's trackers behind the same init/update interface; a lost target keeps the last box."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.score = float("nan")

    def init(self, frame: np.ndarray, box) -> None:
        self._tracker = OPENCV_TRACKERS[self.kind]()
        x, y, w, h = (float(v) for v in box)
        self.box = (x, y, w, h)
        self._tracker.init(as_bgr_uint8(frame), (int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h)))))

    def update(self, frame: np.ndarray):
        ok, box = self._tracker.update(as_bgr_uint8(frame))
        self.score = 1.0 if ok else 0.0
        if ok:
            self.box = tuple(float(v) for v in box)
        return self.box


def build_tracker(spec: TrackerSpec):
    if spec.kind == "opencv":
        return OpenCVTracker(spec.options["type"])
    import warnings

    from ..tracking.tracker import SASiamTracker

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SASiamTracker(**spec.options)
