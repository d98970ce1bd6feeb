"""Layering: FastAPI stays at the HTTP edge, the pure domain stays pure.

Each check imports modules in a fresh interpreter, so what this test process has already
loaded cannot hide an import, and names the first module that pulls a forbidden one in.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import ontolabel
import ontolabel_worker

WEB = ("fastapi", "starlette")
EDGES = ("ontolabel.api", "ontolabel.cli")
"""The HTTP app and the command line: with the ``routes`` modules, FastAPI's only homes."""

_FIRST_PULL = """
import importlib, json, sys
forbidden = {forbidden!r}
for name in {modules!r}:
    importlib.import_module(name)
    loaded = sorted(f for f in forbidden if f in sys.modules)
    if loaded:
        print(json.dumps([name, loaded]))
        break
else:
    print(json.dumps(None))
"""


def _modules(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    prefix = f"{package.__name__}."  # type: ignore[attr-defined]
    return sorted(info.name for info in pkgutil.walk_packages(path, prefix))


def _is_edge(name: str) -> bool:
    return name.startswith(EDGES) or name.rsplit(".", 1)[-1] == "routes"


def _first_pull(modules: Sequence[str], forbidden: Sequence[str]) -> list[object] | None:
    """``[module, [forbidden loaded]]`` for the first of ``modules`` that loads one, or None."""
    roots = [str(Path(p.__file__).parents[1]) for p in (ontolabel, ontolabel_worker)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*roots, os.environ.get("PYTHONPATH", "")]),
        # The worker's Celery app is built at import; building it connects to nothing.
        "ONTOLABEL_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    script = _FIRST_PULL.format(modules=list(modules), forbidden=list(forbidden))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result: list[object] | None = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_services_repositories_tables_schemas_and_the_worker_load_no_fastapi() -> None:
    # given every module outside the HTTP and CLI edges: services, repositories, tables,
    # schemas, the domain, the dataset scanner, the job runner and the whole worker
    modules = [m for m in _modules(ontolabel) + _modules(ontolabel_worker) if not _is_edge(m)]
    assert "ontolabel.taxonomies.service" in modules and "ontolabel_worker.tasks" in modules
    # when they are all imported
    # then neither FastAPI nor Starlette came with them
    assert _first_pull(modules, WEB) is None


def test_schemas_load_pydantic_but_no_database_or_web_layer() -> None:
    # given every request/response schema module
    schemas = [m for m in _modules(ontolabel) if m.endswith(".schemas")]
    assert len(schemas) >= 5
    # when they are imported, then they bring neither SQLAlchemy nor FastAPI
    assert _first_pull(schemas, ("sqlalchemy", *WEB)) is None


def test_domain_loads_no_web_database_or_torch() -> None:
    # given the pure domain (mapping algebra, lint, formats, constraint tables, sampling)
    domain = [m for m in _modules(ontolabel) if m.startswith("ontolabel.domain.")]
    assert "ontolabel.domain.lint" in domain
    # when imported, then none of FastAPI, SQLAlchemy or torch is loaded
    assert _first_pull(domain, ("sqlalchemy", "torch", *WEB)) is None
