"""Exception and warning types a user of `sasiam` can catch.

Every problem caused by what the user passed in (a box, a frame, a file) or by
where output goes (a full disk, a read-only folder) is a `SASiamError`; the
command line turns these into one line on stderr and exit code 2, the API
raises them as they are. Problems sasiam works around (a box clipped to the
frame, an undecodable frame skipped) are `SASiamWarning`s, never errors.
"""
from __future__ import annotations

import errno


class SASiamError(Exception):
    """Base class of every error caused by bad input to sasiam."""


class InvalidBoxError(SASiamError, ValueError):
    """An initial box that cannot be tracked (NaN, smaller than a pixel, outside the frame)."""


class InvalidFrameError(SASiamError, ValueError):
    """A frame that is not an image sasiam can read."""


class InputSourceError(SASiamError, OSError):
    """A video, folder or sequence that does not exist or cannot be decoded."""


class CheckpointError(SASiamError, ValueError):
    """A weights file that is missing, corrupt, for another model, or of an unknown version."""


class InvalidOptionError(SASiamError, ValueError):
    """A tracker option out of range or not available here (lam outside [0, 1], int8 on a GPU, ...)."""


class OutputError(SASiamError, OSError):
    """An output file that cannot be written (full disk, no permission, not a regular path)."""


class SASiamWarning(UserWarning):
    """Something sasiam worked around; the result is still valid (see the message)."""


class BoxClippedWarning(SASiamWarning):
    """The initial box reached outside the frame and was clipped to its visible part."""


def describe_os_error(error: OSError) -> str:
    """'No space left on device (disk full)' rather than '[Errno 28] ...: path'."""
    text = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        text += " (disk full)"
    return text
