"""Custom rules from TOML files and plugin catalogs: they load, verify like the catalog, and every
kind of bad input is one line with file:line:column, what was wrong and a hint (exit 2), a false
claim is exit 1 with its counterexample."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.cli_check import as_click_error
from cheatsheet.custom import (
    ENTRY_POINT_GROUP,
    CustomRuleError,
    load_custom_rules,
    load_rule_file,
    plugin_rules,
    verify_custom,
)
from cheatsheet.latex import latex
from cheatsheet.notation import sigmoid
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
    ("malformed TOML", '[[rule]]\nid = "a"\nfunction = x^2\nderivative = "2*x"\n', "3:12", "malformed TOML: Invalid value. Put expressions in quotes", 2),
    ("duplicate key", RULE + 'id = "again"\n', "", "malformed TOML", 2),
    ("unknown key", '[[rule]]\nid = "a"\nfuncion = "x^2"\nderivative = "2*x"\n', "3:1", "rule 'a', funcion: unknown key 'funcion'. Did you mean 'function'?", 2),
    ("unknown param key", RULE + '[[rule.params]]\nname = "a"\ndefault = 1\ndomian = "positive"\n', "8:1", "params[1].domian: unknown key 'domian'. Did you mean 'domain'?", 2),
    ("unknown top-level key", '[[rules]]\nid = "a"\n', "", "unknown top-level key 'rules'. Did you mean 'rule'?", 2),
    ("missing field", '[[rule]]\nid = "a"\nderivative = "2*x"\n', "1:1", "rule 'a': missing 'function'", 2),
    ("missing param default", RULE + '[[rule.params]]\nname = "a"\n', "5:1", "params[1]: missing 'default'", 2),
    ("bad id", '[[rule]]\nid = "My Rule"\nfunction = "x^2"\nderivative = "2*x"\n', "2:6", "must be snake_case", 2),
    ("duplicate id in a file", RULE + RULE, "6:6", "rule id 'mine' is defined twice (first at", 2),
    ("clash with a built-in", RULE.replace('"mine"', '"relu"'), "2:6", "clashes with the built-in rule 'relu'", 2),
    ("parameter typo", '[[rule]]\nid = "sw"\nfunction = "x*sigmoid(bta*x)"\nderivative = "1"\n[[rule.inputs]]\nname = "x"\n[[rule.params]]\nname = "beta"\ndefault = 1\n',
     "3:23", "rule 'sw', function: unknown name 'bta'. Did you mean 'beta'?", 2),
    ("unknown function", RULE.replace('"x^2"', '"sigmod(x)"'), "3:13", "unknown function 'sigmod'. Did you mean 'sigmoid'?", 2),
    ("syntax error", RULE.replace('"x^2"', '"x^2 +"'), "3:18", "expected an expression, found the end", 2),
    ("hostile expression", RULE.replace('"x^2"', "\"__import__('os').system('touch pwned')\""), "3:13", "unexpected character '_'", 2),
    ("non-UTF-8", (RULE + 'notes = ["caf\xe9"]\n').encode("latin-1"), "5:14", "not valid UTF-8 (byte 0xe9). Save the file as UTF-8", 2),
    ("deeply nested", RULE.replace('"x^2"', '"' + "(" * 60 + "x" + ")" * 60 + '"'), "3:53", "nested more than 40 levels deep", 2),
    ("enormous", RULE.replace('"x^2"', '"' + "+".join(["x"] * 1500) + '"'), "", "characters long; the limit is 2000", 2),
    ("huge power", RULE.replace('"x^2"', '"x^100000"'), "3:15", "exponent 100000 is too large", 2),
    ("TOML nesting", "a = " + "[" * 3000 + "]" * 3000 + "\n", "1:1", "TOML nested too deeply", 2),
    ("wrong type", RULE + "notes = 3\n", "5:9", "notes: expected a list of strings, got an integer (3)", 2),
    ("derivative of a non-input", RULE.replace('derivative = "2*x"', 'derivative = {inptu = "2*x"}'), "4:15", "derivative.inptu: derivative w.r.t. 'inptu', which is not an input", 2),
    ("kink w.r.t. a non-input", RULE + '[[rule.kinks]]\nat = "0"\nleft = "0"\nright = "0"\ntorch = "0"\nwrt = "y"\n', "10:7", "kinks[1].wrt: 'y' is not an input", 2),
    ("default outside the domain", RULE + '[[rule.params]]\nname = "a"\ndefault = -1\ndomain = "positive"\n', "7:11", "default -1 lies outside", 2),
    ("bad domain", '[[rule]]\nid = "a"\nfunction = "log(x)"\nderivative = "1/x"\n[[rule.inputs]]\nname = "x"\ndomain = "postive"\n', "7:11", "unknown domain 'postive'. Did you mean 'positive'?", 2),
    ("unknown family", RULE + 'family = "activations"\n', "5:10", "unknown family 'activations'. Did you mean 'activation'?", 2),
    ("reserved symbol", RULE + '[[rule.params]]\nname = "e"\ndefault = 1\n', "5:1", "symbol 'e' is a reserved name", 2),
    ("function not real on its domain", '[[rule]]\nid = "mylog"\nfunction = "log(x)"\nderivative = "1/x"\n', "2:6", "the function is not a finite real number at x = ", 2),
    ("false claim", RULE.replace('"2*x"', '"3*x"'), "2:6", "rule 'mine': false claim: ∂/∂x at x = ", 1),
    ("false kink convention", RULE.replace('"x^2"', '"|x|"').replace('"2*x"', '"sign(x)"') + '[[rule.kinks]]\nat = "0"\nleft = "-1"\nright = "1"\ntorch = "1"\n',
     "2:6", "false claim: kink at x = 0", 1),
    ("empty file", "", "", "has no rules", 2),
    ("wrong kink value at an irrational point", ('[[rule]]\nid = "floor2"\nfunction = "max(2, exp(x))"\nderivative = "where(exp(x) > 2, exp(x), 0)"\n'
     '[[rule.kinks]]\nat = "log(2)"\nleft = "0"\nright = "2"\ntorch = "1"\n'), "2:6", "false claim: kink at x = log(2)", 1),
]


@pytest.mark.parametrize(("what", "text", "at", "message", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_line(what: str, text: str | bytes, at: str, message: str, code: int, tmp_path: Path) -> None:
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
    a = _write(tmp_path, RULE.replace('"x^2"', '"sigmod(x)"') + RULE.replace('"mine"', '"other"').replace('"x^2"', '"x^"'), "a.toml")
    b = _write(tmp_path, RULE.replace('"mine"', '"third"') + "notes = 1\n", "b.toml")
    with pytest.raises(CustomRuleError) as info:
        load_custom_rules([a, b, tmp_path / "missing.toml"], plugins=False)
    text = str(info.value)
    assert info.value.exit_code == 2 and len(info.value.problems) == 4
    assert "sigmod" in text and "expected an exponent" in text and "notes" in text and "missing.toml: no such file" in text


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    a, b = _write(tmp_path, RULE, "a.toml"), _write(tmp_path, RULE, "b.toml")
    with pytest.raises(CustomRuleError, match=r"b.toml:2:6: rule id 'mine' is defined twice \(first at .*a.toml:2:6\)"):
        load_custom_rules([a, b], plugins=False)


def test_inputs_default_to_the_functions_variables(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[rule]]\nid = "prod"\nfunction = "x*y^2"\nderivative = {x = "y^2", y = "2*x*y"}\n')
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
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cheatsheet-example-plugin\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry}\n", encoding="utf-8")


@pytest.fixture
def clean_modules():  # type: ignore[no-untyped-def]
    yield
    sys.modules.pop("cheatsheet_example_plugin", None)


def test_plugin_catalog_through_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_modules: None) -> None:
    """An installed package's entry point adds its rules: a Rule object and a TOML file it ships."""
    _fake_install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [r.id for r in plugin_rules()] == ["example_cube", "example_log1p_abs"]
    loaded = load_custom_rules([EXAMPLE])
    assert [v.rule.id for v in loaded] == ["swish_beta", "shifted_relu", "log_cosh", "example_cube", "example_log1p_abs"]
    assert all(v.verdict.status == "proved" for v in loaded)
    assert loaded[3].source.startswith("plugin 'example' (cheatsheet_example_plugin:catalog, from cheatsheet-example-plugin)")
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
    assert "plugin 'broken' (no_such_module:catalog, from cheatsheet-example-plugin): cannot be loaded: ModuleNotFoundError" in text
    assert "plugin 'junk'" in text and "names a str, not a callable" in text


def test_plugin_rule_clashing_with_a_file_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_modules: None) -> None:
    _fake_install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    path = _write(tmp_path, RULE.replace('"mine"', '"example_cube"'))
    with pytest.raises(CustomRuleError, match="plugin 'example'.*rule id 'example_cube' is defined twice"):
        load_custom_rules([path])


@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None, reason="the example plugin builds with setuptools")
def test_example_plugin_installs_with_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_modules: None) -> None:
    """The example package as a user would install it (offline: no dependencies, no build isolation)."""
    source = tmp_path / "src"
    shutil.copytree(PLUGIN, source)  # setuptools writes build/ and *.egg-info next to the sources
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(tmp_path / "site"), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert [r.id for r in plugin_rules()] == ["example_cube", "example_log1p_abs"]


def test_load_for_build(tmp_path: Path) -> None:
    """The build's entry point: rules out, or one CustomRuleError with the exit status, before any output."""
    import cheatsheet
    from cheatsheet.custom import load_for_build

    assert [r.id for r in load_for_build([EXAMPLE], cheatsheet.rules(), plugins=False)] == ["swish_beta", "shifted_relu", "log_cosh"]
    with pytest.raises(CustomRuleError, match="clashes with the built-in rule 'sigmoid'") as info:
        load_for_build([_write(tmp_path, RULE.replace('"mine"', '"sigmoid"'))], cheatsheet.rules(), plugins=False)
    assert info.value.exit_code == 2
