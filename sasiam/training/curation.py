"""Curate training crops once to a cache on disk.

Cropping full frames on the fly is the known bottleneck of SiamFC training, so
every visible frame of every track is cut once, SiamFC-style, to a 255x255
crop centred on the target with the target scaled as an exemplar of 127
(context 0.5, mean-colour padding), and stored in one uint8 memory-mapped
array. Training then only reads and lightly warps these crops.
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..data.datasets import Track
from ..data.sequences import read_image
from ..errors import InvalidFrameError, OutputError, describe_os_error
from ..files import atomic_write, format_bytes, reserve_blocks
from ..tracking.crops import crop_square
from ..tracking.frames import as_bgr_uint8
from ..tracking.geometry import box_to_center, context_side

EXEMPLAR_SIZE = 127


@dataclass
class CropCache:
    """crops[i] is the 255 crop of frame `frame_of[i]` of track `track_of[i]`."""

    crops: np.ndarray                # M x S x S x 3 uint8 (memory-mapped)
    track_names: list[str]
    track_of: np.ndarray             # M int: index into track_names
    frame_of: np.ndarray             # M int: frame number within the track's video
    skipped: int = 0                 # frames that could not be decoded
    track_groups: list[str] | None = None  # per track: sampling group ("ground"/"aerial"); None: one group

    def rows_by_track(self) -> list[np.ndarray]:
        order = np.argsort(self.track_of, kind="stable")
        bounds = np.searchsorted(self.track_of[order], np.arange(len(self.track_names) + 1))
        return [order[bounds[i]:bounds[i + 1]] for i in range(len(self.track_names))]


def cache_key(tracks: list[Track], crop_size: int, context_amount: float) -> str:
    digest = hashlib.sha256(json.dumps([crop_size, context_amount]).encode())
    for track in tracks:
        digest.update(track.name.encode())
        digest.update(np.ascontiguousarray(track.boxes).tobytes())
        digest.update(track.visible.tobytes())
        digest.update(str(track.frame_paths[0]).encode())
        if track.frame_numbers is not None or track.curated or track.group != "ground":
            digest.update(json.dumps([track.curated, track.group]).encode())
            digest.update(np.ascontiguousarray(track.numbers()).tobytes())
    return digest.hexdigest()[:16]


def _curate_frame(path: Path, box: np.ndarray, crop_size: int, context_amount: float,
                  curated: bool = False) -> np.ndarray | None:
    """The crop, or None for a frame that cannot be used (undecodable, cut short, not an image).

    A frame that is already a curated crop of this size is taken as it is: cutting it again would only
    resample it (its box spans exactly its 127-pixel exemplar region, so the cut is the whole image)."""
    frame, _ = read_image(path)
    if frame is None:
        return None
    try:
        frame = as_bgr_uint8(frame)
    except InvalidFrameError:
        return None
    if curated and frame.shape[:2] == (crop_size, crop_size):
        return np.ascontiguousarray(frame)
    center, size = box_to_center(box)
    side = context_side(size, context_amount) * crop_size / EXEMPLAR_SIZE
    return crop_square(frame, center, side, crop_size, frame.mean(axis=(0, 1)))


def curate(tracks: list[Track], cache_dir: str | Path, crop_size: int = 255, context_amount: float = 0.5,
           workers: int = 2, progress: bool = True) -> CropCache:
    """Build (or reopen) the crop cache of these tracks. A corrupt frame is skipped and counted."""
    folder = Path(cache_dir) / f"crops-{cache_key(tracks, crop_size, context_amount)}"
    index_path = folder / "index.json"
    if index_path.is_file():
        index = json.loads(index_path.read_text())
        crops = np.load(folder / "crops.npy", mmap_mode="r")
        return CropCache(crops, index["tracks"], np.array(index["track_of"]), np.array(index["frame_of"]),
                         index["skipped"], index.get("groups"))
    jobs = [(t, f) for t, track in enumerate(tracks) for f in np.flatnonzero(track.visible)]
    partial = folder / "crops.partial.npy"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        crops = np.lib.format.open_memmap(partial, mode="w+", dtype=np.uint8,
                                          shape=(len(jobs), crop_size, crop_size, 3))
        reserve_blocks(partial)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OutputError(f"{folder}: cannot write the crop cache ({format_bytes(len(jobs) * crop_size * crop_size * 3)}): "
                          f"{describe_os_error(error)}") from error
    kept_track, kept_frame = [], []

    def work(job):
        t, f = job
        return _curate_frame(tracks[t].frame_paths[f], tracks[t].boxes[f], crop_size, context_amount, tracks[t].curated)

    skipped = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:  # OpenCV releases the GIL while decoding
        for (t, f), crop in tqdm(zip(jobs, pool.map(work, jobs)), total=len(jobs), desc="curating crops",
                                 unit="frame", disable=not progress):
            if crop is None:
                skipped += 1
                continue
            crops[len(kept_track)] = crop
            kept_track.append(t)
            kept_frame.append(int(tracks[t].numbers()[f]))
    crops.flush()
    del crops
    try:
        final = np.load(partial, mmap_mode="r")[: len(kept_track)]
        np.save(folder / "crops.npy", final)  # dense copy without the skipped rows
        del final
        partial.unlink()
        index = {"tracks": [t.name for t in tracks], "track_of": kept_track, "frame_of": kept_frame,
                 "skipped": skipped, "groups": [t.group for t in tracks]}
        # written last: its presence marks a complete cache
        atomic_write(index_path, lambda temporary: Path(temporary).write_text(json.dumps(index)))
    except OSError as error:
        for leftover in (partial, folder / "crops.npy"):
            leftover.unlink(missing_ok=True)  # half a cache is no use; give the space back
        raise OutputError(f"{folder}: cannot write the crop cache: {describe_os_error(error)}") from error
    return curate(tracks, cache_dir, crop_size, context_amount, workers, progress)

