"""The inference paths a tracker can run, each with the accuracy check it passed or failed, and the rule that
picks the fastest passing one (`SASiamTracker(speed="fast")`, `precision="auto"`; issue 15).

A path is a choice of backend, precision and semantic_scales. Its check is the test-split success AUC of the
shipped weights on that path (`sasiam eval --split test`, the reports named below), against the paper-faithful
configuration (torch fp32, every scale through the S-Net); a path passes when it loses at most
`AUC_TOLERANCE` (a path that gains more than that passes too), **and still does so with any one test sequence
left out**. The second condition is this project's, not the issue's: nine sequences are few, and on one of
them (Jogging-1, an occlusion) a tracker either keeps the runner or loses her, which moves the mean by up to
0.05; a path must not owe its pass to that coin. A path with no measured AUC never passes.

Which passing path is fastest is ranked by the end-to-end fps measured on `RANKING_MACHINE` (the only
machine every path was benchmarked on: `scripts/bench_backends.py`, docs/bench/paths_avx512.json). On other
CPUs the order is assumed to hold, except where the machine lacks what a path's speed rests on
(`requires_flags`: bf16 without native bf16 is emulated, 10 GMAC/s on the AVX2 machine of docs/bench, slower
than fp32). Nothing here imports torch or onnxruntime: the rule is a pure function of the machine's facts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

AUC_TOLERANCE = 0.01
# The shipped split's test sequences (sasiam/data/splits/shared_sequences.json), the order of `sequence_aucs`.
TEST_SEQUENCES = ("Biker", "Bird1", "Crossing", "David", "Girl", "Jogging-1", "Surfer", "Toy", "Walking2")
RANKING_MACHINE = "Intel Xeon, 2 logical CPUs, AVX-512 VNNI/BF16 + AMX (session 9)"
# CPU flags (Linux /proc/cpuinfo) that mean bf16 matrix arithmetic in hardware.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
SPEEDS = ("faithful", "fast")


@dataclass(frozen=True)
class InferencePath:
    name: str                       # as in scripts/bench_backends.py and docs/bench
    backend: str
    precision: str
    semantic_scales: str
    sequence_aucs: tuple[float, ...] | None   # shipped weights, per TEST_SEQUENCES; None: not measured
    report: str                     # where they were measured (its per-sequence table)
    fps: float                      # end to end on RANKING_MACHINE, median of 3 passes after warm-up
    requires_flags: tuple[str, ...] = ()      # any one of these CPU flags, or the path is not fast here
    requires_modules: tuple[str, ...] = ()    # Python modules the path runs on
    calibrated: bool = False        # int8: its check was made with the training split's calibration crops
    notes: str = field(default="", compare=False)

    @property
    def test_auc(self) -> float | None:
        """The test-split AUC: the mean of the per-sequence ones (got10k's mean of the success curves)."""
        return None if self.sequence_aucs is None else sum(self.sequence_aucs) / len(self.sequence_aucs)

    @property
    def options(self) -> dict[str, str]:
        """The SASiamTracker keyword arguments that select this path."""
        return {"backend": self.backend, "precision": self.precision, "semantic_scales": self.semantic_scales}


_ONNX = ("onnxruntime", "onnx", "onnxscript")  # onnx + onnxscript: the export on first use
_SPEED_PATHS = "docs/eval/speed_paths/"
# torch fp32's AUCs are the ONNX fp32 run's: the same graphs, whose boxes equal torch fp32's (mean IoU 1.000 on
# David, docs/bench); torch fp32 itself was not run on the whole test split.
REFERENCE = InferencePath("torch-fp32", "torch", "fp32", "all",
                          (0.656, 0.185, 0.707, 0.742, 0.741, 0.149, 0.685, 0.574, 0.502),
                          _SPEED_PATHS + "onnx_fp32_int8.md", 4.61, notes="paper-faithful; the ONNX fp32 run's AUCs")
PATHS: tuple[InferencePath, ...] = (
    REFERENCE,
    InferencePath("torch-bf16", "torch", "bf16", "all", (0.660, 0.199, 0.715, 0.734, 0.747, 0.159, 0.687, 0.573, 0.504),
                  "docs/eval/test_split/report.md", 9.91, requires_flags=NATIVE_BF16_FLAGS),
    # 0.511 (torch_bf16_middle.md) was measured while the combined maps picked the scale; not run since the
    # A-Net's maps pick it
    InferencePath("torch-bf16-middle", "torch", "bf16", "middle", None, "not measured", 18.35,
                  requires_flags=NATIVE_BF16_FLAGS),
    InferencePath("onnxruntime-fp32", "onnx", "fp32", "all", REFERENCE.sequence_aucs, _SPEED_PATHS + "onnx_fp32_int8.md",
                  8.10, requires_modules=_ONNX),
    InferencePath("onnxruntime-int8", "onnx", "int8", "all", (0.662, 0.154, 0.684, 0.741, 0.759, 0.212, 0.657, 0.590, 0.502),
                  _SPEED_PATHS + "onnx_fp32_int8.md", 12.30, requires_modules=_ONNX, calibrated=True),
    # +0.024 on the mean, all of it Jogging-1's (+0.458); without it -0.030 (onnx_int8_middle.md, session 11)
    InferencePath("onnxruntime-int8-middle", "onnx", "int8", "middle",
                  (0.509, 0.217, 0.665, 0.624, 0.744, 0.607, 0.700, 0.587, 0.504),
                  _SPEED_PATHS + "onnx_int8_middle.md", 23.21, requires_modules=_ONNX, calibrated=True),
)
PATHS_BY_NAME = {path.name: path for path in PATHS}


@dataclass(frozen=True)
class MachineFacts:
    """What decides whether a path can run fast and as checked here."""

    cpu_flags: frozenset[str]
    modules: frozenset[str]          # the importable ones among every path's requires_modules
    training_calibration: bool       # the training split's sequences are there to calibrate int8 on
    device: str = "cpu"


def on_cpu(device: str) -> bool:
    """The paths are checked and ranked on CPUs only ("cpu", "cpu:0", ...)."""
    return str(device).split(":")[0] == "cpu"


def auc_deltas(path: InferencePath) -> tuple[float, float, str]:
    """(mean AUC change vs the reference, the worst mean change with one sequence left out, that sequence)."""
    deltas = [a - b for a, b in zip(path.sequence_aucs, REFERENCE.sequence_aucs)]
    total, count = sum(deltas), len(deltas)
    worst = min(range(count), key=lambda k: (total - deltas[k]) / (count - 1))
    return total / count, (total - deltas[worst]) / (count - 1), TEST_SEQUENCES[worst]


def passes(path: InferencePath) -> bool:
    if path.sequence_aucs is None:
        return False
    mean, without_one, _ = auc_deltas(path)
    return mean >= -AUC_TOLERANCE and without_one >= -AUC_TOLERANCE


def check_text(path: InferencePath) -> str:
    if path.sequence_aucs is None:
        return "test AUC not measured"
    mean, without_one, left_out = auc_deltas(path)
    verdict = "passes" if passes(path) else "fails"
    return (f"test AUC {path.test_auc:.3f} ({mean:+.3f} vs fp32, {without_one:+.3f} without {left_out}; "
            f"{verdict} the {AUC_TOLERANCE} check; {path.report})")


def unavailable(path: InferencePath, facts: MachineFacts) -> str | None:
    """Why `path` cannot run fast, or as its check was made, on this machine; None when it can."""
    if not on_cpu(facts.device) and path is not REFERENCE:
        return f"the paths are checked and ranked on CPUs only (device {facts.device!r})"
    missing = [module for module in path.requires_modules if module not in facts.modules]
    if missing:
        return f"{', '.join(missing)} not installed"
    if path.requires_flags and not facts.cpu_flags & set(path.requires_flags):
        return f"no {' / '.join(path.requires_flags)} on this CPU (emulated, slower than fp32)"
    if path.calibrated and not facts.training_calibration:
        return "its check calibrated int8 on the training split, which is not here (../shared/sequences)"
    return None


@dataclass(frozen=True)
class Choice:
    path: InferencePath
    skipped: tuple[tuple[str, str], ...]   # faster paths passed over, and why
    checked: bool = True                   # False: no candidate passes and runs here; `path` runs unchecked

    @property
    def reason(self) -> str:
        if self.checked:
            text = f"the fastest path that passes and runs fast here ({self.path.fps:.1f} fps on {RANKING_MACHINE}; " \
                   f"{check_text(self.path)})"
        else:
            text = f"no path asked for passes and runs fast here; {self.path.name} runs unchecked ({check_text(self.path)})"
        if self.skipped:
            text += "; passed over " + ", ".join(f"{name} ({why})" for name, why in self.skipped)
        return text


def fastest(facts: MachineFacts, candidates: tuple[InferencePath, ...] = PATHS) -> Choice:
    """The fastest of `candidates` that passes its check and can run here. When none does: the reference if it
    is a candidate, else the fastest candidate that runs here at all, unchecked."""
    skipped = []
    for path in sorted(candidates, key=lambda p: -p.fps):
        why = unavailable(path, facts) if passes(path) else check_text(path)
        if why is None:
            return Choice(path, tuple(skipped))
        skipped.append((path.name, why))
    if REFERENCE in candidates:
        return Choice(REFERENCE, tuple(skipped))
    runnable = [p for p in sorted(candidates, key=lambda p: -p.fps) if unavailable(p, facts) is None]
    return Choice((runnable or list(candidates))[0], tuple(skipped), checked=False)


def auto_precision(flags: set[str] | frozenset[str]) -> str:
    """`precision="auto"` of the torch backend: the fastest precision of its all-scale paths that passes its
    check and is fast on a CPU with `flags` (bf16 where bf16 is native, else fp32). int8 has no torch path
    here: it quantizes only the A-Net (int8.py) and was never checked on the test split."""
    candidates = tuple(p for p in PATHS if p.backend == "torch" and p.semantic_scales == "all")
    return fastest(MachineFacts(frozenset(flags), frozenset(), False), candidates).path.precision


def path_name(backend: str, precision: str, semantic_scales: str) -> str:
    """The name of the path these options select: a PATHS name, or one made the same way for the others."""
    for path in PATHS:
        if (path.backend, path.precision, path.semantic_scales) == (backend, precision, semantic_scales):
            return path.name
    prefix = "onnxruntime" if backend == "onnx" else backend
    return f"{prefix}-{precision}" + ("-middle" if semantic_scales == "middle" else "")
