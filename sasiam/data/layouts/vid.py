"""ILSVRC2015-VID layout: per-frame XML annotations in ``ROOT/Annotations/VID/<subset>/...``
(train nests the videos one level deeper, in ``ILSVRC2015_VID_train_000k/``) and the frames
at the same path under ``ROOT/Data/VID/<subset>/`` (``<frame>.JPEG``). Each ``<object>`` has a
``<trackid>``, a ``<bndbox>`` (xmin, ymin, xmax, ymax) and ``<occluded>``.

Box convention (`corners_to_boxes`): ``x = xmin, y = ymin, w = xmax - xmin, h = ymax - ymin``,
taken straight from the XML as SiamFC's ILSVRC15 curation does (no +1 on the width, no
clipping to the image).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ...errors import InputSourceError
from .folders import IMAGE_SUFFIXES, natural_key

try:  # hardened parser when available; the files are local either way
    from defusedxml import ElementTree as ElementTree  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    from xml.etree import ElementTree


def annotation_folder(root: Path, subset: str) -> Path:
    return root / "Annotations" / "VID" / subset


def data_folder(root: Path, subset: str) -> Path:
    return root / "Data" / "VID" / subset


@dataclass
class Video:
    """One annotated video: its path below the subset folders and its XML files in frame order."""

    relative: Path
    annotations: Path  # the folder of the XML files
    frames: Path  # the matching Data folder (it may be absent)
    xml_names: list[str]

    @property
    def name(self) -> str:
        return self.annotations.name


def videos(root: Path, subset: str) -> Iterator[Video]:
    """Every folder of `subset` that holds XML files, in natural order."""
    annotations, data = annotation_folder(root, subset), data_folder(root, subset)
    for dirpath, dirnames, filenames in os.walk(annotations):
        dirnames.sort(key=lambda n: natural_key(Path(n)))
        xmls = sorted((f for f in filenames if f.lower().endswith(".xml")), key=lambda n: natural_key(Path(n)))
        if xmls:
            relative = Path(dirpath).relative_to(annotations)
            yield Video(relative, Path(dirpath), data / relative, xmls)


def frame_files(video: Video) -> dict[str, Path]:
    """The video's image files by stem (one directory listing)."""
    listed = (video.frames / n for n in os.listdir(video.frames))
    return {p.stem: p for p in listed if p.suffix.lower() in IMAGE_SUFFIXES}


def _xml_number(element, tag: str, path: Path) -> float:
    node = element.find(tag)
    if node is None or node.text is None:
        raise InputSourceError(f"{path}: <object> without <{tag}>")
    try:
        return float(node.text)
    except ValueError:
        raise InputSourceError(f"{path}: <{tag}> is not a number: {node.text.strip()[:30]!r}") from None


def read_objects(path: Path, exclude_occluded: bool = False) -> dict[str, list[float]]:
    """trackid -> [xmin, ymin, xmax, ymax] for one annotation file (without occluded objects if asked)."""
    try:
        tree = ElementTree.parse(path)
    except ElementTree.ParseError as error:
        raise InputSourceError(f"{path}: not a readable VID annotation ({error})") from None
    objects = {}
    for obj in tree.getroot().iter("object"):
        trackid = obj.findtext("trackid")
        box = obj.find("bndbox")
        if trackid is None or box is None:
            raise InputSourceError(f"{path}: <object> without <trackid> or <bndbox>")
        if exclude_occluded and (obj.findtext("occluded") or "0").strip() == "1":
            continue
        objects[trackid.strip()] = [_xml_number(box, tag, path) for tag in ("xmin", "ymin", "xmax", "ymax")]
    return objects


def trackids(per_frame: list[dict[str, list[float]]]) -> list[str]:
    """Every trackid of the video, in numeric order (as strings: "0", "1", ..., "10")."""
    return sorted({tid for objects in per_frame for tid in objects}, key=lambda t: (len(t), t))


def corners_to_boxes(per_frame: list[dict[str, list[float]]], trackid: str) -> np.ndarray:
    """N x 4 x,y,w,h of one object over the frames (NaN where it is not annotated)."""
    corners = np.full((len(per_frame), 4), np.nan)
    for index, objects in enumerate(per_frame):
        if trackid in objects:
            corners[index] = objects[trackid]
    return np.column_stack([corners[:, 0], corners[:, 1], corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1]])
