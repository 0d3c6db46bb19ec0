"""The command line: every command, every error path, exit codes, and no traceback for a user's mistake.

These tests never write the shipped record (cheatsheet/data/verdicts.json): the record path points to a
temporary file, verify runs pass --no-record unless the record is the subject, and a guard checks the
shipped file is untouched. The verdict cache lives in a temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sympy as sp
from click.testing import CliRunner, Result

import cheatsheet
import cheatsheet.catalog
from cheatsheet.cli import main
from cheatsheet.notation import Indicator, MaxOver, sigmoid
from cheatsheet.printing.card import describe
from cheatsheet.printing.text import text, text_set
from cheatsheet.render.rules_json import export_json, schema
from cheatsheet.rule import Input, Kink, Param, Rule
from cheatsheet.verifier import record

SHIPPED = record.RECORD_PATH
SEEDS = ("exp", "relu", "sigmoid")


def _snapshot(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A temporary verdict cache and record; the shipped record must come out untouched."""
    before = _snapshot(SHIPPED)
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(record, "RECORD_PATH", tmp_path / "verdicts.json")
    yield
    assert _snapshot(SHIPPED) == before, "a test wrote the shipped record cheatsheet/data/verdicts.json"


def run(*args: str) -> Result:
    """Invoke the CLI; never a traceback, and any exception other than a clean exit is a bug."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def assert_error(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code`` with one 'Error: ...' line containing every fragment."""
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], result.output


# ------------------------------------------------------------------------------ version, help
def test_version() -> None:
    """--version prints the package version."""
    result = run("--version")
    assert result.exit_code == 0 and result.output == f"cheatsheet {cheatsheet.__version__}\n"


def test_python_m_cheatsheet_version() -> None:
    """`python -m cheatsheet` is the same command line."""
    proc = subprocess.run(
        [sys.executable, "-m", "cheatsheet", "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"cheatsheet {cheatsheet.__version__}\n"


def test_main_help_lists_commands_and_exit_codes() -> None:
    """The top-level help names every command, shows examples and documents the exit codes."""
    result = run("--help")
    assert result.exit_code == 0
    for word in ("list", "show", "verify", "export", "Examples:", "Exit codes:", "0  success", "2  bad usage"):
        assert word in result.output


@pytest.mark.parametrize("command", ["list", "show", "verify", "export"])
def test_every_command_help_has_an_example_and_exit_codes(command: str) -> None:
    """Each command's --help has an example of its own and the exit codes."""
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"cheatsheet {command}" in result.output.split("Examples:")[1]
    assert "Exit codes:" in result.output and "1  a rule failed" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    """A misspelt command exits 2."""
    result = run("verfy")
    assert result.exit_code == 2 and "No such command 'verfy'" in result.output


# ------------------------------------------------------------------------------ list
def test_list_table() -> None:
    """The table has one row per rule with id, title, family and the shipped status."""
    result = run("list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "title", "family", "status"]
    rules = cheatsheet.rules()
    for r in rules:
        row = next(line for line in lines if line.split() and line.split()[0] == r.id)
        assert r.title in row and r.family in row and row.endswith(r.verdict.status)
    assert lines[-1].startswith(f"{len(rules)} rules, ")


def test_list_family_json() -> None:
    """--family selects one family; --format json gives machine-readable rows."""
    result = run("list", "--family", "activation", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == [r.id for r in cheatsheet.rules("activation")]
    assert {"sigmoid", "relu"} <= {row["id"] for row in rows}
    assert all(set(row) == {"id", "title", "family", "status"} and row["family"] == "activation" for row in rows)


def test_list_unknown_family() -> None:
    """An unknown family is an error that names the families and the closest one."""
    assert_error(
        run("list", "--family", "activatoin"), 2, "unknown family 'activatoin'", "Did you mean 'activation'?", "loss"
    )


def test_list_bad_format() -> None:
    """--format accepts table or json only."""
    result = run("list", "--format", "yaml")
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.output


# ------------------------------------------------------------------------------ show
def test_show_sigmoid() -> None:
    """show prints the function, derivative, identities, notes, references and the verdict."""
    rule = cheatsheet.get("sigmoid")
    result = run("show", "sigmoid")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("sigmoid: Sigmoid\n")
    assert f"f(x) = {text(rule.function)}\n" in out and f"∂f/∂x = {text(rule.derivatives['input'])}\n" in out
    for section in ("inputs", "identities (checked)", "notes", "references", "verdict:"):
        assert f"\n{section}" in out
    assert all(note in out for note in rule.notes) and all(ref in out for ref in rule.references)


def test_show_latex() -> None:
    """--latex prints the formulas as the LaTeX the sheet typesets."""
    from cheatsheet.printing.latex import latex

    result = run("show", "sigmoid", "--latex")
    derivative = latex(cheatsheet.get("sigmoid").derivatives["input"])
    assert result.exit_code == 0 and f"∂f/∂x = {derivative}\n" in result.output and r"\sigma(x)" in derivative


def test_show_kinks_params_definitions() -> None:
    """Kink conventions, parameters with defaults and 'where' definitions are shown (seed rules)."""
    relu = run("show", "relu").output
    assert "at x = 0: PyTorch 0, subdifferential [0, 1]" in relu
    leaky = run("show", "leaky_relu").output
    assert "negative_slope = 1/100 (0.01)" in leaky and "α ∈ ℝ" in leaky
    assert "at x = 0: PyTorch α, JAX 1, subdifferential [min(1, α), max(1, α)]" in leaky  # α ∈ ℝ may exceed 1
    softmax = run("show", "softmax").output
    assert "∂f_i/∂x_j = " in softmax and "where p_k = exp(x_k)/Σ_j exp(x_j)" in softmax
    mse = run("show", "mse_loss").output
    assert "reduction = 'mean'" in mse and "(w.r.t. target)" in mse


def test_show_subdifferentials_ordered_and_kinks_where_they_exist() -> None:
    """The subdifferential is [min, max] of the one-sided derivatives: SELU's is [λ, λα] (printed [λα, λ] before),
    ELU's depends on α; hinge_embedding_loss's kink is stated for y = −1 only (printed [y, (1 + y)/2] before)."""
    assert "at x = 0: PyTorch λ·α, subdifferential [λ, λ·α] (left λ·α, right λ)" in run("show", "selu").output
    assert "subdifferential [min(1, α), max(1, α)]" in run("show", "elu").output
    hinge = run("show", "hinge_embedding_loss").output
    assert "at x = Δ, y = −1: PyTorch −1, subdifferential [−1, 0] (left −1, right 0)" in hinge


def test_show_unknown_id() -> None:
    """An unknown id names the closest one."""
    assert_error(run("show", "sofplus"), 2)
    assert run("show", "sofplus").output == "Error: no rule 'sofplus'. Did you mean 'softplus'?\n"


@pytest.mark.parametrize("rule", cheatsheet.rules(), ids=lambda r: r.id)
def test_show_every_rule(rule: Rule) -> None:
    """Every rule of the catalog shows, in text and in LaTeX, with each derivative printed."""
    from cheatsheet.printing.latex import latex

    out = describe(rule)
    assert out.startswith(f"{rule.id}: {rule.title}")
    assert all(text(e) in out for e in rule.derivatives.values())
    assert all(latex(e) in describe(rule, printer=latex) for e in rule.derivatives.values())


def test_describe_format_of_a_kinked_parametrized_rule() -> None:
    """The rule card's exact layout, on a rule built here (independent of the catalog's contents)."""
    x, a = sp.Symbol("x", real=True), sp.Symbol("alpha", real=True)
    rule = Rule(
        id="demo",
        title="Demo",
        family="activation",
        inputs=(Input("input", x),),
        params=(Param("negative_slope", sp.Rational(1, 100), a, doc="slope for x ≤ 0"),),
        function=sp.Piecewise((x, x > 0), (a * x, True)),
        derivative=sp.Piecewise((1, x > 0), (a, True)),
        kinks=(Kink(at=0, left=a, right=1, torch=a, jax=1, note="a note"),),
        notes=("A note.",),
        references=("PyTorch F.leaky_relu",),
        torch="F.leaky_relu",
    )
    lines = describe(rule).splitlines()
    assert lines[:5] == [
        "demo: Demo",
        "Activations (family 'activation'), scalar rule",
        "",
        "  f(x) = {x if x > 0; α·x otherwise}",
        "  ∂f/∂x = {1 if x > 0; α otherwise}",
    ]
    assert "  negative_slope = 1/100 (0.01)   α ∈ ℝ   slope for x ≤ 0" in lines
    assert "  at x = 0: PyTorch α, JAX 1, subdifferential [min(1, α), max(1, α)] (left α, right 1)" in lines
    assert "      a note" in lines and "  - A note." in lines and "PyTorch: F.leaky_relu" in lines
    assert lines[-1].startswith("verdict: unverified: ")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sigmoid(sp.Symbol("x", real=True)) * (1 - sigmoid(sp.Symbol("x", real=True))), "σ(x)·(1 − σ(x))"),
        (Indicator(sp.Symbol("x", real=True) > 0), "𝟙[x > 0]"),
        (
            sp.exp(sp.IndexedBase("x")[sp.Symbol("i")])
            / sp.Sum(
                sp.exp(sp.IndexedBase("x")[cheatsheet.notation.k]), (cheatsheet.notation.k, 1, cheatsheet.notation.n)
            ),
            "exp(x_i)/Σ_k exp(x_k)",
        ),
        (
            MaxOver(sp.IndexedBase("x")[cheatsheet.notation.k], (cheatsheet.notation.k, 1, cheatsheet.notation.n)),
            "max_k x_k",
        ),
        (sp.KroneckerDelta(cheatsheet.notation.i, cheatsheet.notation.j), "δ_ij"),
        (sp.MatrixSymbol("X", 3, 3).inv().T, "X⁻ᵀ"),
        (sp.Trace(sp.MatrixSymbol("A", 3, 3) * sp.MatrixSymbol("X", 3, 3)), "tr(AX)"),
        (1 / sp.sqrt(1 - sp.Symbol("x", real=True) ** 2), "1/√(1 − x²)"),
        (sp.Symbol("x", real=True) <= sp.Rational(-1, 2), "x ≤ −1/2"),
    ],
)
def test_text_printer(expr: Any, expected: str) -> None:
    """The terminal printer writes textbook notation on one line."""
    assert text(expr) == expected


def test_text_set() -> None:
    """Domains print as ℝ, intervals and finite sets."""
    assert text_set(sp.S.Reals) == "ℝ"
    assert text_set(sp.Interval.open(0, sp.oo)) == "(0, ∞)"
    assert text_set(sp.Interval(0, 1)) == "[0, 1]"
    assert text_set(sp.FiniteSet(-1, 1)) == "{−1, 1}"


# ------------------------------------------------------------------------------ verify
def test_verify_seed_rules_then_from_cache() -> None:
    """verify prints a status table; a second run takes every verdict from the cache."""
    first = run("verify", *SEEDS, "--no-record", "--jobs", "2")
    assert first.exit_code == 0, first.output
    assert "status" in first.output and "failed       0" in first.output and "total        3" in first.output
    assert "3 rules in" in first.output and "3 verified on 2 processes, 0 from cache" in first.output
    second = run("verify", *SEEDS, "--no-record", "-v")
    assert second.exit_code == 0
    assert "0 verified, 3 from cache" in second.output
    for rule_id in SEEDS:  # -v: one line per rule
        assert any(line.startswith(f"{rule_id} ") for line in second.output.splitlines())
    third = run("verify", *SEEDS, "--no-record", "--no-cache", "--jobs", "1")
    assert "3 verified on 1 process, 0 from cache" in third.output
    assert not record.RECORD_PATH.exists()  # --no-record


def test_verify_failing_rule_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong derivative fails with its counterexample on one line, and exit status 1."""
    x = cheatsheet.get("sigmoid").inputs[0].symbol
    wrong = dataclasses.replace(cheatsheet.get("sigmoid"), derivative=sigmoid(x) * (1 + sigmoid(x)))
    patched = tuple(wrong if r.id == "sigmoid" else r for r in cheatsheet.rules())
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: patched)
    result = run("verify", "sigmoid", "exp", "--no-record", "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert "failed       1" in result.output and "1 rule failed:" in result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("  sigmoid: ")]
    assert "expected" in line and "got" in line


def test_verify_refreshes_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without IDS the record gets the whole (here: patched, three-rule) catalog; with IDS just those."""
    three = tuple(cheatsheet.get(i) for i in SEEDS)
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: three)
    result = run("verify", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "record: 3 verdicts written to" in result.output
    data = json.loads(record.RECORD_PATH.read_text(encoding="utf-8"))
    assert sorted(data["rules"]) == sorted(SEEDS)
    assert all("seconds" not in v for v in data["rules"].values())
    again = run("verify", "relu", "--jobs", "1")
    assert again.exit_code == 0 and "record: 1 verdicts written to" in again.output
    assert sorted(json.loads(record.RECORD_PATH.read_text(encoding="utf-8"))["rules"]) == sorted(SEEDS)


def test_verify_unknown_ids() -> None:
    """Every unknown id is reported at once, with suggestions; nothing is verified."""
    result = run("verify", "sofplus", "relu", "sigmoidd", "--no-record")
    assert_error(result, 2, "no rule 'sofplus'. Did you mean 'softplus'?", "no rule 'sigmoidd'")
    assert "status" not in result.output


def test_verify_ids_outside_the_family() -> None:
    """IDS and --family that select nothing are an error, not an empty run."""
    assert_error(run("verify", "relu", "--family", "loss", "--no-record"), 2, "none of relu is in family 'loss'")


def test_verify_unknown_family() -> None:
    """--family is checked like list's."""
    assert_error(run("verify", "--family", "los", "--no-record"), 2, "Did you mean 'loss'?")


@pytest.mark.parametrize("jobs", ["0", "-3", "many"])
def test_verify_bad_jobs(jobs: str) -> None:
    """--jobs must be a positive integer."""
    result = run("verify", "relu", "--jobs", jobs, "--no-record")
    assert result.exit_code == 2 and "Invalid value for '--jobs'" in result.output


def test_verify_torch_without_pytorch(monkeypatch: pytest.MonkeyPatch) -> None:
    """--torch without PyTorch says how to install it, before verifying anything."""
    import cheatsheet.conformance

    monkeypatch.setattr(cheatsheet.conformance, "torch_available", lambda: False)
    result = run("verify", "relu", "--torch", "--no-record")
    assert result.output == 'Error: --torch needs PyTorch: pip install "cheatsheet[torch]"\n'
    assert result.exit_code == 2


def _torch() -> object:
    """PyTorch, required when CHEATSHEET_REQUIRE_TORCH=1 (as in CI), else optional (skip without it)."""
    import os

    if os.environ.get("CHEATSHEET_REQUIRE_TORCH") == "1":
        import torch

        return torch
    return pytest.importorskip("torch")


def test_verify_torch_table() -> None:
    """--torch adds a conformance table; a rule without counterpart is counted, not listed."""
    _torch()
    result = run("verify", "relu", "exp", "product_rule", "--torch", "--no-record", "--jobs", "1")
    assert result.exit_code == 0, result.output
    table = result.output.split("PyTorch conformance")[1]
    assert table.splitlines()[1].split()[:4] == ["id", "status", "points", "max"]
    assert any(line.split()[:2] == ["relu", "conforms"] for line in table.splitlines() if line.strip())
    assert "product_rule" not in table
    assert "2 of 2 conform; 1 without a PyTorch counterpart" in table


def test_verify_torch_difference_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose PyTorch counterpart disagrees makes --torch exit 1 and shows where."""
    _torch()
    relu = dataclasses.replace(cheatsheet.get("relu"), torch="torch.sigmoid")
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: (relu,))
    result = run("verify", "relu", "--torch", "--no-record", "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert any(line.split()[:2] == ["relu", "differs"] for line in result.output.splitlines() if line.strip())
    assert "0 of 1 conform, 1 differ" in result.output


# ------------------------------------------------------------------------------ export
@pytest.mark.slow  # exports the whole catalog
def test_export_stdout_validates() -> None:
    """export prints the JSON rule table, valid against the shipped schema."""
    result = run("export", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema()).validate(data)
    assert set(data["rules"]) == {r.id for r in cheatsheet.rules()}


@pytest.mark.slow
def test_export_to_file_is_deterministic(tmp_path: Path) -> None:
    """-o writes the same bytes as stdout, and two exports are byte-identical."""
    out = tmp_path / "build" / "rules.json"
    first = run("export", "-o", str(out))
    assert first.exit_code == 0 and first.stdout == "" and f"wrote {out}" in first.stderr
    once = out.read_bytes()
    assert run("export", "--output", str(out)).exit_code == 0
    assert out.read_bytes() == once == run("export").stdout.encode("utf-8") == export_json().encode("utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["rules.json"]  # no temporary file left behind


def test_export_bad_format() -> None:
    """Only json exists."""
    result = run("export", "--format", "yaml")
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.output and "'json'" in result.output


def test_export_unwritable_path(tmp_path: Path) -> None:
    """An output path that cannot be written is one clear error."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_error(run("export", "-o", str(blocker / "rules.json")), 2, "cannot write", "Pick another -o FILE")


def test_export_output_is_a_directory(tmp_path: Path) -> None:
    """-o naming a directory is a usage error."""
    result = run("export", "-o", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output


# ------------------------------------------------------------------------------ a catalog that does not load
def test_broken_catalog_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose data is inconsistent stops every command with one line naming it (exit 1)."""
    from cheatsheet.rule import RuleError

    def broken() -> tuple[Rule, ...]:
        raise RuleError("rule 'demo': title is empty")

    monkeypatch.setattr(cheatsheet.catalog, "load", broken)
    assert_error(run("list"), 1, "the catalog does not load: rule 'demo': title is empty")


def test_verify_record_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that cannot be written (e.g. a read-only install) is one error that suggests --no-record."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setattr(record, "RECORD_PATH", blocker / "verdicts.json")
    assert_error(run("verify", "relu", "--jobs", "1"), 2, "cannot write the verification record", "pass --no-record")


# ------------------------------------------------------------------------------ check --timeout
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e308", "1e10", "3601", "-1", "0", "-0.0", "1e-400"])
def test_check_timeout_out_of_range_is_a_usage_error(value: str) -> None:
    """--timeout nan|inf|1e308|1e10 ended in a traceback from the time limit: now click's one-line error, exit 2."""
    result = run("check", "x^2", "2*x", "--timeout", value)
    assert_error(result, 2, "Invalid value for '--timeout'", "is not a number of seconds more than 0 and at most 3600")


def test_check_timeout_within_range_runs() -> None:
    """The largest accepted limit (3600 s) and a small one run the check as usual."""
    for value in ("3600", "0.5e1"):
        result = run("check", "x^2", "2*x", "--timeout", value)
        assert result.exit_code == 0 and result.output.startswith("TRUE"), result.output


def test_check_help_states_the_timeout_range() -> None:
    result = run("check", "--help")
    assert "more than 0 and at most 3600" in " ".join(result.output.split())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e308, 1e10, 0, -1, 3600.5])
def test_python_check_validates_the_timeout(value: float) -> None:
    """cheatsheet.check(timeout=...) refuses the same values with a clear InputError (a ValueError)."""
    from cheatsheet.grammar.parse import InputError

    with pytest.raises(InputError, match=r"^timeout .*: expected a number of seconds more than 0 and at most 3600$"):
        cheatsheet.check("x^2", "2*x", timeout=value)


@pytest.mark.parametrize("value", ["30", True, [30]])
def test_python_check_timeout_must_be_a_number(value: Any) -> None:
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        cheatsheet.check("x^2", "2*x", timeout=value)


def test_python_check_without_a_timeout_still_runs() -> None:
    """timeout=None (documented: no limit, in this process) is not a bad value."""
    assert cheatsheet.check("x^2", "2*x", timeout=None).holds


# ------------------------------------------------------------------------------ build --rules FILE that cannot be read
def _limited_memory() -> None:  # a regression that reads /dev/zero dies here instead of filling the machine
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, resource.RLIM_INFINITY))


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "/dev/zero",
        "/proc/self/mem",
        "FIFO",
        "unreadable",
        "not UTF-8",
        "too large",
        "function = 3",
        "NUL in a note",
    ],
)
def test_build_rules_file_problems_are_one_error_line(case: str, tmp_path: Path) -> None:
    """`cheatsheet build --rules FILE` with a file that cannot be used: one `Error:` line naming the file and
    what is wrong, exit status 2, no traceback, nothing written (run as a process: a regression must not hang
    or fill the memory of the test run)."""
    import os

    files = {
        "missing": tmp_path / "missing.toml",
        "/dev/zero": Path("/dev/zero"),
        "/proc/self/mem": Path("/proc/self/mem"),
        "FIFO": tmp_path / "pipe.toml",
        "unreadable": tmp_path / "locked.toml",
        "not UTF-8": tmp_path / "latin1.toml",
        "too large": tmp_path / "huge.toml",
        "function = 3": tmp_path / "number.toml",
        "NUL in a note": tmp_path / "nul.toml",
    }
    expected = {
        "missing": "no such file",
        "/dev/zero": "is a character device, not a regular file; expected a TOML rule file",
        "/proc/self/mem": "cannot be read: Input/output error",
        "FIFO": "is a named pipe (FIFO), not a regular file",
        "unreadable": "cannot be read: permission denied",
        "not UTF-8": ":3:13: not valid UTF-8 (byte 0xe9)",
        "too large": "is larger than 1000000 bytes",
        "function = 3": ":3:12: rule 'a', function: expected an expression in quotes, got an integer (3)",
        "NUL in a note": ":5:9: rule 'a', notes: control character U+0000",
    }
    path = files[case]
    if case == "FIFO":
        os.mkfifo(path)
    elif case == "unreadable":
        path.write_text('[[rule]]\nid = "a"\nfunction = "x^2"\nderivative = "2*x"\n', encoding="utf-8")
        path.chmod(0)
    elif case == "not UTF-8":
        path.write_bytes(b'[[rule]]\nid = "a"\ntitle = "caf\xe9"\n')
    elif case == "too large":
        with path.open("wb") as fh:
            fh.truncate(10**9)
    elif case == "function = 3":
        path.write_text('[[rule]]\nid = "a"\nfunction = 3\nderivative = "0"\n', encoding="utf-8")
    elif case == "NUL in a note":
        path.write_text(
            '[[rule]]\nid = "a"\nfunction = "x^2"\nderivative = "2*x"\nnotes = ["a\\u0000b"]\n', encoding="utf-8"
        )
    if case == "unreadable" and os.geteuid() == 0:  # root reads any file: deny the open as the kernel would
        probe = (
            "import errno, os, sys\nreal = os.open\n"
            "def denied(f, *a, **k):\n"
            "    if os.fspath(f) == sys.argv[1]: raise PermissionError(errno.EACCES, 'Permission denied', f)\n"
            "    return real(f, *a, **k)\n"
            "os.open = denied\nfrom cheatsheet.cli import main\n"
            "main(['build', '--out', sys.argv[2], '--formats', 'json', '--no-plugins', '--rules', sys.argv[1]])\n"
        )
        args = [sys.executable, "-c", probe, str(path), str(tmp_path / "out")]
    else:
        args = [
            sys.executable,
            "-m",
            "cheatsheet",
            "build",
            "--out",
            str(tmp_path / "out"),
            "--formats",
            "json",
            "--no-plugins",
            "--rules",
            str(path),
        ]
    proc = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=_limited_memory,
        env={**os.environ, "CHEATSHEET_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [line for line in proc.stderr.splitlines() if line.strip()], proc.stderr  # only that line
    (error,) = errors
    assert error.startswith(f"Error: {path}") and expected[case] in error, error
    assert not (tmp_path / "out").exists()
