"""Integration fixtures: real Celery workers on real Redis and PostgreSQL."""

from __future__ import annotations

from support.celery_worker import celery_stack  # noqa: F401  (fixture)
