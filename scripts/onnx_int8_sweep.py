"""Which S-Net layers survive ONNX Runtime int8 (issue 15): quantize the search graph with some layers kept
in fp32, then compare each branch's maps with fp32 on crops of the validation split (never calibrated on).

    .venv/bin/python scripts/onnx_int8_sweep.py                       # the default (stem + blocks 0-3 fp32)
    .venv/bin/python scripts/onnx_int8_sweep.py none                  # everything in int8
    .venv/bin/python scripts/onnx_int8_sweep.py depthwise net.semantic.backbone._blocks.0 ...

Prints the relative L2 error of each branch's maps (|int8 - fp32| / |fp32 - mean|), how often the combined
map's peak is the same, and the search graph's median time on 3 crops. Results: onnx_int8.quantize_search's
docstring.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np

from sasiam.backends.onnx import OnnxBackend, quantization_info
from sasiam.backends.onnx_int8 import EARLY_SEMANTIC_LAYERS, quantize_search
from sasiam.integrations.onnx_export import cached_export
from sasiam.tracking.calibration import calibration_crops, default_calibration

SPLITS = Path(__file__).resolve().parents[1] / "sasiam" / "data" / "splits" / "shared_sequences.json"


def main(argv: list[str]) -> None:
    keep = EARLY_SEMANTIC_LAYERS if not argv else tuple(a for a in argv if a != "none")
    export = cached_export()
    started = time.perf_counter()
    folder = quantize_search(export, default_calibration(), keep_fp32=keep)
    info = quantization_info(folder)
    print(f"{folder} ({time.perf_counter() - started:.0f} s): {len(info['quantized'])} convs int8, "
          f"{len(info['kept_fp32'])} fp32")
    crops, _ = calibration_crops(names=json.loads(SPLITS.read_text())["val"], frames_per_sequence=4)
    fp32, int8 = OnnxBackend(export), OnnxBackend(folder)
    errors: dict[str, list[float]] = {name: [] for name in fp32.branches}
    same_peak = 0
    for start in range(0, len(crops), 3):
        frame = crops[start:start + 3]
        kernels = fp32.exemplar(frame[1:2])
        reference, quantized = fp32.branch_maps(kernels, frame), int8.branch_maps(kernels, frame)
        for name in errors:
            spread = np.linalg.norm(reference[name] - reference[name].mean())
            errors[name].append(float(np.linalg.norm(quantized[name] - reference[name]) / spread))
        same_peak += int(np.argmax(fp32.score_maps(kernels, frame)) == np.argmax(int8.score_maps(kernels, frame)))
    print("relative map error:", {name: round(float(np.mean(v)), 4) for name, v in errors.items()},
          f"same peak {same_peak}/{len(crops) // 3}")
    for label, backend in (("fp32", fp32), ("int8", int8)):
        kernels = backend.exemplar(crops[1:2])
        backend.score_maps(kernels, crops[:3])
        times = []
        for _ in range(10):
            started = time.perf_counter()
            backend.score_maps(kernels, crops[:3])
            times.append(time.perf_counter() - started)
        print(f"{label}: search graph {1000 * np.median(times):.1f} ms (median of 10, 3 crops)")


if __name__ == "__main__":
    main(sys.argv[1:])
