"""Defaults of the labelling method, written once (DESIGN.md rules 4 and 6).

A module of constants only, so the job contracts, the preview and the worker can share
them without importing the constraint kernels.
"""

from __future__ import annotations

DEFAULT_VOID_THRESHOLD = 0.5
"""Rule 4: below this renormalised confidence a pixel whose row allows ``void`` is 255."""

DEFAULT_TTA_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
"""Rule 6: the scales whose (flipped) softmaxes are averaged."""
