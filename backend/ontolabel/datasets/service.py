"""Dataset rules: registration under allowed roots, dry runs, indexing, frames, occurrence.

Services only flush; the caller owns the transaction. Queries are in ``repository``.
"""

from __future__ import annotations

import random
from dataclasses import replace

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ontolabel.core.audit import add_audit_event
from ontolabel.core.config import Settings
from ontolabel.core.paths import resolve_data_root
from ontolabel.core.users import User
from ontolabel.core.writes import begin_write
from ontolabel.datasets import repository
from ontolabel.datasets.layout import GROUPS, PRESETS, Layout, scan, validate_layout
from ontolabel.datasets.schemas import (
    DatasetCreate,
    DatasetSummary,
    DryRunRead,
    FramePixelsRead,
    FrameRead,
    LabelOccurrence,
    OccurrenceRead,
    SamplingParams,
    UnpairedRead,
)
from ontolabel.datasets.tables import Dataset, Frame, SampleSet
from ontolabel.domain.sampling import SamplingRule, per_label_ids, pick_per_label
from ontolabel.errors import Conflict, InvalidInput, NotFound
from ontolabel.jobs import repository as job_repository
from ontolabel.jobs import service as job_service
from ontolabel.jobs.params import IndexParams
from ontolabel.jobs.tables import FINAL_JOB_STATUSES
from ontolabel.taxonomies import repository as taxonomy_repository
from ontolabel.taxonomies.tables import TaxonomyClassRecord, TaxonomyRecord

MAX_PAGE = 1000


def layout_for(spec: DatasetCreate) -> Layout:
    """The preset (if any) with the spec's explicit globs, patterns and encoding on top."""
    if spec.preset is not None and spec.preset not in PRESETS:
        raise InvalidInput(
            f"unknown preset {spec.preset!r}; use one of {', '.join(sorted(PRESETS))}",
            field="preset",
        )
    base = PRESETS[spec.preset] if spec.preset else None
    image_glob = spec.image_glob or (base.image_glob if base else None)
    if not image_glob:
        raise InvalidInput("give a preset or an image glob", field="image_glob")
    layout = Layout(
        image_glob=image_glob,
        label_glob=spec.label_glob or (base.label_glob if base else None),
        image_regex=spec.image_regex or (base.image_regex if base else None),
        label_regex=spec.label_regex or (base.label_regex if base else None),
        label_encoding=spec.label_encoding or (base.label_encoding if base else "id"),
    )
    validate_layout(layout)
    return layout


def find_taxonomy(session: Session, ref: str | int) -> TaxonomyRecord:
    record = (
        session.get(TaxonomyRecord, ref)
        if isinstance(ref, int)
        else taxonomy_repository.get_taxonomy_by_name(session, ref)
    )
    if record is None:
        raise InvalidInput(
            f"taxonomy {ref!r} does not exist; import it first (ontolabel ontologies load, "
            "or POST /api/taxonomies)",
            field="taxonomy",
        )
    return record


def dry_run(settings: Settings, spec: DatasetCreate) -> DryRunRead:
    """What a registration would find: counts, group examples, unpaired files and why."""
    root = resolve_data_root(spec.root, settings.allowed_data_roots)
    found = scan(root, layout_for(spec))
    examples: dict[str, list[str]] = {g: [] for g in GROUPS}
    for entry in found.frames:
        for g in GROUPS:
            value = entry.groups.get(g)
            if value is not None and value not in examples[g] and len(examples[g]) < 5:
                examples[g].append(value)
    unpaired = found.unpaired
    return DryRunRead(
        images=found.images,
        labels=found.labels,
        paired=found.paired,
        examples=examples,
        unpaired=[
            UnpairedRead(
                key=f.key,
                image=f.image.rel if f.image else None,
                label=f.label.rel if f.label else None,
                reason=f.problem or "",
            )
            for f in unpaired[:50]
        ],
        unpaired_total=len(unpaired),
        off_pattern=found.off_pattern[:20],
        off_pattern_total=len(found.off_pattern),
    )


def register_dataset(
    session: Session, settings: Settings, spec: DatasetCreate, user: User
) -> Dataset:
    root = resolve_data_root(spec.root, settings.allowed_data_roots)
    layout = layout_for(spec)
    taxonomy = find_taxonomy(session, spec.taxonomy)
    if repository.get_dataset_by_name(session, spec.name) is not None:
        raise Conflict(f"a dataset named {spec.name!r} already exists", field="name")
    dataset = Dataset(
        name=spec.name,
        root=str(root),
        taxonomy_id=taxonomy.id,
        preset=spec.preset,
        image_glob=layout.image_glob,
        label_glob=layout.label_glob,
        image_regex=layout.image_regex,
        label_regex=layout.label_regex,
        label_encoding=layout.label_encoding,
        description=spec.description,
        frame_count=0,
        error_count=0,
        created_by=user.name,
    )
    try:
        with session.begin_nested():
            session.add(dataset)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a dataset named {spec.name!r} already exists", field="name") from exc
    add_audit_event(
        session,
        user=user,
        action="create",
        entity="dataset",
        entity_id=dataset.id,
        detail={"name": dataset.name, "root": dataset.root},
    )
    return dataset


def get_dataset(session: Session, dataset_id: int) -> Dataset:
    dataset = repository.get_dataset(session, dataset_id)
    if dataset is None:
        raise NotFound(f"dataset {dataset_id} does not exist", field="dataset_id")
    return dataset


def dataset_named(session: Session, name: str) -> Dataset:
    dataset = repository.get_dataset_by_name(session, name)
    if dataset is None:
        raise NotFound(f"dataset {name!r} does not exist; register it first", field="name")
    return dataset


def list_datasets(session: Session, offset: int = 0, limit: int = 100) -> tuple[list[Dataset], int]:
    return repository.list_datasets(session, offset, min(limit, MAX_PAGE))


def start_index(
    session: Session,
    settings: Settings,
    dataset_id: int,
    user: User | str,
    workers: int | None = None,
) -> int:
    """Create the ``index`` job (dispatched after commit); returns its id."""
    dataset = claim_index(session, dataset_id, None)
    params = IndexParams(dataset_id=dataset.id, workers=workers)
    job = job_service.create_job(session, settings, params, user)
    dataset.index_job_id = job.id
    session.flush()
    return job.id


def claim_index(session: Session, dataset_id: int, job_id: int | None) -> Dataset:
    """The dataset, locked, unless an index job other than ``job_id`` of it is unfinished.

    One index job per dataset at a time: a second would race the first over the same
    files, and its progress would hide the first's. Checked when a job is asked for and
    again when one starts (a job created through ``POST /api/jobs`` skips the first).
    """
    if not session.in_transaction():
        begin_write(session)
    dataset = repository.get_dataset(session, dataset_id, for_update=True)
    if dataset is None:
        raise NotFound(f"dataset {dataset_id} does not exist", field="dataset_id")
    if dataset.index_job_id not in (None, job_id):
        current = job_repository.get_job(session, dataset.index_job_id)
        if current is not None and current.status not in FINAL_JOB_STATUSES:
            raise Conflict(
                f"dataset {dataset.name!r} is already being indexed by job {current.id} "
                f"({current.status}); follow or cancel that job first",
                job_id=current.id,
                status=current.status,
            )
    return dataset


def rule_of(params: SamplingParams) -> SamplingRule:
    return SamplingRule(
        every=params.every,
        camera=params.camera,
        sequence=params.sequence,
        split=params.split,
        labels=tuple(params.labels),
        random=params.random,
        per_label=params.per_label,
        seed=params.seed,
    )


# A filtered pool up to this many frames is sampled per label in memory (its frame/label
# pairs are few); larger ones walk the shuffle order in SQL, label by label.
PER_LABEL_IN_MEMORY = 5000
# Reading a label's m frames costs ~m steps; walking the shuffle order until n of them
# turn up in a pool that is ``share`` of the dataset costs ~n * total / (m * share)
# probes, each about this many read steps.
WALK_STEP_COST = 4
# Random draws above this many frames read the pool's ids instead of numbering it.
RANDOM_BY_POSITION = 900


Terms = list[ColumnElement[bool]]


def _filtered(rule: SamplingRule, has_error: bool | None) -> bool:
    return bool(
        (rule.every and rule.every > 1)
        or rule.camera is not None
        or rule.sequence is not None
        or rule.split is not None
        or rule.labels
        or has_error is not None
    )


def _random_ids(
    session: Session, dataset_id: int, terms: Terms, k: int, seed: int, filtered: bool
) -> list[int]:
    """``k`` ids drawn with ``seed`` from the pool, in frame order.

    The same draw as ``domain.sampling.sample_random`` (positions in frame order), without
    reading the pool's ids: an unfiltered pool's ordinals are its positions (the index job
    numbers frames 0..n-1); a filtered pool is numbered in SQL.
    """
    n, low, high = repository.pool_extent(session, terms)
    if k >= n:
        return repository.all_ids(session, repository.ids_where(terms))
    positions = sorted(random.Random(seed).sample(range(n), k))
    if not filtered and (low, high) == (0, n - 1):
        return repository.ids_at_ordinals(session, dataset_id, positions)
    if k > RANDOM_BY_POSITION:
        ids = repository.all_ids(session, repository.ids_where(terms))
        return [ids[p] for p in positions]
    return repository.ids_at_positions(session, terms, positions)


def _pool_size(
    session: Session, terms: Terms, rule: SamplingRule, has_error: bool | None, total: int
) -> int:
    """Frames in the pool, to choose how to sample it (both ways pick the same frames).

    "Every Nth" alone keeps about ``total / N``: estimated, since counting that pool reads
    the whole order index (a fifth of a 140k-frame draw's time); other filters are counted.
    """
    if rule.every and not _filtered(replace(rule, every=None), has_error):
        return -(-total // rule.every)
    return repository.pool_extent(session, terms)[0]


def _per_label_ids(
    session: Session, dataset_id: int, terms: Terms, rule: SamplingRule, has_error: bool | None
) -> set[int]:
    """At least ``rule.per_label`` frames per label of the pool, as
    ``domain.sampling.sample_per_label`` with the dataset-wide label counts as rarity
    (rarest first)."""
    k, seed, filtered = rule.per_label or 0, rule.seed, _filtered(rule, has_error)
    stats = repository.label_stats(session, dataset_id)
    order = [s.label_id for s in sorted(stats, key=lambda s: (s.frames, s.label_id))]
    total = max(1, get_dataset(session, dataset_id).frame_count)
    pool = _pool_size(session, terms, rule, has_error, total) if filtered else None
    if pool is not None and pool <= PER_LABEL_IN_MEMORY:
        members = repository.pool_members(session, terms)
        return per_label_ids(members, k, seed=seed, labels=order)
    frames = {s.label_id: s.frames for s in stats}
    share = 1.0 if pool is None else pool / total
    walks = repository.LabelWalks(session, dataset_id, terms, filtered=filtered)

    def first(label: int, start: int, n: int) -> list[tuple[int, frozenset[int]]]:
        m = frames.get(label, 0)
        if m * m * share <= WALK_STEP_COST * n * total:
            return walks.by_label_scan(label, start, n)
        return walks.by_frame_walk(label, start, n)

    return pick_per_label(order, k, seed=seed, first=first)


def select_frame_ids(
    session: Session, dataset_id: int, rule: SamplingRule, *, has_error: bool | None = None
) -> list[int] | None:
    """Ids the whole rule selects, in frame order; ``None`` when SQL paging alone suffices."""
    if rule.random is None and rule.per_label is None:
        return None
    terms = repository.pool_conditions(dataset_id, rule, has_error=has_error)
    filtered = _filtered(rule, has_error)
    chosen: set[int] = set()
    if rule.per_label is not None:
        chosen |= _per_label_ids(session, dataset_id, terms, rule, has_error)
    if rule.random is not None:
        drawn = _random_ids(session, dataset_id, terms, rule.random, rule.seed, filtered)
        if rule.per_label is None:
            return drawn
        chosen.update(drawn)
    return repository.in_frame_order(session, sorted(chosen))


def list_frames(
    session: Session,
    dataset_id: int,
    rule: SamplingRule,
    *,
    has_error: bool | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[FrameRead], int]:
    get_dataset(session, dataset_id)
    limit = min(limit, MAX_PAGE)
    chosen = select_frame_ids(session, dataset_id, rule, has_error=has_error)
    if chosen is None:
        ids_q = repository.filtered_ids(dataset_id, rule, has_error=has_error)
        page = repository.page_ids(session, ids_q, offset, limit)
        total = repository.count_pool(session, dataset_id, rule, has_error=has_error)
    else:
        page, total = chosen[offset : offset + limit], len(chosen)
    frames = repository.frames_by_ids(session, page)
    return [FrameRead.model_validate(f) for f in frames], total


def all_frames(session: Session, dataset_id: int, rule: SamplingRule) -> list[Frame]:
    """Every frame the rule selects, in order (CLI and sample sets)."""
    chosen = select_frame_ids(session, dataset_id, rule)
    if chosen is None:
        chosen = repository.all_ids(session, repository.filtered_ids(dataset_id, rule))
    return repository.frames_by_ids(session, chosen)


def sample_paths(session: Session, dataset_id: int, rule: SamplingRule) -> list[str]:
    """Image paths (relative to the root) the rule selects, in order; for the CLI."""
    chosen = select_frame_ids(session, dataset_id, rule)
    if chosen is None:
        return repository.image_paths(session, repository.filtered_ids(dataset_id, rule))
    return [f.image_path for f in repository.frames_by_ids(session, chosen) if f.image_path]


def _class_names(session: Session, taxonomy_id: int) -> dict[int, str]:
    return {
        c.class_id: c.name
        for c in session.query(TaxonomyClassRecord).filter(
            TaxonomyClassRecord.taxonomy_id == taxonomy_id
        )
    }


def occurrence(session: Session, dataset_id: int) -> OccurrenceRead:
    """Per label: frames containing it and its share of pixels (from the index totals)."""
    dataset = get_dataset(session, dataset_id)
    names = _class_names(session, dataset.taxonomy_id)
    stats = repository.label_stats(session, dataset_id)
    total_px = sum(s.pixels for s in stats) or 1
    frames = dataset.frame_count or 1
    present = {s.label_id for s in stats}
    return OccurrenceRead(
        dataset_id=dataset_id,
        frames=dataset.frame_count,
        items=[
            LabelOccurrence(
                label_id=s.label_id,
                name=names.get(s.label_id),
                frames=s.frames,
                frame_share=s.frames / frames,
                pixels=s.pixels,
                pixel_share=s.pixels / total_px,
            )
            for s in stats
        ],
        never_labelled=[n for cid, n in sorted(names.items()) if cid not in present],
    )


def frames_with_label(
    session: Session, dataset_id: int, label_ids: list[int], offset: int = 0, limit: int = 50
) -> tuple[list[FramePixelsRead], int]:
    """Frames containing any of ``label_ids``, most pixels first."""
    get_dataset(session, dataset_id)
    if not label_ids:
        raise InvalidInput("name at least one label id", field="label")
    rows, total = repository.frames_with_labels(
        session, dataset_id, label_ids, offset, min(limit, MAX_PAGE)
    )
    frames = {f.id: f for f in repository.frames_by_ids(session, [r[0] for r in rows])}
    return [
        FramePixelsRead(**FrameRead.model_validate(frames[fid]).model_dump(), pixels=px)
        for fid, px in rows
        if fid in frames
    ], total


def extra_ids_for_source_class(
    session: Session, dataset_id: int, mapping_id: int, source_id: int, revision: int | None
) -> list[int]:
    """Ids (dataset taxonomy) of the extra labels the revision maps to ``source_id``."""
    from ontolabel.mappings.service import load_domain_mapping

    dataset = get_dataset(session, dataset_id)
    record, mapping, _number = load_domain_mapping(session, mapping_id, revision)
    if record.extra_taxonomy_id != dataset.taxonomy_id:
        raise InvalidInput(
            f"mapping {mapping_id} maps another taxonomy than dataset {dataset.name!r} uses",
            field="mapping_id",
        )
    row = mapping.row(source_id)
    if row is None:
        raise NotFound(f"mapping {mapping_id} has no row for source class {source_id}")
    by_name = {n.strip(): cid for cid, n in _class_names(session, dataset.taxonomy_id).items()}
    return sorted({by_name[n.strip()] for n in row.extra_labels if n.strip() in by_name})


def summary(session: Session, dataset_id: int) -> DatasetSummary:
    dataset = get_dataset(session, dataset_id)
    counts = repository.summary_counts(session, dataset_id)
    return DatasetSummary(
        dataset_id=dataset_id,
        frames=dataset.frame_count,
        indexed=counts["misc"]["indexed"],
        errors=counts["errors"],
        splits=counts["splits"],
        sequences=counts["misc"]["sequences"],
        cameras=counts["cameras"],
        labels_present=len(repository.label_stats(session, dataset_id)),
        frames_with_unknown_labels=counts["misc"]["unknown"],
    )


def create_sample_set(
    session: Session, dataset_id: int, name: str, params: SamplingParams, user: User
) -> SampleSet:
    """Resolve the rule now and keep the ids, so the same frames come back later."""
    get_dataset(session, dataset_id)
    rule = rule_of(params)
    ids = [f.id for f in all_frames(session, dataset_id, rule)]
    record = SampleSet(
        dataset_id=dataset_id,
        name=name,
        rule={**params.model_dump(), "description": rule.describe()},
        frame_ids=ids,
        created_by=user.name,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"sample set {name!r} already exists for this dataset", field="name"
        ) from exc
    add_audit_event(
        session,
        user=user,
        action="create",
        entity="sample_set",
        entity_id=record.id,
        detail={"dataset_id": dataset_id, "name": name, "frames": len(ids)},
    )
    return record


def list_sample_sets(session: Session, dataset_id: int) -> list[SampleSet]:
    get_dataset(session, dataset_id)
    return repository.sample_sets(session, dataset_id)


def get_sample_set(session: Session, dataset_id: int, sample_set_id: int) -> SampleSet:
    record = repository.get_sample_set(session, sample_set_id)
    if record is None or record.dataset_id != dataset_id:
        raise NotFound(f"dataset {dataset_id} has no sample set {sample_set_id}")
    return record


def label_id(session: Session, taxonomy_id: int, value: str) -> int:
    """A label given by id or by name in the taxonomy."""
    if value.strip().lstrip("-").isdigit():
        return int(value)
    names = {n: cid for cid, n in _class_names(session, taxonomy_id).items()}
    if value not in names:
        raise InvalidInput(
            f"no label named {value!r}; known: {', '.join(sorted(names))}", field="label"
        )
    return names[value]
