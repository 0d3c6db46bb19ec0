"""``cheatsheet verify``: verify rules, compare them with PyTorch, refresh the shipped record (registered by
:mod:`cheatsheet.cli`).

A thin command over :func:`cheatsheet.verifier.runner.verify_many` and
:func:`cheatsheet.conformance.check_rule`: it prints a table of verdicts (one line per rule with
``--verbose``), the failures with their counterexamples, and the PyTorch comparison; it exits 1 when a rule
failed or differs from PyTorch.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import cheatsheet
from cheatsheet.cli.common import EXIT_CODES, BadInput, counts, jobs_option, select, table

__all__ = ["verify"]


@click.command(
    "verify",
    short_help="Verify rules (and compare them with PyTorch).",
    epilog="\b\nExamples:\n  cheatsheet verify                  # the whole catalog; refreshes the shipped record"
    "\n  cheatsheet verify sigmoid relu     # just these (their record entries are updated)"
    "\n  cheatsheet verify --family loss --no-record --torch\n\n" + EXIT_CODES,
)
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@click.option("--family", "-f", metavar="FAMILY", help="Only the rules of this family (activation, loss, ...).")
@jobs_option("Processes to verify in parallel.")
@click.option("--no-cache", is_flag=True, help="Re-verify every rule instead of reusing cached verdicts.")
@click.option("--no-record", is_flag=True, help="Do not update the verification record shipped with the package.")
@click.option("--torch", "with_torch", is_flag=True, help="Also compare every rule with PyTorch's float64 autograd.")
@click.option("--verbose", "-v", is_flag=True, help="One line per rule (status, points, residual, reason).")
def verify(
    ids: tuple[str, ...],
    family: str | None,
    jobs: int,
    no_cache: bool,
    no_record: bool,
    with_torch: bool,
    verbose: bool,
) -> None:
    """Verify rules (default: all) and report failures with their counterexamples.

    Unless --no-record is given, the verdicts are written to the verification record shipped with the
    package (the whole record when no IDS are given, else just their entries).

    Verdicts are cached by each rule's content hash in $CHEATSHEET_CACHE_DIR (default
    ~/.cache/cheatsheet), so that a re-run only verifies what changed.
    """
    from cheatsheet.conformance import torch_available

    if with_torch and not torch_available():
        raise BadInput('--torch needs PyTorch: pip install "cheatsheet[torch]"')
    selected = select(ids, family)
    if not selected:
        raise BadInput(
            f"none of {', '.join(ids)} is in family {family!r}; drop --family or name other ids."
            if ids
            else f"family {family!r} has no rules yet; run `cheatsheet list` to see the families in use."
        )
    verdicts, seconds, cached = _run_verifier(selected, jobs=jobs, use_cache=not no_cache)
    failed = _report_verdicts(verdicts, seconds, cached, jobs, verbose)
    conformance: dict[str, dict[str, Any]] = {}
    if with_torch:
        differs, conformance = _report_conformance(selected)
        failed += differs
    if not no_record:
        _write_record(verdicts, conformance)
    if failed:
        sys.exit(1)


def _run_verifier(rules: list[cheatsheet.Rule], *, jobs: int, use_cache: bool) -> tuple[list[Any], float, int]:
    """The verdicts, the seconds they took and how many came from the cache."""
    from cheatsheet.verifier.runner import verify_many

    cached = 0
    start = time.perf_counter()
    with _progress(len(rules), "Verifying") as step:

        def progress(verdict: Any, from_cache: bool) -> None:
            nonlocal cached
            cached += from_cache
            step(verdict.rule_id)

        verdicts = verify_many(rules, jobs=jobs, use_cache=use_cache, progress=progress)
    return verdicts, time.perf_counter() - start, cached


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr on a terminal; elsewhere nothing at all."""
    stderr = click.get_text_stream("stderr")
    if not stderr.isatty():
        yield lambda rule_id: None
        return
    with click.progressbar(length=total, label=label, file=stderr, show_pos=True, item_show_func=lambda s: s) as bar:
        yield lambda rule_id: bar.update(1, rule_id)


def _report_verdicts(verdicts: list[Any], seconds: float, cached: int, jobs: int, verbose: bool) -> int:
    """Print the verdicts (a count per status, the failures); the number that failed."""
    if verbose:
        width = max(len(v.rule_id) for v in verdicts)
        for v in verdicts:
            click.echo(f"{v.rule_id:{width}s}  {v.summary()}")
        click.echo()
    found = counts(v.status for v in verdicts)
    rows = [[status, n] for status, n in found.items() if status != "unverified"]
    click.echo(table(["status", "rules"], [*rows, ["total", len(verdicts)]], right=(1,)))
    fresh = len(verdicts) - cached
    procs = min(jobs, fresh)
    on = f" on {procs} process{'es' if procs > 1 else ''}" if fresh else ""
    click.echo(f"\n{len(verdicts)} rules in {seconds:.1f} s: {fresh} verified{on}, {cached} from cache")
    failed = [v for v in verdicts if v.status == "failed"]
    if failed:
        click.echo(f"\n{len(failed)} rule{'s' if len(failed) > 1 else ''} failed:")
        for v in failed:
            why = v.counterexample.describe() if v.counterexample is not None else v.reason
            click.echo(f"  {v.rule_id}: {why}")
    return len(failed)


def _write_record(verdicts: list[Any], conformance: dict[str, dict[str, Any]] | None = None) -> None:
    from cheatsheet.verifier import record

    try:
        path = record.write_record(
            verdicts, [r.id for r in cheatsheet.rules()], path=record.RECORD_PATH, conformance=conformance
        )
    except OSError as exc:
        raise BadInput(
            f"cannot write the verification record {record.RECORD_PATH}: {exc.strerror or exc}; "
            "pass --no-record to verify without updating it."
        ) from exc
    click.echo(f"\nrecord: {len(verdicts)} verdicts written to {_shown(path)}")


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report_conformance(rules: list[cheatsheet.Rule]) -> tuple[int, dict[str, dict[str, Any]]]:
    """Compare with PyTorch, print the table; returns the number that differ and a summary per rule
    (stored in the record, where the sheet reads its "PyTorch" mark)."""
    import torch

    from cheatsheet.conformance import counterpart

    paired = [r for r in rules if counterpart(r) is not None]
    rows, differs = [], 0
    summary: dict[str, dict[str, Any]] = {}
    with _progress(len(paired), "PyTorch") as step:
        for r in paired:
            row, entry = _conformance_of(r, torch)
            if entry is not None:
                summary[r.id] = entry
            differs += row[1] != "conforms"
            rows.append(row)
            step(r.id)
    click.echo("\nPyTorch conformance (float64 autograd; relative error, tolerance 1e-12):")
    click.echo(table(["id", "status", "points", "max error", "detail"], rows, right=(2, 3)))
    missing = len(rules) - len(paired)
    click.echo(
        f"\n{len(paired) - differs} of {len(paired)} conform"
        + (f", {differs} differ" if differs else "")
        + (f"; {missing} without a PyTorch counterpart" if missing else "")
    )
    return differs, summary


def _conformance_of(rule: cheatsheet.Rule, torch: Any) -> tuple[list[str], dict[str, Any] | None]:
    """One rule against PyTorch: its table row (id, status, points, max error, detail) and its record entry
    (None when the comparison itself crashed: that is the rule's result, shown as "error", not a lost run)."""
    from cheatsheet.conformance import check_rule

    try:
        res = check_rule(rule, torch)
        used = sorted(set(res.deviations_used))
        detail = res.worst if res.status == "differs" else "; ".join(used)
        entry = {
            "status": res.status,
            "points": res.points,
            "max_error": float(f"{res.max_error:.2e}"),
            "torch": str(torch.__version__).split("+")[0],
            "deviations": used,
        }
        return [rule.id, res.status, str(res.points), f"{res.max_error:.1e}", detail], entry
    except Exception as exc:  # a crashing adapter is this rule's result
        return [rule.id, "error", "-", "-", f"{type(exc).__name__}: {exc}"], None
