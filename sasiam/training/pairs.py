"""Training pairs: two frames of one track at most `max_frame_gap` apart, cut
(with SiamFC's augmentation) from the curated 255 crops. Every random choice
is drawn from a generator seeded by (seed, epoch, pair index), so an epoch is
the same whatever the number of workers and whether or not the run resumed."""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .config import TrainConfig
from .curation import CropCache


def pair_rng(seed: int, epoch: int, index: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, index, stream])


def _tracks_by_group(cache: CropCache, balance_groups: bool) -> list[list[np.ndarray]]:
    """Rows of each track with two or more frames, gathered by sampling group (one group when not balancing)."""
    tracks = cache.rows_by_track()
    groups = cache.track_groups if (balance_groups and cache.track_groups) else [""] * len(tracks)
    gathered: dict[str, list[np.ndarray]] = {}
    for rows, group in zip(tracks, groups):
        if len(rows) >= 2:
            gathered.setdefault(group, []).append(rows)
    if not gathered:
        raise ValueError("no track has two usable frames: nothing to train on")
    return [gathered[group] for group in sorted(gathered)]


def sample_pairs(cache: CropCache, count: int, max_frame_gap: int, seed: int, epoch: int,
                 balance_groups: bool = True) -> np.ndarray:
    """count x 2 rows of the cache: (exemplar, search), same track, |frame gap| <= max_frame_gap.

    A group is drawn first (with `balance_groups`: "ground" and "aerial" equally often, so that the 28
    drone videos of the training crops do not outweigh the ground-level ones), then a track uniformly
    within it (as SiamFC picks videos: a source of many short videos is not swamped by a few long ones),
    then two frames uniformly within the track."""
    rng = np.random.default_rng([seed, epoch, 7919])
    groups = _tracks_by_group(cache, balance_groups)
    pairs = np.empty((count, 2), dtype=np.int64)
    for i in range(count):
        group = groups[rng.integers(len(groups))]
        rows = group[rng.integers(len(group))]
        frames = cache.frame_of[rows]
        first = rng.integers(len(rows))
        near = np.flatnonzero((np.abs(frames - frames[first]) <= max_frame_gap) & (np.arange(len(rows)) != first))
        second = near[rng.integers(len(near))] if len(near) else first
        pairs[i] = rows[first], rows[second]
    return pairs


def sample_negative_pairs(cache: CropCache, count: int, seed: int, epoch: int) -> np.ndarray:
    """count x 2 rows: exemplar and search from two different videos (DaSiamRPN's negative pairs: the
    network must learn to say "not here" to a similar-looking other object). Needs two videos."""
    rng = np.random.default_rng([seed, epoch, 104723])
    tracks = [rows for rows in cache.rows_by_track() if len(rows)]
    videos = np.array([cache.track_names[cache.track_of[rows[0]]].split("/", 1)[0] for rows in tracks])
    if count and len(set(videos)) < 2:
        raise ValueError("negative pairs need tracks from at least two videos")
    pairs = np.empty((count, 2), dtype=np.int64)
    for i in range(count):
        first = rng.integers(len(tracks))
        others = np.flatnonzero(videos != videos[first])
        second = others[rng.integers(len(others))]
        pairs[i] = rng.choice(tracks[first]), rng.choice(tracks[second])
    return pairs


def augment(crop: np.ndarray, rng: np.random.Generator, config: TrainConfig) -> np.ndarray:
    """SiamFC's augmentation as one warp: random stretch, centre 247, random 239 (+-4 px)."""
    out = config.crop_size
    source = crop.shape[0]
    stretch = 1.0 + rng.uniform(-config.max_stretch, config.max_stretch, size=2)
    shift = rng.integers(-config.max_translation, config.max_translation + 1, size=2)
    centre_in = (source - 1) / 2
    centre_out = (out - 1) / 2
    # output pixel u -> source pixel centre_in + (u - centre_out + shift) / stretch
    matrix = np.array([[1 / stretch[0], 0, centre_in + (shift[0] - centre_out) / stretch[0]],
                       [0, 1 / stretch[1], centre_in + (shift[1] - centre_out) / stretch[1]]])
    image = cv2.warpAffine(crop, matrix, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    if config.colour_jitter > 0:
        image = np.clip(image * (1 + rng.uniform(-config.colour_jitter, config.colour_jitter, 3)), 0, 255).astype(np.uint8)
    if config.grayscale_probability > 0 and rng.random() < config.grayscale_probability:
        image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return image


def centre_crop(crop: np.ndarray, size: int) -> np.ndarray:
    margin = (crop.shape[0] - size) // 2
    return crop[margin:margin + size, margin:margin + size]


def to_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)


class CropPairDataset(Dataset):
    """Item i of an epoch: (exemplar 239 crop, search 239 crop, positive) with the crops as uint8
    3 x 239 x 239 tensors and `positive` 1.0 for a pair of one target, 0.0 for a negative pair.

    Of the epoch's pairs, `config.still_fraction` are still-image pairs (`still_pairs.py`, with a `still`
    cache) and `config.negative_fraction` negative pairs (two videos, `sample_negative_pairs`); all kinds are
    spread through the epoch by a permutation drawn from (seed, epoch): the loader does not shuffle, so that
    an epoch's batches are the same in every run and after a resume."""

    VIDEO, STILL, NEGATIVE = 0, 1, 2

    def __init__(self, cache: CropCache, config: TrainConfig, epoch: int, pairs_per_epoch: int | None = None,
                 augmented: bool = True, still: CropCache | None = None) -> None:
        self.cache = cache
        self.config = config
        self.epoch = epoch
        self.augmented = augmented
        count = pairs_per_epoch or config.pairs_per_epoch
        self.still = still if (still is not None and len(still.crops) and augmented) else None
        still_count = int(round(config.still_fraction * count)) if self.still is not None else 0
        negative_count = int(round(config.negative_fraction * count)) if augmented else 0
        self.pairs = sample_pairs(cache, count - still_count - negative_count, config.max_frame_gap, config.seed,
                                  epoch, config.balance_groups)
        self.negatives = sample_negative_pairs(cache, negative_count, config.seed, epoch)
        rng = np.random.default_rng([config.seed, epoch, 15485863])
        self.still_rows = rng.integers(len(self.still.crops), size=still_count) if still_count else np.zeros(0, int)
        # item -> (kind, index within that kind)
        kinds = np.concatenate([np.full(len(self.pairs), self.VIDEO), np.full(still_count, self.STILL),
                                np.full(negative_count, self.NEGATIVE)])
        within = np.concatenate([np.arange(len(self.pairs)), np.arange(still_count), np.arange(negative_count)])
        order = rng.permutation(len(kinds)) if (still_count or negative_count) else np.arange(len(kinds))
        self.kinds, self.within = kinds[order], within[order]

    def __len__(self) -> int:
        return len(self.kinds)

    def __getitem__(self, position: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        kind, index = int(self.kinds[position]), int(self.within[position])
        if kind == self.STILL:
            from .still_pairs import still_augment

            crop = self.still.crops[self.still_rows[index]]
            rng = pair_rng(self.config.seed, self.epoch, index, stream=1)
            return (to_tensor(augment(crop, rng, self.config)), to_tensor(still_augment(crop, rng, self.config)),
                    torch.tensor(1.0))
        if kind == self.NEGATIVE:
            exemplar_row, search_row = self.negatives[index]
            rng = pair_rng(self.config.seed, self.epoch, index, stream=2)
            return (to_tensor(augment(self.cache.crops[exemplar_row], rng, self.config)),
                    to_tensor(augment(self.cache.crops[search_row], rng, self.config)), torch.tensor(0.0))
        exemplar_row, search_row = self.pairs[index]
        if not self.augmented:
            size = self.config.crop_size
            return (to_tensor(centre_crop(self.cache.crops[exemplar_row], size)),
                    to_tensor(centre_crop(self.cache.crops[search_row], size)), torch.tensor(1.0))
        rng = pair_rng(self.config.seed, self.epoch, index)
        return (to_tensor(augment(self.cache.crops[exemplar_row], rng, self.config)),
                to_tensor(augment(self.cache.crops[search_row], rng, self.config)), torch.tensor(1.0))
