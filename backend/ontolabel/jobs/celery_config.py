"""The Celery configuration, shared by the sender (API) and the worker.

Every choice answers a point of ``docs/jobs.md`` ("Celery settings"); both sides
build the app here so the transport options can never differ between them.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue

from ontolabel.core.config import Settings


def celery_config(settings: Settings) -> dict[str, Any]:
    prefix = settings.queue_prefix
    transport = {
        "visibility_timeout": settings.visibility_timeout_s,
        # kombu sweeps for expired unacked messages every interval x throttle seconds
        # (100 s by default); sweep at a fifth of the timeout, at most every 10 s.
        "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 5)),
        "unacked_restore_throttle": 1,
    }
    return {
        "broker_url": settings.redis_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": dict(transport),
        # Identical on purpose: a differing backend timeout is a known redelivery trap.
        "result_backend_transport_options": dict(transport),
        # The job row is the record of truth; no result backend is read or written.
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_acks_late": True,
        # Redeliver a chunk whose worker died; our own delivery cap stops endless loops.
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "worker_soft_shutdown_timeout": 10.0,
        "worker_enable_soft_shutdown_on_idle": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_hijack_root_logger": False,
        "task_queues": (Queue(f"{prefix}.cpu"), Queue(f"{prefix}.gpu")),
        "task_default_queue": f"{prefix}.cpu",
        "task_create_missing_queues": False,
    }


def make_celery_app(settings: Settings) -> Celery:
    if not settings.redis_url:
        raise RuntimeError("Celery needs ONTOLABEL_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    app = Celery("ontolabel", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app
