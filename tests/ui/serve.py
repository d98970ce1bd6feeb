"""Serves the app for the UI tests, with the test-only ``ui_demo`` job kind registered.

Run as ``python tests/ui/serve.py PORT`` (settings come from ``ONTOLABEL_*``).
"""

from __future__ import annotations

import sys

import ui_kinds  # noqa: F401  (registers the kind; this folder is sys.path[0])
import uvicorn
from ontolabel.api.app import create_app

# Register the CPU ``index`` kind up front: looking up an unregistered kind imports every
# kind module, the torch ones included, which costs seconds the UI tests need not spend.
import ontolabel.datasets.indexing  # noqa: F401  isort: skip

if __name__ == "__main__":
    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
