"""What a ``train`` job trains on, resolved when it is planned: no chunk reads rows later.

Every ``TrainData`` becomes frame pairs (a dataset's split, two folders, or a finished
``pseudo_label`` job's labels beside the images it labelled), the taxonomy its channels
(classes below 255, in order), and the start weights a path. Torch-free: the trainer
itself is imported only where a chunk runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ontolabel.errors import InvalidInput
from ontolabel.jobs import repository as jobs
from ontolabel.jobs.kinds import JobContext
from ontolabel.jobs.params import PseudoLabelParams
from ontolabel.jobs.references import student_classes
from ontolabel.jobs.train_params import (
    AugmentOverrides,
    TrainData,
    TrainParams,
    ValData,
    folders_name,
)
from ontolabel.taxonomies.repository import load_domain_taxonomy

from ontolabel_worker.kinds.resolve import (
    Resolved,
    dataset_pairs,
    folder,
    resolve_model,
    selected_pairs,
)
from ontolabel_worker.ml.data import FramePair, pair_frames


class TrainSet(Resolved):
    """A dataset to train on, as its frame pairs."""

    name: str
    pairs: list[FramePair]
    weight: float
    augment: AugmentOverrides | None


class ValSet(Resolved):
    """A validation set, as its frame pairs."""

    name: str
    pairs: list[FramePair]


class TrainChunk(Resolved):
    """The one chunk of a train job: training is one long step that resumes from its own
    checkpoint when redelivered."""

    params: TrainParams
    class_names: list[str]
    class_ids: list[int]
    sources: list[TrainSet]
    """The first is the source: its validation set decides the best, the fine-tune uses it."""
    val: list[ValSet]
    init_path: str | None
    """A save_pretrained folder or hub id to start from (None: the preset's random weights)."""

    @property
    def source_sizes(self) -> list[int]:
        return [len(s.pairs) for s in self.sources]


def plan_training(ctx: JobContext, params: TrainParams) -> TrainChunk:
    """The chunk of ``params``: every dataset resolved, refused when one has no frames."""
    with ctx.session_factory() as session:
        taxonomy = load_domain_taxonomy(session, params.taxonomy_id)
    if taxonomy is None:
        raise InvalidInput(f"taxonomy {params.taxonomy_id} does not exist", field="taxonomy_id")
    classes = student_classes(taxonomy)
    names: set[str] = set()
    sources = [
        TrainSet(
            name=_unique(data.name or _data_name(ctx, data), names),
            pairs=_train_pairs(ctx, data, f"data[{i}]"),
            weight=data.weight,
            augment=data.augment,
        )
        for i, data in enumerate(params.data)
    ]
    val = [
        ValSet(
            name=_unique(v.name or _val_name(ctx, v), names),
            pairs=_val_pairs(ctx, v, f"val[{i}]"),
        )
        for i, v in enumerate(params.val)
    ]
    return TrainChunk(
        params=params,
        class_names=list(classes.values()),
        class_ids=list(classes),
        sources=sources,
        val=val,
        init_path=_init_path(ctx, params),
    )


def _train_pairs(ctx: JobContext, data: TrainData, field: str) -> list[FramePair]:
    if data.dataset_id is not None:
        splits = None if data.split is None else [data.split, *(["val"] * data.merge_val)]
        pairs = dataset_pairs(ctx, data.dataset_id, None, splits=splits)
    elif data.pseudo_label_job is not None:
        pairs = _pseudo_label_pairs(ctx, data.pseudo_label_job, field)
    else:
        assert data.images_dir is not None and data.labels_dir is not None
        pairs = _folder_pairs(ctx, data.images_dir, data.labels_dir, field)
    if not pairs:
        raise InvalidInput(f"{field} has no image/label pairs to train on", field=field)
    return pairs


def _val_pairs(ctx: JobContext, val: ValData, field: str) -> list[FramePair]:
    if val.dataset_id is not None:
        splits = None if val.split is None else [val.split]
        pairs = dataset_pairs(ctx, val.dataset_id, None, splits=splits)
    else:
        assert val.images_dir is not None and val.labels_dir is not None
        pairs = _folder_pairs(ctx, val.images_dir, val.labels_dir, field)
    if not pairs:
        raise InvalidInput(f"{field} has no image/label pairs to validate on", field=field)
    return pairs


def _folder_pairs(ctx: JobContext, images: str, labels: str, field: str) -> list[FramePair]:
    pairs, unpaired = pair_frames(
        folder(ctx, images, f"{field}.images_dir"), folder(ctx, labels, f"{field}.labels_dir")
    )
    if unpaired:
        ctx.log(f"{field}: {len(unpaired)} file(s) without a partner, e.g. {unpaired[:3]}")
    return pairs


def _pseudo_label_pairs(ctx: JobContext, job_id: int, field: str) -> list[FramePair]:
    """The job's label PNGs (they mirror its frames' label paths) with the frames' images;
    frames it could not label have no PNG and are left out."""
    with ctx.session_factory() as session:
        job = jobs.get_job(session, job_id)
        if job is None or job.status != "succeeded" or "output_dir" not in job.outputs:
            raise InvalidInput(f"job {job_id} has no pseudo-labels to train on", field=field)
        params = PseudoLabelParams.model_validate(job.params)
        out = folder(ctx, str(job.outputs["output_dir"]), f"{field} (its output_dir)")
    frames, _ = selected_pairs(ctx, params)
    pairs = []
    for frame in frames:
        label = out / Path(frame.label_rel).with_suffix(".png")
        if label.is_file():
            pairs.append(dataclasses.replace(frame, label=str(label)))
    if len(pairs) < len(frames):
        ctx.log(f"{field}: {len(frames) - len(pairs)} frame(s) of job {job_id} have no label")
    return pairs


def _init_path(ctx: JobContext, params: TrainParams) -> str | None:
    if params.model.hub_id is not None:
        return params.model.hub_id
    if params.model.init is None:
        return None
    model = resolve_model(ctx, params.model.init)
    if not Path(model.path).is_dir():
        raise InvalidInput(
            f"model.init {model.path} is not a save_pretrained folder (a checkpoint file "
            "cannot start training)",
            field="model.init",
        )
    return model.path


def _data_name(ctx: JobContext, data: TrainData) -> str:
    if data.dataset_id is not None:
        return _dataset_name(ctx, data.dataset_id, data.split)
    if data.pseudo_label_job is not None:
        return f"pseudo_label job {data.pseudo_label_job}"
    assert data.images_dir is not None and data.labels_dir is not None
    return folders_name(data.images_dir, data.labels_dir)


def _val_name(ctx: JobContext, val: ValData) -> str:
    if val.dataset_id is not None:
        return _dataset_name(ctx, val.dataset_id, val.split)
    assert val.images_dir is not None and val.labels_dir is not None
    return folders_name(val.images_dir, val.labels_dir)


def _dataset_name(ctx: JobContext, dataset_id: int, split: str | None) -> str:
    from ontolabel.datasets import repository as datasets

    with ctx.session_factory() as session:
        dataset = datasets.get_dataset(session, dataset_id)
    name = dataset.name if dataset is not None else f"dataset {dataset_id}"
    return name if split is None else f"{name}/{split}"


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name #2`` … when taken: the metrics are keyed by set name."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} #{n}"
    taken.add(candidate)
    return candidate
