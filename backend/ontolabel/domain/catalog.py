"""The shipped catalog (``ontologies/``) and its conversion from the reference CSVs.

Layout: ``taxonomies/<name>.yaml`` and ``mappings/<extra>__<source>.yaml`` in the native
format, plus ``LICENSE-data-priors``. Converted files keep the reference text verbatim
(mistakes included) so ``convert-reference`` is reproducible and the round trip exact;
``docs/reference-lint.md`` lists what lint finds in them (see ``docs/ontologies.md``).

Regenerate with ``ontolabel convert-reference SRC DST`` where SRC is the ``data-priors``
folder.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ontolabel.domain.formats import FormatError, decode_text
from ontolabel.domain.formats.native import dump_mapping, dump_taxonomy, load_mapping, load_taxonomy
from ontolabel.domain.formats.reference import ParsedMapping, read_labels_csv, read_mapping_csv
from ontolabel.domain.lint import (
    Finding,
    lint_mapping,
    lint_source_consistency,
    suggestion_hint,
)
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import Taxonomy

LICENSE_FILE = "LICENSE-data-priors"

SOURCE_NAMES: dict[str, str] = {
    "cityscapes": "cityscapes-19",
    "mapillary": "mapillary-63",
    "mapillary_test": "mapillary-65",
    "offroad": "offroad-34",
    "": "master-20",
    "old": "master-20",
    "coco": "coco-133",
}
"""Reference file suffix (``master_labels_<suffix>.csv``) → source taxonomy name.

Source taxonomies get their class count in the name: the extra taxonomies
``cityscapes`` and ``coco`` (their ``labels.csv``) are different label spaces.
"""


@dataclass(frozen=True)
class CatalogMapping:
    """One shipped mapping; ``name`` is its file stem, unique in the catalog."""

    name: str
    extra_taxonomy: str
    source_taxonomy: str
    mapping: Mapping


@dataclass(frozen=True)
class Catalog:
    taxonomies: dict[str, Taxonomy]
    mappings: list[CatalogMapping]


def load_catalog(root: Path) -> Catalog:
    """Parse every taxonomy and mapping under ``root``; names must match and resolve."""
    taxonomies: dict[str, Taxonomy] = {}
    for path in sorted((root / "taxonomies").glob("*.yaml")):
        taxonomy = load_taxonomy(decode_text(path.read_bytes(), source=str(path)), source=str(path))
        if taxonomy.name != path.stem:
            raise FormatError(
                f"taxonomy is named {taxonomy.name!r}; the file must be named {taxonomy.name}.yaml",
                file=str(path),
                field="name",
            )
        taxonomies[taxonomy.name] = taxonomy
    mappings: list[CatalogMapping] = []
    for path in sorted((root / "mappings").glob("*.yaml")):
        mapping = load_mapping(decode_text(path.read_bytes(), source=str(path)), source=str(path))
        for field in ("extra_taxonomy", "source_taxonomy"):
            name = getattr(mapping, field)
            if name not in taxonomies:
                raise FormatError(
                    f"{field} {name!r} is not in {root / 'taxonomies'}",
                    file=str(path),
                    field=field,
                )
        mappings.append(
            CatalogMapping(path.stem, mapping.extra_taxonomy, mapping.source_taxonomy, mapping)
        )
    return Catalog(taxonomies=taxonomies, mappings=mappings)


# --- conversion from the reference ------------------------------------------------------


def dataset_taxonomy_name(folder: str, labels_file: str = "labels.csv") -> str:
    """``road_lane_segmentation`` + ``labels_old.csv`` → ``road-lane-segmentation-old``."""
    name = folder.lower().replace("_", "-")
    return f"{name}-old" if labels_file == "labels_old.csv" else name


@dataclass(frozen=True)
class ReferenceMapping:
    """One reference mapping file, parsed, with the taxonomies it names."""

    path: Path
    relative: str
    name: str
    extra: Taxonomy
    parsed: ParsedMapping


def _read(path: Path) -> str:
    return decode_text(path.read_bytes(), source=str(path))


def read_reference(src: Path) -> tuple[dict[str, tuple[str, Taxonomy]], list[ReferenceMapping]]:
    """All reference taxonomies (name → (relative path, taxonomy)) and mappings under ``src``."""
    datasets = src / "datasets"
    taxonomies: dict[str, tuple[str, Taxonomy]] = {}
    for path in sorted(datasets.glob("*/lists/labels*.csv")):
        name = dataset_taxonomy_name(path.parent.parent.name, path.name)
        rel = str(path.relative_to(src))
        taxonomies[name] = (rel, read_labels_csv(_read(path), name=name, source=rel))
    mappings: list[ReferenceMapping] = []
    for path in sorted(datasets.glob("*/lists/master_labels*.csv")):
        suffix = path.stem.removeprefix("master_labels").lstrip("_")
        if suffix not in SOURCE_NAMES:
            raise FormatError(
                f"no source taxonomy is known for master_labels_{suffix}; add it to SOURCE_NAMES",
                file=str(path),
            )
        extra_name = dataset_taxonomy_name(
            path.parent.parent.name, "labels_old.csv" if suffix == "old" else "labels.csv"
        )
        source_name = SOURCE_NAMES[suffix]
        rel = str(path.relative_to(src))
        parsed = read_mapping_csv(
            _read(path), extra_taxonomy=extra_name, source_taxonomy=source_name, source=rel
        )
        mappings.append(
            ReferenceMapping(
                path=path,
                relative=rel,
                name=f"{extra_name}__{source_name}",
                extra=taxonomies[extra_name][1],
                parsed=parsed,
            )
        )
    return taxonomies, mappings


def _header(origin: str) -> str:
    return (
        f"# Converted from data-priors/{origin} (mapping cells verbatim) by\n"
        "# `ontolabel convert-reference`; do not edit by hand.\n"
        "# Copyright (c) 2023, UniBwTAS. BSD 3-Clause License: see LICENSE-data-priors.\n"
    )


def convert_reference(src: Path, dst: Path) -> list[Path]:
    """Write the catalog for the reference at ``src`` into ``dst``; returns the files written.

    Source taxonomies come from the mappings' first two columns; every mapping of one
    source must agree on them (else a :class:`FormatError` names the disagreeing file).
    """
    taxonomies, mappings = read_reference(src)
    sources: dict[str, tuple[str, list[str], Taxonomy]] = {}
    for m in mappings:
        name = m.parsed.mapping.source_taxonomy
        known = sources.get(name)
        if known is None:
            sources[name] = (m.relative, [m.relative], m.parsed.source)
        elif [(c.id, c.name) for c in known[2]] != [(c.id, c.name) for c in m.parsed.source]:
            raise FormatError(
                f"source classes differ from {known[0]} (both claim {name!r})", file=m.relative
            )
        else:
            known[1].append(m.relative)
    written: list[Path] = []
    (dst / "taxonomies").mkdir(parents=True, exist_ok=True)
    (dst / "mappings").mkdir(parents=True, exist_ok=True)
    for name, (rel, taxonomy) in sorted(taxonomies.items()):
        path = dst / "taxonomies" / f"{name}.yaml"
        path.write_text(_header(rel) + dump_taxonomy(taxonomy), encoding="utf-8")
        written.append(path)
    for name, (_, files, taxonomy) in sorted(sources.items()):
        described = Taxonomy(
            name=name,
            classes=taxonomy.classes,
            description=(
                f"Source label space of {len(files)} reference mapping file(s), read from their "
                f"first two columns (void row excluded), e.g. {files[0]}"
            ),
        )
        path = dst / "taxonomies" / f"{name}.yaml"
        path.write_text(_header(files[0]) + dump_taxonomy(described), encoding="utf-8")
        written.append(path)
    for m in mappings:
        path = dst / "mappings" / f"{m.name}.yaml"
        path.write_text(_header(m.relative) + dump_mapping(m.parsed.mapping), encoding="utf-8")
        written.append(path)
    license_path = dst / LICENSE_FILE
    shutil.copyfile(src / "LICENSE", license_path)
    written.append(license_path)
    return written


# --- lint report ------------------------------------------------------------------------


def _format_finding(f: Finding) -> str:
    where = f"{f.line}:{f.column}" if f.line is not None else "-"
    text = (f.message + suggestion_hint(f)).replace("|", "/")
    return f"| {where} | {f.severity} | `{f.code}` | {text} |"


def reference_lint_report(src: Path) -> str:
    """Markdown: a summary table and every finding per reference mapping file."""
    _, mappings = read_reference(src)
    per_file: list[tuple[ReferenceMapping, list[Finding]]] = [
        (m, lint_mapping(m.parsed.mapping, m.extra, m.parsed.source, cells=m.parsed.cells))
        for m in mappings
    ]
    consistency = lint_source_consistency([(m.relative, m.parsed.mapping) for m in mappings])
    lines = [
        "# Lint of the reference mappings",
        "",
        "Generated by `ontolabel lint-reference tests/data/data-priors -o "
        "docs/reference-lint.md` (do not edit by hand). Severities: see "
        "[ontologies.md](ontologies.md). Positions are `line:column` in the reference CSV.",
        "",
        "## Summary",
        "",
        "| file | catalog name | errors | warnings | info |",
        "|---|---|---:|---:|---:|",
    ]
    totals: dict[str, int] = defaultdict(int)
    for m, findings in per_file:
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        for key, value in counts.items():
            totals[key] += value
        lines.append(
            f"| {m.relative} | {m.name} | {counts['error']} | {counts['warning']} | "
            f"{counts['info']} |"
        )
    lines.append(
        f"| **all {len(per_file)} files** | | **{totals['error']}** | **{totals['warning']}** | "
        f"**{totals['info']}** |"
    )
    lines += ["", "## Across files", ""]
    if consistency:
        lines += [f"- {f.severity} `{f.code}`: {f.message}" for f in consistency]
    else:
        lines.append(
            "Every group of mappings that names one source taxonomy agrees on its classes."
        )
    lines += ["", "## Findings per file", ""]
    for m, findings in per_file:
        lines += [f"### {m.relative}", ""]
        if not findings:
            lines += ["No findings.", ""]
            continue
        lines += ["| line:col | severity | code | message |", "|---|---|---|---|"]
        lines += [_format_finding(f) for f in findings]
        lines.append("")
    return "\n".join(lines)
