"""The commands that read the catalog: ``list``, ``show`` and ``export`` (registered by :mod:`cheatsheet.cli`).

Each parses its options, calls one library function and prints the result: the rules with the verdicts
of the shipped record, one rule as plain text (:func:`cheatsheet.printing.card.describe`), or the rule
table as JSON (:func:`cheatsheet.render.rules_json.export_json`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

import cheatsheet
from cheatsheet.cli.common import EXIT_CODES, BadInput, check_family, counts, get_rule, table

__all__ = ["export", "list_rules", "show"]


@click.command(
    "list",
    short_help="List the rules with their verdicts.",
    epilog="\b\nExamples:\n  cheatsheet list\n  cheatsheet list --family loss\n  cheatsheet list --format json\n\n"
    + EXIT_CODES,
)
@click.option("--family", "-f", metavar="FAMILY", help="Only the rules of this family (activation, loss, ...).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
def list_rules(family: str | None, fmt: str) -> None:
    """List the rules: id, title, family and the verdict in the shipped record."""
    check_family(family)
    rows = [
        {"id": r.id, "title": r.title, "family": r.family, "status": r.verdict.status} for r in cheatsheet.rules(family)
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    click.echo(table(["id", "title", "family", "status"], [list(row.values()) for row in rows]))
    found = counts(row["status"] for row in rows)
    click.echo(f"\n{len(rows)} rules" + "".join(f", {n} {s}" for s, n in found.items() if n))


@click.command(
    "show",
    short_help="Show one rule in full.",
    epilog="\b\nExamples:\n  cheatsheet show softplus\n  cheatsheet show softmax --latex\n\n" + EXIT_CODES,
)
@click.argument("rule_id", metavar="ID")
@click.option("--latex", "as_latex", is_flag=True, help="Print the formulas as the LaTeX the sheet typesets.")
def show(rule_id: str, as_latex: bool) -> None:
    """Show one rule: formulas, definitions, kink conventions, identities, notes and its verdict."""
    from cheatsheet.printing.card import describe
    from cheatsheet.printing.latex import latex
    from cheatsheet.printing.text import text

    rule = get_rule(rule_id)
    click.echo(describe(rule, printer=latex if as_latex else text))


@click.command(
    "export",
    short_help="Export the rule table as JSON.",
    epilog="\b\nExamples:\n  cheatsheet export --format json -o build/rules.json\n  cheatsheet export | jq '.rules.relu.kinks'"
    "\n\nThe output validates against the JSON Schema cheatsheet/data/rules.schema.json.\n\n" + EXIT_CODES,
)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True, help="Output format.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE (atomically) instead of standard output.",
)
def export(fmt: str, output: Path | None) -> None:
    """Export the rule table: formulas (LaTeX and sympy), conventions, identities and verdicts.

    The bytes are reproducible: the same catalog and record give the same file.
    """
    from cheatsheet.fsutil import atomic_write
    from cheatsheet.render.rules_json import export_json

    data = export_json()
    if output is None:
        click.echo(data, nl=False)
        return
    try:
        atomic_write(output, data)
    except OSError as exc:
        raise BadInput(
            f"cannot write {output}: {exc.strerror or exc}; expected a writable file path. Pick another -o FILE."
        ) from exc
    click.echo(f"wrote {output} ({len(cheatsheet.rules())} rules)", err=True)
