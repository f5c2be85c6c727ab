"""Evaluation benchmarks as lists of `Sequence`s: `load_benchmark(name, root)` -- the evaluation
view of the layouts in `sasiam.data.layouts` (which read the files; this module cuts each
sequence to the frames that are evaluated and gives NaN ground truth to frames not scored).

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
  polygons or x,y,w,h), frames in ``SEQ/color/`` or ``SEQ/`` (`layouts.vot.TOOLKIT_FILES`).
  A polygon becomes got10k's axis-aligned box of the same area around the polygon's
  centre (`layouts.annotations.area_preserving_box`).
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

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import InputSourceError
from . import benchmark_lists as lists
from .layouts import got10k, lasot, otb, tc128, uav123, vot
from .layouts.annotations import area_preserving_box, read_boxes
from .layouts.folders import RawSequence, list_images
from .layouts.otb import read_attributes
from .sequences import GROUNDTRUTH_NAMES, Sequence, open_sequence

__all__ = ["BENCHMARKS", "DATASET_NAMES", "load_benchmark", "read_attributes"]

_SHOWN_MISSING = 6


class _Missing(Exception):
    """A listed sequence whose files are not under the root (collected, then reported together)."""


@dataclass(frozen=True)
class Benchmark:
    title: str
    layout: str  # the expected layout, for error messages
    loader: Callable[[Path, str], tuple[list[str], Callable[[str], Sequence]]]


def _check_lengths(name: str, frames: list[Path], groundtruth: np.ndarray, where: Path) -> None:
    if len(frames) != len(groundtruth):
        raise InputSourceError(f"{where}: sequence {name} has {len(frames)} frames but "
                               f"{len(groundtruth)} ground-truth boxes")
    if not len(frames):
        raise InputSourceError(f"{where}: sequence {name} has no frames")


def _labels(path: Path, flags: np.ndarray, count: int) -> np.ndarray:
    if len(flags) != count:
        raise InputSourceError(f"{path}: {len(flags)} labels for {count} frames")
    return flags


Hides = dict[str, Callable[[np.ndarray], np.ndarray]]  # flag -> the frames it hides from scoring


def _evaluated(raw: RawSequence, where: Path | None = None, flag_files: dict[str, str] | None = None,
               hides: Hides | None = None) -> Sequence:
    """The Sequence of a raw one, whose frames and ground truth must agree in number (else an error
    naming `where`, default its folder). `hides`: NaN ground truth on the frames a flag hides (the
    evaluation view of GOT-10k's and LaSOT's flags; a flag file, `flag_files`, whose count is not the
    frames' is an error)."""
    _check_lengths(raw.name, raw.frames, raw.boxes, where or raw.folder)
    hidden = np.zeros(len(raw.boxes), dtype=bool)
    for label, rule in (hides or {}).items():
        if label in raw.flags:
            hidden |= rule(_labels(raw.folder / flag_files[label], raw.flags[label], len(raw.boxes)))
    raw.boxes[hidden] = np.nan
    return Sequence(name=raw.name, frame_paths=raw.frames, groundtruth=raw.boxes, attributes=raw.attributes)


# --- OTB ---------------------------------------------------------------------------------------------

def _otb_loader(version: str):
    def load(root: Path, _: str):
        children = otb.child_folders(root)

        def one(name: str) -> Sequence:
            found = otb.target_files(name, children)
            if found is None:
                raise _Missing(name)
            folder, groundtruth_file = found
            frames = list_images(otb.frame_folder(folder))
            if not frames:
                raise _Missing(name)
            frames, groundtruth = otb.evaluated_range(name, frames, read_boxes(groundtruth_file), folder)
            return _evaluated(RawSequence(name, folder, frames, groundtruth,
                                          attributes=otb.target_attributes(name, folder)))

        return otb.targets(version), one
    return load


# --- VOT (one-pass, as got10k reads it; `sasiam eval-vot` is evaluation/vot_benchmark.py) ---------------

def _vot_loader(root: Path, dataset: str):
    names = vot.listed_names(root)
    if names is None:
        raise InputSourceError(f"{root}: no list.txt; {dataset} expects {BENCHMARKS[dataset].layout}")

    def one(name: str) -> Sequence:
        folder = root / name
        groundtruth_file = vot.groundtruth_file(folder, vot.TOOLKIT_FILES)
        if groundtruth_file is None:
            raise _Missing(name)
        frames = list_images(vot.frame_folder(folder, vot.TOOLKIT_FILES))
        sequence = _evaluated(RawSequence(name, folder, frames, read_boxes(groundtruth_file, area_preserving_box)))
        sequence.attributes = vot.read_tags(folder)  # a per-frame tag (occlusion.tag, ...) set on any frame
        return sequence

    return names, one


# --- GOT-10k val -------------------------------------------------------------------------------------

def _got10k_loader(root: Path, dataset: str):
    root = got10k.val_folder(root)
    names = got10k.listed_names(root)
    if names is None:
        raise InputSourceError(f"{root}: no list.txt (nor val/list.txt); "
                               f"{dataset} expects {BENCHMARKS[dataset].layout}")

    def one(name: str) -> Sequence:
        folder = root / name
        if not got10k.has_sequence(folder):
            raise _Missing(name)
        return _evaluated(got10k.read_sequence(folder, name), flag_files=got10k.FLAG_FILES,
                          hides={"absence": lambda flags: flags == 1, "cover": lambda flags: flags == 0})

    return names, one


# --- LaSOT test --------------------------------------------------------------------------------------

def _lasot_loader(root: Path, dataset: str):
    def one(name: str) -> Sequence:
        folder = lasot.sequence_folder(root, name)
        if folder is None:
            raise _Missing(name)
        return _evaluated(lasot.read_sequence(folder, name), flag_files=lasot.FLAG_FILES,
                          hides={label: (lambda flags: flags == 1) for label in lasot.FLAG_FILES})

    return lasot.benchmark_names(root), one


# --- UAV123 ------------------------------------------------------------------------------------------

def _uav123_loader(root: Path, dataset: str):
    reader = uav123.Reader(root)

    def one(name: str) -> Sequence:
        raw = reader.read(name)
        if raw is None:
            raise _Missing(name)
        return _evaluated(raw, reader.annotation_file(name))

    return reader.names(), one


# --- TC128 -------------------------------------------------------------------------------------------

def _tc128_loader(root: Path, dataset: str):
    folders = tc128.sequence_folders(root)
    if not folders:
        raise InputSourceError(f"{root}: holds no TC128 sequence; {dataset} expects {BENCHMARKS[dataset].layout}")
    return sorted(folders), lambda name: _evaluated(tc128.read_sequence(folders[name], name))


# --- any folder of OTB-layout sequences --------------------------------------------------------------

def _folder_loader(root: Path, dataset: str):
    folders = otb.subfolders(root)

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
