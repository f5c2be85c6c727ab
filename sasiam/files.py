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
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from .errors import OutputError, describe_os_error

log = logging.getLogger("sasiam")


def user_cache(kind: str) -> Path:
    """The user's cache folder for `kind` ("int8", "onnx"): $SASIAM_CACHE, else $XDG_CACHE_HOME/sasiam,
    else ~/.cache/sasiam (the XDG base directory rule)."""
    root = os.environ.get("SASIAM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sasiam"
    return Path(root) / kind


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# what a cached folder records of its files, to tell a whole one from a damaged one
FOLDER_DIGESTS = "files.sha256"


def _digests(folder: Path, files: Sequence[str]) -> dict[str, str]:
    return {name: file_sha256(folder / name) for name in files}


def _intact_folder(folder: Path, files: Sequence[str], valid: Callable[[Path], bool]) -> bool:
    try:
        return json.loads((folder / FOLDER_DIGESTS).read_text()) == _digests(folder, files) and valid(folder)
    except (OSError, ValueError):  # missing, truncated or not JSON: damaged
        return False


def cached_folder(folder: str | Path, build: Callable[[Path], None], files: Sequence[str],
                  valid: Callable[[Path], bool] = lambda folder: True) -> Path:
    """`folder` of a user cache, built by `build(staging_folder)` unless it is already whole: its `files`
    are the bytes recorded when it was built and `valid(folder)` holds (a check of the caller's, which may
    raise OSError or ValueError for "damaged"). It is built into a temporary folder beside it and renamed
    into place, so a killed build or two processes building at once never leave a half-written folder
    that looks complete."""
    folder = Path(folder)
    if _intact_folder(folder, files, valid):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # an export or a quantization takes about a minute: say why the first run waits (the CLI shows INFO)
    log.info("first use: building %s into the user cache (once; later runs reuse it)", folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        build(staging)
        (staging / FOLDER_DIGESTS).write_text(json.dumps(_digests(staging, files)))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(staging, folder)
        except OSError:  # another process put its folder there first: use that one if it is whole
            if not _intact_folder(folder, files, valid):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


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
