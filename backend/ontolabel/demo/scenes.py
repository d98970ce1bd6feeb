"""Synthetic street scenes: a fine label map and a textured RGB image, deterministic by seed.

Every class has its own colour and texture (windows on buildings, noisy foliage, brick
lines on sidewalks, a sky gradient) so a tiny model learns them on CPU in minutes.
A *sequence* is one scene whose cars and people move from frame to frame; two cameras
see it through windows shifted sideways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ontolabel.domain.taxonomy import Taxonomy, TaxonomyClass

FINE_CLASSES = (
    ("road", "#804080"),
    ("marking", "#ffffff"),
    ("sidewalk", "#f423e8"),
    ("building", "#464646"),
    ("vegetation", "#6b8e23"),
    ("terrain", "#98fb98"),
    ("sky", "#4682b4"),
    ("car", "#00008e"),
    ("person", "#dc143c"),
    ("pole", "#999999"),
    ("sign", "#dcdc00"),
)
FINE = {name: i for i, (name, _color) in enumerate(FINE_CLASSES)}
FINE_TAXONOMY = Taxonomy(
    name="demo-fine",
    description="Synthetic street scenes: the demo's source taxonomy.",
    classes=tuple(
        TaxonomyClass(id=i, name=n, train_id=i, color=c) for i, (n, c) in enumerate(FINE_CLASSES)
    ),
)
CAMERA_SHIFT = 24
"""Pixels between the two cameras' windows onto a scene."""

_BASE = {
    "road": (88, 88, 94),
    "marking": (232, 232, 228),
    "sidewalk": (176, 150, 160),
    "building": (124, 100, 88),
    "vegetation": (58, 132, 48),
    "terrain": (152, 172, 92),
    "sky": (120, 170, 226),
    "car": (178, 32, 40),
    "person": (236, 196, 40),
    "pole": (150, 150, 150),
    "sign": (40, 60, 220),
}
_NOISE = {"road": 8, "vegetation": 26, "terrain": 12, "building": 6, "sky": 3}


@dataclass(frozen=True)
class Thing:
    """A moving box: class, left x, bottom y, width, height, speed in px per frame."""

    cls: str
    x: int
    bottom: int
    w: int
    h: int
    speed: int


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    horizon: int
    buildings: tuple[tuple[int, int, int], ...]  # x0, x1, top
    trees: tuple[tuple[int, int, int], ...]  # cx, cy, r
    poles: tuple[tuple[int, int], ...]  # x, top
    things: tuple[Thing, ...]
    tint: tuple[int, int, int]


def make_scene(seed: int, width: int, height: int) -> Scene:
    """Random scene parameters for a canvas ``width`` wide (both cameras fit in it)."""
    rng = np.random.default_rng(seed)
    horizon = int(height * rng.uniform(0.4, 0.5))
    buildings, x = [], 0
    while x < width:
        w = int(rng.integers(width // 12, width // 5))
        if rng.random() < 0.8:
            buildings.append((x, x + w, int(rng.integers(height // 12, horizon - 6))))
        x += w + int(rng.integers(0, width // 20))
    trees = tuple(
        (int(rng.integers(0, width)), horizon - int(rng.integers(0, 6)), int(rng.integers(6, 14)))
        for _ in range(int(rng.integers(1, 4)))
    )
    poles = tuple(
        (int(rng.integers(4, width - 4)), int(rng.integers(height // 6, horizon - 4)))
        for _ in range(int(rng.integers(1, 3)))
    )
    things: list[Thing] = []
    for _ in range(int(rng.integers(1, 4))):
        h = int(rng.integers(height // 9, height // 6))
        things.append(
            Thing(
                "car",
                int(rng.integers(0, width)),
                int(rng.integers(horizon + h, height - 2)),
                int(h * rng.uniform(1.6, 2.6)),
                h,
                int(rng.integers(-4, 5)),
            )
        )
    for _ in range(int(rng.integers(0, 3))):
        h = int(rng.integers(height // 8, height // 5))
        things.append(
            Thing("person", int(rng.integers(0, width)), horizon + h // 2 + 6, max(3, h // 4), h,
                  int(rng.integers(-2, 3)))
        )  # fmt: skip
    tint = tuple(int(v) for v in rng.integers(-12, 13, size=3))
    return Scene(width, height, horizon, tuple(buildings), trees, poles, tuple(things), tint)  # type: ignore[arg-type]


def render_labels(scene: Scene, t: int) -> np.ndarray:
    """The fine label map of ``scene`` at frame ``t`` (uint8, height x width)."""
    h, w = scene.height, scene.width
    ids = np.full((h, w), FINE["sky"], dtype=np.uint8)
    ys, xs = np.mgrid[0:h, 0:w]
    for x0, x1, top in scene.buildings:
        ids[top : scene.horizon, x0:x1] = FINE["building"]
    for cx, cy, r in scene.trees:
        ids[(xs - cx) ** 2 + (ys - cy) ** 2 <= r * r] = FINE["vegetation"]
    ground = ys >= scene.horizon
    depth = (ys - scene.horizon) / max(1, h - scene.horizon)
    centre = w / 2
    road_half = w * (0.06 + 0.5 * depth)
    walk_half = road_half + w * (0.03 + 0.12 * depth)
    ids[ground] = FINE["terrain"]
    ids[ground & (np.abs(xs - centre) < walk_half)] = FINE["sidewalk"]
    ids[ground & (np.abs(xs - centre) < road_half)] = FINE["road"]
    dash = ((ys + 3 * t) // 6) % 2 == 0
    ids[ground & (np.abs(xs - centre) < 1 + 2 * depth) & dash] = FINE["marking"]
    for x, top in scene.poles:
        ids[top : scene.horizon + 8, x : x + 2] = FINE["pole"]
        ids[top : top + 6, x - 3 : x + 5] = FINE["sign"]
    for thing in scene.things:
        x0 = (thing.x + thing.speed * t) % (w + thing.w) - thing.w
        y0 = thing.bottom - thing.h
        ids[max(0, y0) : thing.bottom, max(0, x0) : max(0, x0 + thing.w)] = FINE[thing.cls]
    return ids


def render_image(scene: Scene, ids: np.ndarray, seed: int) -> np.ndarray:
    """A textured RGB image for the label map (class colour + class texture + noise)."""
    rng = np.random.default_rng(seed)
    h, w = ids.shape
    ys, xs = np.mgrid[0:h, 0:w]
    rgb = np.zeros((h, w, 3), dtype=np.float32)
    for name, base in _BASE.items():
        mask = ids == FINE[name]
        if not mask.any():
            continue
        colour = np.array(base, dtype=np.float32) + np.array(scene.tint, dtype=np.float32)
        noise = rng.normal(0, _NOISE.get(name, 4), size=(int(mask.sum()), 1))
        rgb[mask] = colour + noise
    windows = (ids == FINE["building"]) & (xs % 8 < 3) & (ys % 10 < 4)
    rgb[windows] = (60, 70, 90)
    bricks = (ids == FINE["sidewalk"]) & ((ys % 5 == 0) | ((xs + 3 * (ys // 5)) % 9 == 0))
    rgb[bricks] *= 0.8
    sky = ids == FINE["sky"]
    rgb[sky, 2] += (1 - ys[sky] / h) * 30
    glass = (ids == FINE["car"]) & (np.roll(ids, 4, axis=0) != FINE["car"])
    rgb[glass] = (40, 40, 60)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def render_frame(
    scene: Scene, t: int, camera: int, width: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, fine ids) of camera ``camera`` (0 or 1) at frame ``t``, ``width`` wide."""
    ids_full = render_labels(scene, t)
    rgb_full = render_image(scene, ids_full, seed)
    x0 = camera * CAMERA_SHIFT
    return rgb_full[:, x0 : x0 + width], ids_full[:, x0 : x0 + width]
