"""sasiam: SA-Siam, a twofold Siamese network for real-time object tracking (He et al., CVPR 2018)."""
__version__ = "0.1.0"

from .errors import (  # noqa: E402
    BoxClippedWarning, CheckpointError, InputSourceError, InvalidBoxError, InvalidFrameError, InvalidOptionError,
    OutputError, SASiamError, SASiamWarning,
)


def __getattr__(name):
    # Importing torch costs a second: load the tracker only when asked for.
    if name == "SASiamTracker":
        from .tracking.tracker import SASiamTracker

        return SASiamTracker
    if name == "MultiTargetTracker":
        from .tracking.multi import MultiTargetTracker

        return MultiTargetTracker
    raise AttributeError(name)


__all__ = ["SASiamTracker", "MultiTargetTracker", "SASiamError", "InvalidBoxError", "InvalidFrameError", "InputSourceError",
           "CheckpointError", "InvalidOptionError", "OutputError", "SASiamWarning", "BoxClippedWarning"]
