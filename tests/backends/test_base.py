"""The backend-wide checks (precision, lam) and the registry of kinds."""
from __future__ import annotations

import pytest

from sasiam.backends import BACKENDS, load_backend
from sasiam.backends.base import PRECISIONS, auto_precision, check_lam, check_precision
from sasiam.errors import InvalidOptionError


def test_auto_precision_rule():
    assert auto_precision(set()) == "fp32"
    assert auto_precision({"avx2", "fma"}) == "fp32"
    assert auto_precision({"avx2", "avx512_bf16"}) == "bf16"
    assert auto_precision({"amx_bf16", "amx_tile"}) == "bf16"
    assert check_precision("auto") in PRECISIONS
    with pytest.raises(ValueError, match="auto"):
        check_precision("fp16")


def test_lam_range():
    assert check_lam(0) == 0.0 and check_lam(1) == 1.0
    with pytest.raises(InvalidOptionError, match=r"lam must lie in \[0, 1\]"):
        check_lam(1.5)


def test_registry_names_the_kinds_and_refuses_others():
    assert set(BACKENDS) == {"torch", "onnx", "ensemble"}
    with pytest.raises(InvalidOptionError, match="unknown backend 'tflite'; use 'torch', 'onnx', 'ensemble' or a backend object"):
        load_backend("tflite")
