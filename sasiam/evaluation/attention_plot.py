"""The paper's Fig. 4: the channel-attention weights of each S-Net level for a video's target, sorted.

SA-Siam computes the attention once per video, from the first frame's target-with-context crop
(paper Sec. 3.3): each channel of conv4 and conv5 gets a weight in (0.5, 1.5). Fig. 4 plots them,
sorted, for *david* and *bolt*, to show that different targets weight the channels differently
("there is no correspondence between channel numbers for the two videos").
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..backends.torch import crops_to_tensor
from ..data.sequences import open_sequence
from ..errors import SASiamError
from ..files import write_output
from ..tracking.tracker import SASiamTracker


@dataclass(frozen=True)
class VideoAttention:
    name: str
    conv4: np.ndarray  # one weight per channel, in channel order
    conv5: np.ndarray


def video_attention(tracker: SASiamTracker, sequence_path: str | Path) -> VideoAttention:
    """The weights the tracker's semantic branch gives the sequence's first frame and box."""
    net = getattr(tracker.backend, "net", None)
    if net is None or net.semantic is None:
        raise SASiamError("attention weights come from the PyTorch backend's semantic branch "
                          "(backend='torch', branches 'both' or 'semantic')")
    sequence = open_sequence(sequence_path)
    if sequence.first_box is None:
        raise SASiamError(f"{sequence_path}: no ground truth for the first frame")
    stream = sequence.frames()
    frame = next(iter(stream), None)
    stream.close()
    if frame is None:
        raise SASiamError(f"{sequence_path}: no frames")
    policy = tracker.policy
    context = policy.context_crop(frame, policy.start(frame, sequence.first_box))[None]
    with torch.no_grad():
        weights4, weights5 = net.semantic.attention_weights(crops_to_tensor(context, next(net.parameters()).device))
    return VideoAttention(sequence.name, weights4.flatten().float().cpu().numpy(),
                          weights5.flatten().float().cpu().numpy())


def plot_attention(videos: Sequence[VideoAttention], out: str | Path, title: str | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(videos), 2, figsize=(8, 2.4 * len(videos)), squeeze=False, sharey=True)
    for row, video in enumerate(videos):
        for column, (level, weights) in enumerate((("conv4", video.conv4), ("conv5", video.conv5))):
            axis = axes[row][column]
            ordered = np.sort(weights)[::-1]
            axis.bar(np.arange(len(ordered)), ordered, width=1.0, color="tab:blue" if column == 0 else "tab:orange")
            axis.set_xlim(0, len(ordered))
            axis.set_ylim(0.5, 1.5)
            axis.set_title(f"{video.name}, {level} ({len(ordered)} channels)", fontsize=9)
            axis.set_xlabel("channels, sorted by weight", fontsize=8)
            if column == 0:
                axis.set_ylabel("attention weight", fontsize=8)
    figure.suptitle(title or "channel attention of the first frame's target (paper Fig. 4)", fontsize=10)
    figure.tight_layout()
    try:
        return write_output(out, lambda temporary: figure.savefig(temporary, dpi=110, format="png"), "figure")
    finally:
        plt.close(figure)


__all__ = ["VideoAttention", "video_attention", "plot_attention"]
