"""scripts/gpu_check.py on the CPU (`--device cpu --quick`): the script a GPU loan runs must not rot
between loans. Training is skipped here (tests/training covers it, and it takes minutes on 2 cores);
the tracking paths, many targets and the bench run on the bundled demo clip."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gpu_check_runs_its_steps_on_the_cpu():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gpu_check.py"), "--device", "cpu", "--quick",
                             "--skip", "train"], capture_output=True, text=True, timeout=900, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for step in ("== tracking fps per path", "== many targets", "== sasiam bench"):
        assert step in out
    assert "FAILED" not in out
    assert "mean IoU fp32 graph vs eager: 1.0000" in out  # on the CPU both paths are eager: identical boxes
    assert "end to end (tracker.update)" in out
