"""The frames domain has no tables of its own: frames live in ``datasets.tables``."""

from ontolabel.datasets.tables import Frame, FrameLabel  # noqa: F401
