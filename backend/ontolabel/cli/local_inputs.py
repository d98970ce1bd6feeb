"""What a command that runs a job in this process reads: the model ``--model`` names and
the folders it was given (``ontolabel label``, ``ontolabel evaluate``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.core.config import Settings
from ontolabel.jobs.params import ModelRef
from ontolabel.models.service import find_model, list_models
from ontolabel.models.tables import ModelRecord


@dataclass(frozen=True)
class ModelChoice:
    """A registered model (``record``), or a local folder / checkpoint file (``local``)."""

    record: ModelRecord | None
    local: Path | None

    @property
    def ref(self) -> ModelRef:
        if self.record is not None:
            return ModelRef(id=self.record.id)
        return ModelRef(path=str(self.local))

    @property
    def folders(self) -> list[Path]:
        """What the job must be allowed to read for a local model (a registered one is)."""
        if self.local is None:
            return []
        return [self.local if self.local.is_dir() else self.local.parent]


def choose_model(factory: sessionmaker[Session], model: str) -> ModelChoice:
    """A registered model by name or id, else an existing local path; else say what MODEL may be.

    Nothing is downloaded: a name that is neither is refused before any job exists.
    """
    with factory() as session:
        record = find_model(session, model)
        registered = [m.name for m in list_models(session)[0]] if record is None else []
    if record is not None:
        return ModelChoice(record, None)
    local = Path(model).expanduser().resolve()
    if not local.exists():
        known = ", ".join(registered) or "none yet"
        raise click.ClickException(
            f"--model {model!r} is neither a registered model (registered: {known}) nor a "
            "local folder or checkpoint file"
        )
    return ModelChoice(None, local)


def settings_reading(
    base: Settings, folders: Iterable[Path], *, trusted_pickle: Path | None = None
) -> Settings:
    """``base`` allowed to read ``folders``, and to trust the pickles of ``trusted_pickle``.

    For this process only, as the operator named them on the command line: the server's
    settings are untouched, and a job's parameters can do neither.
    """
    roots = [base.data_roots, *(str(f) for f in folders)]
    trusted = [base.trusted_pickles, str(trusted_pickle) if trusted_pickle else ""]
    return base.model_copy(
        update={
            "data_roots": os.pathsep.join(filter(None, roots)),
            "trusted_pickles": os.pathsep.join(filter(None, trusted)),
        }
    )
