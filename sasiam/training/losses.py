"""SiamFC's labels and balanced logistic loss on the score map."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def logistic_labels(score_size: int, positive_radius: float, total_stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels (1 within `positive_radius` px of the centre, else 0) and weights that give
    positives and negatives half of the loss each (0.5 / #pos, 0.5 / #neg)."""
    offsets = torch.arange(score_size, dtype=torch.float32) - (score_size - 1) / 2
    distance = torch.sqrt(offsets[:, None] ** 2 + offsets[None, :] ** 2) * total_stride
    labels = (distance <= positive_radius).float()
    positives = labels.sum()
    weights = torch.where(labels > 0, 0.5 / positives, 0.5 / (labels.numel() - positives))
    return labels, weights


def balanced_logistic_loss(scores: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the weighted sum of per-cell logistic losses. scores: N x 1 x s x s."""
    per_cell = F.binary_cross_entropy_with_logits(
        scores.float(), labels.expand_as(scores), weight=weights.expand_as(scores), reduction="none"
    )
    return per_cell.sum(dim=(1, 2, 3)).mean()
