"""Who is acting: the plain user type every service, the CLI and the worker take."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """Who made a change; recorded on revisions and audit events."""

    name: str
