"""Where a tracked frame's time goes, against two yardsticks: the compute floor and OpenCV.

Why: "3 fps" says nothing about what to speed up. This module times each stage of
`SASiamTracker.update` separately, by calling the stages the tracker's own code is made
of (the search policy's methods and `TorchBackend`'s named stages, which its
`score_maps` chains), in its order, on the frames of a real sequence as the target moves:

    crop                 policy.search_crops + backend.search_input (crops -> tensor)
    anet                 backend.appearance_trunk (A-Net)
    snet                 backend.semantic_trunk (S-Net trunk)
    fusion_correlation   backend.fusion_and_correlation: 1x1 fusion, kernel repeat, both correlations
                         + adjust, combine
    upsample_peak        policy.locate (x16 bicubic, penalties, window, argmax)
    box_update           the rest of policy.step

and, on the same frames from the same state, the whole `tracker.update` (end to
end). It checks that the staged pass lands on the same box as `update`.

The floor of a stage is its multiply-adds (FlopCounterMode on the real modules;
correlation and upsampling counted analytically) divided by this machine's peak
for the precision the stage runs in (median of repeated large GEMM-shaped
products in fp32, bf16 and int8, see `peak_throughput`). measured / floor says
how far each part is from what the arithmetic units could do. OpenCV's CSRT and KCF run on the same
frames in the same process for a same-day, same-load comparison.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np
import torch
import torch.ao.nn.quantized as nnq
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
from tqdm import tqdm

from ..backends.base import cpu_flags
from ..backends.int8 import QuantizedANet, quantized_engine
from ..backends.torch import crops_to_tensor
from ..data.demo_clip import make_demo_clip
from ..data.sequences import open_sequence
from ..data.shared import shared_sequences_root
from ..errors import SASiamError
from ..files import write_output
from ..models.appearance import AppearanceNet
from ..tracking.frames import as_bgr_uint8
from ..tracking.options import TrackerOptions, tracker_from_options
from .trackers import OpenCVTracker

STAGES = ("crop", "anet", "snet", "fusion_correlation", "upsample_peak", "box_update")
NETWORK_STAGES = ("anet", "snet")
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile")
DEFAULT_SEQUENCE = "David"  # test split, 320 x 240, 471 frames
PEAK_PRECISIONS = ("fp32", "bf16", "int8")


@dataclass(frozen=True)
class BenchConfig:
    input: Path
    frames: int = 100            # measured updates per repeat
    warmup: int = 10             # updates before the measured ones (tracked, not timed)
    repeats: int = 3             # passes over the same frames, each from a fresh init
    precision: str = "fp32"
    threads: int | None = None   # torch and OpenCV threads (default: torch's choice)
    opencv: bool = True
    box: tuple[float, float, float, float] | None = None
    weights: Path | None = None
    branches: str = "both"
    lam: float | None = None
    peak_size: int = 2048        # side of the square matrices of the peak measurement
    peak_repeats: int = 5
    progress: bool = True
    device: str = "cpu"          # "cuda": stages timed by CUDA events, peaks measured on the GPU
    tracker_options: dict = field(default_factory=dict)


# -- where the frames come from ----------------------------------------------------------------



def default_input() -> Path | None:
    """A real OTB sequence beside the repository, else None (then the demo clip is used)."""
    path = shared_sequences_root() / DEFAULT_SEQUENCE
    return path if path.is_dir() else None


def load_frames(config: BenchConfig) -> tuple[str, list[np.ndarray], tuple[float, float, float, float], str]:
    """All frames a run needs, decoded up front (decoding is not tracking), the first box, a description."""
    needed = 1 + config.warmup + config.frames
    if config.input is None:
        clip = make_demo_clip(num_frames=needed)
        return "demo_clip", clip.frames, tuple(clip.boxes[0]), "bundled demo clip (no ../shared/sequences)"
    sequence = open_sequence(config.input)
    box = config.box if config.box is not None else sequence.first_box
    if box is None:
        raise SASiamError(f"{config.input}: no ground truth to start from; give the first box with --box x,y,w,h")
    if len(sequence) and len(sequence) < needed:
        raise SASiamError(f"{config.input}: {len(sequence)} frames, but 1 + --warmup {config.warmup} + "
                          f"--frames {config.frames} = {needed} are needed")
    frames = []
    stream = sequence.frames()
    for frame in stream:
        frames.append(as_bgr_uint8(frame))
        if len(frames) == needed:
            break
    stream.close()
    if len(frames) < needed:
        raise SASiamError(f"{config.input}: only {len(frames)} frames decoded, {needed} needed")
    return sequence.name, frames, tuple(float(v) for v in box), str(config.input)


# -- machine ------------------------------------------------------------------------------------

def cpu_facts() -> dict:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
                break
    except OSError:
        pass
    flags = cpu_flags()
    return {"model": model, "flags": {name: name in flags for name in CPU_FLAGS}}


def gpu_facts(device: torch.device) -> dict | None:
    if device.type != "cuda":
        return None
    properties = torch.cuda.get_device_properties(device)
    return {"name": properties.name, "memory_gb": properties.total_memory / 2 ** 30,
            "capability": f"{properties.major}.{properties.minor}", "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version()}


def machine_facts(device: torch.device | None = None) -> dict:
    cpu = cpu_facts()
    return {
        "gpu": gpu_facts(device or torch.device("cpu")),
        "cpu_model": cpu["model"],
        "cpu_flags": cpu["flags"],
        "logical_cpus": os.cpu_count(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "quantized_engine": torch.backends.quantized.engine,
        "opencv_version": cv2.__version__,
        "opencv_threads": cv2.getNumThreads(),
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# Cores' worth of CPU time other processes may take during the timed loop before the
# table says the timings are not the tracker's alone (a shell and a few daemons stay below it).
OTHER_CPU_TOLERANCE = 0.15


def _busy_jiffies() -> int | None:
    """CPU time spent by everything on the machine (not idle / iowait), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    return sum(fields[:8]) - fields[3] - fields[4]  # user..steal minus idle and iowait


class OtherCpuUse:
    """How many cores other processes kept busy between construction and `cores()`:
    the machine's busy time minus this process's own (a load average counts the
    bench's own threads and the minute before it started)."""

    def __init__(self) -> None:
        self._start = (_busy_jiffies(), os.times(), time.perf_counter())

    def cores(self) -> float | None:
        busy_start, own_start, wall_start = self._start
        busy_end, own_end, wall_end = _busy_jiffies(), os.times(), time.perf_counter()
        if busy_start is None or busy_end is None or wall_end <= wall_start:
            return None
        tick = os.sysconf("SC_CLK_TCK")
        own = (own_end.user + own_end.system) - (own_start.user + own_start.system)
        return max(0.0, ((busy_end - busy_start) / tick - own) / (wall_end - wall_start))


def _median_time(fn: Callable[[], object], repeats: int, warmup: int = 2,
                 sync: Callable[[], object] = lambda: None) -> float:
    """Median seconds of `fn`; `sync` waits for work queued on a GPU before the clock is read."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def device_sync(device: torch.device) -> Callable[[], object]:
    return (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)


class StageClock:
    """Stage boundaries of one update. On the CPU a stage is done when its call returns; on a GPU the
    call returns once its kernels are queued (PyTorch docs "CUDA semantics" > "Asynchronous
    execution"), so boundaries are CUDA events on the stream, read after one synchronize."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.cuda = torch.device(device).type == "cuda"
        self.marks: list[tuple[str | None, object]] = []

    def mark(self, stage: str | None = None) -> None:
        """The end of `stage` (None: the start of the first)."""
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            self.marks.append((stage, event))
        else:
            self.marks.append((stage, time.perf_counter()))

    def seconds(self) -> dict[str, float]:
        if self.cuda:
            self.marks[-1][1].synchronize()
        spans = {}
        for (_, start), (stage, end) in zip(self.marks, self.marks[1:]):
            spans[stage] = start.elapsed_time(end) / 1000.0 if self.cuda else end - start
        return spans


PEAK_POSITIONS = 32 * 32  # spatial positions of the 1x1 convolution that measures the peak


def _peak_kernels(precision: str, size: int,
                  device: torch.device = torch.device("cpu")) -> dict[str, tuple[Callable[[], object], float]]:
    """Large GEMM-shaped products in `precision`: name -> (run, multiply-adds per run).

    A 1x1 convolution of `size` channels over 32 x 32 positions is a (1024 x size) x (size x size)
    matrix product run by the convolution kernels the networks use (oneDNN, channels-last for
    bf16 as autocast runs them; the quantized oneDNN conv for int8). torch.mm is measured too for
    fp32. Not used: bf16 torch.mm and torch._int_mm, naive fallbacks on CPUs without native bf16 /
    VNNI (0.2 GMAC/s measured on an AVX2 EPYC, 50x below the convolution). On a GPU: torch.mm in
    fp32 and bf16 beside the convolution (cuBLAS / cuDNN); no int8 (it runs on the CPU only).
    """
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(1, size, 32, 32, generator=generator).to(device)
    w = (torch.randn(size, size, 1, 1, generator=generator) / size ** 0.5).to(device)
    conv_macs = float(size) * size * PEAK_POSITIONS
    if device.type == "cuda":
        a = torch.randn(size, size, generator=generator).to(device)
        b = torch.randn(size, size, generator=generator).to(device)
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
        xd, wd, ad, bd = (t.to(dtype) for t in (x, w, a, b))
        return {f"1x1 conv {precision} (cuDNN)": (lambda: F.conv2d(xd, wd), conv_macs),
                f"torch.mm {precision} (cuBLAS)": (lambda: torch.mm(ad, bd), float(size) ** 3)}
    if precision == "fp32":
        a, b = torch.randn(size, size, generator=generator), torch.randn(size, size, generator=generator)
        return {"1x1 conv fp32": (lambda: F.conv2d(x, w), conv_macs),
                "torch.mm fp32": (lambda: torch.mm(a, b), float(size) ** 3)}
    if precision == "bf16":
        xb = x.bfloat16().contiguous(memory_format=torch.channels_last)
        wb = w.bfloat16().contiguous(memory_format=torch.channels_last)
        return {"1x1 conv bf16 channels-last": (lambda: F.conv2d(xb, wb), conv_macs)}
    if precision == "int8":
        torch.backends.quantized.engine = quantized_engine()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch 2.13's notice that quantized dtypes are deprecated
            conv = nnq.Conv2d(size, size, 1)
            scales = w.abs().amax(dim=(1, 2, 3)).double() / 63
            conv.set_weight_bias(torch.quantize_per_channel(w, scales, torch.zeros(size, dtype=torch.long), 0,
                                                            torch.qint8), None)
            conv.scale, conv.zero_point = 0.05, 128
            qx = torch.quantize_per_tensor(x, 1 / 255, 0, torch.quint8)
        return {f"1x1 quantized conv int8 ({torch.backends.quantized.engine})": (lambda: conv(qx), conv_macs)}
    raise ValueError(f"no peak measurement for {precision!r}")


def peak_throughput(precision: str, size: int = 2048, repeats: int = 5, device: torch.device | str = "cpu") -> dict:
    """Multiply-adds per second of this machine's best large product in `precision` (median of repeats).

    It is the best case of each precision's kernels on this CPU, so macs / peak is a floor no
    network of that precision beats.
    """
    measured = {}
    device = torch.device(device)
    with torch.no_grad():
        for name, (run, macs) in _peak_kernels(precision, size, device).items():
            seconds = _median_time(run, repeats, sync=device_sync(device))
            measured[name] = {"gmacs_per_second": macs / seconds / 1e9, "seconds": seconds}
    best = max(measured, key=lambda name: measured[name]["gmacs_per_second"])
    rate = measured[best]["gmacs_per_second"] * 1e9
    return {"macs_per_second": rate, "gmacs_per_second": rate / 1e9, "kernel": best, "size": size,
            "repeats": repeats, "candidates": measured}


# -- multiply-adds of one frame -------------------------------------------------------------------

def count_macs(fn: Callable[[], object]) -> int:
    """Multiply-adds of the matmuls / convolutions fn runs (FlopCounterMode counts 2 FLOPs per MAC)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops() // 2)


def correlation_macs(kernel_shape: Sequence[int], search_shape: Sequence[int]) -> int:
    """One search map (C x H x W) correlated with one kernel (C x k x k): every output cell sums C k^2 products."""
    channels, k = kernel_shape[-3], kernel_shape[-1]
    height, width = search_shape[-2:]
    return int((height - k + 1) * (width - k + 1) * channels * k * k)


def upsample_macs(score_size: int, upscale: int) -> int:
    """cv2.resize INTER_CUBIC of one score map, separable: 4 taps per output along x, then along y."""
    size = score_size * upscale
    return int(score_size * size * 4 + size * size * 4)


def appearance_macs(input_size: int = 255) -> int:
    """Multiply-adds of the A-Net on one square crop, from its layers' shapes (valid convs and pools)."""
    side, total = input_size, 0
    for layer in AppearanceNet().features:
        if isinstance(layer, torch.nn.Conv2d):
            k, stride = layer.kernel_size[0], layer.stride[0]
            side = (side - k) // stride + 1
            total += side * side * layer.out_channels * (layer.in_channels // layer.groups) * k * k
        elif isinstance(layer, torch.nn.MaxPool2d):
            side = (side - layer.kernel_size) // layer.stride + 1
    return total


def frame_macs(tracker, frame: np.ndarray) -> dict[str, int]:
    """Multiply-adds of each stage of one update, counted on the tracker's own modules and crops."""
    net, policy = tracker.backend.net, tracker.policy
    crops = policy.search_crops(frame, tracker.state)
    # counted in fp32: the number of multiply-adds does not depend on the dtype
    device = next(net.parameters()).device
    x = crops_to_tensor(crops, device)
    kernels = tracker.kernels
    macs = {stage: 0 for stage in STAGES}
    scales = len(crops)
    if net.appearance is not None:
        if isinstance(net.appearance.net, QuantizedANet):  # FlopCounterMode does not see quantized ops
            macs["anet"] = scales * appearance_macs(crops.shape[1])
        else:
            macs["anet"] = count_macs(lambda: net.appearance.search(x))
        features = torch.no_grad()(net.appearance.search)(x)
        macs["fusion_correlation"] += scales * correlation_macs(kernels["appearance"].shape, features.shape)
    if net.semantic is not None:
        seen = tracker.backend.semantic_crops(x)  # all crops, or the middle scale's (semantic_scales)
        macs["snet"] = count_macs(lambda: net.semantic.backbone(seen))
        with torch.no_grad():
            conv4, conv5 = net.semantic.backbone(seen)
            fused = net.semantic.search_from_features(conv4, conv5)
        macs["fusion_correlation"] += count_macs(lambda: net.semantic.search_from_features(conv4, conv5))
        macs["fusion_correlation"] += len(seen) * correlation_macs(kernels["semantic"].shape, fused.shape)
    macs["upsample_peak"] = scales * upsample_macs(policy.config.score_size, policy.config.upscale)
    return macs


def stage_precisions(precision: str) -> dict[str, str]:
    """The precision each stage's multiply-adds run in (what its floor is divided by)."""
    return {
        # int8 quantizes the A-Net only (backends/int8.py)
        "crop": "fp32", "anet": precision, "snet": "bf16" if precision == "bf16" else "fp32",
        # bf16 autocast runs the 1x1 fusion in bf16, the correlation is forced to fp32; int8 keeps both fp32
        "fusion_correlation": "bf16" if precision == "bf16" else "fp32",
        "upsample_peak": "fp32", "box_update": "fp32",
    }


# -- the staged update ----------------------------------------------------------------------------

def staged_update(tracker, frame: np.ndarray, clock: StageClock | None = None
                  ) -> tuple[object, dict[str, float], np.ndarray]:
    """One update split into stages, calling what `tracker.update` calls, in its order: the policy's
    steps and the torch backend's named stages (`TorchBackend.score_maps` chains the same ones).

    Returns the new target state (not stored in the tracker), seconds per stage and the maps.
    `run_bench` checks the result equals `tracker.update`'s so a change there cannot go unnoticed.
    """
    backend, policy, state = tracker.backend, tracker.policy, tracker.state
    clock = clock or StageClock()
    clock.mark()
    crops = policy.search_crops(frame, state)
    x = backend.search_input(crops)
    clock.mark("crop")
    appearance = backend.appearance_trunk(x)
    clock.mark("anet")
    levels = backend.semantic_trunk(x)
    clock.mark("snet")
    maps, scale_maps = backend.fusion_and_correlation(tracker.kernels, appearance, levels)
    clock.mark("fusion_correlation")
    located = policy.locate(maps, scale_maps)
    clock.mark("upsample_peak")
    new_state = policy.step(state, maps, frame.shape, located)
    clock.mark("box_update")
    return new_state, clock.seconds(), maps


def summarise(seconds: Sequence[float]) -> dict:
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    if not len(values):
        return {"samples": 0}
    p10, p25, median, p75, p90 = np.percentile(values, [10, 25, 50, 75, 90])
    return {"samples": int(len(values)), "median_ms": float(median), "mean_ms": float(values.mean()),
            "p10_ms": float(p10), "p25_ms": float(p25), "p75_ms": float(p75), "p90_ms": float(p90),
            "iqr_ms": float(p75 - p25), "min_ms": float(values.min()), "max_ms": float(values.max())}


# -- memory ---------------------------------------------------------------------------------------

def _status_kb(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Start VmHWM afresh (Linux: write 5 to /proc/self/clear_refs), so it measures the tracking alone."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# -- the run --------------------------------------------------------------------------------------

def build_bench_tracker(config: BenchConfig):
    return tracker_from_options(TrackerOptions(weights=config.weights, branches=config.branches, lam=config.lam,
                                               precision=config.precision, device=config.device,
                                               **config.tracker_options))


def _time_opencv(kind: str, frames: list[np.ndarray], box, config: BenchConfig, bar) -> dict:
    samples = []
    for _ in range(config.repeats):
        tracker = OpenCVTracker(kind)
        tracker.init(frames[0], box)
        for index, frame in enumerate(frames[1:], start=1):
            start = time.perf_counter()
            tracker.update(frame)
            elapsed = time.perf_counter() - start
            if index > config.warmup:
                samples.append(elapsed)
            bar.update(1)
    summary = summarise(samples)
    summary["fps"] = 1000.0 / summary["median_ms"] if summary.get("median_ms") else float("nan")
    return summary


def run_bench(config: BenchConfig) -> dict:
    if config.frames < 1 or config.warmup < 0 or config.repeats < 1:
        raise SASiamError("--frames and --repeats must be at least 1, --warmup at least 0")
    if config.threads is not None:
        if config.threads < 1:
            raise SASiamError("--threads must be at least 1")
        torch.set_num_threads(config.threads)
        cv2.setNumThreads(config.threads)
    device = torch.device(config.device)
    name, frames, box, described = load_frames(config)
    rss_before_model = _status_kb("VmRSS")
    setup_start = time.perf_counter()
    tracker = build_bench_tracker(config)
    setup_seconds = time.perf_counter() - setup_start
    rss_after_model = _status_kb("VmRSS")
    resolved = getattr(tracker.backend, "precision", config.precision)

    bar = tqdm(total=config.repeats * (config.warmup + config.frames) * (1 + (2 if config.opencv else 0)),
               desc=f"bench {name}", unit="frame", disable=not config.progress, leave=False)
    stage_samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    end_to_end: list[float] = []
    mismatches = 0
    max_map_difference = 0.0
    peak_reset = reset_peak_rss()
    others = OtherCpuUse()
    for _ in range(config.repeats):
        tracker.init(frames[0], box)
        for index, frame in enumerate(frames[1:], start=1):
            before = tracker.state
            staged_state, times, maps = staged_update(tracker, frame, StageClock(device))
            tracker.state = before
            if index == 1:
                reference = tracker.score_maps(frame)
                max_map_difference = max(max_map_difference, float(np.abs(reference - maps).max()))
            start = time.perf_counter()
            tracker.update(frame)
            elapsed = time.perf_counter() - start
            if not np.allclose(tracker.state.box, staged_state.box, rtol=0, atol=1e-6):
                mismatches += 1
            if index > config.warmup:
                end_to_end.append(elapsed)
                for stage in STAGES:
                    stage_samples[stage].append(times[stage])
            bar.update(1)
    tracking_peak_kb = _status_kb("VmHWM") if peak_reset else None
    other_cores = others.cores()
    opencv = {}
    if config.opencv:
        for kind in ("csrt", "kcf"):
            opencv[kind] = _time_opencv(kind, frames, box, config, bar)
    bar.close()

    tracker.init(frames[0], box)
    macs = frame_macs(tracker, frames[1])
    peaks = {precision: peak_throughput(precision, config.peak_size, config.peak_repeats, device)
             for precision in PEAK_PRECISIONS if device.type == "cpu" or precision != "int8"}
    precisions = stage_precisions(resolved)
    stages = {}
    for stage in STAGES:
        summary = summarise(stage_samples[stage])
        peak = peaks[precisions[stage]]["macs_per_second"]
        floor_ms = macs[stage] / peak * 1000.0
        summary.update(macs=macs[stage], gmacs=macs[stage] / 1e9, precision=precisions[stage], floor_ms=floor_ms,
                       measured_over_floor=summary["median_ms"] / floor_ms if floor_ms > 0 else None)
        stages[stage] = summary
    e2e = summarise(end_to_end)
    floor_ms = sum(stage["floor_ms"] for stage in stages.values())
    e2e.update(fps=1000.0 / e2e["median_ms"], macs=sum(macs.values()), gmacs=sum(macs.values()) / 1e9,
               floor_ms=floor_ms, floor_fps=1000.0 / floor_ms, measured_over_floor=e2e["median_ms"] / floor_ms)
    stage_sum = sum(stage["median_ms"] for stage in stages.values())
    outside = sum(stages[s]["median_ms"] for s in STAGES if s not in NETWORK_STAGES)
    for summary in opencv.values():
        summary["sasiam_over_opencv"] = e2e["median_ms"] / summary["median_ms"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "machine": dict(machine_facts(device), other_processes_cores_while_tracking=other_cores),
        "input": {"sequence": name, "source": described, "frame_size": [int(frames[0].shape[1]),
                                                                         int(frames[0].shape[0])],
                  "first_box": list(box), "warmup": config.warmup, "frames": config.frames,
                  "repeats": config.repeats},
        "tracker": {"precision_requested": config.precision, "precision": resolved, "branches": tracker.branches,
                    "lam": tracker.lam, "weights": str(config.weights) if config.weights else "shipped default",
                    "setup_seconds": setup_seconds,
                    "int8": getattr(tracker.backend, "int8_info", None)},
        "stages": stages,
        "end_to_end": e2e,
        "stage_sum_median_ms": stage_sum,
        "outside_networks_ms": outside,
        "outside_networks_share": outside / stage_sum if stage_sum > 0 else None,
        "peak": peaks,
        "opencv": opencv,
        "memory": {
            "peak_rss_mb": usage.ru_maxrss / 1024.0,  # Linux reports KiB; the whole process, model load included
            "tracking_peak_rss_mb": tracking_peak_kb / 1024.0 if tracking_peak_kb else None,
            "rss_before_model_mb": rss_before_model / 1024.0 if rss_before_model else None,
            "rss_after_model_mb": rss_after_model / 1024.0 if rss_after_model else None,
            "note": "CPU tensors come from the process heap: RSS is the meaningful measure here",
        },
        "checks": {"staged_box_mismatches": mismatches, "staged_max_map_difference": max_map_difference},
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
    }


# -- output ---------------------------------------------------------------------------------------

STAGE_TITLES = {
    "crop": "crop (3 x warpAffine + to tensor)", "anet": "A-Net (3 x 255)", "snet": "S-Net trunk (3 x 255)",
    "fusion_correlation": "fusion + correlation", "upsample_peak": "upsample + peak", "box_update": "box update",
}


def format_table(result: dict) -> str:
    lines = []
    machine, tracker, e2e = result["machine"], result["tracker"], result["end_to_end"]
    lines.append(f"{machine['cpu_model']}  ({machine['torch_cpu_capability']}, torch {machine['torch_version']}, "
                 f"{machine['torch_threads']} threads)  load average {machine['load_average']}")
    if machine.get("gpu"):
        gpu = machine["gpu"]
        lines.append(f"GPU {gpu['name']} ({gpu['memory_gb']:.0f} GiB, CUDA {gpu['cuda']}): stages timed by CUDA "
                     f"events; end to end includes the copy of the maps back to the host")
    source = result["input"]
    lines.append(f"{source['sequence']} {source['frame_size'][0]}x{source['frame_size'][1]}: {source['frames']} "
                 f"frames x {source['repeats']} repeats after {source['warmup']} warm-up; precision "
                 f"{tracker['precision']}" + (f" (asked {tracker['precision_requested']})"
                                              if tracker["precision"] != tracker["precision_requested"] else ""))
    header = f"{'stage':36s} {'median ms':>10s} {'p10-p90 ms':>15s} {'GMAC':>7s} {'prec':>5s} {'floor ms':>9s} {'x floor':>8s}"
    lines += [header, "-" * len(header)]
    for stage, summary in result["stages"].items():
        ratio = summary["measured_over_floor"]
        lines.append(f"{STAGE_TITLES[stage]:36s} {summary['median_ms']:10.2f} "
                     f"{summary['p10_ms']:7.2f}-{summary['p90_ms']:<7.2f} {summary['gmacs']:7.3f} "
                     f"{summary['precision']:>5s} {summary['floor_ms']:9.2f} "
                     f"{(f'{ratio:8.1f}' if ratio is not None else '       -')}")
    lines.append("-" * len(header))
    lines.append(f"{'sum of stages':36s} {result['stage_sum_median_ms']:10.2f}")
    lines.append(f"{'end to end (tracker.update)':36s} {e2e['median_ms']:10.2f} "
                 f"{e2e['p10_ms']:7.2f}-{e2e['p90_ms']:<7.2f} {e2e['gmacs']:7.3f} {'':>5s} "
                 f"{e2e['floor_ms']:9.2f} {e2e['measured_over_floor']:8.1f}")
    lines.append(f"fps {e2e['fps']:.2f} (floor {e2e['floor_fps']:.2f}); outside the networks: "
                 f"{result['outside_networks_ms']:.2f} ms = {100 * result['outside_networks_share']:.1f} % of the stages")
    lines.append("peak: " + ", ".join(f"{p} {v['gmacs_per_second']:.1f} GMAC/s" for p, v in result["peak"].items())
                 + f" (size {next(iter(result['peak'].values()))['size']})")
    for kind, summary in result["opencv"].items():
        lines.append(f"OpenCV {kind.upper():5s} {summary['median_ms']:8.2f} ms/frame ({summary['fps']:.1f} fps); "
                     f"sasiam takes {summary['sasiam_over_opencv']:.2f} x as long")
    memory = result["memory"]
    lines.append(f"peak RSS {memory['peak_rss_mb']:.0f} MB (process)"
                 + (f", {memory['tracking_peak_rss_mb']:.0f} MB while tracking" if memory["tracking_peak_rss_mb"]
                    else ""))
    others = machine.get("other_processes_cores_while_tracking")
    if others is not None and others > OTHER_CPU_TOLERANCE:
        lines.append(f"WARNING: other processes used {others:.2f} of the {machine['logical_cpus']} CPUs while the "
                     f"tracker was timed: the timings above are not this tracker's alone")
    if any((entry["measured_over_floor"] or 2.0) < 1.0 for entry in result["stages"].values()):
        lines.append("WARNING: a stage measured below its floor: the peak was measured while the machine was busy, "
                     "or with too small a --peak-size")
    checks = result["checks"]
    if checks["staged_box_mismatches"]:
        lines.append(f"WARNING: the staged pass differs from tracker.update on {checks['staged_box_mismatches']} "
                     f"frames: the stage split no longer mirrors the tracker")
    return "\n".join(lines)


def write_json(result: dict, path: Path) -> None:
    write_output(path, lambda temporary: Path(temporary).write_text(json.dumps(result, indent=2, default=float) + "\n"),
                 "JSON file")
