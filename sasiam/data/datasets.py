"""Training datasets behind one interface: a list of `Track`s -- the training view of the
layouts in `sasiam.data.layouts` (which read the files; this module decides what a frame is
good for: visible or not, count mismatches cut with a warning).

A `Track` is one object followed through one video: the frame file paths, one
x,y,w,h box per frame (0-based pixels, float64) and a per-frame `visible` flag
that says the target is present *and* its box can be used for training.

Supported layouts (nothing is ever downloaded; a missing layout raises
`InputSourceError` naming the folder or file that was expected):

* ``"otb"``    -- a folder of OTB-layout sequences (``<seq>/img/`` and
  ``groundtruth_rect.txt``), e.g. the shared evaluation sequences;
* ``"vid"``    -- ILSVRC2015-VID (``Annotations/VID/<subset>/...`` XML files and
  ``Data/VID/<subset>/...`` JPEGs);
* ``"got10k"`` -- GOT-10k (``<split>/list.txt`` and one folder per sequence);
* ``"lasot"``  -- LaSOT (``<category>/<category>-<n>/img/``);
* ``"crops"``  -- SiamFC-style curated 255 crops (``<video>/crops.tsv`` + ``NNNNNN.jpg``).

Loading only *lists* frame files, it never opens them, so a large dataset loads
quickly. Tracks with fewer than 2 visible frames are dropped, since a training
pair needs two. Recoverable oddities (frame/annotation count mismatches, listed
sequences that are absent) are reported as one `DatasetWarning` per call.
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import InputSourceError
from .layouts import crops, got10k, lasot, otb, vid
from .layouts.folders import RawSequence

__all__ = [
    "DatasetWarning",
    "Track",
    "usable",
    "load_otb_folder",
    "load_vid",
    "load_got10k",
    "load_lasot",
    "load_crops",
    "load_dataset",
    "sequence_group",
    "split_tracks",
    "DATASET_KINDS",
]

MIN_VISIBLE_FRAMES = 2
_SHOWN_IN_WARNING = 5


class DatasetWarning(UserWarning):
    """Something in a dataset was odd but could be worked around."""


@dataclass
class Track:
    """One object through one video."""

    name: str  # unique, e.g. "GOT-10k_Train_000001" or "ILSVRC2015_train_00000000/obj0"
    frame_paths: list[Path]
    boxes: np.ndarray  # N x 4 float64 x,y,w,h (0-based pixels)
    visible: np.ndarray  # N bool: target present and box usable
    # Frame numbers in the source video when the listed frames are a subsample of it (curated crops);
    # pairs are drawn at most `max_frame_gap` apart in these numbers. None: frame i is number i.
    frame_numbers: np.ndarray | None = None
    # Frames that are already SiamFC-curated crops (target centred, exemplar = the central 127 of 255):
    # the crop cache takes them as they are instead of cutting them again.
    curated: bool = False
    # Sampling group (`pairs.sample_pairs` draws a group, then a video): "ground" or "aerial".
    group: str = "ground"

    def __len__(self) -> int:
        return len(self.frame_paths)

    @property
    def sequence(self) -> str:
        """The video the track comes from (the name up to the first '/')."""
        return self.name.split("/", 1)[0]

    def numbers(self) -> np.ndarray:
        """Each listed frame's number in the source video."""
        return np.arange(len(self.frame_paths)) if self.frame_numbers is None else np.asarray(self.frame_numbers)

    @property
    def num_visible(self) -> int:
        return int(np.count_nonzero(self.visible))


AERIAL_PREFIXES = ("uav", "dtb", "uavdt")


def sequence_group(name: str) -> str:
    """"aerial" for drone footage (UAV123, DTB70, UAVDT: the shared sequences and crops name them so), else
    "ground". Pairs are balanced between the two groups so that many drone videos do not dominate."""
    return "aerial" if name.lower().startswith(AERIAL_PREFIXES) else "ground"


def usable(boxes: np.ndarray, min_size: float = 2.0) -> np.ndarray:
    """Per-box flag: all four values finite and both sides at least `min_size` pixels."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore"):
        return np.isfinite(boxes).all(axis=1) & (boxes[:, 2] >= min_size) & (boxes[:, 3] >= min_size)


# ----------------------------------------------------------------------------- helpers


class _Report:
    """Collects per-sequence oddities and emits one warning per kind of problem."""

    def __init__(self, dataset: str):
        self.dataset = dataset
        self.items: dict[str, list[str]] = defaultdict(list)

    def add(self, problem: str, detail: str) -> None:
        self.items[problem].append(detail)

    def emit(self) -> None:
        for problem, details in self.items.items():
            shown = "; ".join(details[:_SHOWN_IN_WARNING])
            more = f"; ... and {len(details) - _SHOWN_IN_WARNING} more" if len(details) > _SHOWN_IN_WARNING else ""
            warnings.warn(f"{self.dataset}: {len(details)} {problem}: {shown}{more}", DatasetWarning, stacklevel=3)


def _require_dir(path: Path, what: str) -> None:
    if not path.is_dir():
        raise InputSourceError(f"{path}: {what} not found (expected a folder; datasets are never downloaded)")


def _found(root: Path, what: str, find: Callable[[Path], list[Path]], none_found: str) -> list[Path]:
    """The sequence folders `find` lists under `root`; an error naming `root` when it is not a folder or holds none."""
    _require_dir(root, what)
    folders = find(root)
    if not folders:
        raise InputSourceError(f"{root}: {none_found}")
    return folders


def _truncate(name: str, report: _Report, **arrays) -> dict:
    """Cut every per-frame array/list to the shortest one, noting a mismatch."""
    lengths = {key: len(value) for key, value in arrays.items()}
    shortest = min(lengths.values())
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{key}={n}" for key, n in lengths.items())
        report.add("sequence(s) with mismatched per-frame counts, truncated to the shorter", f"{name} ({counts})")
    return {key: value[:shortest] for key, value in arrays.items()}


def _keep(track: Track) -> bool:
    """A training pair needs two visible frames."""
    return track.num_visible >= MIN_VISIBLE_FRAMES


# ----------------------------------------------------------------------------- OTB


def load_otb_folder(root: str | Path) -> list[Track]:
    """Every OTB-layout subfolder of `root` (``img/`` + ``groundtruth_rect.txt``,
    or ``groundtruth.txt`` when there is no ``groundtruth_rect.txt``), sorted by name.

    `root` may also be a single OTB-layout sequence. NaN lines mark frames where
    the target is absent (not visible). When frames and ground-truth lines
    differ in number both are cut to the shorter, with a `DatasetWarning`.
    """
    folders = _found(Path(root), "OTB sequence folder", otb.sequence_folders,
                     "no OTB-layout sequence (a subfolder with img/ and groundtruth_rect.txt)")
    report = _Report("OTB")
    tracks = [track for folder in folders if _keep(track := _otb_track(otb.read_sequence(folder), report))]
    report.emit()
    return tracks


def _otb_track(raw: RawSequence, report: _Report) -> Track:
    cut = _truncate(raw.name, report, frames=raw.frames, boxes=raw.boxes)
    return Track(raw.name, cut["frames"], cut["boxes"], usable(cut["boxes"]), group=sequence_group(raw.name))


# ----------------------------------------------------------------------------- ImageNet VID


def load_vid(root: str | Path, subset: str = "train", exclude_occluded: bool = False) -> list[Track]:
    """ILSVRC2015-VID: one Track per (video, trackid), over all frames of the video.

    Videos are the folders under ``root/Annotations/VID/<subset>/`` that hold
    per-frame XML files (train nests them one level deeper, in
    ``ILSVRC2015_VID_train_000k/``); frames are the matching
    ``root/Data/VID/<subset>/<same path>/<frame>.JPEG``. Track names are
    ``"<video>/obj<trackid>"``.

    Box convention: ``x = xmin, y = ymin, w = xmax - xmin, h = ymax - ymin``,
    taken straight from the XML as SiamFC's ILSVRC15 curation does (no +1 on
    the width, no clipping to the image; `layouts.vid`). A frame is visible when the trackid
    appears in that frame's XML and the box is `usable`; `<occluded>` objects
    stay visible unless ``exclude_occluded=True``. Frames whose JPEG is absent
    are dropped (with one `DatasetWarning`); a video with no Data folder is skipped.
    """
    root = Path(root)
    _require_dir(root, "ILSVRC2015-VID root")
    annotations = vid.annotation_folder(root, subset)
    _require_dir(annotations, f"ILSVRC2015-VID annotation folder for subset {subset!r}")
    _require_dir(vid.data_folder(root, subset), f"ILSVRC2015-VID frame folder for subset {subset!r}")

    report = _Report("ILSVRC2015-VID")
    tracks = []
    found_video = False
    for video in vid.videos(root, subset):
        found_video = True
        if not video.frames.is_dir():
            report.add("video(s) without a frame folder, skipped", str(video.frames))
            continue
        on_disk = vid.frame_files(video)
        frame_paths, per_frame = [], []
        missing = 0
        for xml in video.xml_names:
            stem = xml[: -len(".xml")]
            if stem not in on_disk:
                missing += 1
                continue
            frame_paths.append(on_disk[stem])
            per_frame.append(vid.read_objects(video.annotations / xml, exclude_occluded))
        if missing:
            report.add("video(s) with annotated frames missing their JPEG, frames dropped",
                       f"{video.relative} ({missing})")
        for trackid in vid.trackids(per_frame):
            boxes = vid.corners_to_boxes(per_frame, trackid)
            track = Track(f"{video.name}/obj{trackid}", list(frame_paths), boxes, usable(boxes))
            if _keep(track):
                tracks.append(track)
    if not found_video:
        raise InputSourceError(f"{annotations}: no VID annotation (.xml) files found")
    report.emit()
    return tracks


# ----------------------------------------------------------------------------- GOT-10k


def load_got10k(root: str | Path, split: str = "train") -> list[Track]:
    """GOT-10k ``root/<split>/``: the sequence folders named in ``list.txt``
    (every subfolder holding ``groundtruth.txt`` when there is no list.txt).

    Each folder holds ``00000001.jpg ...``, ``groundtruth.txt`` (x,y,w,h),
    ``absence.label`` (1 = target absent) and ``cover.label`` (0..8, visible
    ratio bins, 0 = fully covered). Visible = not absent, cover > 0 and a
    `usable` box; without label files (the test split) only the box decides.
    Sequences listed but not on disk (a partial download) are skipped with a
    `DatasetWarning`. Track names are the folder names, e.g. ``GOT-10k_Train_000001``.
    """
    root = Path(root)
    _require_dir(root, "GOT-10k root")
    split_dir = got10k.split_folder(root, split)
    _require_dir(split_dir, f"GOT-10k split folder {split!r}")
    listing = split_dir / got10k.LIST_FILE
    names = got10k.listed_names(split_dir)
    if names is None:
        names = got10k.scanned_names(split_dir)
        if not names:
            raise InputSourceError(f"{listing}: not found, and no sequence folder with groundtruth.txt beside it")

    report = _Report("GOT-10k")
    tracks = []
    present = 0
    for name in names:
        folder = split_dir / name
        if not got10k.has_sequence(folder):
            groundtruth = folder / got10k.GROUNDTRUTH
            report.add("listed sequence(s) not found, skipped", str(folder if not folder.is_dir() else groundtruth))
            continue
        present += 1
        raw = got10k.read_sequence(folder, name)
        cut = _truncate(name, report, frames=raw.frames, boxes=raw.boxes, **raw.flags)
        visible = usable(cut["boxes"])
        if "absence" in cut:
            visible &= cut["absence"] == 0
        if "cover" in cut:
            visible &= cut["cover"] > 0
        track = Track(name, cut["frames"], cut["boxes"], visible)
        if _keep(track):
            tracks.append(track)
    if names and not present:
        raise InputSourceError(f"{split_dir}: none of the {len(names)} sequences named in {listing.name} is present")
    report.emit()
    return tracks


# ----------------------------------------------------------------------------- LaSOT


def load_lasot(
    root: str | Path,
    categories: Iterable[str] | None = None,
    subset: str = "train",
    names: Iterable[str] | None = None,
) -> list[Track]:
    """LaSOT ``root/<category>/<category>-<n>/`` with ``img/*.jpg``,
    ``groundtruth.txt`` (x,y,w,h, comma separated), ``full_occlusion.txt`` and
    ``out_of_view.txt`` (comma-separated 0/1 on one line). Sequence folders
    directly under `root` (``root/<category>-<n>/``, as the test download
    unpacks) are found too.

    Visible = not fully occluded, not out of view, and a `usable` box.

    Selecting sequences: `categories` keeps only those categories. The
    official train/test split is a list of sequence names, not a folder
    layout, and is not hard-coded here: pass it as `names`. Without `names`,
    ``subset="train"``/``"test"`` uses ``root/training_set.txt`` /
    ``root/testing_set.txt`` (the lists shipped with the LaSOT toolkit) when
    present; otherwise every sequence is loaded and a `DatasetWarning` says
    the split was not applied. ``subset="all"`` loads every sequence.
    """
    root = Path(root)
    _require_dir(root, "LaSOT root")
    if subset not in ("train", "test", "all"):
        raise ValueError(f"LaSOT subset must be 'train', 'test' or 'all', not {subset!r}")
    report = _Report("LaSOT")

    wanted: set[str] | None = None
    if names is not None:
        wanted = set(names)
    elif subset != "all":
        listed = lasot.split_names(root, subset)
        if listed is not None:
            wanted = set(listed)
        else:
            report.add(
                f"split list(s) not found, so the {subset!r} split was not applied and every sequence is "
                "loaded (pass names=[...] or subset='all')",
                str(root / lasot.SPLIT_FILES[subset]),
            )
    category_set = set(categories) if categories is not None else None

    folders = lasot.sequence_folders(root)
    if not folders:
        raise InputSourceError(
            f"{root}: no LaSOT sequence (<category>/<category>-<n>/ with img/ and groundtruth.txt)"
        )

    tracks = []
    for folder in folders:
        name = folder.name
        if category_set is not None and lasot.category(name) not in category_set:
            continue
        if wanted is not None and name not in wanted:
            continue
        raw = lasot.read_sequence(folder)
        cut = _truncate(name, report, frames=raw.frames, boxes=raw.boxes, **raw.flags)
        visible = usable(cut["boxes"])
        for label in lasot.FLAG_FILES:
            if label in cut:
                visible &= cut[label] == 0
        track = Track(name, cut["frames"], cut["boxes"], visible)
        if _keep(track):
            tracks.append(track)
    report.emit()
    return tracks


# ----------------------------------------------------------------------------- curated crops


def load_crops(root: str | Path) -> list[Track]:
    """SiamFC-style curated crops (the layout of ``../shared/training/README.md``, as SiamFC's curated
    ILSVRC-VID and pysot's crop511 sets): one folder per video with ``NNNNNN.jpg`` 255x255 crops, each
    centred on the target with SiamFC's context, and ``crops.tsv`` (``frame x y w h frame_w frame_h scale``).

    Each crop becomes a frame of the track with its box in crop pixels: centred in the crop (continuous
    centre 127.5, the middle of pixel 127) with size (w, h) x scale. Frames keep their numbers in the
    source video (`Track.frame_numbers`), so `max_frame_gap` counts real video frames. `root` may also be
    one video folder. Rows whose crop file is missing or whose box is unusable are left out, with a
    `DatasetWarning`."""
    folders = _found(Path(root), "curated crops folder", crops.video_folders,
                     "no curated-crops video (a subfolder with crops.tsv and NNNNNN.jpg crops)")
    report = _Report("crops")
    tracks = [track for folder in folders if _keep(track := _crops_track(folder, report))]
    report.emit()
    return tracks


def _crops_track(folder: Path, report: _Report) -> Track:
    rows = crops.read_table(folder)
    numbers = crops.frame_numbers(rows)
    paths = crops.crop_paths(folder, numbers)
    present = np.array([path.is_file() for path in paths], dtype=bool)
    if not present.all():
        report.add("video(s) with crops listed in crops.tsv but missing", f"{folder.name} ({(~present).sum()})")
    boxes = crops.crop_boxes(rows)
    return Track(folder.name, paths, boxes, usable(boxes) & present & (crops.scales(rows) > 0),
                 frame_numbers=numbers, curated=True, group=sequence_group(folder.name))


# ----------------------------------------------------------------------------- one entry point

DATASET_KINDS = {
    "otb": load_otb_folder,
    "crops": load_crops,
    "vid": load_vid,
    "got10k": load_got10k,
    "lasot": load_lasot,
}


def load_dataset(kind: str, root: str | Path, **options) -> list[Track]:
    """Tracks of a dataset of `kind` ("otb", "vid", "got10k", "lasot", "crops") at `root`;
    `options` go to the matching ``load_*`` function."""
    key = kind.lower().replace("-", "").replace("_", "")
    if key not in DATASET_KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}; expected one of {', '.join(DATASET_KINDS)}")
    root = Path(root)
    if not root.exists():
        raise InputSourceError(f"{root}: {kind} dataset root not found (datasets are never downloaded)")
    return DATASET_KINDS[key](root, **options)


def split_tracks(tracks: Iterable[Track], names: Iterable[str]) -> list[Track]:
    """Tracks whose sequence name is in `names`, in their original order.

    A name matches a track's full name or its sequence (the part before '/'),
    so ``"ILSVRC2015_train_00000000"`` keeps every object of that video.
    """
    names = set(names)
    return [track for track in tracks if track.name in names or track.sequence in names]
