"""The command line: thin click commands over the library (list, show, verify, export).

Each command parses its options, calls one library function and prints the result. A user's mistake
(an unknown id or family, a bad option) raises a :class:`click.ClickException` that prints one
``Error: ...`` line saying what was wrong, what was expected and how to fix it, never a traceback.

Exit codes: 0 success; 1 a rule failed (verification, PyTorch conformance, or the catalog does not
load); 2 bad usage or input.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import cheatsheet

# sympy and the catalog load only when a command needs them, so that --help and --version are quick.

__all__ = ["BadInput", "main"]

_EXIT_CODES = """\b
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


class _Group(click.Group):
    """Turns a catalog that does not load into one ``Error:`` line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValueError as exc:
            from cheatsheet.rule import RuleError

            if not isinstance(exc, RuleError):
                raise
            raise CatalogError(f"the catalog does not load: {exc}. Fix that rule in cheatsheet/catalog/.") from exc


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ------------------------------------------------------------------------------ selection
def _check_family(family: str | None) -> None:
    from cheatsheet.rule import FAMILIES, did_you_mean

    if family is not None and family not in FAMILIES:
        raise BadInput(
            f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}.{did_you_mean(family, list(FAMILIES))}"
        )


def _get(rule_id: str) -> cheatsheet.Rule:
    try:
        return cheatsheet.get(rule_id)
    except cheatsheet.UnknownRuleError as exc:
        raise BadInput(str(exc)) from exc


def _select(ids: Sequence[str], family: str | None) -> list[cheatsheet.Rule]:
    """The rules named by ``ids`` (every unknown id reported at once), or all rules of ``family``."""
    _check_family(family)
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


# ------------------------------------------------------------------------------ the group
@click.group(
    cls=_Group,
    epilog="\b\nExamples:\n  cheatsheet list --family activation\n  cheatsheet show softplus\n"
    "  cheatsheet verify sigmoid relu --no-record --torch\n  cheatsheet export --format json -o build/rules.json\n\n" + _EXIT_CODES,
)
@click.version_option(cheatsheet.__version__, "--version", "-V", prog_name="cheatsheet", message="%(prog)s %(version)s")
def main() -> None:
    """A machine-checked derivative reference for machine learning.

    Every rule's derivative, kink conventions and claims are verified (50-digit randomized identity
    testing and symbolic proof) and compared with PyTorch's autograd.
    """


# ------------------------------------------------------------------------------ list
@main.command(
    "list",
    short_help="List the rules with their verdicts.",
    epilog="\b\nExamples:\n  cheatsheet list\n  cheatsheet list --family loss\n  cheatsheet list --format json\n\n"
    + _EXIT_CODES,
)
@click.option("--family", "-f", metavar="FAMILY", help="Only the rules of this family (activation, loss, ...).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
def list_rules(family: str | None, fmt: str) -> None:
    """List the rules: id, title, family and the verdict in the shipped record."""
    _check_family(family)
    rows = [
        {"id": r.id, "title": r.title, "family": r.family, "status": r.verdict.status} for r in cheatsheet.rules(family)
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    click.echo(_table(["id", "title", "family", "status"], [list(row.values()) for row in rows]))
    counts = _counts(row["status"] for row in rows)
    click.echo(f"\n{len(rows)} rules" + "".join(f", {n} {s}" for s, n in counts.items() if n))


def _counts(statuses: Any) -> dict[str, int]:
    counts = {"proved": 0, "checked": 0, "failed": 0, "unverified": 0}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return counts


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """A plain left-aligned table (columns in ``right`` right-aligned), header underlined."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[c]) for row in cells) for c in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


# ------------------------------------------------------------------------------ show
@main.command(
    "show",
    short_help="Show one rule in full.",
    epilog="\b\nExamples:\n  cheatsheet show softplus\n  cheatsheet show softmax --latex\n\n" + _EXIT_CODES,
)
@click.argument("rule_id", metavar="ID")
@click.option("--latex", "as_latex", is_flag=True, help="Print the formulas as the LaTeX the sheet typesets.")
def show(rule_id: str, as_latex: bool) -> None:
    """Show one rule: formulas, definitions, kink conventions, identities, notes and its verdict."""
    from cheatsheet.printing.latex import latex

    rule = _get(rule_id)
    click.echo(describe(rule, printer=latex if as_latex else text))


# ------------------------------------------------------------------------------ verify
@main.command(
    "verify",
    short_help="Verify rules (and compare them with PyTorch).",
    epilog="\b\nExamples:\n  cheatsheet verify                  # the whole catalog; refreshes the shipped record"
    "\n  cheatsheet verify sigmoid relu     # just these (their record entries are updated)"
    "\n  cheatsheet verify --family loss --no-record --torch\n\n" + _EXIT_CODES,
)
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@click.option("--family", "-f", metavar="FAMILY", help="Only the rules of this family (activation, loss, ...).")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=_cpu_count, show_default="number of CPUs", metavar="N",
    help="Processes to verify in parallel.",
)
@click.option("--no-cache", is_flag=True, help="Re-verify every rule instead of reusing cached verdicts.")
@click.option("--no-record", is_flag=True, help="Do not update the verification record shipped with the package.")
@click.option("--torch", "with_torch", is_flag=True, help="Also compare every rule with PyTorch's float64 autograd.")
@click.option("--verbose", "-v", is_flag=True, help="One line per rule (status, points, residual, reason).")
def verify(
    ids: tuple[str, ...], family: str | None, jobs: int, no_cache: bool, no_record: bool, with_torch: bool,
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
    selected = _select(ids, family)
    if not selected:
        raise BadInput(
            f"none of {', '.join(ids)} is in family {family!r}; drop --family or name other ids."
            if ids else f"family {family!r} has no rules yet; run `cheatsheet list` to see the families in use."
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
    if verbose:
        width = max(len(v.rule_id) for v in verdicts)
        for v in verdicts:
            click.echo(f"{v.rule_id:{width}s}  {v.summary()}")
        click.echo()
    counts = _counts(v.status for v in verdicts)
    rows = [[status, n] for status, n in counts.items() if status != "unverified"]
    click.echo(_table(["status", "rules"], rows + [["total", len(verdicts)]], right=(1,)))
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
        path = record.write_record(verdicts, [r.id for r in cheatsheet.rules()], path=record.RECORD_PATH,
                                   conformance=conformance)
    except OSError as exc:
        raise BadInput(
            f"cannot write the verification record {record.RECORD_PATH}: {exc.strerror or exc}; "
            "pass --no-record to verify without updating it."
        ) from exc
    click.echo(f"\nrecord: {len(verdicts)} verdicts written to {_shown(path)}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report_conformance(rules: list[cheatsheet.Rule]) -> tuple[int, dict[str, dict[str, Any]]]:
    """Compare with PyTorch, print the table; returns the number that differ and a summary per rule
    (stored in the record, where the sheet reads its "PyTorch" mark)."""
    import torch

    from cheatsheet.conformance import check_rule, counterpart

    paired = [r for r in rules if counterpart(r) is not None]
    rows, differs = [], 0
    summary: dict[str, dict[str, Any]] = {}
    with _progress(len(paired), "PyTorch") as step:
        for r in paired:
            try:
                res = check_rule(r, torch)
                status, points, error = res.status, str(res.points), f"{res.max_error:.1e}"
                detail = res.worst if res.status == "differs" else "; ".join(sorted(set(res.deviations_used)))
                summary[r.id] = {
                    "status": res.status, "points": res.points, "max_error": float(f"{res.max_error:.2e}"),
                    "torch": str(torch.__version__).split("+")[0],
                    "deviations": sorted(set(res.deviations_used)),
                }
            except Exception as exc:  # noqa: BLE001 - a crashing adapter is this rule's result, not a lost run
                status, points, error, detail = "error", "-", "-", f"{type(exc).__name__}: {exc}"
            differs += status != "conforms"
            rows.append([r.id, status, points, error, detail])
            step(r.id)
    click.echo("\nPyTorch conformance (float64 autograd; relative error, tolerance 1e-12):")
    click.echo(_table(["id", "status", "points", "max error", "detail"], rows, right=(2, 3)))
    missing = len(rules) - len(paired)
    click.echo(
        f"\n{len(paired) - differs} of {len(paired)} conform"
        + (f", {differs} differ" if differs else "")
        + (f"; {missing} without a PyTorch counterpart" if missing else "")
    )
    return differs, summary


# ------------------------------------------------------------------------------ export
@main.command(
    "export",
    short_help="Export the rule table as JSON.",
    epilog="\b\nExamples:\n  cheatsheet export --format json -o build/rules.json\n  cheatsheet export | jq '.rules.relu.kinks'"
    "\n\nThe output validates against the JSON Schema cheatsheet/data/rules.schema.json.\n\n" + _EXIT_CODES,
)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True, help="Output format.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write to FILE (atomically) instead of standard output.",
)
def export(fmt: str, output: Path | None) -> None:
    """Export the rule table: formulas (LaTeX and sympy), conventions, identities and verdicts.

    The bytes are reproducible: the same catalog and record give the same file.
    """
    from cheatsheet.render.rules_json import export_json
    from cheatsheet.fsutil import atomic_write

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


# ------------------------------------------------------------------------------ plain-text rule card
def describe(rule: cheatsheet.Rule, printer: Callable[[Any], str] | None = None) -> str:
    """A rule as plain text for a terminal; ``printer`` prints the formulas (default: :func:`text`)."""
    import sympy as sp

    from cheatsheet.rule import FAMILIES

    show_ = printer or text
    inputs = rule.inputs
    args = ", ".join(show_(inp.symbol) for inp in inputs)
    lines = [f"{rule.id}: {rule.title}", f"{FAMILIES[rule.family]} (family {rule.family!r}), {rule.shape} rule", ""]

    # The formulas, labelled the way the sheet reads them.
    if rule.is_general:
        var = show_(inputs[0].symbol)
        lines.append(f"  d/d{var} [{show_(rule.function)}] = " + show_(next(iter(rule.derivatives.values()))))
    else:
        f = "f_i" if rule.vector_output else "f"
        lines.append(f"  {f}({args}) = {show_(rule.function)}")
        for wrt, expr in rule.derivatives.items():
            inp = rule.input(wrt)
            sym = show_(inp.symbol)
            if inp.shape == "vector":
                label = f"∂{f}/∂{sym}_j" if rule.vector_output else f"∂{f}/∂{sym}_i"
            else:
                label = f"∂{f}/∂{sym}"
            tag = f"   (w.r.t. {wrt})" if len(rule.derivatives) > 1 and wrt != sym else ""
            lines.append(f"  {label} = {show_(expr)}{tag}")
    if rule.layout:
        lines.append(f"  ({rule.layout} layout: the gradient has the shape of the input)")
    for d in rule.where:
        text_ = f"   [{d.text}]" if d.text else ""
        lines.append(f"  where {show_(d.symbol)} = {show_(d.value)}{text_}")

    lines += ["", "inputs"]
    lines += _columns([[f"{inp.name}:", _input_text(inp, show_), inp.doc] for inp in inputs])
    if rule.params:
        lines += ["", "parameters (PyTorch's names and defaults)"]
        rows = []
        for p in rule.params:
            if p.is_choice:
                rows.append([f"{p.name} = {p.default!r}", "one of " + ", ".join(map(repr, p.choices)), p.doc])
            else:
                default = sp.sympify(p.default)
                num = f" ({float(default):g})" if not default.is_Integer else ""
                rows.append([f"{p.name} = {show_(default)}{num}", f"{show_(p.symbol)} ∈ {text_set(p.domain)}", p.doc])
        lines += _columns(rows)
    if rule.kinks:
        lines += ["", "kinks (conventions where the derivative jumps)"]
        defaults = {p.symbol: sp.sympify(p.default) for p in rule.params if p.symbol is not None}
        for kk in rule.kinks:
            wrt = kk.wrt or inputs[0].name
            lo, hi = kk.subdifferential(defaults)
            at = f"at {show_(rule.input(wrt).symbol)} = {show_(kk.at)}"
            conv = f"PyTorch {show_(kk.torch)}" + (f", JAX {show_(kk.jax)}" if kk.jax is not None else "")
            sides = f"left {show_(kk.left)}, right {show_(kk.right)}"
            if kk.jump:
                lines.append(f"  {at}: {conv}; {sides}; the function jumps here (no derivative)")
            else:
                lines.append(f"  {at}: {conv}, subdifferential [{show_(lo)}, {show_(hi)}] ({sides})")
            if kk.note:
                lines.append(f"      {kk.note}")
    if rule.identities:
        lines += ["", "identities (checked)"]
        rel = {"=": "=", "<=": "≤", ">=": "≥"}
        for ident in rule.identities:
            note = f"   ({ident.note})" if ident.note else ""
            lines.append(f"  {show_(ident.lhs)} {rel[ident.relation]} {show_(ident.rhs)}{note}")
    if rule.notes:
        lines += ["", "notes"] + [f"  - {note}" for note in rule.notes]
    if rule.references:
        lines += ["", "references"] + [f"  - {ref}" for ref in rule.references]
    if rule.torch:
        kwargs = "".join(f", {k}={v}" for k, v in rule.torch_kwargs)
        lines += ["", f"PyTorch: {rule.torch}{' (with' + kwargs[1:] + ')' if kwargs else ''}"]

    v = rule.verdict
    lines += ["", f"verdict: {v.summary()}" if v.status != "unverified" else f"verdict: unverified: {v.reason}"]
    if v.methods:
        lines.append("  methods: " + ", ".join(v.methods))
    for c in v.checks:
        detail = f" ({c.detail})" if c.detail else ""
        lines.append(f"  {c.status:8s} {c.claim}: {c.method}{detail}")
    return "\n".join(lines)


def _columns(rows: list[list[str]]) -> list[str]:
    """Rows of cells, left-aligned in columns and indented by two spaces."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return ["  " + "   ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _input_text(inp: Any, show_: Callable[[Any], str]) -> str:
    sym = show_(inp.symbol)
    if inp.class_index:
        return f"{sym}, a class index in 1..n"
    if inp.shape == "matrix":
        rows, cols = (text(d) for d in inp.symbol.shape)
        entries = "" if _is_reals(inp.domain) else f", entries in {text_set(inp.domain)}"
        return f"{sym} ∈ ℝ^({rows}×{cols}){entries}"
    if inp.shape == "vector":
        if inp.simplex:
            return f"{sym}, a probability vector (entries positive, summing to 1)"
        return f"{sym} ∈ ℝⁿ" if _is_reals(inp.domain) else f"{sym}, a vector with entries in {text_set(inp.domain)}"
    return f"{sym} ∈ {text_set(inp.domain)}"


def _is_reals(domain: Any) -> bool:
    import sympy as sp

    return bool(domain == sp.S.Reals)


def text(expr: Any) -> str:
    """A sympy expression as one line of Unicode: σ(x)·(1 − σ(x)), Σ_k exp(x_k), 𝟙[x > 0], Xᵀ."""
    import sympy as sp

    return str(_text_printer()(sp.sympify(expr)))


def text_set(domain: Any) -> str:
    """A sympy set as text: ℝ, (0, ∞), [0, 1], {0, 1}."""
    import sympy as sp

    if domain == sp.S.Reals:
        return "ℝ"
    if isinstance(domain, sp.Interval):
        lo = "(" if domain.left_open else "["
        hi = ")" if domain.right_open else "]"
        return f"{lo}{text(domain.start)}, {text(domain.end)}{hi}"
    if isinstance(domain, sp.FiniteSet):
        return "{" + ", ".join(text(a) for a in domain.args) + "}"
    if isinstance(domain, sp.Union):
        return " ∪ ".join(text_set(a) for a in domain.args)
    return str(domain)


_PRINTER: list[Callable[[Any], str]] = []


def _text_printer() -> Callable[[Any], str]:
    """The one-line Unicode printer, built on first use (it imports sympy)."""
    if not _PRINTER:
        _PRINTER.append(_make_text_printer())
    return _PRINTER[0]


def _make_text_printer() -> Callable[[Any], str]:
    import sympy as sp
    from sympy.core.function import AppliedUndef
    from sympy.printing.precedence import PRECEDENCE, precedence
    from sympy.printing.pretty.pretty_symbology import pretty_symbol
    from sympy.printing.str import StrPrinter

    from cheatsheet.notation import Indicator, Notation, n

    greek = {r"\sigma": "σ", r"\Phi": "Φ", r"\varphi": "φ", r"\phi": "φ"}
    superscripts = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
    relations = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}

    def factors(expr: sp.Basic) -> list[sp.Basic]:
        if isinstance(expr, sp.Mul):
            return [f for a in expr.args for f in factors(a)]
        return [expr]

    class TextPrinter(StrPrinter):  # type: ignore[misc]
        """sympy's str printer in textbook order with Unicode notation (mirrors latex.TextbookPrinter)."""

        # Indexed and others print themselves through ``_sympystr``; this printer decides instead.
        printmethod = "_cheatsheet_text"

        def __init__(self) -> None:
            super().__init__({"order": "none"})

        def _paren_unless(self, expr: sp.Basic, level: int) -> str:
            body = self._print(expr)
            return f"({body})" if precedence(expr) < level else body

        def _print_Symbol(self, expr: sp.Symbol) -> str:
            name = expr.name
            if name.startswith("var") and pretty_symbol(name[3:]) != name[3:]:
                name = name[3:]  # varepsilon, varphi: the Greek letter
            return str(pretty_symbol(name))

        _print_Dummy = _print_Symbol

        def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
            return str(pretty_symbol(expr.name))

        def _print_Add(self, expr: sp.Add, order: Any = None) -> str:
            out: list[str] = []
            for term in self._as_ordered_terms(expr, order=None):
                t = self._print(term)
                negative = t.startswith("−") and not term.is_Add
                if negative:
                    t = t[1:].lstrip()
                if precedence(term) < PRECEDENCE["Add"]:  # a nested sum needs none: (a + b) + c = a + b + c
                    t = f"({t})"
                out.append(("− " if negative else "+ ") + t if out else ("−" if negative else "") + t)
            return " ".join(out)

        def _print_Mul(self, expr: sp.Mul) -> str:
            negative = False
            num: list[sp.Basic] = []
            den: list[sp.Basic] = []
            for a in factors(expr):
                if a.is_Number:
                    if a.is_negative:
                        negative = not negative
                        a = -a
                    if a.is_Rational and a.q != 1:
                        if a.p != 1:
                            num.insert(0, sp.Integer(a.p))
                        den.insert(0, sp.Integer(a.q))
                        continue
                    if a != 1:
                        num.insert(0, a)
                elif isinstance(a, sp.Pow) and a.exp.is_Number and a.exp.is_negative:
                    den.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
                else:
                    num.append(a)
            nums = [a for a in num if a.is_Number]
            sums = [a for a in num if isinstance(a, sp.Add)]
            rest = [a for a in num if not a.is_Number and not isinstance(a, sp.Add)]
            top = "·".join(self._paren_unless(a, PRECEDENCE["Mul"]) for a in nums + rest + sums) or "1"
            if den:
                if len(den) == 1:
                    bottom = self._paren_unless(den[0], PRECEDENCE["Pow"])
                else:
                    bottom = "(" + "·".join(self._paren_unless(a, PRECEDENCE["Mul"]) for a in den) + ")"
                top = f"{top}/{bottom}"
            return ("−" + top) if negative else top

        def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
            base, e = expr.args
            if e.is_Number and e.is_negative:
                return self._print_Mul(sp.Mul(sp.S.One, expr, evaluate=False))
            if e == sp.S.Half:
                return f"√({self._print(base)})"
            b = str(self._print(base))
            if precedence(base) < PRECEDENCE["Pow"] or isinstance(base, sp.Pow) or b.startswith("−"):
                b = f"({b})"
            if e.is_Integer:
                return b + str(e).translate(superscripts)
            ex = self._print(e)
            return f"{b}^{ex}" if precedence(e) >= PRECEDENCE["Atom"] else f"{b}^({ex})"

        def _print_Rational(self, expr: sp.Rational) -> str:
            return f"{expr.p}/{expr.q}".replace("-", "−") if expr.q != 1 else str(expr.p).replace("-", "−")

        def _print_Integer(self, expr: sp.Integer) -> str:
            return str(expr.p).replace("-", "−")

        def _print_Half(self, expr: sp.Basic) -> str:
            return "1/2"

        def _print_Infinity(self, expr: sp.Basic) -> str:
            return "∞"

        def _print_NegativeInfinity(self, expr: sp.Basic) -> str:
            return "−∞"

        def _print_Pi(self, expr: sp.Basic) -> str:
            return "π"

        def _print_Exp1(self, expr: sp.Basic) -> str:
            return "e"

        def _print_Function(self, expr: sp.Function) -> str:
            if isinstance(expr, Indicator):
                return f"𝟙[{self._print(expr.args[0])}]"
            if isinstance(expr, Notation):
                name = type(expr).latex_name
                name = greek.get(name, name.replace(r"\operatorname{", "").rstrip("}").lstrip("\\"))
                return f"{name}({', '.join(self._print(a) for a in expr.args)})"
            if isinstance(expr, AppliedUndef):
                return f"{self._undef(expr.func)}({', '.join(self._print(a) for a in expr.args)})"
            name = {"log": "ln", "Abs": "", "Max": "max", "Min": "min"}.get(expr.func.__name__, expr.func.__name__)
            if expr.func.__name__ == "Abs":
                return f"|{self._print(expr.args[0])}|"
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"

        def _undef(self, func: Any) -> str:
            return {"finv": "f⁻¹"}.get(str(func), str(pretty_symbol(str(func))))

        _print_Abs = _print_Function
        _print_Max = _print_Function
        _print_Min = _print_Function
        _print_log = _print_Function
        _print_exp = _print_Function
        _print_sign = _print_Function

        def _print_KroneckerDelta(self, expr: sp.Basic) -> str:
            return "δ_" + "".join(self._print(a) for a in expr.args)

        def _print_Indexed(self, expr: sp.Indexed) -> str:
            idx = [self._print(a) for a in expr.indices]
            sub = "".join(idx) if all(len(s) == 1 for s in idx) else "(" + ", ".join(idx) + ")"
            return f"{self._print(expr.base.label)}_{sub}"

        def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
            return str(self._print(expr.label))

        def _limits(self, var: sp.Basic, lo: sp.Basic, hi: sp.Basic) -> str:
            if lo == 1 and hi == n:
                return str(self._print(var))
            return f"({self._print(var)}={self._print(lo)}..{self._print(hi)})"

        def _print_Sum(self, expr: sp.Sum) -> str:
            subs = "".join(self._limits(*lim) for lim in expr.limits)
            return f"Σ_{subs} {self._summand(expr.function)}"

        def _print_MaxOver(self, expr: Any) -> str:
            subs = "".join(self._limits(*lim) for lim in expr.limits)
            return f"max_{subs} {self._summand(expr.function)}"

        def _summand(self, body: sp.Basic) -> str:
            printed = self._paren_unless(body, PRECEDENCE["Mul"])
            return f"({printed})" if printed.startswith("−") else printed

        def _print_Piecewise(self, expr: sp.Piecewise) -> str:
            rows = []
            for e, c in expr.args:
                cond = "otherwise" if c == sp.true else f"if {self._print(c)}"
                rows.append(f"{self._print(e)} {cond}")
            return "{" + "; ".join(rows) + "}"

        def _print_Relational(self, expr: Any) -> str:
            op = relations.get(expr.rel_op, expr.rel_op)
            return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

        def _print_And(self, expr: Any) -> str:
            return " and ".join(self._paren_unless(a, PRECEDENCE["And"] + 1) for a in expr.args)

        def _print_Or(self, expr: Any) -> str:
            return " or ".join(self._paren_unless(a, PRECEDENCE["Or"] + 1) for a in expr.args)

        def _prime(self, body: sp.Basic, at: sp.Basic) -> str | None:
            """f′(at), σ″(at), ... for the derivative of a one-argument function of its own variable."""
            if not isinstance(body, sp.Derivative) or len(body.variables) != 1:
                return None
            inner, (var,) = body.expr, body.variables
            if not isinstance(inner, sp.Function) or inner.args != (var,):
                return None
            head = self._print(inner.func(sp.Dummy("t")))
            head = head[: head.rindex("(")]
            return f"{head}{'′' * body.derivative_count}({self._print(at)})"

        def _print_Derivative(self, expr: sp.Derivative) -> str:
            prime = self._prime(expr, expr.variables[0]) if len(expr.variables) == 1 else None
            if prime is not None:
                return prime
            wrt = "".join(f"∂{self._print(v)}" for v in expr.variables)
            return f"∂/{wrt} ({self._print(expr.expr)})"

        def _print_Subs(self, expr: sp.Subs) -> str:
            body, old, new = expr.args
            prime = self._prime(body, new[0]) if len(old) == 1 and body.variables == tuple(old) else None
            if prime is not None:
                return prime
            pairs = ", ".join(f"{self._print(o)} = {self._print(v)}" for o, v in zip(old, new))
            return f"({self._print(body)}) at {pairs}"

        def _print_Lambda(self, expr: sp.Lambda) -> str:
            (var,) = expr.variables if len(expr.variables) == 1 else (expr.variables,)
            return f"{self._print(var)} ↦ {self._print(expr.expr)}"

        def _print_Transpose(self, expr: Any) -> str:
            arg = expr.args[0]
            if isinstance(arg, sp.Inverse):
                return self._paren_unless(arg.args[0], PRECEDENCE["Pow"] + 1) + "⁻ᵀ"
            return self._paren_unless(arg, PRECEDENCE["Pow"] + 1) + "ᵀ"

        def _print_Inverse(self, expr: Any) -> str:
            arg = expr.args[0]
            if isinstance(arg, sp.Transpose):
                return self._paren_unless(arg.args[0], PRECEDENCE["Pow"] + 1) + "⁻ᵀ"
            return self._paren_unless(arg, PRECEDENCE["Pow"] + 1) + "⁻¹"

        def _print_MatMul(self, expr: Any) -> str:
            parts = [self._paren_unless(a, PRECEDENCE["Mul"]) for a in expr.args]
            sep = "" if all(len(p) <= 2 for p in parts) else "·"
            return sep.join(parts)

        def _print_Trace(self, expr: Any) -> str:
            return f"tr({self._print(expr.args[0])})"

        def _print_Determinant(self, expr: Any) -> str:
            return f"det({self._print(expr.args[0])})"

    printer = TextPrinter()
    return printer.doprint  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ build
def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from cheatsheet.build import ALL_FORMATS

    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in ALL_FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown format {', '.join(map(repr, unknown)) or 'none given'}; expected a comma-separated list of "
            f"{', '.join(ALL_FORMATS)}"
        )
    return chosen


@main.command(
    "build",
    short_help="Render the verified catalog: PDF (A4, Letter), HTML, rules.json, LaTeX, Markdown.",
    epilog="\b\nExamples:\n  cheatsheet build                          # every format into build/"
    "\n  cheatsheet build --paper a4 --formats pdf   # just the A4 PDF"
    "\n  cheatsheet build --out /tmp/sheet --quiet"
    "\n  cheatsheet build --check                   # fail, naming each stale file, if build/ is not fresh"
    "\n\nOutputs: cheatsheet.pdf (A4), cheatsheet-letter.pdf, cheatsheet.html, rules.json, cheatsheet.tex,"
    " cheatsheet.md. Rules that fail verification are never rendered: the build stops with one line per rule.\n\n"
    + _EXIT_CODES,
)
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("build"), show_default=True,
              help="Folder to write the outputs into (created if needed).")
@click.option("--paper", type=click.Choice(["a4", "letter", "both"]), default="both", show_default=True,
              help="Paper size of the PDF.")
@click.option("--formats", default="pdf,html,json,latex,md", show_default=True, callback=_formats,
              help="Comma-separated outputs to build.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=_cpu_count, show_default="number of CPUs", metavar="N",
              help="Processes for verifying and drawing pages.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--check", "check_only", is_flag=True,
              help="Rebuild into a temporary folder and fail, naming each stale file, when --out differs.")
@click.option("--rules", "rule_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Add custom rules from a TOML file (repeatable); they are verified like built-in ones.")
@click.option("--no-plugins", is_flag=True, help="Leave out the rules of installed plugin catalogs (cheatsheet.catalogs).")
@click.option("--reverify", is_flag=True,
              help="Verify every rule now, trusting neither the shipped record (cheatsheet/data/verdicts.json) nor the cache.")
def build_command(out: Path, paper: str, formats: tuple[str, ...], jobs: int, quiet: bool, check_only: bool,
                  rule_files: tuple[Path, ...], no_plugins: bool, reverify: bool) -> None:
    """Render the verified catalog into OUT; the stages and their timings are printed as they run.

    Incremental: verdicts, typeset formulas, card heights and drawn pages are cached by content hash
    ($CHEATSHEET_CACHE_DIR, default ~/.cache/cheatsheet), so an edit to one rule re-verifies and
    re-draws only what it touches, and a build with nothing changed returns at once. Outputs are
    written atomically and only when their bytes change.
    """
    from cheatsheet.build import BuildError, BuildOptions, build, stale_outputs
    from cheatsheet.cli.check import as_click_error

    papers = ("a4", "letter") if paper == "both" else (paper,)
    opts = BuildOptions(out=out, papers=papers, formats=formats, jobs=jobs, quiet=quiet, rule_files=rule_files,
                        plugins=not no_plugins, reverify=reverify)
    try:
        if check_only:
            stale = stale_outputs(opts)
            if stale:
                for name in stale:
                    click.echo(f"stale: {out / name}", err=True)
                raise CatalogError(
                    f"{len(stale)} file(s) in {out} differ from a fresh build; run `cheatsheet build` and commit them."
                )
            if not quiet:
                click.echo(f"{out}: every output is fresh")
            return
        if not quiet:
            click.echo(f"building into {out} ({', '.join(formats)}; paper {', '.join(papers)})")
        report = build(opts, echo=click.echo)
    except BuildError as exc:
        err = click.ClickException(str(exc))
        err.exit_code = exc.exit_code
        raise err from exc
    except Exception as exc:
        from cheatsheet.checking.rulefile import CustomRuleError  # here, not above: it imports sympy (the no-change path must not)

        if isinstance(exc, CustomRuleError):  # a --rules file or plugin: bad input (2) or a false claim (1)
            raise as_click_error(exc) from exc
        raise
    if not quiet and not report.up_to_date:
        wrote = ", ".join(report.written) or "nothing (all unchanged)"
        click.echo(f"wrote {wrote}")


def _register() -> None:
    from cheatsheet.cli.check import check

    main.add_command(check)


_register()
