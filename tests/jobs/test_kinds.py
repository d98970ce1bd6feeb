"""Kind lookup: a worker imports only the module a job's kind needs."""

from __future__ import annotations

import subprocess
import sys


def test_looking_up_the_index_kind_does_not_import_torch() -> None:
    code = (
        "import sys; from ontolabel.jobs.kinds import get_kind; "
        "kind = get_kind('index'); "
        "assert (kind.name, kind.queue) == ('index', 'cpu'); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
