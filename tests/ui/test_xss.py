"""Every screen renders user-named things as text: markup in a name never runs.

One world is seeded whose every user-visible name is markup (taxonomies, classes, a
mapping and its revision messages, a dataset and its sequences, models, evaluations,
jobs with their log, errors and training curves); then each route of
``frontend/src/screens/index.tsx`` is opened in its own page, its charts hovered so their
tooltips render, and nothing may have run: no ``alert``, no ``window.__xss``, no element
the markup would have made. Where a screen shows a name, the name must be there as text.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from ontolabel.core.db import session_scope
from ontolabel.jobs import repository as jobs
from ontolabel.jobs.tables import TrainEpoch
from playwright.sync_api import expect

from .conftest import shot
from .seed import _ok, finished_job, home_sessions, seed_evaluation, write_dataset_tree

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[2] / "frontend" / "src" / "screens" / "index.tsx"

ALERT = "<img src=x onerror=alert(1)>"
"""The classic: pops a dialog if it ever becomes an element."""
FLAG = '<img src=x onerror="window.__xss=1">'
"""Sets a flag instead, for places where a dialog might be swallowed."""
SCRIPT = "<script>window.__xss=2</script>"
"""Only runs through ``innerHTML``-like paths that keep script text (descriptions, messages)."""
ATTR = '" onmouseover="window.__xss=3" x="'
"""Breaks out of an attribute value if a name is ever pasted into one unquoted-aware."""
NEW_JOB_PICKERS = {
    "evaluate": ("teacher", "dataset", "mapping"),
    "index": ("dataset",),
    "preview": ("teacher", "dataset", "source"),
    "pseudo_label": ("teacher", "dataset", "mapping"),
    "suggest": ("teacher", "dataset", "mapping"),
    "train": ("student", "dataset", "source"),
}
"""Each job kind's form and the seeded names its id pickers offer."""


@dataclass
class World:
    """Ids of the seeded things and the names each screen must show."""

    tag: str
    ids: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


def _named(payload: str, what: str, tag: str) -> str:
    """A unique name that is markup (names are unique across the shared UI server)."""
    return f"{payload} {what}-{tag}"


def _seed_ontology(api: httpx.Client, w: World) -> None:
    t = w.tag
    source_classes = ["road", ALERT, FLAG, "sky"]
    source = _ok(
        api.post(
            "/api/taxonomies",
            json={
                "name": _named(FLAG, "source", t),
                "kind": "source",
                "description": f"{SCRIPT} {ALERT}",
                "classes": [
                    {"id": i, "name": n, "train_id": i, "color": "#804080", "category": ATTR}
                    for i, n in enumerate(source_classes)
                ],
            },
        )
    )
    # Label ids of the seeded dataset's PNGs: 0 road, 2/4 building/tree, 5 sky, 7 tunnel.
    extra_classes = ["road", "sidewalk", ALERT, "wall", FLAG, "sky", "unlabeled", SCRIPT]
    extra = _ok(
        api.post(
            "/api/taxonomies",
            json={
                "name": _named(ALERT, "extra", t),
                "kind": "extra",
                "description": SCRIPT,
                "classes": [{"id": i, "name": n} for i, n in enumerate(extra_classes)],
            },
        )
    )
    rows = [
        {"source_id": 0, "source_name": "road", "extra_labels": ["road"]},
        {"source_id": 1, "source_name": ALERT, "extra_labels": [ALERT, "wall"]},
        {"source_id": 2, "source_name": FLAG, "extra_labels": [FLAG]},
        {"source_id": 3, "source_name": "sky", "extra_labels": ["sky"]},
    ]
    mapping = _ok(
        api.post(
            "/api/mappings",
            json={
                "name": _named(FLAG, "mapping", t),
                "extra_taxonomy": extra["name"],
                "source_taxonomy": source["name"],
                "message": f"{SCRIPT} first",
                "rows": rows,
            },
        )
    )
    rows[3] = {**rows[3], "extra_labels": ["sky", SCRIPT]}
    rows[1] = {**rows[1], "extra_labels": [ALERT]}
    _ok(
        api.put(
            f"/api/mappings/{mapping['id']}",
            json={"base_revision": 1, "message": f"{ALERT} second", "rows": rows},
        )
    )
    w.ids |= {"source": source["id"], "extra": extra["id"], "mapping": mapping["id"]}
    w.names |= {"source": source["name"], "extra": extra["name"], "mapping": mapping["name"]}


def _seed_dataset(api: httpx.Client, w: World, home: Path) -> None:
    """A dataset of the seed's synthetic frames whose first sequence's folder is markup."""
    name = _named(ALERT, "dataset", w.tag)
    root = home / f"xss-{w.tag}"
    write_dataset_tree(root, sequences=2, cameras=1, frames=2)
    for sub in ("images", "labels"):
        (root / sub / "seq0").rename(root / sub / FLAG)
    dataset = _ok(
        api.post(
            "/api/datasets",
            json={
                "name": name,
                "root": str(root),
                "taxonomy": w.names["extra"],
                "preset": "generic",
                "image_regex": r"images/(?P<sequence>[^/]+)/(?P<camera>[^_]+)_(?P<frame>\d+)\.png",
                "label_regex": r"labels/(?P<sequence>[^/]+)/(?P<camera>[^_]+)_(?P<frame>\d+)\.png",
                "description": SCRIPT,
            },
        )
    )
    job_id = _ok(api.post(f"/api/datasets/{dataset['id']}/index"))["job_id"]
    _wait_for(api, job_id)
    frames = _ok(api.get(f"/api/datasets/{dataset['id']}/frames"))["items"]
    marked = next(f for f in frames if f["sequence"] == FLAG)
    w.ids |= {"dataset": dataset["id"], "frame": marked["id"], "index_job": job_id}
    w.names["dataset"] = name


def _wait_for(api: httpx.Client, job_id: int) -> None:
    deadline = time.monotonic() + 60
    while (job := _ok(api.get(f"/api/jobs/{job_id}")))["status"] not in {"succeeded", "failed"}:
        assert time.monotonic() < deadline, f"job did not finish: {job}"
        time.sleep(0.1)
    assert job["status"] == "succeeded", job


def _model(api: httpx.Client, name: str, taxonomy_id: int, job_id: int | None = None) -> int:
    details = {"note": SCRIPT} | ({} if job_id is None else {"trained_by_job": job_id})
    body = {"name": name, "taxonomy_id": taxonomy_id, "kind": "hub", "path": "demo/xss"}
    return int(_ok(api.post("/api/models", json={**body, "details": details}))["id"])


def _seed_training(api: httpx.Client, w: World, home: Path) -> None:
    """A teacher, a pseudo-label job, a student's train job (with epochs whose validation
    set and draws are named as markup), evaluations of both, and a failed job whose log,
    error and per-frame error are markup."""
    factory = home_sessions(home)
    t, taxonomy = w.tag, w.ids["source"]
    teacher_name, student_name = _named(ALERT, "teacher", t), _named(FLAG, "student", t)
    teacher = _model(api, teacher_name, taxonomy)
    label_job = finished_job(
        factory,
        "pseudo_label",
        {
            "model": {"id": teacher},
            "mapping": {"mapping_id": w.ids["mapping"], "revision": 2},
            "images_dir": f"/data/{ALERT}/images",
            "priors": True,
        },
        {"frames": 4, "note": FLAG},
    )
    train_params = {
        "taxonomy_id": taxonomy,
        "register_as": student_name,
        "data": [{"pseudo_label_job": label_job, "weight": 0.5}],
    }
    train_job = finished_job(factory, "train", train_params, {})
    student = _model(api, student_name, taxonomy, train_job)
    with session_scope(factory) as session:
        job = jobs.get_job(session, train_job)
        assert job is not None
        job.outputs = {"model_id": student}
        for epoch in range(3):
            jobs.record_train_epoch(
                session,
                TrainEpoch(
                    job_id=train_job,
                    epoch=epoch,
                    phase="train",
                    step=10 * (epoch + 1),
                    loss=1.0 / (epoch + 1),
                    lrs={ALERT: 1e-4, "head": 1e-3},
                    val={FLAG: {"miou": 0.4 + 0.1 * epoch, "per_class": {ALERT: 0.5}}},
                    fitness=0.4 + 0.1 * epoch,
                    improved=True,
                    draws={w.names["dataset"]: 8},
                    seconds=5.0 * (epoch + 1),
                    time=datetime.now(UTC),
                ),
            )
        failed = jobs.add_job(session, "ui_demo", {"units": 1, "bad_units": [0]}, FLAG)
        jobs.append_event(session, failed.id, "info", f"{SCRIPT} {ALERT}")
        jobs.record_frame_error(session, failed.id, f"{FLAG}/frame.png", ALERT)
        jobs.finalize_job(session, failed.id, "failed", error=f"{ALERT} broke")
        failed_id = failed.id
    classes = ["road", ALERT, FLAG, "sky"]
    evaluation = seed_evaluation(factory, classes, 0.8, student, train_job)
    other = seed_evaluation(factory, classes, 0.6, teacher)
    w.ids |= {
        "teacher": teacher,
        "student": student,
        "label_job": label_job,
        "train_job": train_job,
        "failed_job": failed_id,
        "evaluation": evaluation["id"],
        "other_evaluation": other["id"],
    }
    w.names |= {"teacher": teacher_name, "student": student_name}


@pytest.fixture(scope="module")
def world(api: httpx.Client, ui_home: Path) -> World:
    w = World(tag=uuid.uuid4().hex[:6])
    _seed_ontology(api, w)
    _seed_dataset(api, w, ui_home)
    _seed_training(api, w, ui_home)
    return w


@dataclass(frozen=True)
class Screen:
    """A route to open and the seeded names it must show as text."""

    route: Callable[[World], str]
    shows: Callable[[World], list[str]] = lambda w: []
    charts: int = 0
    """How many echarts canvases the screen draws (each is hovered)."""
    tooltip_shows: str | None = None
    """A name some chart's tooltip must show once hovered."""
    alerts: list[str | re.Pattern[str]] = field(default_factory=list)
    """Error boxes the screen shows (a failed job's error), waited for."""


SCREENS_BY_ID: dict[str, Screen] = {
    "taxonomies": Screen(lambda w: "taxonomies", lambda w: [w.names["source"], w.names["extra"]]),
    "taxonomy-source": Screen(
        lambda w: f"taxonomies/{w.ids['source']}", lambda w: [w.names["source"], ALERT, FLAG]
    ),
    "taxonomy-extra": Screen(
        lambda w: f"taxonomies/{w.ids['extra']}", lambda w: [w.names["extra"], ALERT, SCRIPT]
    ),
    "mappings": Screen(lambda w: "mappings", lambda w: [w.names["mapping"]]),
    "mapping-edit": Screen(
        lambda w: f"mappings/{w.ids['mapping']}", lambda w: [w.names["mapping"], ALERT, SCRIPT]
    ),
    "mapping-history": Screen(
        lambda w: f"mappings/{w.ids['mapping']}?tab=history&from=1&to=2",
        lambda w: [f"{ALERT} second", f"{SCRIPT} first", SCRIPT, "wall"],
    ),
    "datasets": Screen(lambda w: "datasets", lambda w: [w.names["dataset"]]),
    "dataset-frames": Screen(
        lambda w: f"datasets/{w.ids['dataset']}", lambda w: [w.names["dataset"], FLAG]
    ),
    "dataset-occurrence": Screen(
        lambda w: f"datasets/{w.ids['dataset']}?tab=occurrence",
        lambda w: [w.names["dataset"], ALERT, FLAG],
    ),
    "frame": Screen(
        lambda w: f"frames/{w.ids['frame']}",
        lambda w: [w.names["dataset"], FLAG, ALERT, w.names["student"]],
        alerts=[re.compile("no cached teacher probabilities")],
    ),
    "jobs": Screen(lambda w: "jobs", lambda w: [f"{ALERT} broke", FLAG]),
    "job-failed": Screen(
        lambda w: f"jobs/{w.ids['failed_job']}",
        lambda w: [f"{SCRIPT} {ALERT}", f"{FLAG}/frame.png"],
        alerts=[f"{ALERT} broke"],
    ),
    "job-train": Screen(
        lambda w: f"jobs/{w.ids['train_job']}",
        lambda w: [w.names["student"]],
        charts=3,
        tooltip_shows=FLAG,
    ),
    "job-pseudo-label": Screen(
        lambda w: f"jobs/{w.ids['label_job']}", lambda w: [f"/data/{ALERT}/images", FLAG]
    ),
    **{
        f"new-job-{kind}": Screen(
            lambda w, kind=kind: (
                f"jobs/new?kind={kind}&model_id={w.ids['teacher']}&dataset_id={w.ids['dataset']}"
                f"&mapping_id={w.ids['mapping']}&taxonomy_id={w.ids['source']}"
            ),
            lambda w, pickers=pickers: [w.names[p] for p in pickers],
        )
        for kind, pickers in NEW_JOB_PICKERS.items()
    },
    "models": Screen(lambda w: "models", lambda w: [w.names["teacher"], w.names["student"]]),
    "model": Screen(lambda w: f"models/{w.ids['student']}", lambda w: [w.names["student"]]),
    "evaluations": Screen(
        lambda w: "evaluations", lambda w: [w.names["teacher"], w.names["student"]]
    ),
    "evaluation": Screen(
        lambda w: f"evaluations/{w.ids['evaluation']}",
        lambda w: [ALERT, FLAG],
        charts=2,
        tooltip_shows=ALERT,
    ),
    "evaluations-compare": Screen(
        lambda w: f"evaluations/compare?ids={w.ids['evaluation']},{w.ids['other_evaluation']}",
        lambda w: [ALERT, FLAG],
        charts=3,
        tooltip_shows=ALERT,
    ),
    "training-rounds": Screen(
        lambda w: "training", lambda w: [w.names["teacher"], w.names["student"]]
    ),
    "training-compare": Screen(
        lambda w: f"training/compare?jobs={w.ids['train_job']}",
        lambda w: [w.names["student"]],
        charts=2,
        tooltip_shows=FLAG,
    ),
}


def _hover(page: Any, chart: Any) -> str:
    """Moves over a chart's plot area at a few points; the text its tooltips showed."""
    box = chart.bounding_box()
    seen = []
    for fx, fy in ((0.3, 0.3), (0.5, 0.5), (0.2, 0.2), (0.6, 0.4), (0.4, 0.6), (0.8, 0.5)):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(60)
        seen.append(chart.inner_text())
    return "\n".join(seen)


@pytest.fixture
def watched(page: Any) -> Iterator[tuple[Any, list[str]]]:
    """The page, with every dialog it opens recorded (and dismissed)."""
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page, dialogs


@pytest.mark.parametrize("screen", list(SCREENS_BY_ID))
def test_markup_in_names_stays_text(
    screen: str, world: World, watched: tuple[Any, list[str]]
) -> None:
    # given: the world whose names are markup
    page, dialogs = watched
    spec = SCREENS_BY_ID[screen]
    # when: the screen opens
    page.goto(f"/#/{spec.route(world)}")
    main = page.locator("main")
    expect(main.locator(".loading")).to_have_count(0)
    if spec.alerts:
        expect(main.get_by_role("alert")).to_have_text(spec.alerts)
    # then: each name it shows is there as text
    for name in spec.shows(world):
        expect(main).to_contain_text(name)
    charts = main.locator(".chart")
    if spec.charts:
        expect(charts).to_have_count(spec.charts)
        for chart in charts.all():
            expect(chart.locator("canvas").first).to_be_visible()
    tooltips = "\n".join(_hover(page, chart) for chart in charts.all())
    if spec.tooltip_shows:
        assert spec.tooltip_shows in tooltips
    shot(page, f"xss-{screen}")
    # and: nothing the markup would have made exists or ran
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("[onmouseover], [onerror], [onload]").count() == 0
    scripts = page.evaluate("[...document.scripts].map((s) => s.text).join('\\n')")
    assert "__xss" not in scripts
    page.wait_for_timeout(50)  # an ``onerror`` would fire once ``x`` failed to load
    assert dialogs == []
    assert page.evaluate("window.__xss") is None


def test_every_route_of_the_app_is_visited() -> None:
    """A screen added to ``screens/index.tsx`` must be added here too."""
    source = SCREENS.read_text()
    sections = set(re.findall(r'case "(\w+)":', source))
    subroutes = set(re.findall(r'route\.parts\[1\] === "(\w+)"', source))
    visited = {s.route(_ANY).split("?")[0] for s in SCREENS_BY_ID.values()}
    for section in sections:
        assert any(v.split("/")[0] == section for v in visited), section
    for sub in subroutes:
        assert any(v.split("/")[1:2] == [sub] for v in visited), sub
    schemas = json.loads((SCREENS.parents[1] / "api" / "jobSchemas.json").read_text())
    assert set(NEW_JOB_PICKERS) == set(schemas), "a job form per kind"


_ANY = World(tag="any", ids={k: 1 for k in (
    "source", "extra", "mapping", "dataset", "frame", "failed_job", "train_job", "label_job",
    "teacher", "student", "evaluation", "other_evaluation",
)})  # fmt: skip
