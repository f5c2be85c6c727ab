"""`sasiam eval` sharded by rank under a real torchrun (2 processes, gloo on localhost):
the ranks split the runs, rank 0 alone writes the report once all results exist,
and the numbers equal a single-process run's."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import cut_sequence

SEQUENCES = ("Crossing", "Girl", "Woman")  # OTB-100 sequences evaluated on all their frames
TRACKERS = ("opencv_kcf", "opencv_csrt")
FRAMES = 20


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The first 20 frames of three real OTB sequences, as an OTB-100 root that lacks the other 97."""
    root = tmp_path_factory.mktemp("otb_cut")
    for name in SEQUENCES:
        cut_sequence(name, root / name, FRAMES, attributes=True)
    return root


def eval_args(root: Path, out: Path, *extra: str) -> list[str]:
    return ["eval", "--dataset", "otb100", "--allow-missing", "--data", str(root), "--out", str(out),
            "--tracker", "opencv:kcf", "--tracker", "opencv:csrt", "--quiet", *extra]


def torchrun() -> list[str]:
    script = Path(sys.executable).parent / "torchrun"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "torch.distributed.run"]


def without_fps(value):
    if isinstance(value, dict):
        return {k: without_fps(v) for k, v in value.items() if k != "fps"}
    return value


def test_two_ranks_split_the_runs_and_rank0_reports(root, tmp_path):
    out = tmp_path / "sharded"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    run = subprocess.run([*torchrun(), "--standalone", "--nproc_per_node", "2", "-m", "sasiam",
                          *eval_args(root, out)], capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "rank 1/2: done; rank 0 writes the report" in run.stdout
    assert run.stdout.count("report: ") == 1  # only rank 0 reports
    assert run.stderr.count("warning: otb100: 97 of 100 sequences missing") == 1  # said once, not per rank

    every_run = {(tracker, sequence) for tracker in TRACKERS for sequence in SEQUENCES}
    shares = []
    for rank in (0, 1):
        rows = [line.split("\t") for line in (out / "shards" / f"rank-{rank}-of-2.tsv").read_text().splitlines()]
        assert all(status == "ok" for _, _, status in rows)
        shares.append({(tracker, sequence) for tracker, sequence, _ in rows})
    assert len(shares[0]) == len(shares[1]) == 3 and not shares[0] & shares[1]
    assert shares[0] | shares[1] == every_run

    result_files = [out / "results" / tracker / f"{sequence}{suffix}"
                    for tracker, sequence in every_run for suffix in (".txt", "_time.txt")]
    assert all(path.is_file() for path in result_files)
    for tracker, sequence in every_run:
        assert np.loadtxt(out / "results" / tracker / f"{sequence}.txt", delimiter=",").shape == (FRAMES, 4)
    report_path = out / "report.json"
    assert report_path.stat().st_mtime >= max(path.stat().st_mtime for path in result_files)
    report = json.loads(report_path.read_text())
    assert set(report) == set(TRACKERS)
    for entry in report.values():
        assert set(entry["sequences"]) == set(SEQUENCES) and entry["failed"] == {}
        assert "SV" in entry["attributes"]  # attributes travel with the Sequence

    # re-scoring the sharded results in one process gives the same report
    rescore = subprocess.run([sys.executable, "-m", "sasiam", *eval_args(root, out, "--rescore")],
                             capture_output=True, text=True, timeout=300, env=env)
    assert rescore.returncode == 0, rescore.stderr
    assert json.loads(report_path.read_text()) == report

    # and the same numbers as a single-process run (the timings aside)
    single_out = tmp_path / "single"
    single = subprocess.run([sys.executable, "-m", "sasiam", *eval_args(root, single_out)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert single.returncode == 0, single.stderr
    assert not (single_out / "shards").exists()
    assert without_fps(json.loads((single_out / "report.json").read_text())) == without_fps(report)
