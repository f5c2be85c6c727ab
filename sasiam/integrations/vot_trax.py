"""A TraX server, so that the VOT toolkit (vot-toolkit, or any TraX client) runs SA-Siam
unmodified: `sasiam vot [tracker options]` or `python -m sasiam.integrations.vot_trax`.

The toolkit starts the command from `trackers.ini` with stdin/stdout as the TraX channel
and sends each frame as an image path; the server answers every request with one
rectangle. Ground truth arrives as a rectangle or a polygon; a polygon becomes its
min/max box, as the toolkit itself converts it (`Polygon.convert(RECTANGLE)`), so a run
over TraX and `sasiam eval-vot` start the tracker from the same box.

    [SASiam]
    label = SA-Siam
    protocol = trax
    command = /path/to/.venv/bin/sasiam vot --precision bf16

Anything written to stdout other than TraX messages would reach the client; the tracker
writes nothing there (warnings go to stderr, which the toolkit only logs).
"""
from __future__ import annotations

import math
import runpy
import sys

from ..errors import SASiamError
from ..evaluation.vot import Polygon, Rectangle, load_frame, region_to_box


def import_trax():
    """The vot-trax package, imported here to say how to install it where it is missing."""
    try:
        import trax
    except ImportError:  # pragma: no cover - vot-trax is a dependency, but may be missing in a partial install
        raise SASiamError("the TraX server needs the vot-trax package: pip install vot-trax") from None
    return trax


def _initial_box(trax_region) -> tuple[float, float, float, float]:
    trax = import_trax()
    if trax_region.type == trax.Region.RECTANGLE:
        return region_to_box(Rectangle(*trax_region.bounds()))
    if trax_region.type == trax.Region.POLYGON:
        return region_to_box(Polygon(tuple(trax_region[i] for i in range(trax_region.size()))))
    raise SASiamError(f"TraX region of type {trax_region.type!r} is not supported (rectangle or polygon)")


def serve(tracker, log: bool = False) -> None:
    """Answer TraX requests with `tracker` (init(frame, box)/update(frame)) until the client quits."""
    trax = import_trax()
    server = trax.Server([trax.Region.RECTANGLE, trax.Region.POLYGON], [trax.Image.PATH],
                         tracker_name="SA-Siam", tracker_family="siamese", log=log)
    try:
        while True:
            request = server.wait()
            if request.type in (trax.TraxStatus.QUIT, trax.TraxStatus.ERROR):
                break
            image = request.image.get(trax.ImageChannel.COLOR) or next(iter(request.image.values()))
            frame = load_frame(image.path())
            if request.type == trax.TraxStatus.INITIALIZE:
                region, _ = request.objects[0]
                tracker.init(frame, _initial_box(region))
                box = tracker.box
            else:
                box = tracker.update(frame)
            properties = {}
            score = getattr(tracker, "score", None)
            if score is not None and math.isfinite(float(score)):
                properties["confidence"] = float(score)
            server.status([(trax.Rectangle.create(*(float(v) for v in box)), properties)])
    except trax.TraxException as error:
        # the client went away or spoke out of turn: nothing to send a reason to
        raise SASiamError(f"TraX: {error} (was the server started by a TraX client?)") from None
    except Exception as error:
        server.quit(reason=f"{type(error).__name__}: {error}")  # the client logs why the tracker stopped
        raise
    server.quit()


if __name__ == "__main__":
    # Run as a script this file is `__main__`, not the library module that `sasiam vot` imports: hand over
    # to the command line as `python -m sasiam vot ...` would, without the library importing it.
    sys.argv[1:1] = ["vot"]
    runpy.run_module("sasiam", run_name="__main__", alter_sys=True)
