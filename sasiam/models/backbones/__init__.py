"""Frozen ImageNet classifiers used as S-Net."""
