"""Evaluation benchmarks as lists of `Sequence`s: `load_benchmark(name, root)`.

`sasiam eval --dataset NAME --data ROOT` reads a benchmark from where the user
unpacked it; nothing is downloaded. The sequence lists and per-benchmark
conventions are those of the got10k toolkit 0.1.3 (datasets/otb.py, vot.py,
got10k.py, lasot.py, uav123.py, tcolor128.py) and of the OTB toolkit, so that
scores are comparable with published ones:

* OTB (otb2013: 51 targets, otb50: TB-50, otb100 / otb2015: TB-100):
  ``ROOT/NAME/img/*.jpg`` + ``groundtruth_rect.txt``. Jogging and Skating2 hold two
  targets: ``NAME/groundtruth_rect.1.txt`` and ``.2.txt`` become NAME-1 and NAME-2
  (a folder ``NAME-1/`` with its own ``groundtruth_rect.txt`` is read too); Human4's
  target is ``groundtruth_rect.2.txt``. A few sequences are evaluated on a frame
  range only (David 300-770, Tiger1 6-354, Football1 1-74, ...): a full image
  folder is cut to the range, a folder that already holds just the range is taken
  as it is -- the ground-truth length decides. Tiger1 follows the OTB toolkit (and
  pytracking), which skips its first 5 frames; got10k keeps all 354.
* VOT2015/2016/2017: ``ROOT/list.txt``, ``ROOT/SEQ/groundtruth.txt`` (8-value
  polygons or x,y,w,h), frames in ``SEQ/color/`` or ``SEQ/``. A polygon becomes
  got10k's axis-aligned box of the same area around the polygon's centre.
* GOT-10k val: ``ROOT[/val]/list.txt``, ``SEQ/groundtruth.txt``; frames flagged in
  ``absence.label`` or with ``cover.label`` 0 get NaN ground truth (got10k's
  evaluation drops the frames with cover 0).
* LaSOT test: ``ROOT/testing_set.txt`` (else the 280 names got10k lists),
  ``ROOT/CLASS/CLASS-N/img/`` (or ``ROOT/CLASS-N/``), ``groundtruth.txt``; frames in
  ``full_occlusion.txt`` or ``out_of_view.txt`` get NaN ground truth.
* UAV123: ``ROOT/data_seq/UAV123/FOLDER/NNNNNN.jpg`` + ``ROOT/anno/UAV123/NAME.txt``,
  each NAME a frame range of FOLDER (got10k's uav123.json).
* TC128: ``ROOT/NAME/img/NNNN.jpg``, ``NAME/NAME_gt.txt``, ``NAME/NAME_frames.txt``
  (first,last frame). No official name list ships with got10k, so the sequences
  are the folders that hold a ``*_gt.txt``.
* folder: every sub-folder of ROOT is an OTB-layout sequence, all frames.

NaN ground truth marks a frame that is not scored (sasiam.evaluation.metrics drops
it). A named sequence absent under ROOT is an `InputSourceError` listing what is
missing, unless ``allow_missing``: then the ones present are returned and one
warning line says what was left out.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import InputSourceError
from . import benchmark_lists as lists
from .sequences import GROUNDTRUTH_NAMES, Sequence, list_images, open_sequence, read_boxes

__all__ = ["BENCHMARKS", "DATASET_NAMES", "load_benchmark", "read_attributes"]

_SHOWN_MISSING = 6


class _Missing(Exception):
    """A listed sequence whose files are not under the root (collected, then reported together)."""


@dataclass(frozen=True)
class Benchmark:
    title: str
    layout: str  # the expected layout, for error messages
    loader: Callable[[Path, str], tuple[list[str], Callable[[str], Sequence]]]


def read_attributes(folder: Path) -> list[str]:
    """Attribute tags of an OTB-layout folder's ``attributes.txt`` (comma separated, '#' comments)."""
    path = folder / "attributes.txt"
    if not path.is_file():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [tag.strip() for line in lines for tag in line.split(",") if tag.strip()]


def _frame_number(path: Path) -> int | None:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else None


def _read_values(path: Path) -> list[list[float]]:
    """Rows of numbers (any of , tab space separated; NaN allowed), ragged rows rejected."""
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append([float(v) for v in re.split(r"[,\s]+", line.strip())])
        except ValueError:
            raise InputSourceError(f"{path}:{number}: not a list of numbers: {line[:60]!r}") from None
    return rows


def _read_flags(path: Path) -> np.ndarray:
    """Integer per-frame labels separated by commas, whitespace or newlines (GOT-10k, LaSOT)."""
    text = path.read_text().replace(",", " ").split()
    try:
        return np.array([int(float(v)) for v in text], dtype=np.int64)
    except ValueError:
        raise InputSourceError(f"{path}: expected integer per-frame labels") from None


def _check_lengths(name: str, frames: list[Path], groundtruth: np.ndarray, where: Path) -> None:
    if len(frames) != len(groundtruth):
        raise InputSourceError(f"{where}: sequence {name} has {len(frames)} frames but "
                               f"{len(groundtruth)} ground-truth boxes")
    if not len(frames):
        raise InputSourceError(f"{where}: sequence {name} has no frames")


def _nonempty(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0 and bool(path.read_text().strip())


# --- OTB ---------------------------------------------------------------------------------------------

def _otb_targets(version: str) -> list[str]:
    folders = {"otb2013": lists.OTB2013, "otb50": lists.TB50, "otb100": lists.TB100}[version]
    names = []
    for folder in folders:
        names += [f"{folder}-1", f"{folder}-2"] if folder in lists.OTB_TWO_TARGETS else [folder]
    return sorted(names, key=str.lower)


def _child_dirs(root: Path) -> dict[str, Path]:
    """Sub-folders by lower-case name: OTB copies differ in case (Jogging / jogging)."""
    return {p.name.lower(): p for p in root.iterdir() if p.is_dir()}


def _split_target(name: str) -> tuple[str, str]:
    """('Jogging', '1') for Jogging-1; (name, '') for a single-target sequence."""
    base, dash, target = name.rpartition("-")
    return (base, target) if dash and base in lists.OTB_TWO_TARGETS else (name, "")


def _otb_files(name: str, children: dict[str, Path]) -> tuple[Path, Path]:
    """(folder whose img/ holds the frames, ground-truth file) of one OTB target."""
    base, target = _split_target(name)
    if target:
        own = children.get(name.lower())  # Jogging-1/ with its own ground truth
        if own is not None:
            for candidate in ("groundtruth_rect.txt", f"groundtruth_rect.{target}.txt"):
                if _nonempty(own / candidate):
                    return own, own / candidate
        shared = children.get(base.lower())  # Jogging/ with groundtruth_rect.1.txt and .2.txt
        if shared is not None and _nonempty(shared / f"groundtruth_rect.{target}.txt"):
            return shared, shared / f"groundtruth_rect.{target}.txt"
        raise _Missing(name)
    folder = children.get(name.lower())
    if folder is None:
        raise _Missing(name)
    candidates = [lists.OTB_GROUNDTRUTH_FILES[name]] if name in lists.OTB_GROUNDTRUTH_FILES else []
    candidates += list(GROUNDTRUTH_NAMES)
    for candidate in candidates:
        if _nonempty(folder / candidate):
            return folder, folder / candidate
    numbered = [p for p in sorted(folder.glob("groundtruth_rect.*.txt")) if _nonempty(p)]
    if len(numbered) == 1:
        return folder, numbered[0]
    raise _Missing(name)


def _otb_cut(name: str, frames: list[Path], groundtruth: np.ndarray, where: Path) -> tuple[list[Path], np.ndarray]:
    """The frames and ground truth the OTB toolkit evaluates, from a full or an already-cut folder."""
    base = _split_target(name)[0]
    if base not in lists.OTB_FRAME_RANGES:
        _check_lengths(name, frames, groundtruth, where)
        return frames, groundtruth
    start, end = lists.OTB_FRAME_RANGES[base]
    length = end - start + 1
    first_annotated = lists.OTB_GROUNDTRUTH_FIRST_FRAME.get(base, start)
    if len(groundtruth) != length:  # an annotation that starts before the range (Tiger1) or runs past it
        if len(groundtruth) < end - first_annotated + 1:
            raise InputSourceError(f"{where}: {name} is evaluated on frames {start}-{end} ({length} frames) "
                                   f"but its ground truth has {len(groundtruth)} boxes")
        groundtruth = groundtruth[start - first_annotated: end - first_annotated + 1]
    if len(frames) != length:  # the full image folder: pick frames start..end by their number
        in_range = [p for p in frames if (n := _frame_number(p)) is not None and start <= n <= end]
        if len(in_range) != length:
            raise InputSourceError(f"{where}: {name} is evaluated on frames {start}-{end} ({length} frames); the "
                                   f"folder has {len(frames)} frames, {len(in_range)} of them numbered in that range")
        frames = in_range
    return frames, groundtruth


def _otb_loader(version: str):
    def load(root: Path, _: str):
        children = _child_dirs(root)

        def one(name: str) -> Sequence:
            folder, groundtruth_file = _otb_files(name, children)
            image_folder = folder / "img" if (folder / "img").is_dir() else folder
            frames = list_images(image_folder)
            if not frames:
                raise _Missing(name)
            frames, groundtruth = _otb_cut(name, frames, read_boxes(groundtruth_file), folder)
            attributes = read_attributes(folder) or read_attributes(folder.parent / _split_target(name)[0])
            return Sequence(name=name, frame_paths=frames, groundtruth=groundtruth, attributes=attributes)

        return _otb_targets(version), one
    return load


# --- VOT ---------------------------------------------------------------------------------------------

def corners_to_rect(corners: np.ndarray) -> np.ndarray:
    """got10k's VOT._corner2rect: the axis-aligned box centred on the polygon's mean
    vertex whose area equals the polygon's (sides scaled from the min/max box), + 1 px."""
    cx = np.mean(corners[:, 0::2], axis=1)
    cy = np.mean(corners[:, 1::2], axis=1)
    x1, x2 = np.min(corners[:, 0::2], axis=1), np.max(corners[:, 0::2], axis=1)
    y1, y2 = np.min(corners[:, 1::2], axis=1), np.max(corners[:, 1::2], axis=1)
    area1 = np.linalg.norm(corners[:, 0:2] - corners[:, 2:4], axis=1) * \
        np.linalg.norm(corners[:, 2:4] - corners[:, 4:6], axis=1)
    area2 = (x2 - x1) * (y2 - y1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a degenerate polygon gives NaN: not scored
        scale = np.sqrt(area1 / area2)
    w = scale * (x2 - x1) + 1
    h = scale * (y2 - y1) + 1
    return np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)


def read_vot_groundtruth(path: Path) -> np.ndarray:
    rows = _read_values(path)
    boxes = np.full((len(rows), 4), np.nan)
    for index, row in enumerate(rows):
        if len(row) == 4:
            boxes[index] = row
        elif len(row) == 8:
            boxes[index] = corners_to_rect(np.array([row]))[0]
        else:
            raise InputSourceError(f"{path}: line {index + 1} has {len(row)} values; expected 4 (x,y,w,h) "
                                   "or 8 (polygon)")
    return boxes


def _list_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _vot_loader(root: Path, dataset: str):
    list_path = root / "list.txt"
    if not list_path.is_file():
        raise InputSourceError(f"{root}: no list.txt; {dataset} expects {BENCHMARKS[dataset].layout}")

    def one(name: str) -> Sequence:
        folder = root / name
        if not (folder / "groundtruth.txt").is_file():
            raise _Missing(name)
        frames = list_images(folder / "color" if (folder / "color").is_dir() else folder)
        groundtruth = read_vot_groundtruth(folder / "groundtruth.txt")
        _check_lengths(name, frames, groundtruth, folder)
        # a per-frame VOT tag (occlusion.tag, camera_motion.tag, ...) set on any frame
        attributes = sorted(p.stem for p in [*folder.glob("*.tag"), *folder.glob("*.label")]
                            if _read_flags(p).any())
        return Sequence(name=name, frame_paths=frames, groundtruth=groundtruth, attributes=attributes)

    return _list_file(list_path), one


# --- GOT-10k val -------------------------------------------------------------------------------------

def _got10k_loader(root: Path, dataset: str):
    if (root / "val" / "list.txt").is_file():
        root = root / "val"
    if not (root / "list.txt").is_file():
        raise InputSourceError(f"{root}: no list.txt (nor val/list.txt); "
                               f"{dataset} expects {BENCHMARKS[dataset].layout}")

    def one(name: str) -> Sequence:
        folder = root / name
        if not (folder / "groundtruth.txt").is_file():
            raise _Missing(name)
        frames = list_images(folder)
        groundtruth = read_boxes(folder / "groundtruth.txt")
        _check_lengths(name, frames, groundtruth, folder)
        hidden = np.zeros(len(groundtruth), dtype=bool)
        if (folder / "absence.label").is_file():
            hidden |= _labels(folder / "absence.label", len(groundtruth)) == 1
        if (folder / "cover.label").is_file():
            hidden |= _labels(folder / "cover.label", len(groundtruth)) == 0
        groundtruth[hidden] = np.nan
        return Sequence(name=name, frame_paths=frames, groundtruth=groundtruth)

    return _list_file(root / "list.txt"), one


def _labels(path: Path, count: int) -> np.ndarray:
    flags = _read_flags(path)
    if len(flags) != count:
        raise InputSourceError(f"{path}: {len(flags)} labels for {count} frames")
    return flags


# --- LaSOT test --------------------------------------------------------------------------------------

def _lasot_loader(root: Path, dataset: str):
    names = _list_file(root / "testing_set.txt") if (root / "testing_set.txt").is_file() else lists.lasot_test_names()

    def one(name: str) -> Sequence:
        folder = root / name.rsplit("-", 1)[0] / name
        if not folder.is_dir():
            folder = root / name
        if not (folder / "groundtruth.txt").is_file() or not (folder / "img").is_dir():
            raise _Missing(name)
        frames = list_images(folder / "img")
        groundtruth = read_boxes(folder / "groundtruth.txt")
        _check_lengths(name, frames, groundtruth, folder)
        for flag_file in ("full_occlusion.txt", "out_of_view.txt"):
            if (folder / flag_file).is_file():
                groundtruth[_labels(folder / flag_file, len(groundtruth)) == 1] = np.nan
        return Sequence(name=name, frame_paths=frames, groundtruth=groundtruth)

    return names, one


# --- UAV123 ------------------------------------------------------------------------------------------

def _uav123_loader(root: Path, dataset: str):
    ranges = lists.uav123_ranges()
    listed: dict[Path, set[str]] = {}

    def one(name: str) -> Sequence:
        folder_name, start, end = ranges[name]
        folder = root / "data_seq" / "UAV123" / folder_name
        anno = root / "anno" / "UAV123" / f"{name}.txt"
        if not anno.is_file() or not folder.is_dir():
            raise _Missing(name)
        if folder not in listed:  # one listing per folder, not one stat per frame
            listed[folder] = {p.name for p in folder.iterdir()}
        frames = [folder / f"{number:06d}.jpg" for number in range(start, end + 1)]
        absent = [p.name for p in frames if p.name not in listed[folder]]
        if absent:
            raise InputSourceError(f"{folder}: {name} needs frames {start:06d}.jpg-{end:06d}.jpg; "
                                   f"{len(absent)} are not there (first: {absent[0]})")
        groundtruth = read_boxes(anno)
        _check_lengths(name, frames, groundtruth, anno)
        return Sequence(name=name, frame_paths=frames, groundtruth=groundtruth)

    return sorted(ranges), one


# --- TC128 -------------------------------------------------------------------------------------------

def _tc128_loader(root: Path, dataset: str):
    folders = {p.parent.name: p.parent for p in sorted(root.glob("*/*_gt.txt"))}
    if not folders:
        raise InputSourceError(f"{root}: holds no TC128 sequence; {dataset} expects {BENCHMARKS[dataset].layout}")

    def one(name: str) -> Sequence:
        folder = folders[name]
        range_files = sorted(folder.glob("*_frames.txt"))
        if not range_files:
            raise InputSourceError(f"{folder}: no {name}_frames.txt (first,last frame)")
        values = _read_values(range_files[0])
        if len(values) != 1 or len(values[0]) != 2:
            raise InputSourceError(f"{range_files[0]}: expected one line 'first,last'")
        start, end = int(values[0][0]), int(values[0][1])
        frames = [folder / "img" / f"{number:04d}.jpg" for number in range(start, end + 1)]
        absent = [p for p in frames if not p.is_file()]
        if absent:
            raise InputSourceError(f"{folder}: {name} needs img/{start:04d}.jpg-{end:04d}.jpg; "
                                   f"{len(absent)} are not there (first: {absent[0].name})")
        groundtruth = read_boxes(next(iter(sorted(folder.glob("*_gt.txt")))))
        _check_lengths(name, frames, groundtruth, folder)
        return Sequence(name=name, frame_paths=frames, groundtruth=groundtruth)

    return sorted(folders), one


# --- any folder of OTB-layout sequences --------------------------------------------------------------

def _folder_loader(root: Path, dataset: str):
    folders = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}

    def one(name: str) -> Sequence:
        if name not in folders:
            raise _Missing(name)
        sequence = open_sequence(folders[name])
        if sequence.groundtruth is None or not len(sequence.groundtruth):
            raise InputSourceError(f"{folders[name]}: no ground truth "
                                   f"({' or '.join(GROUNDTRUTH_NAMES)}) to evaluate against")
        sequence.attributes = read_attributes(folders[name])
        return sequence

    return list(folders), one


_OTB_LAYOUT = ("ROOT/NAME/img/0001.jpg + ROOT/NAME/groundtruth_rect.txt (two targets: ROOT/Jogging/"
               "groundtruth_rect.1.txt and .2.txt, or ROOT/Jogging-1/, ROOT/Jogging-2/)")
BENCHMARKS: dict[str, Benchmark] = {
    "otb2013": Benchmark("OTB-2013", _OTB_LAYOUT, _otb_loader("otb2013")),
    "otb50": Benchmark("OTB-50", _OTB_LAYOUT, _otb_loader("otb50")),
    "otb100": Benchmark("OTB-100", _OTB_LAYOUT, _otb_loader("otb100")),
    "otb2015": Benchmark("OTB-100", _OTB_LAYOUT, _otb_loader("otb100")),
    **{f"vot{year}": Benchmark(f"VOT{year}", "ROOT/list.txt, ROOT/SEQ/groundtruth.txt (polygons or x,y,w,h), "
                               "frames in ROOT/SEQ/color/ or ROOT/SEQ/", _vot_loader) for year in (2015, 2016, 2017)},
    "got10k-val": Benchmark("GOT-10k val", "ROOT/val/list.txt (or ROOT/list.txt), SEQ/00000001.jpg, "
                            "SEQ/groundtruth.txt, SEQ/absence.label, SEQ/cover.label", _got10k_loader),
    "lasot-test": Benchmark("LaSOT test", "ROOT/CLASS/CLASS-N/img/00000001.jpg, CLASS-N/groundtruth.txt, "
                            "full_occlusion.txt, out_of_view.txt (ROOT/testing_set.txt optional)", _lasot_loader),
    "uav123": Benchmark("UAV123", "ROOT/data_seq/UAV123/FOLDER/000001.jpg and ROOT/anno/UAV123/NAME.txt",
                        _uav123_loader),
    "tc128": Benchmark("TC128", "ROOT/NAME/img/0001.jpg, ROOT/NAME/NAME_gt.txt, ROOT/NAME/NAME_frames.txt",
                       _tc128_loader),
    "folder": Benchmark("sequences", "ROOT/NAME/img/*.jpg (or frames in ROOT/NAME/) + groundtruth_rect.txt",
                        _folder_loader),
}
DATASET_NAMES = lists.DATASET_NAMES
assert tuple(BENCHMARKS) == DATASET_NAMES, "benchmark_lists.DATASET_NAMES and BENCHMARKS disagree"


def _shown(names: list[str]) -> str:
    head = ", ".join(names[:_SHOWN_MISSING])
    return head + (f", ... (+{len(names) - _SHOWN_MISSING} more)" if len(names) > _SHOWN_MISSING else "")


def load_benchmark(name: str, root: str | Path, allow_missing: bool = False, names: Iterable[str] | None = None,
                   warn: Callable[[str], None] | None = None) -> list[Sequence]:
    """The sequences of benchmark NAME under ROOT, each cut to the frames that are evaluated.

    names: only these sequences (each must belong to the benchmark). allow_missing:
    return the ones present and report the others through `warn` (default: a
    'warning: ...' line on stderr) instead of raising InputSourceError.
    """
    if name not in BENCHMARKS:
        raise InputSourceError(f"unknown dataset {name!r}; known: {', '.join(DATASET_NAMES)}")
    benchmark = BENCHMARKS[name]
    root = Path(root)
    if not root.is_dir():
        raise InputSourceError(f"{root}: no such folder (the {benchmark.title} root; expected {benchmark.layout})")
    listed, load_one = benchmark.loader(root, name)
    wanted = listed
    if names is not None:
        names = list(names)
        unknown = [n for n in names if n not in listed]
        if unknown and name != "folder":
            raise InputSourceError(f"not in {benchmark.title}: {_shown(unknown)}")
        wanted = [n for n in listed if n in set(names)] + (unknown if name == "folder" else [])
    sequences, missing = [], []
    for sequence_name in wanted:
        try:
            sequences.append(load_one(sequence_name))
        except _Missing:
            missing.append(sequence_name)
    if missing:
        what = (f"{name}: {len(missing)} of {len(wanted)} sequences missing under {root}: {_shown(missing)}")
        if not allow_missing or not sequences:
            raise InputSourceError(f"{what}; expected {benchmark.layout}"
                                   + ("" if allow_missing or not sequences else
                                      f"; --allow-missing evaluates the {len(sequences)} present"))
        (warn or (lambda line: print(line, file=sys.stderr)))(
            f"warning: {what}; evaluating the {len(sequences)} present")
    if not sequences:
        raise InputSourceError(f"{root}: holds no {benchmark.title} sequence; expected {benchmark.layout}")
    return sequences
