"""Tiny layouts for the layout tests: the readers only list frame files, never open them, so
empty files with the right names are enough."""
from __future__ import annotations

from pathlib import Path


def touch_frames(folder: Path, numbers, width: int = 8, suffix: str = ".jpg") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{number:0{width}d}{suffix}" for number in numbers]
    for path in paths:
        path.touch()
    return paths


def write_lines(path: Path, lines) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path
