"""``cheatsheet build``: render the verified catalog into every output format (registered by :mod:`cheatsheet.cli`).

A thin command over :func:`cheatsheet.build.build` and :func:`cheatsheet.build.stale_outputs` (``--check``).
A build that cannot go on (a rule that fails verification, a formula that does not typeset, a card too
tall for a column) prints one ``Error:`` line with the library's exit code; a bad ``--rules`` file is bad
input (2), or a false claim (1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cheatsheet.cli.common import EXIT_CODES, CatalogError, jobs_option

__all__ = ["build_command"]


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    """--formats: a comma-separated list of known formats, in the order given, without repeats."""
    from cheatsheet.build import ALL_FORMATS

    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in ALL_FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown format {', '.join(map(repr, unknown)) or 'none given'}; expected a comma-separated list of "
            f"{', '.join(ALL_FORMATS)}"
        )
    return chosen


@click.command(
    "build",
    short_help="Render the verified catalog: PDF (A4, Letter), HTML, rules.json, LaTeX, Markdown.",
    epilog="\b\nExamples:\n  cheatsheet build                          # every format into build/"
    "\n  cheatsheet build --paper a4 --formats pdf   # just the A4 PDF"
    "\n  cheatsheet build --out /tmp/sheet --quiet"
    "\n  cheatsheet build --check                   # fail, naming each stale file, if build/ is not fresh"
    "\n\nOutputs: cheatsheet.pdf (A4), cheatsheet-letter.pdf, cheatsheet.html, rules.json, cheatsheet.tex,"
    " cheatsheet.md. Rules that fail verification are never rendered: the build stops with one line per rule.\n\n"
    + EXIT_CODES,
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder to write the outputs into (created if needed).",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter", "both"]),
    default="both",
    show_default=True,
    help="Paper size of the PDF.",
)
@click.option(
    "--formats",
    default="pdf,html,json,latex,md",
    show_default=True,
    callback=_formats,
    help="Comma-separated outputs to build.",
)
@jobs_option("Processes for verifying and drawing pages.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Rebuild into a temporary folder and fail, naming each stale file, when --out differs.",
)
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Add custom rules from a TOML file (repeatable); they are verified like built-in ones.",
)
@click.option(
    "--no-plugins", is_flag=True, help="Leave out the rules of installed plugin catalogs (cheatsheet.catalogs)."
)
@click.option(
    "--reverify",
    is_flag=True,
    help="Verify every rule now, trusting neither the shipped record (cheatsheet/data/verdicts.json) nor the cache.",
)
def build_command(
    out: Path,
    paper: str,
    formats: tuple[str, ...],
    jobs: int,
    quiet: bool,
    check_only: bool,
    rule_files: tuple[Path, ...],
    no_plugins: bool,
    reverify: bool,
) -> None:
    """Render the verified catalog into OUT; the stages and their timings are printed as they run.

    Incremental: verdicts, typeset formulas, card heights and drawn pages are cached by content hash
    ($CHEATSHEET_CACHE_DIR, default ~/.cache/cheatsheet), so an edit to one rule re-verifies and
    re-draws only what it touches, and a build with nothing changed returns at once. Outputs are
    written atomically and only when their bytes change.
    """
    from cheatsheet.build import BuildOptions, build

    papers = ("a4", "letter") if paper == "both" else (paper,)
    opts = BuildOptions(
        out=out,
        papers=papers,
        formats=formats,
        jobs=jobs,
        quiet=quiet,
        rule_files=rule_files,
        plugins=not no_plugins,
        reverify=reverify,
    )
    with _build_errors():
        if check_only:
            _check_fresh(opts)
            return
        if not quiet:
            click.echo(f"building into {out} ({', '.join(formats)}; paper {', '.join(papers)})")
        report = build(opts, echo=click.echo)
    if not quiet and not report.up_to_date:
        wrote = ", ".join(report.written) or "nothing (all unchanged)"
        click.echo(f"wrote {wrote}")


def _check_fresh(opts: Any) -> None:
    """--check: name each output in ``opts.out`` that differs from a fresh build, and fail if any does."""
    from cheatsheet.build import stale_outputs

    stale = stale_outputs(opts)
    if stale:
        for name in stale:
            click.echo(f"stale: {opts.out / name}", err=True)
        raise CatalogError(
            f"{len(stale)} file(s) in {opts.out} differ from a fresh build; run `cheatsheet build` and commit them."
        )
    if not opts.quiet:
        click.echo(f"{opts.out}: every output is fresh")


@contextmanager
def _build_errors() -> Iterator[None]:
    """The library's errors as one ``Error:`` line each: a build that cannot go on (its own exit code), a bad
    --rules file or plugin (bad input, 2, or a false claim, 1)."""
    from cheatsheet.build import BuildError
    from cheatsheet.cli.check import as_click_error

    try:
        yield
    except BuildError as exc:
        err = click.ClickException(str(exc))
        err.exit_code = exc.exit_code
        raise err from exc
    except Exception as exc:
        from cheatsheet.checking.problems import CustomRuleError  # (needed only once something failed)

        if isinstance(exc, CustomRuleError):
            raise as_click_error(exc) from exc
        raise
