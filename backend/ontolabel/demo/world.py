"""The demo world: one fine source dataset, two extra datasets with their own label spaces.

``demo-citylike`` merges classes (road+marking, vegetation+terrain, pole+sign), ships
colour PNGs and never labels the sky (it is ``unlabeled``). ``demo-coarse`` splits cars
into car/truck by size, ships palette PNGs, leaves holes in buildings and never labels
its ``traffic-sign`` class. Each extra dataset keeps a hidden fine ground truth under
``ground_truth/`` (outside its globs) to score pseudo-labels. Mappings extra→source are
written in the reference CSV format, read back with the reference reader and loaded.
``install_demo`` is idempotent: files, taxonomies, mappings and datasets are made once, and
datasets indexed once (a rerun queues no index job for them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from ontolabel.core.config import Settings
from ontolabel.core.db import session_scope
from ontolabel.core.users import User
from ontolabel.demo.scenes import CAMERA_SHIFT, FINE, FINE_TAXONOMY, make_scene, render_frame
from ontolabel.domain.formats.reference import (
    read_labels_csv,
    read_mapping_csv,
    write_labels_csv,
    write_mapping_csv,
)
from ontolabel.domain.labels import LabelEncoding, parse_color
from ontolabel.domain.mapping import Mapping, MappingRow
from ontolabel.domain.taxonomy import VOID_ID, Taxonomy, TaxonomyClass
from ontolabel.jobs.dispatch import Dispatcher
from ontolabel.jobs.train_params import (
    AugmentSettings,
    OptimSettings,
    StudentModel,
    TrainData,
    TrainParams,
)

DEMO_VERSION = 1
DEFAULT_FRAMES = 60
DEFAULT_SIZE = (256, 128)
SEQUENCES = ("s01", "s02", "s03")
CAMERAS = ("cam1", "cam2")
FRAME_REGEX = r"(?:images|labels)/(?P<sequence>[^/]+)/(?P<camera>[^/]+)/(?P<frame>\d+)\.png"
DEMO_USER = User(name="demo")


def _taxonomy(name: str, description: str, classes: list[tuple[str, str]]) -> Taxonomy:
    return Taxonomy(
        name=name,
        description=description,
        classes=tuple(TaxonomyClass(id=i, name=n, color=c) for i, (n, c) in enumerate(classes)),
    )


CITYLIKE = _taxonomy(
    "demo-citylike",
    "Demo extra dataset: merged classes, colour PNGs, sky never labelled.",
    [("unlabeled", "#000000"), ("road", "#804080"), ("sidewalk", "#f423e8"),
     ("building", "#464646"), ("nature", "#6b8e23"), ("sky", "#4682b4"),
     ("vehicle", "#00008e"), ("human", "#dc143c"), ("object", "#dcdc00")],
)  # fmt: skip
COARSE = _taxonomy(
    "demo-coarse",
    "Demo extra dataset: cars split by size, palette PNGs, holes in buildings, signs unlabelled.",
    [("background", "#000000"), ("road", "#804080"), ("lane-marking", "#ffffff"),
     ("sidewalk", "#f423e8"), ("building", "#464646"), ("tree", "#6b8e23"),
     ("grass", "#98fb98"), ("sky", "#4682b4"), ("car", "#00008e"), ("truck", "#000046"),
     ("pedestrian", "#dc143c"), ("pole", "#999999"), ("traffic-sign", "#dcdc00")],
)  # fmt: skip

# Which extra labels each fine (source) class may appear under: the reference mappings.
CITYLIKE_ROWS = {
    "road": ["road"], "marking": ["road"], "sidewalk": ["sidewalk"], "building": ["building"],
    "vegetation": ["nature"], "terrain": ["nature"], "sky": ["sky", "unlabeled"],
    "car": ["vehicle"], "person": ["human"], "pole": ["object"], "sign": ["object"],
    "void": ["unlabeled"],
}  # fmt: skip
COARSE_ROWS = {
    "road": ["road"], "marking": ["lane-marking"], "sidewalk": ["sidewalk"],
    "building": ["building", "background"], "vegetation": ["tree"], "terrain": ["grass"],
    "sky": ["sky"], "car": ["car", "truck"], "person": ["pedestrian"], "pole": ["pole"],
    "sign": ["traffic-sign", "background"], "void": ["background"],
}  # fmt: skip


def _lut(taxonomy: Taxonomy, fine_to_extra: dict[str, str]) -> np.ndarray:
    lut = np.zeros(256, dtype=np.uint8)
    for fine_name, extra_name in fine_to_extra.items():
        extra = taxonomy.by_name(extra_name)
        assert extra is not None, extra_name
        lut[FINE[fine_name]] = extra.id
    return lut


CITYLIKE_LUT = _lut(
    CITYLIKE,
    {"road": "road", "marking": "road", "sidewalk": "sidewalk", "building": "building",
     "vegetation": "nature", "terrain": "nature", "sky": "unlabeled", "car": "vehicle",
     "person": "human", "pole": "object", "sign": "object"},
)  # fmt: skip
COARSE_LUT = _lut(
    COARSE,
    {"road": "road", "marking": "lane-marking", "sidewalk": "sidewalk", "building": "building",
     "vegetation": "tree", "terrain": "grass", "sky": "sky", "car": "car", "person": "pedestrian",
     "pole": "pole", "sign": "background"},
)  # fmt: skip


def to_citylike(fine: np.ndarray, _rng: np.random.Generator) -> np.ndarray:
    return CITYLIKE_LUT[fine]


def to_coarse(fine: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Coarse labels: cars wider than a third of the frame height become trucks; holes."""
    out = COARSE_LUT[fine]
    cars = fine == FINE["car"]
    if cars.any():
        cols = np.flatnonzero(cars.any(axis=0))
        runs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
        for run in runs:
            if len(run) > fine.shape[0] // 3:
                block = cars[:, run[0] : run[-1] + 1]
                out[:, run[0] : run[-1] + 1][block] = COARSE.by_name("truck").id  # type: ignore[union-attr]
    building = np.argwhere(fine == FINE["building"])
    for _ in range(3 if len(building) else 0):
        y, x = building[rng.integers(len(building))]
        out[max(0, y - 4) : y + 4, max(0, x - 6) : x + 6][
            fine[max(0, y - 4) : y + 4, max(0, x - 6) : x + 6] == FINE["building"]
        ] = 0
    return out


def _mapping(extra: Taxonomy, rows: dict[str, list[str]]) -> Mapping:
    return Mapping(
        extra_taxonomy=extra.name,
        source_taxonomy=FINE_TAXONOMY.name,
        rows=tuple(
            MappingRow(
                source_id=VOID_ID if name == "void" else FINE[name],
                source_name=name,
                extra_labels=tuple(labels),
            )
            for name, labels in rows.items()
        ),
    )


@dataclass(frozen=True)
class DemoDataset:
    name: str
    taxonomy: Taxonomy
    encoding: LabelEncoding
    seed: int
    convert: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None
    mapping_rows: dict[str, list[str]] | None


DATASETS = (
    DemoDataset("demo-source", FINE_TAXONOMY, "id", 1000, None, None),
    DemoDataset("demo-citylike", CITYLIKE, "color", 2000, to_citylike, CITYLIKE_ROWS),
    DemoDataset("demo-coarse", COARSE, "palette", 3000, to_coarse, COARSE_ROWS),
)


def _save_label(path: Path, ids: np.ndarray, spec: DemoDataset) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    colours = np.array([parse_color(c.color or "#000000") for c in spec.taxonomy], dtype=np.uint8)
    if spec.encoding == "color":
        Image.fromarray(colours[ids]).save(path)
    elif spec.encoding == "palette":
        image = Image.fromarray(ids, mode="L").convert("P")
        palette = np.zeros((256, 3), dtype=np.uint8)
        palette[: len(colours)] = colours
        image.putpalette(palette.ravel().tolist())
        image.save(path)
    else:
        Image.fromarray(ids).save(path)


def write_dataset(root: Path, spec: DemoDataset, frames: int, size: tuple[int, int]) -> None:
    """Images, labels (in the dataset's own taxonomy/encoding) and hidden fine truth."""
    width, height = size
    per_stream = max(1, frames // (len(SEQUENCES) * len(CAMERAS)))
    for s, sequence in enumerate(SEQUENCES):
        scene = make_scene(spec.seed + s, width + CAMERA_SHIFT, height)
        for t in range(per_stream):
            for c, camera in enumerate(CAMERAS):
                seed = spec.seed * 1000 + s * 100 + t * 2 + c
                rgb, fine = render_frame(scene, t, c, width, seed)
                rel = f"{sequence}/{camera}/{t:04d}.png"
                (root / "images" / rel).parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(rgb).save(root / "images" / rel)
                if spec.convert is None:
                    _save_label(root / "labels" / rel, fine, spec)
                    continue
                extra = spec.convert(fine, np.random.default_rng(seed))
                _save_label(root / "labels" / rel, extra, spec)
                (root / "ground_truth" / rel).parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(fine).save(root / "ground_truth" / rel)


def write_catalog(folder: Path) -> None:
    """labels.csv per taxonomy and master_labels_demo-fine.csv per extra dataset."""
    for spec in DATASETS:
        target = folder / spec.taxonomy.name
        target.mkdir(parents=True, exist_ok=True)
        (target / "labels.csv").write_text(write_labels_csv(spec.taxonomy), encoding="utf-8")
        if spec.mapping_rows is not None:
            csv_text = write_mapping_csv(_mapping(spec.taxonomy, spec.mapping_rows))
            (target / f"master_labels_{FINE_TAXONOMY.name}.csv").write_text(csv_text, "utf-8")


def generate(settings: Settings, frames: int, size: tuple[int, int]) -> bool:
    """Write the demo files under ``settings.demo_root``; False when already there."""
    root = settings.demo_root
    manifest = root / "manifest.json"
    wanted = {"version": DEMO_VERSION, "frames": frames, "size": list(size)}
    if manifest.is_file() and json.loads(manifest.read_text()) == wanted:
        return False
    for spec in DATASETS:
        write_dataset(root / spec.name, spec, frames, size)
    write_catalog(root / "ontologies")
    manifest.write_text(json.dumps(wanted))
    return True


def _load_ontologies(settings: Settings, session: Session) -> list[str]:
    """Read the written catalog back with the reference readers and load what is missing."""
    from ontolabel.mappings import repository as mapping_repository
    from ontolabel.mappings import service as mapping_service
    from ontolabel.taxonomies import repository as taxonomy_repository
    from ontolabel.taxonomies import service as taxonomy_service

    folder = settings.demo_root / "ontologies"
    created = []
    for spec in DATASETS:
        name = spec.taxonomy.name
        text = (folder / name / "labels.csv").read_text(encoding="utf-8")
        taxonomy = read_labels_csv(text, name=name, source=f"{name}/labels.csv")
        taxonomy = Taxonomy(
            name=name, classes=taxonomy.classes, description=spec.taxonomy.description
        )
        if taxonomy_repository.get_taxonomy_by_name(session, name) is None:
            taxonomy_service.create_taxonomy(
                session,
                taxonomy,
                kind="extra" if spec.mapping_rows is not None else "source",
                user=DEMO_USER,
            )
            created.append(f"taxonomy {name}")
    for spec in DATASETS:
        if spec.mapping_rows is None:
            continue
        name = f"{spec.taxonomy.name} → {FINE_TAXONOMY.name}"
        if mapping_repository.get_mapping_by_name(session, name) is not None:
            continue
        path = folder / spec.taxonomy.name / f"master_labels_{FINE_TAXONOMY.name}.csv"
        parsed = read_mapping_csv(
            path.read_text(encoding="utf-8"),
            extra_taxonomy=spec.taxonomy.name,
            source_taxonomy=FINE_TAXONOMY.name,
            source=path.name,
        )
        mapping_service.create_mapping(
            session,
            name=name,
            extra_taxonomy=spec.taxonomy.name,
            source_taxonomy=FINE_TAXONOMY.name,
            rows=parsed.mapping.rows,
            message="demo",
            user=DEMO_USER,
        )
        created.append(f"mapping {name}")
    return created


def install_demo(
    settings: Settings,
    *,
    frames_per_dataset: int | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    echo: Callable[[str], object] = print,
) -> str:
    """Generate, load, register and index the demo world; a rerun only re-checks."""
    from ontolabel.datasets import repository as dataset_repository
    from ontolabel.datasets import service as dataset_service
    from ontolabel.datasets.schemas import DatasetCreate
    from ontolabel.jobs.runner import run_job_inline, session_factory_for

    frames = frames_per_dataset or DEFAULT_FRAMES
    wrote = generate(settings, frames, size)
    echo(f"demo files {'written' if wrote else 'already present'} under {settings.demo_root}")
    factory = session_factory_for(settings)
    with session_scope(factory) as session:
        created = _load_ontologies(settings, session)
        ids: list[int | None] = []
        for spec in DATASETS:
            record = dataset_repository.get_dataset_by_name(session, spec.name)
            if record is None:
                record = dataset_service.register_dataset(
                    session,
                    settings,
                    DatasetCreate(
                        name=spec.name,
                        root=str(settings.demo_root / spec.name),
                        taxonomy=spec.taxonomy.name,
                        preset="generic",
                        image_glob="images/**/*.png",
                        image_regex=FRAME_REGEX,
                        label_regex=FRAME_REGEX,
                        label_encoding=spec.encoding,
                        description=spec.taxonomy.description,
                    ),
                    DEMO_USER,
                )
                created.append(f"dataset {spec.name}")
            # The demo's files never change once written: an indexed dataset is left alone
            # (one whose index never finished has no ``indexed_at`` and is indexed again).
            ids.append(None if record.indexed_at is not None else record.id)
    for line in created:
        echo(f"created {line}")
    statuses = []
    for dataset_id, spec in zip(ids, DATASETS, strict=True):
        if dataset_id is None:
            statuses.append(f"{spec.name}: already indexed")
            echo(statuses[-1])
            continue
        with session_scope(factory) as session:
            job_id = dataset_service.start_index(session, settings, dataset_id, "demo")
        status = run_job_inline(settings, job_id)
        statuses.append(f"{spec.name}: index job {job_id} {status}")
        echo(statuses[-1])
    return "demo ready: " + "; ".join(statuses)


TEACHER_NAME = "demo-teacher"
TEACHER_SECONDS = 180


def teacher_params(root: Path, taxonomy_id: int, seconds: float) -> TrainParams:
    """A small SegFormer from scratch on ``root``'s images and labels for ``seconds``.

    The paper's rates (1e-5 for the encoder, a warm-up epoch) fine-tune pretrained weights;
    random weights in a CPU budget get one higher, constant rate for every layer.
    """
    return TrainParams(
        taxonomy_id=taxonomy_id,
        data=[TrainData(images_dir=str(root / "images"), labels_dir=str(root / "labels"))],
        model=StudentModel(preset="segformer-tiny"),
        augment=AugmentSettings(crop=128),
        optim=OptimSettings(lr=1e-3, encoder_lr=None, schedule="constant", warmup_epochs=0),
        steps=100_000,
        max_seconds=seconds,
        batch_size=8,
        register_as=TEACHER_NAME,
    )


def queue_teacher(settings: Settings, *, seconds: int = TEACHER_SECONDS) -> str:
    """Queue, once, a ``train`` job that fits a small teacher on ``demo-source``.

    The job registers the model as ``demo-teacher`` when it finishes, so the frame view's
    preview works on the demo without weights from anywhere. It is only queued here: the
    server's embedded runner (or a worker) runs it, in the background, in ``seconds``.
    With a broker configured it is sent to the workers once committed (no server may be
    running to pick it up).
    """
    from ontolabel.jobs import dispatch
    from ontolabel.jobs.runner import session_factory_for

    factory = session_factory_for(settings)
    sender = dispatch.CeleryDispatcher(settings) if settings.redis_url else None
    try:
        return _queue_teacher_once(settings, factory, seconds, sender)
    finally:
        if sender is not None:
            sender.close()


def _queue_teacher_once(
    settings: Settings,
    factory: sessionmaker[Session],
    seconds: int,
    sender: Dispatcher | None,
) -> str:
    from sqlalchemy import select

    from ontolabel.jobs import service as job_service
    from ontolabel.jobs.tables import Job
    from ontolabel.models.service import find_model
    from ontolabel.taxonomies.repository import get_taxonomy_by_name

    with session_scope(factory) as session:
        if find_model(session, TEACHER_NAME) is not None:
            return f"teacher {TEACHER_NAME} already registered"
        trains = session.scalars(
            select(Job).where(Job.kind == "train", Job.status.in_(("queued", "running")))
        ).all()
        pending = [j.id for j in trains if j.params.get("register_as") == TEACHER_NAME]
        if pending:
            return f"teacher job {pending[0]} already queued"
        source = get_taxonomy_by_name(session, FINE_TAXONOMY.name)
        if source is None:
            raise LookupError(f"taxonomy {FINE_TAXONOMY.name} missing: run install_demo first")
        params = teacher_params(settings.demo_root / "demo-source", source.id, seconds)
        job = job_service.create_job(session, settings, params, DEMO_USER.name, dispatcher=sender)
        job_id = job.id
    return f"teacher job {job_id} queued ({seconds} s of training once a runner picks it up)"
