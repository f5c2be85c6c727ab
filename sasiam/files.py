"""Writing output so that a kill or a full disk never destroys what was there.

Files a later step trusts (checkpoints, training states, boxes) go through
`atomic_write`: the bytes go to a temporary file beside the target, are
fsynced, and the temporary file is renamed over the target (atomic on POSIX),
so a SIGKILL or ENOSPC at any moment leaves either the old file or the new one,
never a half-written one. A target that exists but is not a regular file
(/dev/null, /dev/full, a pipe) is written in place: renaming would replace it.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import OutputError, describe_os_error


def user_cache(kind: str) -> Path:
    """The user's cache folder for `kind` ("int8", "onnx"): $SASIAM_CACHE, else $XDG_CACHE_HOME/sasiam,
    else ~/.cache/sasiam (the XDG base directory rule)."""
    root = os.environ.get("SASIAM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sasiam"
    return Path(root) / kind


def atomic_write(path: str | Path, write: Callable[[str], object]) -> None:
    """`write(temporary_path)` writes the content; raises OSError as it came (callers name the file)."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        write(str(path))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; an output is an ordinary file
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut after it keeps the new file)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename is still atomic
    finally:
        os.close(handle)


def write_output(path: str | Path, write: Callable[[str], object], what: str) -> Path:
    """atomic_write, with any OSError turned into a one-line OutputError naming the file."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name for the {what}")
    try:
        atomic_write(path, write)
    except OSError as error:
        raise OutputError(f"{path}: cannot write the {what}: {describe_os_error(error)}") from error
    return path


def check_writable(path: str | Path, what: str) -> Path:
    """Fail before long work starts if `path` cannot be written (no folder, no permission, disk full).

    Writes and fsyncs one byte in a temporary file beside a regular target, so a
    full disk shows up now and the target itself is untouched. A device or pipe
    is not probed (a byte written to /dev/stdout would end up in the output).
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name for the {what}")
    if path.exists() and not path.is_file():
        if not os.access(path, os.W_OK):
            raise OutputError(f"{path}: cannot write the {what}: permission denied")
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
        try:
            os.write(handle, b"\0")
            os.fsync(handle)
        finally:
            os.close(handle)
            os.unlink(probe)
    except OSError as error:
        raise OutputError(f"{path}: cannot write the {what}: {describe_os_error(error)}") from error
    return path


def reserve_blocks(path: str | Path) -> None:
    """Allocate the memory-mapped file's blocks now: writing into a sparse mapping on a
    full disk kills the process with SIGBUS, where this raises ENOSPC before any work."""
    with open(path, "r+b") as stream:
        size = os.fstat(stream.fileno()).st_size
        try:
            os.posix_fallocate(stream.fileno(), 0, size)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise


def format_bytes(count: int) -> str:
    return f"{count / 2**30:.1f} GiB" if count >= 2**30 else f"{count / 2**20:.0f} MiB"
