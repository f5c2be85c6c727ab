"""Exception types a user of `sasiam` can catch.

Every problem caused by what the user passed in (a box, a frame, a file) is a
`SASiamError`; the command line turns these into one line on stderr and exit
code 2, the API raises them as they are.
"""


class SASiamError(Exception):
    """Base class of every error caused by bad input to sasiam."""


class InvalidBoxError(SASiamError, ValueError):
    """An initial box that cannot be tracked (NaN, non-positive size, outside the frame)."""


class InvalidFrameError(SASiamError, ValueError):
    """A frame that is not an image sasiam can read."""


class InputSourceError(SASiamError, OSError):
    """A video, folder or sequence that does not exist or cannot be decoded."""


class CheckpointError(SASiamError, ValueError):
    """A weights file that is missing, corrupt, for another model, or of an unknown version."""
