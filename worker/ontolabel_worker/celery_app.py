"""The Celery app of ``ontolabel worker``: built from settings, tasks registered.

Run: ``celery -A ontolabel_worker.celery_app worker -Q <prefix>.gpu,<prefix>.cpu``
(or ``ontolabel worker``). Needs ``ONTOLABEL_REDIS_URL``.
"""

from __future__ import annotations

from ontolabel.core.config import get_settings
from ontolabel.jobs.celery_config import make_celery_app

app = make_celery_app(get_settings())

from ontolabel_worker import tasks  # noqa: E402  (registers the tasks on ``app``)

tasks.register(app)
