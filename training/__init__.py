"""The training pipeline: datasets, splits, trainer, baselines, evaluation, export (needs the `train` extra)."""
