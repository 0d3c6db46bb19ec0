"""Custom rules from TOML files and plugin catalogs: they load, verify like the catalog, and every
kind of bad input is one line with file:line:column, what was wrong and a hint (exit 2), a false
claim is exit 1 with its counterexample."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.checking.custom import load_custom_rules, verify_custom
from cheatsheet.checking.plugins import ENTRY_POINT_GROUP, plugin_rules
from cheatsheet.checking.problems import CustomRuleError
from cheatsheet.checking.rulefile import load_rule_file
from cheatsheet.cli.check import as_click_error
from cheatsheet.notation import sigmoid
from cheatsheet.printing.latex import latex
from cheatsheet.rule import FAMILIES

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "rules" / "swish_beta.toml"
PLUGIN = DATA / "example_plugin"


def test_example_file_loads_verifies_and_prints_as_written() -> None:
    """The documented example: families, exact parameters, kinks and identities; every rule proved."""
    rules = {r.id: r for r in load_rule_file(EXAMPLE)}
    assert list(rules) == ["swish_beta", "shifted_relu", "log_cosh"]
    swish = rules["swish_beta"]
    assert swish.family == "activation" and swish.inputs[0].name == "input"
    assert swish.param("beta").default == 1 and swish.param("beta").samples == (2, sp.Rational(1, 2))
    assert swish.param("beta").symbol.is_positive
    x, beta = swish.inputs[0].symbol, swish.param("beta").symbol
    with evaluate(False):  # printed in the order written, as the catalog's textbook() does
        written = sigmoid(beta * x) + beta * x * sigmoid(beta * x) * (1 - sigmoid(beta * x))
    assert latex(swish.derivatives["input"]) == latex(written)
    shifted = rules["shifted_relu"]
    assert shifted.family == "custom" and shifted.param("b").default == sp.Rational(1, 2) and len(shifted.kinks) == 1
    assert rules["log_cosh"].identities[0].relation == "<="
    assert "custom" in FAMILIES
    loaded = load_custom_rules([EXAMPLE], plugins=False)
    assert [v.verdict.status for v in loaded] == ["proved", "proved", "proved"]
    assert loaded[0].source.endswith("swish_beta.toml:5:6")
    assert loaded[0].rule.derivative_at(0.0) == pytest.approx(0.5)  # the executable table works too


def _write(tmp_path: Path, text: str | bytes, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


RULE = '[[rule]]\nid = "mine"\nfunction = "x^2"\nderivative = "2*x"\n'

BAD = [
    # (what, file text, line:column, message, exit status)
    (
        "malformed TOML",
        '[[rule]]\nid = "a"\nfunction = x^2\nderivative = "2*x"\n',
        "3:12",
        "malformed TOML: Invalid value. Put expressions in quotes",
        2,
    ),
    ("duplicate key", RULE + 'id = "again"\n', "", "malformed TOML", 2),
    (
        "unknown key",
        '[[rule]]\nid = "a"\nfuncion = "x^2"\nderivative = "2*x"\n',
        "3:1",
        "rule 'a', funcion: unknown key 'funcion'. Did you mean 'function'?",
        2,
    ),
    (
        "unknown param key",
        RULE + '[[rule.params]]\nname = "a"\ndefault = 1\ndomian = "positive"\n',
        "8:1",
        "params[1].domian: unknown key 'domian'. Did you mean 'domain'?",
        2,
    ),
    ("unknown top-level key", '[[rules]]\nid = "a"\n', "", "unknown top-level key 'rules'. Did you mean 'rule'?", 2),
    ("missing field", '[[rule]]\nid = "a"\nderivative = "2*x"\n', "1:1", "rule 'a': missing 'function'", 2),
    ("missing param default", RULE + '[[rule.params]]\nname = "a"\n', "5:1", "params[1]: missing 'default'", 2),
    ("bad id", '[[rule]]\nid = "My Rule"\nfunction = "x^2"\nderivative = "2*x"\n', "2:6", "must be snake_case", 2),
    ("duplicate id in a file", RULE + RULE, "6:6", "rule id 'mine' is defined twice (first at", 2),
    ("clash with a built-in", RULE.replace('"mine"', '"relu"'), "2:6", "clashes with the built-in rule 'relu'", 2),
    (
        "parameter typo",
        '[[rule]]\nid = "sw"\nfunction = "x*sigmoid(bta*x)"\nderivative = "1"\n[[rule.inputs]]\nname = "x"\n[[rule.params]]\nname = "beta"\ndefault = 1\n',
        "3:23",
        "rule 'sw', function: unknown name 'bta'. Did you mean 'beta'?",
        2,
    ),
    (
        "unknown function",
        RULE.replace('"x^2"', '"sigmod(x)"'),
        "3:13",
        "unknown function 'sigmod'. Did you mean 'sigmoid'?",
        2,
    ),
    ("syntax error", RULE.replace('"x^2"', '"x^2 +"'), "3:18", "expected an expression, found the end", 2),
    (
        "hostile expression",
        RULE.replace('"x^2"', "\"__import__('os').system('touch pwned')\""),
        "3:13",
        "unexpected character '_'",
        2,
    ),
    (
        "non-UTF-8",
        (RULE + 'notes = ["caf\xe9"]\n').encode("latin-1"),
        "5:14",
        "not valid UTF-8 (byte 0xe9). Save the file as UTF-8",
        2,
    ),
    (
        "deeply nested",
        RULE.replace('"x^2"', '"' + "(" * 60 + "x" + ")" * 60 + '"'),
        "3:53",
        "nested more than 40 levels deep",
        2,
    ),
    (
        "enormous",
        RULE.replace('"x^2"', '"' + "+".join(["x"] * 1500) + '"'),
        "",
        "characters long; the limit is 2000",
        2,
    ),
    ("huge power", RULE.replace('"x^2"', '"x^100000"'), "3:15", "exponent 100000 is too large", 2),
    ("TOML nesting", "a = " + "[" * 3000 + "]" * 3000 + "\n", "1:1", "TOML nested too deeply", 2),
    ("wrong type", RULE + "notes = 3\n", "5:9", "notes: expected a list of strings, got an integer (3)", 2),
    (
        "derivative of a non-input",
        RULE.replace('derivative = "2*x"', 'derivative = {inptu = "2*x"}'),
        "4:15",
        "derivative.inptu: derivative w.r.t. 'inptu', which is not an input",
        2,
    ),
    (
        "kink w.r.t. a non-input",
        RULE + '[[rule.kinks]]\nat = "0"\nleft = "0"\nright = "0"\ntorch = "0"\nwrt = "y"\n',
        "10:7",
        "kinks[1].wrt: 'y' is not an input",
        2,
    ),
    (
        "default outside the domain",
        RULE + '[[rule.params]]\nname = "a"\ndefault = -1\ndomain = "positive"\n',
        "7:11",
        "default -1 lies outside",
        2,
    ),
    (
        "bad domain",
        '[[rule]]\nid = "a"\nfunction = "log(x)"\nderivative = "1/x"\n[[rule.inputs]]\nname = "x"\ndomain = "postive"\n',
        "7:11",
        "unknown domain 'postive'. Did you mean 'positive'?",
        2,
    ),
    (
        "unknown family",
        RULE + 'family = "activations"\n',
        "5:10",
        "unknown family 'activations'. Did you mean 'activation'?",
        2,
    ),
    ("reserved symbol", RULE + '[[rule.params]]\nname = "e"\ndefault = 1\n', "5:1", "symbol 'e' is a reserved name", 2),
    (
        "function not real on its domain",
        '[[rule]]\nid = "mylog"\nfunction = "log(x)"\nderivative = "1/x"\n',
        "2:6",
        "the function is not a finite real number at x = ",
        2,
    ),
    ("false claim", RULE.replace('"2*x"', '"3*x"'), "2:6", "rule 'mine': false claim: ∂/∂x at x = ", 1),
    (
        "false kink convention",
        RULE.replace('"x^2"', '"|x|"').replace('"2*x"', '"sign(x)"')
        + '[[rule.kinks]]\nat = "0"\nleft = "-1"\nright = "1"\ntorch = "1"\n',
        "2:6",
        "false claim: kink at x = 0",
        1,
    ),
    ("empty file", "", "", "has no rules", 2),
    (
        "wrong kink value at an irrational point",
        (
            '[[rule]]\nid = "floor2"\nfunction = "max(2, exp(x))"\nderivative = "where(exp(x) > 2, exp(x), 0)"\n'
            '[[rule.kinks]]\nat = "log(2)"\nleft = "0"\nright = "2"\ntorch = "1"\n'
        ),
        "2:6",
        "false claim: kink at x = log(2)",
        1,
    ),
]


@pytest.mark.parametrize(("what", "text", "at", "message", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_line(
    what: str, text: str | bytes, at: str, message: str, code: int, tmp_path: Path
) -> None:
    """Each problem: file:line:column (where it can be known), what was wrong, a hint, the exit status."""
    path = _write(tmp_path, text)
    with pytest.raises(CustomRuleError) as info:
        load_custom_rules([path], plugins=False)
    err = info.value
    assert err.exit_code == code, str(err)
    lines = str(err).splitlines()
    assert len(lines) == len(err.problems) >= 1
    first = lines[0]
    assert first.startswith(f"{path}:{at}:" if at else str(path)), first
    assert message in first, first
    click_error = as_click_error(err)
    assert click_error.exit_code == code


RULE_CHECKS = [
    # (what, file text, line:column, message): checked by Rule itself, reported at the key it blames
    ("empty title", RULE + 'title = "  "\n', "5:9", "rule 'mine', title: title is empty"),
    (
        "parameter named twice",
        RULE + '[[rule.params]]\nname = "a"\ndefault = 1\n[[rule.params]]\nname = "a"\nsymbol = "b"\ndefault = 2\n',
        "9:8",
        "rule 'mine', params[2].name: parameter names repeat: ['a', 'a']",
    ),
    (
        "input named twice",
        '[[rule]]\nid = "d"\nfunction = "x*y"\nderivative = "y"\n[[rule.inputs]]\nname = "x"\n'
        '[[rule.inputs]]\nname = "x"\nsymbol = "y"\n',
        "8:8",
        "rule 'd', inputs[2].name: input names repeat: ['x', 'x']",
    ),
    (
        "kink w.r.t. an input without a derivative",
        '[[rule]]\nid = "k"\nfunction = "x*y"\nderivative = {y = "x"}\n'
        '[[rule.kinks]]\nat = "0"\nleft = "0"\nright = "0"\ntorch = "0"\n',
        "5:1",
        "rule 'k', kinks[1]: kink at 0 is w.r.t. 'x', which has no derivative",
    ),
]


@pytest.mark.parametrize(("what", "text", "at", "message"), RULE_CHECKS, ids=[c[0] for c in RULE_CHECKS])
def test_the_rules_own_checks_point_at_the_key(what: str, text: str, at: str, message: str, tmp_path: Path) -> None:
    """What Rule validates is checked once, by Rule; the file reader reports its complaint at the key it
    blames (or the table, for a key left to its default), not at the start of the rule."""
    path = _write(tmp_path, text)
    with pytest.raises(CustomRuleError) as info:
        load_rule_file(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:{at}: {message}"), str(problem)


def test_kink_at_an_irrational_point(tmp_path: Path) -> None:
    text = '[[rule]]\nid = "floor2"\nfunction = "max(2, exp(x))"\nderivative = "where(exp(x) > 2, exp(x), 0)"\n'
    text += '[[rule.kinks]]\nat = "log(2)"\nleft = "0"\nright = "2"\ntorch = "0"\n'
    (v,) = load_custom_rules([_write(tmp_path, text)], plugins=False)
    assert v.verdict.status == "proved"


def test_false_claim_names_the_correct_derivative(tmp_path: Path) -> None:
    path = _write(tmp_path, RULE.replace('"2*x"', '"3*x"'))
    with pytest.raises(CustomRuleError) as info:
        load_custom_rules([path], plugins=False)
    assert "The derivative is 2*x" in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """All problems of all files, then one abort (mkdocs-style), not just the first one."""
    a = _write(
        tmp_path,
        RULE.replace('"x^2"', '"sigmod(x)"') + RULE.replace('"mine"', '"other"').replace('"x^2"', '"x^"'),
        "a.toml",
    )
    b = _write(tmp_path, RULE.replace('"mine"', '"third"') + "notes = 1\n", "b.toml")
    with pytest.raises(CustomRuleError) as info:
        load_custom_rules([a, b, tmp_path / "missing.toml"], plugins=False)
    text = str(info.value)
    assert info.value.exit_code == 2 and len(info.value.problems) == 4
    assert (
        "sigmod" in text and "expected an exponent" in text and "notes" in text and "missing.toml: no such file" in text
    )


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    a, b = _write(tmp_path, RULE, "a.toml"), _write(tmp_path, RULE, "b.toml")
    with pytest.raises(CustomRuleError, match=r"b.toml:2:6: rule id 'mine' is defined twice \(first at .*a.toml:2:6\)"):
        load_custom_rules([a, b], plugins=False)


def test_inputs_default_to_the_functions_variables(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[rule]]\nid = "xy_squared"\nfunction = "x*y^2"\nderivative = {x = "y^2", y = "2*x*y"}\n')
    (rule,) = load_rule_file(path)
    assert [i.name for i in rule.inputs] == ["x", "y"] and set(rule.derivatives) == {"x", "y"}
    (verified,) = load_custom_rules([path], plugins=False)
    assert verified.verdict.status == "proved"


def test_verification_time_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, RULE.replace('"x^2"', '"sin(exp(exp(exp(x))))"').replace('"2*x"', '"0"'))
    with pytest.raises(CustomRuleError, match="time limit of 1 s") as info:
        load_custom_rules([path], plugins=False, timeout=1)
    assert info.value.exit_code == 2


def test_unverified_loading(tmp_path: Path) -> None:
    (v,) = load_custom_rules([_write(tmp_path, RULE.replace('"2*x"', '"3*x"'))], plugins=False, verify=False)
    assert v.verdict.status == "unverified"
    with pytest.raises(CustomRuleError) as info:
        verify_custom([v.rule])
    assert info.value.exit_code == 1


# ----------------------------------------------------------------------------------- plugins
def _fake_install(site: Path, entry: str = "example = cheatsheet_example_plugin:catalog") -> None:
    """The example package plus the metadata pip would write (a .dist-info with entry_points.txt)."""
    shutil.copytree(PLUGIN / "cheatsheet_example_plugin", site / "cheatsheet_example_plugin")
    info = site / "cheatsheet_example_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cheatsheet-example-plugin\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry}\n", encoding="utf-8")


@pytest.fixture
def clean_modules():  # type: ignore[no-untyped-def]
    yield
    sys.modules.pop("cheatsheet_example_plugin", None)


def test_plugin_catalog_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_modules: None
) -> None:
    """An installed package's entry point adds its rules: a Rule object and a TOML file it ships."""
    _fake_install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [r.id for r in plugin_rules()] == ["example_cube", "example_log1p_abs"]
    loaded = load_custom_rules([EXAMPLE])
    assert [v.rule.id for v in loaded] == [
        "swish_beta",
        "shifted_relu",
        "log_cosh",
        "example_cube",
        "example_log1p_abs",
    ]
    assert all(v.verdict.status == "proved" for v in loaded)
    assert loaded[3].source.startswith(
        "plugin 'example' (cheatsheet_example_plugin:catalog, from cheatsheet-example-plugin)"
    )
    assert load_custom_rules([], plugins=False) == []


def test_broken_plugins_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_install(tmp_path, "broken = no_such_module:catalog\njunk = cheatsheet_example_plugin:__doc__")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(CustomRuleError) as info:
            plugin_rules()
    finally:
        sys.modules.pop("cheatsheet_example_plugin", None)
    text = str(info.value)
    assert (
        "plugin 'broken' (no_such_module:catalog, from cheatsheet-example-plugin): cannot be loaded: ModuleNotFoundError"
        in text
    )
    assert "plugin 'junk'" in text and "names a str, not a callable" in text


def test_plugin_rule_clashing_with_a_file_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_modules: None
) -> None:
    _fake_install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    path = _write(tmp_path, RULE.replace('"mine"', '"example_cube"'))
    with pytest.raises(CustomRuleError, match=r"plugin 'example'.*rule id 'example_cube' is defined twice"):
        load_custom_rules([path])


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None, reason="the example plugin builds with setuptools")
def test_example_plugin_installs_with_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_modules: None) -> None:
    """The example package as a user would install it (offline: no dependencies, no build isolation)."""
    source = tmp_path / "src"
    shutil.copytree(PLUGIN, source)  # setuptools writes build/ and *.egg-info next to the sources
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(tmp_path / "site"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert [r.id for r in plugin_rules()] == ["example_cube", "example_log1p_abs"]


def test_load_for_build(tmp_path: Path) -> None:
    """The build's entry point: rules out, or one CustomRuleError with the exit status, before any output."""
    import cheatsheet
    from cheatsheet.checking.custom import load_for_build

    assert [r.id for r in load_for_build([EXAMPLE], cheatsheet.rules(), plugins=False)] == [
        "swish_beta",
        "shifted_relu",
        "log_cosh",
    ]
    with pytest.raises(CustomRuleError, match="clashes with the built-in rule 'sigmoid'") as info:
        load_for_build([_write(tmp_path, RULE.replace('"mine"', '"sigmoid"'))], cheatsheet.rules(), plugins=False)
    assert info.value.exit_code == 2


# ----------------------------------------------------------------------------------- files that cannot be read
def _unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rule file without read permission; as root (where chmod does not deny reads) opening it is made to
    fail as the kernel would for another user."""
    import errno
    import os

    path = _write(tmp_path, RULE, "locked.toml")
    path.chmod(0)
    if os.geteuid() == 0:
        real_open = os.open

        def denied(file: str, *args: Any, **kwargs: Any) -> int:
            if os.fspath(file) == str(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(os, "open", denied)
    return path


def _fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    path = tmp_path / "pipe.toml"
    os.mkfifo(path)  # nobody writes to it: opening it to read would block
    return path


def _directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "folder.toml").mkdir()
    return tmp_path / "folder.toml"


def _huge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "huge.toml"
    with path.open("wb") as fh:
        fh.truncate(10**9)  # sparse: 1 GB of NUL bytes that take no disk space
    return path


UNREADABLE = [
    # (what, the file, what the one line says)
    ("missing", lambda tmp, mp: tmp / "missing.toml", "no such file"),
    (
        "/dev/zero",
        lambda tmp, mp: Path("/dev/zero"),
        "is a character device, not a regular file; expected a TOML rule file",
    ),
    (
        "/dev/null",
        lambda tmp, mp: Path("/dev/null"),
        "is a character device, not a regular file; expected a TOML rule file",
    ),
    ("/proc/self/mem", lambda tmp, mp: Path("/proc/self/mem"), "cannot be read: Input/output error"),
    ("directory", _directory, "is a directory, not a regular file; expected a TOML rule file"),
    ("FIFO", _fifo, "is a named pipe (FIFO), not a regular file; expected a TOML rule file"),
    ("unreadable", _unreadable, "cannot be read: permission denied"),
    ("larger than 1 MB", _huge, "is larger than 1000000 bytes; a TOML rule file may have at most 1000000"),
]


@pytest.mark.parametrize(("what", "make", "message"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_a_file_that_cannot_be_read_is_one_problem(
    what: str,
    make,
    message: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Missing, a device, /proc/self/mem, a directory, a FIFO, unreadable, too large: a CustomRuleError (never an
    OSError, never a read of /dev/zero into memory, never a block on a FIFO) with one line naming the file."""
    from cheatsheet.timelimit import run_limited

    path = make(tmp_path, monkeypatch)

    def attempt() -> str:
        try:
            load_rule_file(path)
        except CustomRuleError as exc:
            return f"{exc.exit_code}|{exc}"
        return "loaded"

    # in a child with a time and memory limit: a regression reads /dev/zero until the memory is gone
    out = run_limited(attempt, seconds=60)
    code, _, text = out.partition("|")
    assert code == "2" and text.splitlines() == [f"{path}: {message}"], out


def test_a_rule_file_is_read_no_further_than_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size limit is checked while reading: at most MAX_FILE_BYTES + 1 bytes are read, whatever stat says
    (files in /proc report size 0, and a file can grow while it is read)."""
    import os

    from cheatsheet.checking import rulefile

    path = _huge(tmp_path, monkeypatch)
    real_read, real_stat, total = os.read, os.fstat, [0]

    def counting(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        total[0] += len(data)
        return data

    def zero_size(fd: int) -> os.stat_result:  # as /proc reports: size 0, regular file
        st = real_stat(fd)
        return os.stat_result(
            (
                st.st_mode,
                st.st_ino,
                st.st_dev,
                st.st_nlink,
                st.st_uid,
                st.st_gid,
                0,
                int(st.st_atime),
                int(st.st_mtime),
                int(st.st_ctime),
            )
        )

    monkeypatch.setattr(os, "read", counting)
    monkeypatch.setattr(os, "fstat", zero_size)
    with pytest.raises(CustomRuleError, match="is larger than 1000000 bytes"):
        load_rule_file(path)
    assert 0 < total[0] <= rulefile.MAX_FILE_BYTES + 1


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    """A file that is not UTF-8: one line with the file, line and column of the first bad byte."""
    path = _write(tmp_path, RULE.encode() + b'title = "caf\xe9"\n')
    with pytest.raises(CustomRuleError) as info:
        load_rule_file(path)
    assert str(info.value) == f"{path}:5:13: not valid UTF-8 (byte 0xe9). Save the file as UTF-8"


# ----------------------------------------------------------------------------------- keys of the wrong type
_FULL = """[[rule]]
id = "full"
title = "Full"
family = "custom"
function = "max(0, x - b)"
derivative = "indicator(x > b)"
notes = ["a note"]
references = ["a reference"]

[[rule.inputs]]
name = "x"
symbol = "x"
domain = "real"
doc = "the input"

[[rule.params]]
name = "b"
symbol = "b"
default = 1
domain = "positive"
samples = [2, "1/2"]
doc = "the shift"

[[rule.kinks]]
at = "b"
left = "0"
right = "1"
torch = "0"
jax = "0"
wrt = "x"
jump = false
note = "the kink"

[[rule.identities]]
lhs = "indicator(x > b)"
rhs = "1"
relation = "<="
note = "at most one"
"""

# (table, key, a value of the wrong type, what the message says it got)
WRONG_TYPES = [
    ("rule", "id", "3", "an integer (3)"),
    ("rule", "title", "1979-05-27", "a date (1979-05-27)"),
    ("rule", "title", '["a", "b"]', "a list of strings"),
    ("rule", "family", '{ name = "custom" }', "a table"),
    ("rule", "function", "3", "an integer (3)"),
    ("rule", "function", "2.5", "a number (2.5)"),
    ("rule", "function", "true", "a boolean (True)"),
    ("rule", "function", '["x^2"]', "a list of strings"),
    ("rule", "derivative", "[1, 2]", "a list of integers"),
    ("rule", "derivative", "1979-05-27T07:32:00", "a date-time (1979-05-27T07:32:00)"),
    ("rule", "derivative", "{ x = true }", "a boolean (True)"),
    ("rule", "notes", "3", "an integer (3)"),
    ("rule", "notes", '{ a = "b" }', "a table"),
    ("rule", "notes", "[1, 2]", "a list of integers"),
    ("rule", "references", "[true]", "a list of booleans"),
    ("rule", "references", '["a", 2]', "a list of integers and strings"),
    ("inputs", "name", "3", "an integer (3)"),
    ("inputs", "symbol", '["x"]', "a list of strings"),
    ("inputs", "domain", "1", "an integer (1)"),
    ("inputs", "doc", "3", "an integer (3)"),
    ("inputs", "doc", "07:32:00", "a time (07:32:00)"),
    ("params", "name", "true", "a boolean (True)"),
    ("params", "symbol", "2", "an integer (2)"),
    ("params", "default", "[1]", "a list of integers"),
    ("params", "default", "{ a = 1 }", "a table"),
    ("params", "default", "true", "a boolean (True)"),
    ("params", "default", "1979-05-27", "a date (1979-05-27)"),
    ("params", "domain", "2", "an integer (2)"),
    ("params", "samples", '"2"', "a string"),
    ("params", "samples", "[{}]", "a table"),
    ("params", "samples", "[true]", "a boolean (True)"),
    ("params", "doc", "[]", "a list"),
    ("kinks", "at", "true", "a boolean (True)"),
    ("kinks", "left", "[0]", "a list of integers"),
    ("kinks", "right", "{ a = 1 }", "a table"),
    ("kinks", "torch", "1979-05-27T07:32:00", "a date-time"),
    ("kinks", "jax", "false", "a boolean (False)"),
    ("kinks", "wrt", "1", "an integer (1)"),
    ("kinks", "jump", '"yes"', "a string"),
    ("kinks", "note", "1", "an integer (1)"),
    ("identities", "lhs", "[1]", "a list of integers"),
    ("identities", "rhs", "true", "a boolean (True)"),
    ("identities", "relation", "1", "an integer (1)"),
    ("identities", "note", "{}", "a table"),
]


def _replace_key(text: str, table: str, key: str, value: str) -> tuple[str, int]:
    """``text`` with ``key`` of ``table`` set to ``value``; and the (1-based) line it is on."""
    lines = text.splitlines()
    header = "[[rule]]" if table == "rule" else f"[[rule.{table}]]"
    start = lines.index(header)
    for no in range(start + 1, len(lines)):
        if lines[no].startswith(f"{key} = "):
            lines[no] = f"{key} = {value}"
            return "\n".join(lines) + "\n", no + 1
    raise AssertionError(f"no {key} in {table}")


def test_the_full_example_loads() -> None:
    """The file the wrong-type cases start from is valid (every key right): each case below changes one key."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (rule,) = load_rule_file(_write(Path(tmp), _FULL))
    assert (
        rule.id == "full" and len(rule.kinks) == 1 and len(rule.identities) == 1 and rule.inputs[0].doc == "the input"
    )


@pytest.mark.parametrize(
    ("table", "key", "value", "got"), WRONG_TYPES, ids=[f"{t}.{k}={v}" for t, k, v, _ in WRONG_TYPES]
)
def test_every_key_of_a_wrong_type_is_an_error(table: str, key: str, value: str, got: str, tmp_path: Path) -> None:
    """Every key the reader accepts, given a value of the wrong type: the rule is not dropped silently but
    refused with a line that gives the file:line of the key, names it, says what was expected and what came."""
    text, line = _replace_key(_FULL, table, key, value)
    path = _write(tmp_path, text)
    with pytest.raises(CustomRuleError) as info:
        load_rule_file(path)
    assert info.value.exit_code == 2
    first = str(info.value.problems[0])
    assert first.startswith(f"{path}:{line}:"), first
    assert re.search(rf"[ .]{key}(\.\w+)?: expected ", first) and f"got {got}" in first, first


def test_function_given_as_a_number_is_refused_through_the_build(tmp_path: Path) -> None:
    """The reported case: `function = 3` was dropped silently (exit 0); now it is exit 2 with its position."""
    path = _write(tmp_path, '[[rule]]\nid = "a"\nfunction = 3\nderivative = "0"\n')
    with pytest.raises(CustomRuleError) as info:
        load_custom_rules([path], plugins=False)
    assert info.value.exit_code == 2
    assert str(info.value) == (
        f"{path}:3:12: rule 'a', function: expected an expression in quotes, got an integer (3). "
        'Write function = "...", e.g. function = "x^2"'
    )


def test_rule_that_is_not_a_table(tmp_path: Path) -> None:
    path = _write(tmp_path, "rule = 3\n")
    with pytest.raises(
        CustomRuleError, match=rf"^{path}:1:8: 'rule' must be \[\[rule\]\] tables, got an integer \(3\)$"
    ):
        load_rule_file(path)


# ----------------------------------------------------------------------------------- control characters
CONTROL = [
    # (table, key, TOML value with a control character, character, column in the text)
    ("rule", "title", '"Swish\\u0000"', "U+0000", 6),
    ("rule", "title", '"two\\nlines"', "U+000A", 4),
    ("rule", "title", '"tab\\there"', "U+0009", 4),
    ("rule", "notes", '["a \\u0000 note"]', "U+0000", 3),
    ("rule", "notes", '["bell \\u0007"]', "U+0007", 6),
    ("rule", "notes", '["esc \\u001b[31m red"]', "U+001B", 5),
    ("rule", "references", '["del \\u007f"]', "U+007F", 5),
    ("rule", "references", '["c1 \\u0085"]', "U+0085", 4),
    ("rule", "id", '"full\\n"', "U+000A", 5),
    ("inputs", "doc", '"form\\ffeed"', "U+000C", 5),
    ("inputs", "symbol", '"x\\n"', "U+000A", 2),
    ("params", "doc", '"\\u0000"', "U+0000", 1),
    ("params", "name", '"b\\r"', "U+000D", 2),
    ("kinks", "note", '"vertical\\u000btab"', "U+000B", 9),
    ("identities", "note", '"nul\\u0000"', "U+0000", 4),
    ("rule", "family", '"custom\\u0000"', "U+0000", 7),
]


@pytest.mark.parametrize(
    ("table", "key", "value", "char", "column"), CONTROL, ids=[f"{c[0]}.{c[1]}-{c[3]}" for c in CONTROL]
)
def test_control_characters_are_refused_in_text(
    table: str, key: str, value: str, char: str, column: int, tmp_path: Path
) -> None:
    """A NUL in a note broke the LaTeX export: every text field refuses control characters (prose keeps tabs
    and line breaks), with the file:line of the key and where in the text the character is."""
    text, line = _replace_key(_FULL, table, key, value)
    path = _write(tmp_path, text)
    with pytest.raises(CustomRuleError) as info:
        load_rule_file(path)
    first = str(info.value.problems[0])
    assert first.startswith(f"{path}:{line}:"), first
    assert f"{key}: control character {char} at character {column} of the text" in first, first


def test_prose_may_hold_tabs_and_line_breaks(tmp_path: Path) -> None:
    """Notes, references and docs are prose: a multi-line string or a tab is fine there."""
    text, _ = _replace_key(_FULL, "rule", "notes", '["""first line\nsecond\tline"""]')
    text, _ = _replace_key(text, "inputs", "doc", '"a\\tb"')
    (rule,) = load_rule_file(_write(tmp_path, text))
    assert rule.notes == ("first line\nsecond\tline",) and rule.inputs[0].doc == "a\tb"


# ----------------------------------------------------------------------------------- plugins that hang
_SLOW_PLUGIN = {
    "import": "import time\ntime.sleep(600)\n\ndef catalog():\n    return []\n",
    "catalog function": "import time\n\ndef catalog():\n    time.sleep(600)\n    return []\n",
    "its iterable": "import time\n\ndef catalog():\n    yield from ()\n    time.sleep(600)\n",
    "C code": "def catalog():\n    return [10 ** 10 ** 9]\n",  # big-integer arithmetic: no signal interrupts it
}


@pytest.mark.slow
@pytest.mark.parametrize("where", list(_SLOW_PLUGIN))
def test_a_plugin_that_hangs_is_stopped_and_named(where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin whose import, catalog function or result never finishes: an error naming the plugin after the
    time limit, not a build that never ends (and the other plugins still load)."""
    import time

    from cheatsheet.checking import plugins

    (tmp_path / "slow_plugin.py").write_text(_SLOW_PLUGIN[where], encoding="utf-8")
    _fake_install(tmp_path, "example = cheatsheet_example_plugin:catalog\nslow = slow_plugin:catalog")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "PLUGIN_SECONDS", 2.0)
    start = time.monotonic()
    try:
        found, problems = plugins.load_plugins()
    finally:
        sys.modules.pop("cheatsheet_example_plugin", None)
        sys.modules.pop("slow_plugin", None)
    assert time.monotonic() - start < 30
    assert [r.id for r, _ in found] == ["example_cube", "example_log1p_abs"]
    (problem,) = problems
    assert str(problem).startswith(
        "plugin 'slow' (slow_plugin:catalog, from cheatsheet-example-plugin): did not load within 2 s"
    ), problem
    assert "--no-plugins" in str(problem)


def test_a_plugin_that_kills_its_process_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin that exits the process while loading: named, and the build's process lives on."""
    (tmp_path / "exiting_plugin.py").write_text("import os\nos._exit(3)\n", encoding="utf-8")
    _fake_install(tmp_path, "exits = exiting_plugin:catalog")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        CustomRuleError, match=r"plugin 'exits' .*: cannot be loaded: the process loading it stopped unexpectedly"
    ):
        plugin_rules()
    assert "exiting_plugin" not in sys.modules


# ----------------------------------------------------------------------------------- false verdicts (issue 15)
def test_a_rule_wrong_only_in_a_narrow_region_is_refused(tmp_path: Path) -> None:
    """Breakpoints 1e-12 apart: the region between them is sampled, so this rule is false (it was 'proved')."""
    text = '[[rule]]\nid = "narrow"\nfunction = "max(0, x - 1e-12)"\nderivative = "indicator(x > 0)"\n'
    with pytest.raises(CustomRuleError, match="rule 'narrow': false claim: ∂/∂x at x = ") as info:
        load_custom_rules([_write(tmp_path, text)], plugins=False)
    assert info.value.exit_code == 1
    right = text.replace('"narrow"', '"narrow_ok"').replace("indicator(x > 0)", "indicator(x > 1e-12)")
    (loaded,) = load_custom_rules([_write(tmp_path, right, "ok.toml")], plugins=False)
    assert loaded.verdict.status == "proved"


@pytest.mark.parametrize("domain", ["(1e300, inf)", "(-inf, -1e300)", "(0, 1e-300)", "(1e300, 1e300 + 1)"])
def test_a_rule_on_a_huge_or_tiny_domain_verifies(domain: str, tmp_path: Path) -> None:
    """exp′ = exp for x > 10^300 used to be refused as false (the numerical derivative's step was lost)."""
    text = (
        f'[[rule]]\nid = "far"\nfunction = "exp(x) + x^2"\nderivative = "exp(x) + 2*x"\n'
        f'[[rule.inputs]]\nname = "x"\ndomain = "{domain}"\n'
    )
    (loaded,) = load_custom_rules([_write(tmp_path, text)], plugins=False)
    assert loaded.verdict.status == "proved", loaded.verdict.summary()
    wrong = text.replace('"exp(x) + 2*x"', '"exp(x) + 3*x"')
    with pytest.raises(CustomRuleError, match="false claim"):
        load_custom_rules([_write(tmp_path, wrong, "wrong.toml")], plugins=False)
