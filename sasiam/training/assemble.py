"""The steps after training: assemble the two separately trained branches into one
checkpoint, and pick lambda by grid search on a validation set (paper Sec. 4.1)."""
from __future__ import annotations

import json
from pathlib import Path


from ..checkpoint import load_checkpoint, save_checkpoint
from ..config import DEFAULT_LAMBDA
from ..errors import CheckpointError
from ..evaluation.otb import evaluate
from ..models.factory import network_from_checkpoint
from ..tracking.tracker import SASiamTracker

LAMBDA_GRID = (0.1, 0.3, 0.5, 0.7, 0.9)


def assemble(appearance_path: str | Path, semantic_path: str | Path, out: str | Path, lam: float = DEFAULT_LAMBDA,
             half: bool = False, info: dict[str, str] | None = None) -> Path:
    """One checkpoint of both branches; `info` adds entries to its metadata."""
    appearance = load_checkpoint(appearance_path)
    semantic = load_checkpoint(semantic_path)
    if "appearance" not in appearance.branches:
        raise CheckpointError(f"{appearance_path}: holds no appearance branch")
    if "semantic" not in semantic.branches:
        raise CheckpointError(f"{semantic_path}: holds no semantic branch")
    tensors = {k: v for k, v in appearance.tensors.items() if k.startswith("appearance.")}
    tensors.update({k: v for k, v in semantic.tensors.items() if k.startswith("semantic.")})
    info = {"appearance_from": Path(appearance_path).name, "semantic_from": Path(semantic_path).name,
            **{f"appearance_{k}": v for k, v in appearance.info.items()},
            **{f"semantic_{k}": v for k, v in semantic.info.items()}, **(info or {})}
    import torch

    return save_checkpoint(out, tensors, semantic.model_config, lam=lam,
                           trained={"appearance": appearance.trained.get("appearance", False),
                                    "semantic": semantic.trained.get("semantic", False)},
                           info=info, dtype=torch.float16 if half else None)


def tune_lambda(weights: str | Path, sequences, out: str | Path, grid=LAMBDA_GRID, precision: str = "fp32",
                progress: bool = True, device: str = "cpu") -> tuple[float, dict[float, float]]:
    """Success AUC on `sequences` for each lambda, tracked on `device`; the best is written into `out`
    with the grid results."""
    checkpoint = load_checkpoint(weights)
    net = network_from_checkpoint(checkpoint, "both", source=str(weights))
    results: dict[float, float] = {}
    for lam in grid:
        tracker = SASiamTracker.from_network(net, lam=lam, precision=precision, device=device)
        evaluation = evaluate(tracker, sequences)
        results[lam] = evaluation.auc
        if progress:
            each = ", ".join(f"{name} {score.auc:.3f}" for name, score in evaluation.sequences.items())
            print(f"lambda {lam:.1f}: validation AUC {results[lam]:.4f} ({each})")
    best = max(results, key=lambda lam: (results[lam], -abs(lam - DEFAULT_LAMBDA)))
    info = dict(checkpoint.info, lambda_grid=json.dumps({f"{k:.1f}": round(v, 4) for k, v in results.items()}),
                lambda_sequences=json.dumps([s.name for s in sequences]))
    save_checkpoint(out, checkpoint.tensors, checkpoint.model_config, lam=best, trained=checkpoint.trained, info=info)
    return best, results


__all__ = ["assemble", "tune_lambda", "LAMBDA_GRID"]
