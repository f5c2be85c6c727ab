"""Many targets in one video, with each network run once per frame for all of them.

N independent `SASiamTracker`s run N exemplar forwards at init and N forwards of
3 search crops per frame. Here the N context crops go through the exemplar
networks as one batch, and each frame's N x 3 search crops go to the backend in
one call, which scores them with one grouped correlation per branch (kernel i
repeated for target i's scales, see `sasiam.backends`). Per target the result is
what a single tracker gives: the same `SearchPolicy` turns target i's slice of
the maps into its new `TargetState`.

The trunks' work grows with the number of crops, so on a CPU N targets cost
about N single trackers (`sasiam bench-targets`: 1.02-1.03x at 4 and 16 targets
on the 2-core machine); `TorchBackend` runs the trunks one target at a time
there, because one batch of all crops was slower (0.47x at 16 targets).

Works with `sasiam.tracking.runner.track_frames` (pass the list of boxes as the
initial box; boxes come back as frames x N x 4). It has no `.box`/`.score`
(those are one target's); use `.boxes` and `.scores`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..backends.base import concat_kernels, maps_and_scale_maps
from ..errors import InvalidBoxError
from .frames import as_bgr_uint8
from .policy import TargetState
from .tracker import SASiamTracker


def as_box_list(boxes) -> list[tuple[float, float, float, float]]:
    """A list of (x, y, w, h); a single flat box is refused (ambiguous with a list of four numbers)."""
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidBoxError(f"boxes must be a list of (x, y, w, h), got {boxes!r}") from None
    if array.size == 0:
        return []
    if array.ndim != 2 or array.shape[1] != 4:
        raise InvalidBoxError(f"boxes must be a list of (x, y, w, h) (shape N x 4), got shape {array.shape}; "
                              "for one target pass [box]")
    return [tuple(float(v) for v in row) for row in array]


class MultiTargetTracker:
    """N targets in one video. `init(frame, boxes)` once, then `update(frame) -> boxes` per frame.

    Takes `SASiamTracker`'s options (keyword arguments passed to it as they are: weights, branches, lam,
    device, config, precision, backend, speed, ...). Frames are H x W x 3 uint8 BGR; boxes (x, y, w, h).
    Target i keeps index i until `remove`.
    """

    def __init__(self, **options) -> None:
        # A single tracker resolves the options (path, weights, lambda, untrained-branch warning) exactly as
        # it would alone; only its backend and search policy are kept.
        self._take(SASiamTracker(**options))

    def _take(self, tracker: SASiamTracker) -> None:
        self.backend, self.policy, self.config = tracker.backend, tracker.policy, tracker.config
        self.branches, self.precision = tracker.branches, tracker.precision
        self.path, self.path_reason = tracker.path, tracker.path_reason
        self.untrained_branches = list(tracker.untrained_branches)
        self.states: list[TargetState] = []
        self._kernels = None
        self._started = False

    @classmethod
    def from_tracker(cls, tracker: SASiamTracker) -> "MultiTargetTracker":
        """Share a loaded single tracker's backend (no second copy of the network)."""
        multi = cls.__new__(cls)
        multi._take(tracker)
        return multi

    def __len__(self) -> int:
        return len(self.states)

    @property
    def boxes(self) -> list[tuple[float, float, float, float]]:
        return [state.box for state in self.states]

    @property
    def scores(self) -> list[float]:
        """Response peak per target (SASiamTracker.score of each)."""
        return [state.score for state in self.states]

    def init(self, frame: np.ndarray, boxes: Sequence[Sequence[float]]) -> None:
        """Start tracking every box in `boxes` (replaces any targets tracked before)."""
        frame = as_bgr_uint8(frame)
        boxes = as_box_list(boxes)
        states = [self.policy.start(frame, box) for box in boxes]
        self._kernels = self._exemplar(frame, states) if states else None
        self.states = states
        self._started = True

    def _exemplar(self, frame: np.ndarray, states: list[TargetState]):
        crops = np.stack([self.policy.context_crop(frame, state) for state in states])
        return self.backend.exemplar(crops)

    def update(self, frame: np.ndarray) -> list[tuple[float, float, float, float]]:
        if not self._started:
            raise RuntimeError("call init(frame, boxes) before update(frame)")
        if not self.states:
            return []
        frame = as_bgr_uint8(frame)
        crops = np.concatenate([self.policy.search_crops(frame, state) for state in self.states])
        maps, scale_maps = maps_and_scale_maps(self.backend, self._kernels, crops)
        scales = len(self.policy.scale_factors)
        self.states = [self.policy.step(state, maps[i * scales:(i + 1) * scales], frame.shape,
                                        scale_maps=None if scale_maps is None else scale_maps[i * scales:(i + 1) * scales])
                       for i, state in enumerate(self.states)]
        return self.boxes

    def add(self, frame: np.ndarray, box: Sequence[float]) -> int:
        """Start tracking one more target on this frame; returns its index. One exemplar forward of 1 crop."""
        frame = as_bgr_uint8(frame)
        state = self.policy.start(frame, box)
        kernels = self._exemplar(frame, [state])
        self._kernels = kernels if not self.states else concat_kernels(self.backend, self._kernels, kernels)
        self.states.append(state)
        self._started = True
        return len(self.states) - 1

    def remove(self, index: int) -> None:
        """Stop tracking target `index`; the targets after it move down by one."""
        if not -len(self.states) <= index < len(self.states):
            raise IndexError(f"no target {index} (tracking {len(self.states)})")
        index %= len(self.states)
        keep = [i for i in range(len(self.states)) if i != index]
        self._kernels = self.backend.select(self._kernels, keep) if keep else None
        del self.states[index]
