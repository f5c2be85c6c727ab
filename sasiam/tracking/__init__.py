"""Inference: geometry, crops, the tracker, the sequence runner."""
