"""ontolabel's GPU worker: models, test-time augmentation, constrained labelling, training."""
