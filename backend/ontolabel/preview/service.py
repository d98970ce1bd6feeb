"""Preview: resolve the mapping (saved or draft), load the cached frame, render the layers."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from ontolabel.core.config import Settings
from ontolabel.domain.constraint import allowed_table
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import VOID_ID
from ontolabel.errors import InvalidInput, NotFound
from ontolabel.mappings.service import load_domain_mapping
from ontolabel.preview.cache import load_cached, preview_cache_path
from ontolabel.preview.pixels import EncodedIds, LabelRule, encode, label_rules, nearest
from ontolabel.preview.render import PreviewImages, palette, render
from ontolabel.preview.schemas import PreviewRequest
from ontolabel.taxonomies.repository import load_domain_taxonomy


@dataclass(frozen=True)
class PreviewPixelIds:
    """Small per-pixel id maps and the tables to name them (see ``preview.pixels``)."""

    pseudo_label: EncodedIds
    extra_label: EncodedIds
    source_classes: list[tuple[int, str]]
    labels: list[LabelRule]


@dataclass(frozen=True)
class Preview:
    images: PreviewImages
    revision: int | None
    milliseconds: float
    pixels: PreviewPixelIds


def model_key_for(model_id: int) -> str:
    """The cache key the preview job uses for a registered model."""
    return f"model-{model_id}"


def preview_frame(
    session: Session, settings: Settings, model_key: str, frame_key: str, body: PreviewRequest
) -> Preview:
    started = time.perf_counter()
    record, saved, number = load_domain_mapping(session, body.mapping_id, body.revision)
    extra = load_domain_taxonomy(session, record.extra_taxonomy_id)
    source = load_domain_taxonomy(session, record.source_taxonomy_id)
    if extra is None or source is None:
        raise NotFound(f"mapping {record.name} names a taxonomy that no longer exists")
    mapping = saved
    if body.rows is not None:
        mapping = Mapping(
            saved.extra_taxonomy, saved.source_taxonomy, tuple(r.to_domain() for r in body.rows)
        )
    cached = load_cached(preview_cache_path(settings.cache_dir, model_key, frame_key))
    if cached.label is None:
        raise InvalidInput(f"frame {frame_key} was cached without its label", field="frame_key")
    wanted = [c.name.strip() for c in source.classes if c.id != VOID_ID]
    if [n.strip() for n in cached.class_names] != wanted:
        raise InvalidInput(
            f"cached probabilities of {model_key} are not over {source.name}'s classes in order",
            field="mapping_id",
        )
    table = allowed_table(mapping, extra, source)
    images = render(
        cached.probs,
        cached.label,
        table,
        palette(source),
        void_threshold=body.void_threshold,
        confidence_floor=body.confidence_floor,
    )
    small_label = np.clip(nearest(cached.label), 0, 65535)
    pixels = PreviewPixelIds(
        pseudo_label=encode(nearest(images.pseudo_ids), "uint8"),
        extra_label=encode(small_label, "uint16"),
        source_classes=[(c.id, c.name) for c in source.classes],
        labels=label_rules(small_label, table, extra),
    )
    revision = None if body.rows is not None else number
    return Preview(images, revision, round((time.perf_counter() - started) * 1000, 2), pixels)
