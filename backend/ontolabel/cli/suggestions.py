"""``ontolabel suggest``: cells to add to and remove from a mapping, and conflicts, from a
teacher's own predictions on a folder of extra frames, without the server.

The same inputs as ``ontolabel label``; it runs a ``suggest`` job in this process (the
API's code path) and prints the job's ranked lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ontolabel.cli.labeling import inline_mapping, labeling_inputs


def _table(title: str, items: list[dict[str, Any]]) -> None:
    click.echo(f"{title}:")
    if not items:
        click.echo("  (none)")
    for item in items:
        shown = ", ".join(item["frames"][:3]) + (" …" if len(item["frames"]) > 3 else "")
        click.echo(f"  {item['score']:6.3f}  {item['source']:<24} ← {item['extra']:<24} {shown}")


@click.command("suggest")
@labeling_inputs
@click.option(
    "--device", type=click.Choice(["cpu", "cuda"]), default=None, help="Default: cuda if present."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print only the lists as JSON (progress: stderr)."
)
def suggest(
    model: str,
    images: Path,
    labels: Path,
    extra: Path,
    mapping: Path,
    device: str | None,
    as_json: bool,
) -> None:
    """Suggest mapping cells from the teacher's unconstrained predictions.

    "add": an extra label the teacher predicts as a source class whose row lacks it;
    "remove": an allowed cell the teacher almost never predicts; "conflicts": allowed cells
    and frames where the mapping overrules the teacher most. Best first; frames are label
    paths relative to --labels.
    """
    from ontolabel.cli.database import open_database
    from ontolabel.cli.jobs import outputs_of, refusals_as_cli_errors, run_here
    from ontolabel.cli.local_inputs import choose_model, settings_reading
    from ontolabel.core.config import get_settings
    from ontolabel.jobs.params import MappingRef, SuggestParams

    base = get_settings()
    with refusals_as_cli_errors():
        _, factory = open_database(base)
        choice = choose_model(factory, model)
        settings = settings_reading(base, [images.resolve(), labels.resolve(), *choice.folders])
        params = SuggestParams(
            model=choice.ref,
            images_dir=str(images.resolve()),
            labels_dir=str(labels.resolve()),
            mapping=MappingRef(inline=inline_mapping(extra, mapping)),
            device=device,
        )
        job = run_here(settings, params, "cli", err=as_json)
    outputs = outputs_of(job)
    if as_json:
        lists = {key: outputs[key] for key in ("add", "remove", "conflicts")}
        click.echo(json.dumps(lists, indent=1))
        return
    click.echo(
        f"{outputs['frames']} frame(s), {outputs['errors']} error(s) (ontolabel jobs show "
        f"{job.id}); score: 0..1, best first"
    )
    _table("add (the teacher predicts the class, the row lacks the label)", outputs["add"])
    _table("remove (the teacher almost never predicts the class)", outputs["remove"])
    _table("conflicts (mean teacher mass outside the allowed set)", outputs["conflicts"]["cells"])
    click.echo("frames to review first:")
    for frame in outputs["conflicts"]["frames"][:10]:
        click.echo(f"  {frame['score']:6.3f}  {frame['frame']}")


def register(cli: click.Group) -> None:
    """Add this module's commands to the root group."""
    cli.add_command(suggest)
