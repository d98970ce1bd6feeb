""" "N frames stale": which frames of a ``pseudo_label`` folder a rerun with a revision relabels.

A rerun repeats the folder's current settings (model, TTA, options) with the revision asked
about. A frame is kept when its provenance has those settings and the frame holds, per the
occurrence index, no extra label whose allowed set differs between the revision it was made
with and this one (``domain.staleness``); every other frame, and every frame whose last
attempt failed, is stale. The worker's plan applies the same rule (``jobs.label_folders``).
Reads one manifest and one index range scan per changed provenance; no PNG is opened.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_job_folder
from ontolabel.datasets import repository
from ontolabel.datasets.schemas import StaleProvenance, StaleRead
from ontolabel.datasets.service import get_dataset
from ontolabel.domain.staleness import constraint_rows
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.jobs import label_folders
from ontolabel.mappings.service import load_domain_mapping
from ontolabel.taxonomies.repository import load_domain_taxonomy


def stale_frames(
    session: Session,
    settings: Settings,
    dataset_id: int,
    folder: str,
    mapping_id: int,
    revision: int | None = None,
) -> StaleRead:
    """Count the stale frames of ``folder`` (a pseudo-label job's output over the dataset)
    against revision ``revision`` (default: head) of mapping ``mapping_id``."""
    dataset = get_dataset(session, dataset_id)
    record, mapping, number = load_domain_mapping(session, mapping_id, revision)
    if record.extra_taxonomy_id != dataset.taxonomy_id:
        raise InvalidInput(
            f"mapping {record.name!r} maps another taxonomy than dataset {dataset.name!r}'s labels",
            field="mapping_id",
        )
    extra = load_domain_taxonomy(session, record.extra_taxonomy_id)
    source = load_domain_taxonomy(session, record.source_taxonomy_id)
    assert extra is not None and source is not None  # foreign keys
    out = resolve_job_folder(folder, settings.job_roots, field="folder")
    found = label_folders.manifest_frames(out)
    if found is None:
        raise NotFound(
            f"folder {folder!r} has no readable manifest.json: it is not the output of a "
            "pseudo_label job, or its job has not ended",
            field="folder",
        )
    current, frames = found
    reference = label_folders.read_json(label_folders.description_path(out, current or ""))
    rows = constraint_rows(mapping, extra, source, priors=bool(reference.get("priors", True)))
    keepable = label_folders.keepable(out, reference, rows) if reference else {}
    by_provenance: dict[str | None, list[str]] = defaultdict(list)
    for key, provenance in frames.items():
        by_provenance[provenance].append(key)
    unread = repository.unread_frame_ids(session, dataset_id) if keepable else set()
    groups = [
        _group(session, out, dataset_id, d, keys, keepable.get(d), unread)
        for d, keys in sorted(by_provenance.items(), key=lambda item: item[0] or "")
        if d is not None
    ]
    errors = len(by_provenance.get(None, []))
    stale = errors + sum(g.stale for g in groups)
    return StaleRead(
        dataset_id=dataset_id,
        folder=str(out),
        mapping_id=mapping_id,
        revision=number,
        frames=len(frames),
        stale=stale,
        kept=len(frames) - stale,
        errors=errors,
        message=f"{stale} frame{'' if stale == 1 else 's'} stale",
        provenances=groups,
    )


def _group(
    session: Session,
    out: Path,
    dataset_id: int,
    provenance: str,
    keys: list[str],
    changed: frozenset[int] | None,
    unread: set[int],
) -> StaleProvenance:
    """One provenance's frames: all stale unless keepable; then those holding a changed
    label (or not indexed, or not keyed by frame id) are."""
    description = label_folders.read_json(label_folders.description_path(out, provenance))
    if changed is None:
        stale = len(keys)
    else:
        affected = repository.frames_with_any_label(session, dataset_id, sorted(changed))
        stale = sum(not key.isdigit() or int(key) in affected or int(key) in unread for key in keys)
    return StaleProvenance(
        provenance=provenance,
        mapping=dict(description.get("mapping") or {}),
        frames=len(keys),
        stale=stale,
        changed_labels=None if changed is None else sorted(changed),
    )
