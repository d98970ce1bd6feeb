"""CLI commands: ontology — lint and convert taxonomies and mappings, regenerate the catalog.

Files are told apart by extension: ``.csv`` is the reference format, ``.yaml``/``.yml``
the native one, ``.py`` a Cityscapes-style labels.py (a taxonomy; parsed, never run),
``.tsv`` MSeg's (a master file's universal taxonomy or one of its dataset columns, or a
pairwise mapping). Everything here is pure domain code; no database is touched.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from ontolabel.domain.catalog import (
    SOURCE_NAMES,
    convert_reference,
    dataset_taxonomy_name,
    reference_lint_report,
)
from ontolabel.domain.formats import FormatError, decode_text
from ontolabel.domain.formats.cityscapes import read_labels_py, write_labels_py
from ontolabel.domain.formats.mseg import (
    UNIVERSAL,
    looks_like_master,
    read_mseg_master,
    read_mseg_pairwise,
    write_mseg_master,
    write_mseg_pairwise,
)
from ontolabel.domain.formats.native import (
    dump_mapping,
    dump_taxonomy,
    load_mapping_with_lines,
    load_taxonomy,
)
from ontolabel.domain.formats.reference import (
    CellRef,
    read_labels_csv,
    read_mapping_csv,
    write_labels_csv,
    write_mapping_csv,
)
from ontolabel.domain.lint import Finding, lint_mapping, suggestion_hint
from ontolabel.domain.mapping import Mapping
from ontolabel.domain.taxonomy import Taxonomy
from ontolabel.errors import InvalidInput

NATIVE_SUFFIXES = {".yaml", ".yml"}
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


class BadFile(click.ClickException):
    """A file that cannot be read: exit status 2 (lint findings use 1)."""

    exit_code = 2


def _text(path: Path) -> str:
    try:
        return decode_text(path.read_bytes(), source=str(path))
    except FormatError as exc:
        raise BadFile(exc.message) from exc


def _is_native(path: Path) -> bool:
    return path.suffix.lower() in NATIVE_SUFFIXES


def _default_taxonomy_name(path: Path) -> str:
    """``…/BDD/lists/labels.csv`` → ``bdd``; otherwise the file stem."""
    if path.parent.name == "lists" and path.name.startswith("labels"):
        return dataset_taxonomy_name(path.parent.parent.name, path.name)
    return path.stem


def _default_source_name(path: Path) -> str:
    """``master_labels_cityscapes.csv`` → ``cityscapes-19`` (the catalog's name)."""
    if path.stem.startswith("master_labels"):
        suffix = path.stem.removeprefix("master_labels").lstrip("_")
        return SOURCE_NAMES.get(suffix, suffix or "master")
    return "source"


def _is_labels_csv(text: str) -> bool:
    """A ``labels.csv`` header has ``id`` in column 3; a mapping's does not."""
    first = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    cells = [c.strip().lower() for c in first.split(",")]
    return len(cells) > 2 and cells[1] == "name" and cells[2] == "id"


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def read_taxonomy_file(path: Path, name: str | None = None) -> Taxonomy:
    """A taxonomy from a ``labels.csv``, a ``labels.py``, an MSeg master TSV or a native file."""
    text = _text(path)
    try:
        if _is_native(path):
            return load_taxonomy(text, source=str(path))
        if _suffix(path) == ".py":
            return read_labels_py(text, name=name or _default_taxonomy_name(path), source=str(path))
        if _suffix(path) == ".tsv":
            return read_mseg_master(text, name=name or UNIVERSAL, source=str(path)).universal
        return read_labels_csv(text, name=name or _default_taxonomy_name(path), source=str(path))
    except FormatError as exc:
        raise BadFile(exc.message) from exc


def _sibling_taxonomy(mapping_path: Path, name: str) -> Taxonomy | None:
    """A native mapping's taxonomy from the catalog layout (``../taxonomies/<name>.yaml``)."""
    candidate = mapping_path.parent.parent / "taxonomies" / f"{name}.yaml"
    return read_taxonomy_file(candidate) if candidate.is_file() else None


@dataclasses.dataclass(frozen=True)
class LoadedMapping:
    mapping: Mapping
    cells: tuple[CellRef, ...]
    derived_source: Taxonomy | None


def read_mapping_file(
    path: Path, *, extra_name: str = "extra", source_name: str | None = None
) -> LoadedMapping:
    """A mapping from a reference CSV or a native file, with cell positions for lint."""
    text = _text(path)
    try:
        if _is_native(path):
            mapping, lines = load_mapping_with_lines(text, source=str(path))
            cells = tuple(
                CellRef(r, lines[r], k + 1, raw)
                for r, row in enumerate(mapping.rows)
                for k, raw in enumerate(row.extra_labels)
            )
            return LoadedMapping(mapping, cells, None)
        if _suffix(path) == ".tsv":
            return _read_tsv_mapping(text, path, extra_name, source_name)
        parsed = read_mapping_csv(
            text,
            extra_taxonomy=extra_name,
            source_taxonomy=source_name or _default_source_name(path),
            source=str(path),
        )
        return LoadedMapping(parsed.mapping, parsed.cells, parsed.source)
    except FormatError as exc:
        raise BadFile(exc.message) from exc


def _read_tsv_mapping(
    text: str, path: Path, extra_name: str, source_name: str | None
) -> LoadedMapping:
    """A pairwise TSV, or the ``extra_name`` column of a master one."""
    if not looks_like_master(text):
        pairwise = read_mseg_pairwise(text, source_taxonomy=source_name, source=str(path))
        return LoadedMapping(pairwise.mapping, (), pairwise.target)
    master = read_mseg_master(text, name=source_name or UNIVERSAL, source=str(path))
    if extra_name not in master.mappings:
        raise BadFile(
            f"{path} is an MSeg master file: name its dataset column with --extra-name "
            f"(one of {', '.join(sorted(master.mappings))})"
        )
    return LoadedMapping(master.mappings[extra_name], (), master.universal)


def _taxonomy_text(taxonomy: Taxonomy, out_path: Path) -> str:
    if _is_native(out_path):
        return dump_taxonomy(taxonomy)
    if _suffix(out_path) == ".py":
        return write_labels_py(taxonomy)
    if _suffix(out_path) == ".tsv":
        return write_mseg_master(taxonomy, [])
    return write_labels_csv(taxonomy)


def _mapping_text(mapping: Mapping, out_path: Path) -> str:
    if _is_native(out_path):
        return dump_mapping(mapping)
    if _suffix(out_path) == ".tsv":
        try:
            return write_mseg_pairwise(mapping)
        except InvalidInput as exc:
            raise click.ClickException(exc.message) from None
    return write_mapping_csv(mapping)


def format_finding(path: Path, f: Finding) -> str:
    """``file:line:col: severity code message (did you mean 'x'?)``."""
    where = str(path)
    if f.line is not None:
        where += f":{f.line}" + (f":{f.column}" if f.column is not None else "")
    return f"{where}: {f.severity} {f.code} {f.message}{suggestion_hint(f)}"


@click.command()
@click.argument("mapping_path", metavar="MAPPING", type=FILE)
@click.option("--extra", "extra_path", type=FILE, help="Extra taxonomy (labels.csv or .yaml).")
@click.option("--source", "source_path", type=FILE, help="Source taxonomy (labels.csv or .yaml).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON list.")
def lint(
    mapping_path: Path, extra_path: Path | None, source_path: Path | None, as_json: bool
) -> None:
    """Check MAPPING against its taxonomies; exit 1 when any finding is an error.

    --extra may be left out for a native mapping inside a catalog folder (its
    taxonomies are read from ../taxonomies/). Without --source, a CSV mapping is
    checked against the source classes its own first two columns define.
    """
    extra = read_taxonomy_file(extra_path) if extra_path else None
    loaded = read_mapping_file(mapping_path, extra_name=extra.name if extra else "extra")
    if extra is None and _is_native(mapping_path):
        extra = _sibling_taxonomy(mapping_path, loaded.mapping.extra_taxonomy)
    if extra is None:
        raise click.UsageError("--extra is required (the extra taxonomy's labels.csv or .yaml)")
    if source_path is not None:
        source: Taxonomy | None = read_taxonomy_file(source_path)
    elif _is_native(mapping_path):
        source = _sibling_taxonomy(mapping_path, loaded.mapping.source_taxonomy)
    else:
        source = loaded.derived_source
    findings = lint_mapping(loaded.mapping, extra, source, cells=loaded.cells)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            click.echo(format_finding(mapping_path, f))
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        click.echo(
            f"{mapping_path}: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['info']} info",
            err=True,
        )
    if any(f.severity == "error" for f in findings):
        raise SystemExit(1)


@click.command()
@click.argument("in_path", metavar="IN", type=FILE)
@click.option("-o", "--output", "out_path", required=True, type=click.Path(path_type=Path))
@click.option("--extra", "extra_path", type=FILE, help="Extra taxonomy; names a CSV mapping's.")
@click.option("--extra-name", help="Extra taxonomy name for a CSV mapping (default: from --extra).")
@click.option("--source-name", help="Source taxonomy name for a CSV mapping.")
@click.option("--name", help="Taxonomy name for a labels.csv (default: from its path).")
@click.option(
    "--kind",
    type=click.Choice(["taxonomy", "mapping"]),
    help="What IN holds (default: guessed; a CSV with `id` in column 3 is a taxonomy).",
)
def convert(
    in_path: Path,
    out_path: Path,
    extra_path: Path | None,
    extra_name: str | None,
    source_name: str | None,
    name: str | None,
    kind: str | None,
) -> None:
    """Convert a taxonomy or mapping between formats, chosen by extension: reference CSV,
    native YAML, Cityscapes labels.py (taxonomies) and MSeg TSV.

    A CSV mapping needs --extra (or --extra-name); a native mapping and a pairwise TSV name
    their taxonomies; --extra-name picks a master TSV's dataset column (else its universal
    taxonomy is converted).
    """
    text = _text(in_path)
    if kind is not None:
        is_taxonomy = kind == "taxonomy"
    elif _is_native(in_path):
        is_taxonomy = text.lstrip().startswith("kind: taxonomy") or "\nkind: taxonomy" in text
    elif _suffix(in_path) in (".py", ".tsv"):
        # a labels.py is a taxonomy; a master TSV is one unless a column is named
        is_taxonomy = _suffix(in_path) == ".py" or (looks_like_master(text) and not extra_name)
    else:
        is_taxonomy = _is_labels_csv(text)
    if is_taxonomy:
        taxonomy = read_taxonomy_file(in_path, name)
        output = _taxonomy_text(taxonomy, out_path)
    else:
        if (
            extra_name is None
            and extra_path is None
            and not _is_native(in_path)
            and _suffix(in_path) != ".tsv"
        ):
            raise click.UsageError(
                "a CSV mapping does not name its extra taxonomy: give --extra LABELS_CSV "
                "(or --extra-name NAME)"
            )
        if extra_name is None:
            extra_name = read_taxonomy_file(extra_path).name if extra_path else "extra"
        mapping = read_mapping_file(in_path, extra_name=extra_name, source_name=source_name).mapping
        output = _mapping_text(mapping, out_path)
    out_path.write_text(output, encoding="utf-8")
    click.echo(f"wrote {out_path}")


@click.command("convert-reference")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(file_okay=False, path_type=Path))
def convert_reference_command(src: Path, dst: Path) -> None:
    """Regenerate the catalog DST (ontologies/) from the data-priors folder SRC."""
    try:
        written = convert_reference(src, dst)
    except FormatError as exc:
        raise BadFile(exc.message) from exc
    click.echo(f"wrote {len(written)} files under {dst}")


@click.command("lint-reference")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out_path", type=click.Path(path_type=Path), help="Markdown file.")
def lint_reference(src: Path, out_path: Path | None) -> None:
    """Lint every reference mapping under SRC (data-priors) into a Markdown report."""
    try:
        report = reference_lint_report(src)
    except FormatError as exc:
        raise BadFile(exc.message) from exc
    if out_path is None:
        click.echo(report, nl=False)
    else:
        out_path.write_text(report, encoding="utf-8")
        click.echo(f"wrote {out_path}")


def register(cli: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (lint, convert, convert_reference_command, lint_reference):
        cli.add_command(command)
