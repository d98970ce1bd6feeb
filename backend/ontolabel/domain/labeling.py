"""Defaults of the labelling method (DESIGN.md rules 4 and 6) and of the mapping
suggestions (``domain.suggestions``), written once.

A module of constants only, so the job contracts, the preview and the worker can share
them without importing the constraint kernels.
"""

from __future__ import annotations

DEFAULT_VOID_THRESHOLD = 0.5
"""Rule 4: below this renormalised confidence a pixel whose row allows ``void`` is 255."""

DEFAULT_TTA_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
"""Rule 6: the scales whose (flipped) softmaxes are averaged."""

# --- suggestions (domain.suggestions) ---------------------------------------------

DEFAULT_ADD_MIN_SHARE = 0.1
"""An absent cell is suggested once this share of the label's pixels is predicted as it."""

DEFAULT_REMOVE_MAX_SHARE = 0.02
"""An allowed cell is suggested for removal while the teacher predicts it on less than this."""

DEFAULT_MIN_PIXELS = 100
"""Labels (and, for conflicts, cells) with fewer pixels than this over all frames are not
judged: a handful of pixels is no evidence."""

DEFAULT_EVIDENCE_FRAMES = 10
"""Frames named as evidence per suggestion, most telling first."""

DEFAULT_MAX_ITEMS = 50
"""Items kept per list."""
