"""A small filesystem that really fills up, for full-disk tests (imported by test modules).

`small_disk` mounts a 48 MiB tmpfs (skips where this process may not mount);
`fill(disk, leave)` fills it up to `leave` free bytes."""
import shutil
import subprocess
import uuid

import pytest


@pytest.fixture()
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", f"sasiam-test-{uuid.uuid4().hex[:8]}",
                             str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to fill up ({result.stderr.strip() or 'mount failed'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk, leave=0):
    """Fill the disk up to `leave` bytes of free space; returns the filler file."""
    free = shutil.disk_usage(disk).free - leave
    with open(disk / "filler", "wb") as stream:
        try:
            stream.write(b"\0" * max(free, 0))
            stream.flush()
        except OSError:
            pass
    return disk / "filler"
