"""What the commands share: their errors and exit codes, the group that reports a broken catalog, choosing
rules by id or family, and a plain text table.

A user's mistake (an unknown id or family, a bad option) raises :class:`BadInput`, which prints one
``Error: ...`` line saying what was wrong, what was expected and how to fix it (exit status 2), never a
traceback; a catalog that does not load raises :class:`CatalogError` (exit status 1). sympy and the
catalog load only when a command needs them, so that ``--help`` and ``--version`` are quick.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

import cheatsheet

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "EXIT_CODES",
    "BadInput",
    "CatalogError",
    "CatalogGroup",
    "check_family",
    "counts",
    "cpu_count",
    "get_rule",
    "jobs_option",
    "select",
    "table",
]

EXIT_CODES = """\b
Exit codes:
  0  success
  1  a rule failed verification or PyTorch conformance, or the catalog does not load
  2  bad usage or input (unknown id or family, bad option)"""


class BadInput(click.ClickException):
    """A user's mistake: prints ``Error: <message>`` and exits with status 2."""

    exit_code = 2


class CatalogError(click.ClickException):
    """The catalog itself does not load (a rule's data is inconsistent): exit status 1."""

    exit_code = 1


class CatalogGroup(click.Group):
    """The command group: turns a catalog that does not load into one ``Error:`` line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValueError as exc:
            from cheatsheet.rule import RuleError

            if not isinstance(exc, RuleError):
                raise
            raise CatalogError(f"the catalog does not load: {exc}. Fix that rule in cheatsheet/catalog/.") from exc


def cpu_count() -> int:
    """The CPUs this process may run on (the default of ``--jobs``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def jobs_option(help_text: str) -> Callable[[F], F]:
    """The ``--jobs/-j N`` option of ``build`` and ``verify``: processes to use, at least 1, all CPUs by default."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=cpu_count,
        show_default="number of CPUs",
        metavar="N",
        help=help_text,
    )


# ------------------------------------------------------------------------------ selection
def check_family(family: str | None) -> None:
    """Raise :class:`BadInput` unless ``family`` is None or a known family (with a suggestion)."""
    from cheatsheet.names import did_you_mean
    from cheatsheet.rule import FAMILIES

    if family is not None and family not in FAMILIES:
        raise BadInput(
            f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}.{did_you_mean(family, list(FAMILIES))}"
        )


def get_rule(rule_id: str) -> cheatsheet.Rule:
    """The rule ``rule_id``; :class:`BadInput` (with a suggestion) when there is none."""
    try:
        return cheatsheet.get(rule_id)
    except cheatsheet.UnknownRuleError as exc:
        raise BadInput(str(exc)) from exc


def select(ids: Sequence[str], family: str | None) -> list[cheatsheet.Rule]:
    """The rules named by ``ids`` (every unknown id reported at once), or all rules of ``family``."""
    check_family(family)
    if not ids:
        return cheatsheet.rules(family)
    found, problems = [], []
    for rule_id in dict.fromkeys(ids):  # drop repeats, keep order
        try:
            found.append(cheatsheet.get(rule_id))
        except cheatsheet.UnknownRuleError as exc:
            problems.append(str(exc))
    if problems:
        raise BadInput(" ".join(problems))
    if family is not None:
        found = [r for r in found if r.family == family]
    return found


# ------------------------------------------------------------------------------ output
def counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many of each verdict status (proved, checked, failed, unverified first, in this order)."""
    out = {"proved": 0, "checked": 0, "failed": 0, "unverified": 0}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return out


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """A plain left-aligned table (columns in ``right`` right-aligned), header underlined."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[c]) for row in cells) for c in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [
            cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])
