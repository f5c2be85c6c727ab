"""`sasiam track` on a live source: a camera, a stream URL, or a file played at its own rate.

Unlike the sequence runner (every frame, as fast as the tracker goes), here the
source sets the pace: the tracker takes the newest frame each time it is ready and
the frames that went by meanwhile are dropped and counted (see sasiam.data.live).
The boxes file therefore names the source frame of each box:
`frame_index,x,y,w,h`, frame_index counted from 0, one line per tracked frame.
"""
from __future__ import annotations

import collections
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from tqdm import tqdm

from ..data.live import BufferStats, FrameReader, IteratorSource, LatestFrameBuffer, LiveInput, open_live_source
from ..errors import InputSourceError, OutputError, SASiamError
from ..files import check_writable, write_output
from .frames import as_bgr_uint8
from .runner import AnnotatedVideoWriter, write_boxes

INDEXED_HEADER = "frame_index,x,y,w,h"


@dataclass
class LiveOptions:
    """What `sasiam track` asks of a live run."""

    input: str
    live: LiveInput | None = None              # None: a file or folder (with --realtime or --show)
    box: Sequence[float] | None = None
    select: bool = False                       # draw the first box (needs a GUI)
    show: bool = False                         # window with box and fps (needs a GUI)
    realtime: bool = False                     # pace a file by its fps, dropping what the tracker misses
    output: Path | None = None
    video: Path | None = None
    progress: bool = True


@dataclass
class LiveResult:
    indices: np.ndarray         # the source's index of each tracked frame (from 0; undecodable frames keep theirs)
    boxes: np.ndarray           # N x 4
    times: np.ndarray           # seconds of init / update per tracked frame
    stats: BufferStats          # frames read, taken, dropped; read == tracked + dropped once stopped
    stopped: str                # "end" (source ended), "quit" (q/Esc in the window), "interrupt" (Ctrl-C)
    error: BaseException | None = None  # what stopped the reader, when it failed
    video_error: OutputError | None = None  # the annotated video could not be completed (disk full...)

    @property
    def fps(self) -> float:
        """update() calls per second of tracker time, as TrackingResult.fps."""
        tracked = self.times[1:]
        return float(len(tracked) / tracked.sum()) if len(tracked) and tracked.sum() > 0 else float("nan")


class RateMeter:
    """Frames per second over the last few frames, for the window and the progress bar."""

    def __init__(self, window: int = 10) -> None:
        self._stamps: collections.deque[float] = collections.deque(maxlen=window)

    def tick(self) -> float:
        self._stamps.append(time.perf_counter())
        if len(self._stamps) < 2:
            return 0.0
        return (len(self._stamps) - 1) / max(self._stamps[-1] - self._stamps[0], 1e-9)


def track_live(tracker, reader: FrameReader, box: Sequence[float] | None,
               select: Callable[[np.ndarray], Sequence[float]] | None = None, window=None,
               video: Path | None = None, video_fps: float = 30.0, progress: bool = True,
               description: str = "live", on_start: Callable[[], None] | None = None,
               box_frame: int | None = None) -> LiveResult:
    """Track whatever the reader delivers until it ends, the window is quit, or Ctrl-C.

    `box` is the first frame's box; without one, `select(first_frame)` draws it.
    `box_frame`: the source index `box` belongs to (a file's ground truth: 0); the
    first frame delivered must be that one, as in `track_frames`.
    The reader is started here and always stopped before returning.
    """
    buffer = reader.buffer
    writer = AnnotatedVideoWriter(video, video_fps) if video else None
    indices: list[int] = []
    boxes: list[tuple[float, ...]] = []
    times: list[float] = []
    meter = RateMeter()
    stopped = "end"
    bar = tqdm(desc=description, unit="frame", disable=not progress, leave=False)
    reader.start()
    try:
        item = buffer.take()  # None only once the reader has finished without a frame
        if item is not None:
            index, frame = item
            if box_frame is not None and index != box_frame:
                raise InputSourceError(f"{description}: frame {box_frame} cannot be decoded, and the initial box "
                                       f"belongs to it; draw the box on the first readable frame with --select")
            if box is None:
                box = select(frame)
            start = time.perf_counter()
            tracker.init(frame, box)
            current = tuple(float(v) for v in tracker.box) if hasattr(tracker, "box") else tuple(map(float, box))
            if on_start is not None:
                on_start()
            while True:
                times.append(time.perf_counter() - start)
                indices.append(index)
                boxes.append(current)
                rate = meter.tick()
                label = f"frame {index}  {rate:.1f} fps  {buffer.stats.dropped} dropped"
                bar.update(1)
                bar.set_postfix(dropped=buffer.stats.dropped, fps=f"{rate:.1f}")
                if writer is not None:
                    writer.write(as_bgr_uint8(frame), current, label)
                if window is not None and not window.show(as_bgr_uint8(frame), current, label):
                    stopped = "quit"
                    break
                item = buffer.take()
                if item is None:
                    break
                index, frame = item
                start = time.perf_counter()
                current = tuple(float(v) for v in tracker.update(frame))
    except KeyboardInterrupt:
        stopped = "interrupt"
    finally:
        reader.stop()
        # a frame taken but not finished (Ctrl-C during update) was not tracked: it counts as dropped
        buffer.stats.dropped += buffer.stats.taken - len(indices)
        bar.close()
        if window is not None:
            window.close()
        video_error = None
        if writer is not None:
            try:
                writer.close()
            except OutputError as error:  # raised by the caller once the boxes are safe on disk
                video_error = error
    return LiveResult(np.array(indices, dtype=np.int64), np.array(boxes, dtype=np.float64).reshape(-1, 4),
                      np.array(times), buffer.stats, stopped, reader.error, video_error)


def write_indexed_boxes(path: str | Path, indices: np.ndarray, boxes: np.ndarray) -> Path:
    """`frame_index,x,y,w,h` lines under a `# frame_index,x,y,w,h` header (np.loadtxt skips it)."""
    table = np.column_stack([indices.astype(np.float64), boxes]) if len(boxes) else np.zeros((0, 5))
    return write_output(path, lambda temporary: np.savetxt(
        temporary, table, fmt=["%d", "%.3f", "%.3f", "%.3f", "%.3f"], delimiter=",", header=INDEXED_HEADER),
        "boxes file")


def run_live(options: LiveOptions, make_tracker: Callable[[], object]) -> int:
    """The live branch of `sasiam track`; returns the exit code."""
    from ..data.sequences import open_sequence

    if options.live is not None:
        if options.box is None and not options.select:
            raise SASiamError(f"{options.live.label}: a live source has no ground truth; give the first box with "
                              f"--box x,y,w,h or draw it with --select")
        source = open_live_source(options.live)  # before loading the model: a wrong camera fails fast
        name, box, pace, drop = options.live.default_name, options.box, None, True
    else:
        sequence = open_sequence(Path(options.input))
        box = options.box if options.box is not None or options.select else sequence.first_box
        if box is None and not options.select:
            raise SASiamError(f"{options.input}: no ground truth to start from; give the first box with --box "
                              f"x,y,w,h or draw it with --select")
        source = IteratorSource(sequence.frames(skip_undecodable=True), sequence.name, sequence.fps)
        name = sequence.name
        # --show alone on a file tracks every frame (the reader waits); --realtime drops like a camera
        pace, drop = (sequence.fps, True) if options.realtime else (None, False)
    box_frame = 0 if options.live is None and not options.select else None
    try:
        output = check_writable(options.output or Path(f"{name}_boxes.txt"), "boxes file")
        if options.video:
            check_writable(options.video, "annotated video")
        tracker = make_tracker()
        select = window = None
        if options.select:
            from .gui import select_box as select
        if options.show:
            from .gui import LiveWindow

            window = LiveWindow()
    except BaseException:
        source.release()
        raise
    reader = FrameReader(source, LatestFrameBuffer(drop=drop), pace_fps=pace)

    def announce() -> None:
        if drop:
            print(f"tracking {source.name} live ({source.fps:.1f} fps source); Ctrl-C"
                  + (", q or Esc" if options.show else "") + " stops", file=sys.stderr, flush=True)

    result = track_live(tracker, reader, box, select=select, window=window, video=options.video,
                        video_fps=source.fps, progress=options.progress, description=name, on_start=announce,
                        box_frame=box_frame)
    if not len(result.boxes):
        if result.stopped == "interrupt":
            raise KeyboardInterrupt
        if result.error is not None:
            raise_reader_error(source.name, result.error)
        raise InputSourceError(f"{source.name}: no frame could be read")
    if drop:
        write_indexed_boxes(output, result.indices, result.boxes)
    else:  # every frame, one line each as `track` writes: an undecodable one repeats the box before it
        write_boxes(output, fill_gaps(result.indices, result.boxes))
    stats = result.stats
    ending = {"end": "source ended", "quit": "window closed", "interrupt": "stopped by Ctrl-C"}[result.stopped]
    print(f"{len(result.boxes)} frames tracked, {stats.dropped} dropped of {stats.read} read "
          f"({source.fps:.1f} fps source)" + (f", {source.skipped} undecodable skipped" if source.skipped else "")
          + f", {result.fps:.1f} fps tracking, {ending} -> {output}"
          + (f", {options.video}" if options.video else ""))
    if result.error is not None:
        raise_reader_error(source.name, result.error)
    if result.video_error is not None:
        raise result.video_error
    return 0


def fill_gaps(indices: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """One box per source frame from the first tracked to the last; a missing frame repeats the box before it."""
    if not len(indices):
        return boxes
    rows = np.searchsorted(indices, np.arange(indices[0], indices[-1] + 1), side="right") - 1
    return boxes[rows]


def raise_reader_error(name: str, error: BaseException) -> None:
    if isinstance(error, SASiamError):
        raise error
    raise InputSourceError(f"{name}: reading frames failed: {error}") from error
