"""The inference paths and the rule behind `speed="fast"` and `precision="auto"` (`sasiam/backends/paths.py`)."""
from __future__ import annotations

import json
import re

from hypothesis import given, strategies as st

from sasiam.backends.paths import (AUC_TOLERANCE, PATHS, PATHS_BY_NAME, REFERENCE, TEST_SEQUENCES, MachineFacts,
                                   auc_deltas, auto_precision, fastest, passes, path_name, unavailable)
from sasiam.tracking.path_choice import pick_path

from conftest import REPO

ONNX = frozenset({"onnxruntime", "onnx", "onnxscript"})
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def facts(flags=(), modules=ONNX, calibration=True, device="cpu"):
    return MachineFacts(frozenset(flags), frozenset(modules), calibration, device)


def test_each_recorded_auc_is_in_the_report_it_cites():
    split = json.loads((REPO / "sasiam" / "data" / "splits" / "shared_sequences.json").read_text())
    assert sorted(TEST_SEQUENCES) == sorted(split["test"])
    for path in PATHS:
        if path.sequence_aucs is None:
            assert path.report == "not measured" and not passes(path)
            continue
        overall, per_sequence = report_tables(REPO / path.report)
        for sequence, auc in zip(TEST_SEQUENCES, path.sequence_aucs):
            assert f"| {auc:.3f} |" in per_sequence[sequence], f"{path.name}: {sequence} {auc} not in {path.report}"
        assert re.search(rf"\| {path.test_auc:.3f} \|", overall), f"{path.name}: mean not in {path.report}"


def report_tables(report):
    """A `sasiam eval` report.md's first table (the overall scores) as text, and its per-sequence AUC rows."""
    overall, sections = report.read_text().split("\n## ", 1)
    table = sections.split("Success AUC per sequence", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(): line + "|" for line in table.splitlines() if line.startswith("| ")}
    return overall, rows


def test_the_checks_as_recorded():
    assert passes(REFERENCE)
    assert {p.name for p in PATHS if passes(p)} == {"torch-fp32", "torch-bf16", "onnxruntime-fp32", "onnxruntime-int8"}
    middle = PATHS_BY_NAME["onnxruntime-int8-middle"]
    mean, without_one, left_out = auc_deltas(middle)
    assert mean > 0 and without_one < -AUC_TOLERANCE and left_out == "Jogging-1"  # it fails on one coin alone


def test_fastest_on_the_machines_that_matter():
    avx512 = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16")
    assert fastest(facts(avx512)).path.name == "onnxruntime-int8"
    assert fastest(facts(("avx2", "fma"))).path.name == "onnxruntime-int8"  # int8 needs no VNNI to be int8
    assert fastest(facts(("avx2",), calibration=False)).path.name == "onnxruntime-fp32"  # check's calibration absent
    assert fastest(facts(avx512, modules=())).path.name == "torch-bf16"
    assert fastest(facts(("avx2",), modules=())).path.name == "torch-fp32"  # emulated bf16 is slower than fp32
    assert fastest(facts(avx512, device="cuda")).path is REFERENCE


@given(st.sets(st.sampled_from(FLAGS)), st.sets(st.sampled_from(sorted(ONNX))), st.booleans())
def test_fastest_passes_runs_here_and_nothing_faster_does(flags, modules, calibration):
    here = facts(flags, modules, calibration)
    choice = fastest(here)
    assert passes(choice.path) and unavailable(choice.path, here) is None
    faster = [p for p in PATHS if p.fps > choice.path.fps]
    assert all(not passes(p) or unavailable(p, here) is not None for p in faster)
    assert {name for name, _ in choice.skipped} == {p.name for p in faster}


def test_auto_precision_gets_the_same_check():
    assert auto_precision(set()) == "fp32"
    assert auto_precision({"avx512_bf16"}) == "bf16"   # torch-bf16 passes (+0.004)


def test_given_options_replace_the_paths_and_are_named():
    here = facts(("avx2",))
    picked = pick_path("fast", given={"precision": "fp32", "backend": None, "semantic_scales": None}, facts=here)
    assert (picked.name, picked.backend) == ("onnxruntime-fp32", "onnx") and "precision='fp32' given" in picked.reason
    assert pick_path("faithful", facts=here).name == "torch-fp32"
    assert pick_path("fast", facts=here, onnx_ok=False).backend == "torch"
    assert "shipped weights" in pick_path("fast", facts=here, weights="mine.safetensors").reason
    assert path_name("torch", "int8", "all") == "torch-int8" and path_name("onnx", "int8", "middle") in PATHS_BY_NAME
