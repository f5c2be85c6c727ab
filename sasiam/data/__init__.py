"""Frame sources, datasets and the demo clip."""
