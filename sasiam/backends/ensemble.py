"""Several backends of the same kind as one: their score maps averaged (paper Sec. 4.2, Table 2).

The paper asks whether SA-Siam gains from its two branches being *heterogeneous*, or just from
being two models: it compares SA-Siam with A1A2 (two appearance networks trained from different
seeds) and S1S2 (two basic semantic networks), each ensemble "averaging the response maps" of its
members. That is all this backend does:

    maps = (score_maps_1 + ... + score_maps_K) / K

Each member computes its own exemplar kernels and scores the same search crops; the tracker's
policy (scales, window, damping) then runs on the averaged map, as on any backend's.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InvalidOptionError
from .base import Backend, check_lam, concat_kernels


class EnsembleBackend:
    def __init__(self, members: Sequence[Backend]) -> None:
        if len(members) < 2:
            raise InvalidOptionError(f"an ensemble needs at least two members, got {len(members)}")
        self.members = tuple(members)
        self.untrained = tuple(sorted({name for m in self.members for name in getattr(m, "untrained", ())}))
        self.precision = getattr(self.members[0], "precision", "fp32")

    @property
    def lam(self) -> float:
        return self.members[0].lam

    @lam.setter
    def lam(self, value: float) -> None:  # each member combines its own branches with it, if it has two
        for member in self.members:
            member.lam = check_lam(value)

    def exemplar(self, context_crops: np.ndarray) -> tuple:
        return tuple(member.exemplar(context_crops) for member in self.members)

    def score_maps(self, kernels: tuple, search_crops: np.ndarray) -> np.ndarray:
        maps = [member.score_maps(own, search_crops) for member, own in zip(self.members, kernels)]
        return np.mean(np.stack(maps), axis=0)

    def select(self, kernels: tuple, indices: Sequence[int]) -> tuple:
        return tuple(member.select(own, indices) for member, own in zip(self.members, kernels))

    def concat(self, first: tuple, second: tuple) -> tuple:
        """Kernels of more targets appended (MultiTargetTracker.add)."""
        return tuple(concat_kernels(member, a, b) for member, a, b in zip(self.members, first, second))


__all__ = ["EnsembleBackend"]
