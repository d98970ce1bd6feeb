"""Student training: data and sampling, Mask2Former targets, the network, the optimiser and
its schedule, the loop, and the multi-process launcher (``docs/training.md``)."""
