"""The JSON export: valid against its JSON Schema, byte-for-byte reproducible, and faithful to the catalog."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

import cheatsheet
from cheatsheet.printing.latex import latex
from cheatsheet.render.rules_json import SCHEMA_VERSION, export_json, rule_entry, rule_table, schema
from cheatsheet.rule import FAMILIES
from cheatsheet.verifier.hashing import catalog_fingerprint
from cheatsheet.verifier.verdict import Check, Counterexample, Verdict


@pytest.fixture(scope="module")
def text() -> str:
    return export_json()


@pytest.fixture(scope="module")
def table(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def _errors(instance: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in _validator().iter_errors(instance)]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The shipped schema is itself valid JSON Schema (draft 2020-12)."""
    s = schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(s)


@pytest.mark.slow  # exports the whole catalog
def test_export_validates_against_the_schema(table: dict[str, Any]) -> None:
    """Every rule of the catalog exports to data the schema accepts."""
    errors = _errors(table)
    assert not errors, "export does not match cheatsheet/data/rules.schema.json:\n" + "\n".join(errors[:20])


@pytest.mark.slow  # exports the whole catalog
def test_schema_rejects_what_it_should(table: dict[str, Any]) -> None:
    """The schema is strict: an unknown field, a bad status or a wall time are errors."""
    some = next(iter(table["rules"]))
    for mutate in (
        lambda t: t["rules"][some].__setitem__("colour", "red"),
        lambda t: t["rules"][some]["verdict"].__setitem__("status", "fine"),
        lambda t: t["rules"][some]["verdict"].__setitem__("seconds", 0.5),
        lambda t: t.__setitem__("schema_version", "0.9"),
    ):
        bad = copy.deepcopy(table)
        mutate(bad)
        assert _errors(bad), "the schema accepted an invalid export"


def test_schema_agrees_with_the_code() -> None:
    """The schema's version and family list are the package's."""
    s = schema()
    assert s["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert s["$defs"]["rule"]["properties"]["family"]["enum"] == list(FAMILIES)


def test_failed_verdict_with_counterexample_validates(table: dict[str, Any]) -> None:
    """A failed verdict (counterexample, checks) exports without a wall time and still validates."""
    rule = cheatsheet.get("sigmoid")
    verdict = Verdict(
        "sigmoid",
        "failed",
        methods=("randomized 50-digit identity testing",),
        points=3,
        max_residual=0.25,
        seconds=1.5,
        reason="",
        checks=(Check("∂/∂input", "failed", "randomized 50-digit testing"),),
        counterexample=Counterexample("∂/∂input", {"input": "0.5"}, "0.235", "0.25"),
        content_hash="0" * 64,
        verifier_version="1.0",
    )
    entry = rule_entry(rule, verdict)
    assert "seconds" not in entry["verdict"]
    assert entry["verdict"]["counterexample"] == {
        "claim": "∂/∂input",
        "point": {"input": "0.5"},
        "expected": "0.235",
        "got": "0.25",
    }
    patched = copy.deepcopy(table)
    patched["rules"]["sigmoid"] = json.loads(json.dumps(entry))
    assert not _errors(patched)


@pytest.mark.slow
def test_export_is_deterministic(text: str) -> None:
    """Two exports in one process are byte-identical."""
    assert export_json() == text


@pytest.mark.slow
def test_export_is_reproducible_across_processes(text: str) -> None:
    """Exports from fresh processes with different hash seeds are byte-identical to this one."""
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-m", "cheatsheet", "export", "--format", "json"],
            capture_output=True,
            env=env,
            check=False,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1], "export depends on the hash seed"
    assert outputs[0].decode("utf-8") == text


def test_export_text_form(text: str, table: dict[str, Any]) -> None:
    """Sorted keys, real Unicode (no \\u escapes), a trailing newline, no wall time anywhere."""
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(table, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "𝟙" in text  # relu's derivative 𝟙[x > 0], unescaped
    assert '"seconds"' not in text


def test_top_level_fields(table: dict[str, Any]) -> None:
    """Version, fingerprint, families in sheet order, the sheet's rule order, rules keyed by id."""
    rules = cheatsheet.rules()
    assert table["schema_version"] == SCHEMA_VERSION
    assert table["version"] == cheatsheet.__version__
    assert table["catalog_fingerprint"] == catalog_fingerprint(rules)
    assert [f["id"] for f in table["families"]] == list(FAMILIES)
    assert table["order"] == [r.id for r in rules]
    assert list(table["rules"]) == sorted(r.id for r in rules)


@pytest.mark.parametrize("rule", cheatsheet.rules(), ids=lambda r: r.id)
def test_every_rule_is_exported_faithfully(rule: cheatsheet.Rule, table: dict[str, Any]) -> None:
    """Each rule's entry carries its formulas exactly as the sheet prints them, and its shipped verdict."""
    entry = table["rules"][rule.id]
    assert entry["title"] == rule.title and entry["family"] == rule.family and entry["shape"] == rule.shape
    assert entry["function"]["latex"] == latex(rule.function)
    assert [(d["wrt"], d["latex"]) for d in entry["derivatives"]] == [
        (w, latex(e)) for w, e in rule.derivatives.items()
    ]
    assert [i["name"] for i in entry["inputs"]] == [i.name for i in rule.inputs]
    assert [p["name"] for p in entry["params"]] == [p.name for p in rule.params]
    assert len(entry["kinks"]) == len(rule.kinks) and len(entry["where"]) == len(rule.where)
    assert len(entry["identities"]) == len(rule.identities)
    assert entry["notes"] == list(rule.notes) and entry["references"] == list(rule.references)
    assert entry["torch"] == rule.torch
    assert entry["verdict"]["status"] == rule.verdict.status


def test_seed_rule_details(table: dict[str, Any]) -> None:
    """Kinks, parameters and definitions carry their values (seed rules)."""
    relu = table["rules"]["relu"]
    (kink,) = relu["kinks"]
    assert (kink["at"]["str"], kink["left"]["str"], kink["right"]["str"], kink["torch"]["str"]) == ("0", "0", "1", "0")
    assert [e["str"] for e in kink["subdifferential"]] == ["0", "1"] and kink["jax"] is None and kink["wrt"] == "input"

    leaky = table["rules"]["leaky_relu"]
    (slope,) = leaky["params"]
    assert (slope["name"], slope["kind"], slope["default"], slope["default_float"]) == (
        "negative_slope",
        "number",
        "1/100",
        0.01,
    )
    assert leaky["kinks"][0]["jax"]["str"] == "1"
    # [min, max] for every slope α ∈ ℝ, not [α, 1] (reversed for α > 1)
    assert [e["str"] for e in leaky["kinks"][0]["subdifferential"]] == ["Min(1, alpha)", "Max(1, alpha)"]
    assert leaky["kinks"][0]["given"] == []
    (hinge,) = table["rules"]["hinge_embedding_loss"]["kinks"]
    assert [(g["symbol"]["str"], g["value"]["str"]) for g in hinge["given"]] == [("y", "-1")]

    mse = table["rules"]["mse_loss"]
    (reduction,) = mse["params"]
    assert (
        reduction["kind"] == "choice"
        and reduction["default"] == "mean"
        and reduction["choices"] == ["mean", "sum", "none"]
    )
    assert [d["wrt"] for d in mse["derivatives"]] == ["input", "target"]

    softmax = table["rules"]["softmax"]
    assert softmax["where"][0]["symbol"]["latex"] == "p_{k}" and softmax["where"][0]["stable"] is not None
    assert softmax["shape"] == "vector" and softmax["vector_output"] is True

    assert table["rules"]["chain_rule"]["general"] is True and table["rules"]["chain_rule"]["examples"]
    assert table["rules"]["trace_ax"]["layout"] == "denominator"


def test_rule_table_of_a_selection() -> None:
    """rule_table(rules) exports just those rules, with their own fingerprint."""
    some = [cheatsheet.get("relu"), cheatsheet.get("exp")]
    t = rule_table(some)
    assert list(t["rules"]) == ["exp", "relu"] and t["order"] == ["relu", "exp"]
    assert t["catalog_fingerprint"] == catalog_fingerprint(some)
    assert not _errors(json.loads(json.dumps(t)))


def test_fresh_verdicts_replace_the_record() -> None:
    """Verdicts passed in (as a build does after verifying) are exported instead of the shipped ones."""
    relu, exp = cheatsheet.get("relu"), cheatsheet.get("exp")
    fresh = Verdict("relu", "proved", methods=("symbolic (identical)",), points=7, seconds=2.0)
    t = rule_table([relu, exp], [fresh])
    assert t["rules"]["relu"]["verdict"]["points"] == 7 and t["rules"]["relu"]["verdict"]["status"] == "proved"
    assert t["rules"]["exp"]["verdict"]["status"] == exp.verdict.status
    assert export_json([relu, exp], [fresh]) == export_json([relu, exp], [fresh])


# ------------------------------------------------------------------------------ user text in the LaTeX and Markdown exports
HOSTILE_TEXT = [
    "[x](javascript:alert(1))",
    "![](file:///etc/passwd)",
    '![alt](javascript:alert(1) "title")',
    "<javascript:alert(1)>",
    "<https://example.com/x>",
    "<img src=x onerror=alert(1)>",
    "[a]: javascript:alert(1)",
    "see [a] and [x][a]",
    "[x](<javascript:alert(1)>)",
    "\\[x](javascript:alert(1))",  # a backslash to cancel the escape of the bracket
    "\\\\[x](javascript:alert(1))",
    "&#91;x&#93;(javascript:alert(1))",  # brackets written as entities
    "&lt;script&gt; &amp; &#x3C;",
    "`[x](javascript:alert(1))`",
    "line one\n[a]: javascript:alert(1)\n[a]",
    "title\r\n# a heading\n\n- a list",
    "[x]\t(javascript:alert(1))",
    "nul\x00 bell\x07 esc\x1b[31m del\x7f c1\x85 end",
]


def _unescaped(md: str) -> tuple[str, str]:
    """(the text a CommonMark renderer shows for ``md``, the syntax characters left unescaped in it): backslash
    escapes of ASCII punctuation undone, then the HTML entities."""
    import html
    import string

    shown, live = [], []
    k = 0
    while k < len(md):
        ch = md[k]
        if ch == "\\" and k + 1 < len(md) and md[k + 1] in string.punctuation:
            shown.append(md[k + 1])
            k += 2
            continue
        if ch in "[]<>`\\\n\r":
            live.append(ch)
        shown.append(ch)
        k += 1
    return html.unescape("".join(shown)), "".join(live)


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_markdown_text_is_text(text: str) -> None:
    """Links, images, link definitions, autolinks, HTML and code spans in a rule file's text come out of the
    Markdown export as the characters typed: no bracket, angle bracket, backtick, backslash or line break is
    left unescaped, and a renderer shows exactly the text (line breaks as spaces, control characters gone)."""
    import re

    from cheatsheet.render.documents import markdown_text

    md = markdown_text(text)
    shown, live = _unescaped(md)
    assert live == "", (md, live)
    assert "](" not in md.replace("\\]", "") and "<" not in md
    expected = re.sub(
        r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]", "", re.sub(r"[\r\n\t\v\f\x85\u2028\u2029]+", " ", text)
    )
    assert shown == expected


def test_hostile_rule_file_in_the_markdown_and_latex_exports(tmp_path: Any) -> None:
    """A rule file's title and notes with link and image syntax print as text in cheatsheet.md; a note with a
    NUL (from a plugin's Rule object, which no rule file can give) breaks neither export."""
    import dataclasses

    from cheatsheet import sheet as view
    from cheatsheet.build import _meta
    from cheatsheet.checking.rulefile import load_rule_file
    from cheatsheet.render.documents import latex_document, markdown_document

    path = tmp_path / "hostile.toml"
    path.write_text(
        '[[rule]]\nid = "hostile"\ntitle = "Evil [x](javascript:alert(1))"\nfunction = "x^2"\n'
        'derivative = "2*x"\nnotes = ["see ![](file:///etc/passwd) and <javascript:alert(1)>", '
        '"[a]: javascript:alert(2)", "[a]"]\n',
        encoding="utf-8",
    )
    (rule,) = load_rule_file(path)
    rule = dataclasses.replace(rule, notes=(*rule.notes, "a NUL\x00 here"))
    verdict = Verdict(rule.id, "proved")
    sections = view.sections(view.cards([rule], [verdict]))
    meta = _meta([rule], [verdict])
    md = markdown_document(sections, meta)
    assert "### Evil \\[x\\](javascript:alert(1)) (`hostile`) — proved" in md
    assert "- see !\\[\\](file:///etc/passwd) and &lt;javascript:alert(1)&gt;" in md
    assert "- \\[a\\]: javascript:alert(2)\n" in md and "- \\[a\\]\n" in md
    assert "\x00" not in md and "- a NUL here" in md
    tex = latex_document(sections, meta)
    assert "\x00" not in tex and "a NUL? here" in tex
