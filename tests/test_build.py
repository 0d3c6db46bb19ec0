"""`cheatsheet build`: outputs, the up-to-date fast path, --check, usage errors, refusing a failing rule or
a formula that does not typeset, atomic writes, incremental rebuilds, and the LaTeX and Markdown exports.

The full sheet is built once per session (see _sheet.py); tests that rebuild or modify outputs work on a
copy of it, with the session's cache, so that they cost seconds rather than a cold build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _sheet import OUTPUTS, Sheet, capture_pages, catalog_view, full_build
from click.testing import CliRunner, Result

import cheatsheet
import cheatsheet.catalog
from cheatsheet.build import BuildError, BuildOptions, _manifest_path, build
from cheatsheet.cli import main
from cheatsheet.rule import Rule

STAGES = ("catalog", "verify", "latex", "math", "html", "pdf", "exports", "write", "total")  # at least these, in order


@pytest.fixture(scope="session")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Sheet:
    return full_build(tmp_path_factory)


@pytest.fixture
def cached(sheet: Sheet, monkeypatch: pytest.MonkeyPatch) -> Sheet:
    """The session build, with CHEATSHEET_CACHE_DIR pointing to its cache for this test."""
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(sheet.cache))
    return sheet


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (recursively), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*") if p.is_file()} if folder.exists() else set()


def cli(*args: str) -> Result:
    """The CLI in-process: never a traceback, no exception but a clean exit."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def patch_catalog(monkeypatch: pytest.MonkeyPatch, rule_id: str, **changes: Any) -> Rule:
    """The catalog with one rule changed (dataclasses.replace); returns the changed rule."""
    rules = cheatsheet.rules()
    changed = dataclasses.replace(cheatsheet.get(rule_id), **changes)
    patched = tuple(changed if r.id == rule_id else r for r in rules)
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: patched)
    return changed


# ------------------------------------------------------------------------------ the full build
def test_full_build_writes_every_output(sheet: Sheet) -> None:
    """Every format and paper, written atomically (no temporary file left), each stage timed."""
    assert set(sheet.report.written) == set(OUTPUTS) and not sheet.report.unchanged
    assert files_in(sheet.out) == set(OUTPUTS), "only the outputs: no temporary or stray file"
    for name in OUTPUTS:
        assert sheet.path(name).stat().st_size > 1000, name
    names = [name for name, _ in sheet.report.timings]
    assert [n for n in names if n in STAGES] == list(STAGES) and names[-1] == "total", names
    assert all(seconds >= 0 for _, seconds in sheet.report.timings)
    assert not sheet.report.up_to_date


def test_build_does_not_touch_the_shipped_record(sheet: Sheet) -> None:
    """Building verifies through the cache only: it never writes the shipped verification record."""
    assert sheet.record_writes == ()


def test_second_build_is_up_to_date(cached: Sheet, tmp_path: Path) -> None:
    """Nothing changed: the CLI says so, renders nothing and rewrites nothing.

    (On a copy built just before, so that sources edited since the session build cannot interfere.)"""
    out = cached.copy_to(tmp_path / "build")
    first = build(BuildOptions(out=out, quiet=True))
    assert not first.up_to_date  # a new folder has no manifest yet
    before = {n: ((out / n).stat().st_mtime_ns, (out / n).read_bytes()) for n in OUTPUTS}
    result = cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output and "verify" not in result.output
    assert {n: ((out / n).stat().st_mtime_ns, (out / n).read_bytes()) for n in OUTPUTS} == before
    report = build(BuildOptions(out=out, quiet=True))
    assert report.up_to_date and not report.written and sorted(report.unchanged) == sorted(OUTPUTS)


def test_cli_prints_its_stages_and_rebuilds_identical_bytes(cached: Sheet, tmp_path: Path) -> None:
    """A build into a new folder prints each stage with its time, then what it wrote; the files are
    byte-identical to the session's (the build is deterministic)."""
    out = tmp_path / "out"
    result = cli("build", "--out", str(out), "--formats", "html,json,latex,md")
    assert result.exit_code == 0, result.output
    for stage in ("catalog", "verify", "latex", "math", "html", "exports", "write", "total"):
        assert re.search(rf"^\s+{stage}\s+\d+\.\d\d s$", result.output, re.MULTILINE), (stage, result.output)
    assert "pdf " not in result.output
    assert "wrote cheatsheet.html, rules.json, cheatsheet.tex, cheatsheet.md" in result.output
    assert files_in(out) == {"cheatsheet.html", "rules.json", "cheatsheet.tex", "cheatsheet.md"}
    for name in files_in(out):
        assert (out / name).read_bytes() == cached.path(name).read_bytes(), name


def test_check_passes_fresh_and_names_stale_files(cached: Sheet, tmp_path: Path) -> None:
    """--check rebuilds into a temporary folder: a fresh build passes; after one output is edited and
    another deleted, it fails (exit 1) naming exactly those two, and changes nothing."""
    fresh = cli("build", "--check", "--out", str(cached.out))
    assert fresh.exit_code == 0, fresh.output
    assert "every output is fresh" in fresh.output
    out = cached.copy_to(tmp_path / "build")
    with (out / "cheatsheet.md").open("a", encoding="utf-8") as fh:
        fh.write("edited by hand\n")
    (out / "rules.json").unlink()
    before = snapshot(out)
    stale = cli("build", "--check", "--out", str(out))
    assert stale.exit_code == 1, stale.output
    named = sorted(re.findall(r"^stale: (.*)$", stale.output, re.MULTILINE))
    assert named == sorted([str(out / "cheatsheet.md"), str(out / "rules.json")]), stale.output
    assert "2 file(s)" in stale.output
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--formats", "pdf,docx"], "unknown format 'docx'"),
        (["--formats", ","], "none given"),
        (["--formats", "html,PDF,svg"], "unknown format 'svg'"),
        (["--paper", "a3"], "'a3' is not one of"),
        (["--paper", ""], "is not one of"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], fragment: str) -> None:
    """Bad --formats/--paper/--jobs: exit 2, one error line, nothing created."""
    out = tmp_path / "out"
    result = cli("build", "--out", str(out), *args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and fragment in errors[0], result.output
    assert not out.exists()


# ------------------------------------------------------------------------------ refusing to render
def test_failing_rule_is_not_rendered(cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule that fails verification stops the build before anything is written: exit 1, one error naming
    the rule; an existing build folder stays byte for byte as it was, a new one is not created."""
    from cheatsheet.notation import sigmoid

    x = cheatsheet.get("sigmoid").inputs[0].symbol
    patch_catalog(monkeypatch, "sigmoid", derivative=sigmoid(x) * (1 + sigmoid(x)))
    out = cached.copy_to(tmp_path / "build")
    before = snapshot(out)
    result = cli("build", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "1 rule(s) failed verification; nothing was rendered" in result.output
    assert re.search(r"^\s+sigmoid: ", result.output, re.MULTILINE), result.output
    assert snapshot(out) == before
    fresh = cli("build", "--out", str(tmp_path / "new"), "--formats", "json")
    assert fresh.exit_code == 1 and not (tmp_path / "new").exists()


def _patch_card(monkeypatch: pytest.MonkeyPatch, rule_id: str, change: Callable[[Any], Any]) -> None:
    """The card of ``rule_id`` as ``change`` makes it (the rule itself unchanged)."""
    from cheatsheet.render import view

    original = view.card

    def patched(rule: Rule, verdict: object) -> view.Card:
        c = original(rule, verdict)  # type: ignore[arg-type]
        return change(c) if rule.id == rule_id else c

    monkeypatch.setattr(view, "card", patched)


def test_formula_that_does_not_typeset_names_its_rule(cached: Sheet, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A formula the engines reject (here an unbalanced brace in softplus's derivative) stops the build
    with exit 1 and an error naming the rule and the formula; nothing is written."""
    _patch_card(monkeypatch, "softplus", lambda c: dataclasses.replace(c, formulas=tuple(
        dataclasses.replace(f, tex=f.tex + r" + \frac{1}{") if f.role == "derivative" else f for f in c.formulas)))
    out = cached.copy_to(tmp_path / "build")
    before = snapshot(out)
    result = cli("build", "--out", str(out), "--formats", "html,pdf")
    assert result.exit_code == 1, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert "rule 'softplus'" in error and "does not typeset" in error and r"\frac{1}{" in error
    assert snapshot(out) == before


@pytest.mark.parametrize("problem", ["wide", "tall"])
def test_a_card_that_does_not_fit_is_a_layout_error(cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   problem: str) -> None:
    """A formula wider than a card with nowhere to break it (a product of 40 factors), or a card taller
    than a column: exit 1, one error naming the card and what to do; nothing is written."""
    wide = r" ".join(rf"\sigma({k} x)" for k in range(2, 42))

    def change(c: Any) -> Any:
        if problem == "wide":
            return dataclasses.replace(c, formulas=tuple(dataclasses.replace(f, tex=f.tex + " " + wide)
                                                         if f.role == "derivative" else f for f in c.formulas))
        return dataclasses.replace(c, notes=c.notes + ("A long note that goes on and on. " * 12,) * 16)

    _patch_card(monkeypatch, "softplus", change)
    out = cached.copy_to(tmp_path / "build")
    before = snapshot(out)
    result = cli("build", "--out", str(out), "--formats", "pdf")
    assert result.exit_code == 1, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    if problem == "wide":
        assert error.startswith("Error: card 'softplus': the formula ") and r"\sigma(41 x)" in error, error
        assert "mm wider than the card" in error and "break" in error
    else:
        assert re.match(r"Error: card 'softplus' is \d+ mm tall, more than a column \(\d+ mm\)", error), error
    assert snapshot(out) == before


def test_a_failed_write_leaves_whole_files(cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes are atomic: when replacing one output fails, the build stops with an error naming it (exit 2),
    every file is either its old or its new bytes, no temporary file is left, and the next build (not
    'up to date': the manifest was not updated) finishes the job."""
    patch_catalog(monkeypatch, "relu", notes=(*cheatsheet.get("relu").notes, "An extra note for this test."))
    out = cached.copy_to(tmp_path / "build")
    before = snapshot(out)
    real_replace = os.replace

    def failing(src: str, dst: str) -> None:
        if Path(dst).name == "cheatsheet.md":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    opts = BuildOptions(out=out, formats=("json", "latex", "md"), quiet=True)
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(BuildError, match="cannot write .*cheatsheet.md: No space left on device") as caught:
        build(opts)
    assert caught.value.exit_code == 2
    monkeypatch.setattr(os, "replace", real_replace)
    after = snapshot(out)
    assert set(after) == set(before), "no temporary file is left behind"
    assert after["cheatsheet.md"] == before["cheatsheet.md"]
    assert after["rules.json"] != before["rules.json"] and "An extra note for this test." in after["rules.json"].decode()
    report = build(opts)
    assert not report.up_to_date and "cheatsheet.md" in report.written
    assert "An extra note for this test." in (out / "cheatsheet.md").read_text(encoding="utf-8")


def test_unwritable_output_folder_is_one_error(cached: Sheet, tmp_path: Path) -> None:
    """An --out that cannot be written (under a regular file) is one error line naming the path, exit 2."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("build", "--out", str(blocker / "out"), "--formats", "json")
    assert result.exit_code == 2, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert f"cannot write {blocker / 'out' / 'rules.json'}" in error


# ------------------------------------------------------------------------------ incremental
def _new_files(folder: Path, before: set[str]) -> set[str]:
    return files_in(folder) - before


@pytest.fixture
def cache_folders(cached: Sheet) -> Iterator[dict[str, Path]]:
    from cheatsheet.verify.hashing import VERIFIER_VERSION

    yield {
        "verdicts": cached.cache / "verdicts" / VERIFIER_VERSION,
        "math": cached.cache / "build" / "math",
        "plots": cached.cache / "build" / "plots",
        "pages": cached.cache / "build" / "pdf" / "pages",
    }


def test_one_rule_edit_redoes_only_that_rule(cached: Sheet, cache_folders: dict[str, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """asin's derivative printed in its stable form 1/√((1 − x)(1 + x)): only asin is re-verified, only that
    formula re-typeset and its plot re-drawn, only the cards that print it re-measured, and only the pages
    whose HTML changed are drawn again. Reverting the edit draws nothing and gives back the same bytes."""
    from cheatsheet.latex import latex

    rule = cheatsheet.get("asin")
    (stable,) = dict(rule.stable_derivative).values()
    # (a derivation, if the rule has one, ends in the old printed form: it goes with the edit)
    patch_catalog(monkeypatch, "asin", derivative=stable,
                  **({"derivation": None} if getattr(rule, "derivation", None) is not None else {}))
    edited_tex = latex(stable)
    out = cached.copy_to(tmp_path / "build")
    heights_file = cached.cache / "build" / "pdf" / "heights.json"
    heights_before = set(json.loads(heights_file.read_text(encoding="utf-8")))
    before = {k: files_in(v) for k, v in cache_folders.items()}
    calls: list[list[str]] = []
    printed: list[tuple[Any, ...]] = []
    with capture_pages(calls, printed):
        report = build(BuildOptions(out=out, quiet=True))
    new = {k: _new_files(v, before[k]) for k, v in cache_folders.items()}

    assert len(new["verdicts"]) == 1
    (verdict_file,) = new["verdicts"]
    assert json.loads((cache_folders["verdicts"] / verdict_file).read_text(encoding="utf-8"))["rule_id"] == "asin"
    assert new["math"], "the edited derivative was not typeset"
    for formula in new["math"]:  # on its card, and wherever a worked example prints it
        assert f"{edited_tex}</span>" in json.loads((cache_folders["math"] / formula).read_text(encoding="utf-8"))["svg"]
    assert edited_tex in (out / "cheatsheet.tex").read_text(encoding="utf-8")
    assert len(new["plots"]) == 1
    (sections,) = printed
    showing = [c for s in sections for c in s.cards if any(edited_tex in f.tex for f in c.formulas)]
    assert showing and showing[0].id == "asin"
    measured = set(json.loads(heights_file.read_text(encoding="utf-8"))) - heights_before
    assert len(measured) == len(showing), "only the cards that print the edited formula are measured again"
    (htmls,) = calls
    assert len(htmls) == len(cached.page_htmls)
    changed = {h for h, old in zip(htmls, cached.page_htmls) if h != old}
    assert len(new["pages"]) == len(changed) >= 1, "exactly the pages whose HTML changed are drawn"
    assert set(report.written) == set(OUTPUTS)

    monkeypatch.undo()  # the catalog as it is
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(cached.cache))
    # a patched catalog leaves the sources (and so the no-change fingerprint) as they were; a real edit
    # would change them: forget the folder's manifest, as the reverted source file would
    _manifest_path(out).unlink()
    before = {k: files_in(v) for k, v in cache_folders.items()}
    build(BuildOptions(out=out, quiet=True))
    assert all(files_in(v) == before[k] for k, v in cache_folders.items()), "reverting is served from the cache"
    assert snapshot(out) == snapshot(cached.out)


# ------------------------------------------------------------------------------ exports
def test_latex_export_compiles_with_pdflatex(sheet: Sheet, tmp_path: Path) -> None:
    """cheatsheet.tex compiles with pdflatex -halt-on-error; the result has every rule id and no missing glyph."""
    assert shutil.which("pdflatex"), "pdflatex is missing: run `make setup-test` (texlive)"
    shutil.copy(sheet.path("cheatsheet.tex"), tmp_path / "cheatsheet.tex")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "cheatsheet.tex"], check=False,
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = (tmp_path / "cheatsheet.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    text = subprocess.run(["pdftotext", str(tmp_path / "cheatsheet.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    squashed = re.sub(r"\s+", "", text)
    missing = [r.id for r in cheatsheet.rules() if r.id not in squashed]
    assert not missing, missing


def test_markdown_has_every_rule(sheet: Sheet) -> None:
    """cheatsheet.md: a heading per family and per rule (title, id, status), math in $...$."""
    md = sheet.path("cheatsheet.md").read_text(encoding="utf-8")
    for family in {r.family for r in cheatsheet.rules()}:
        assert f"\n## {cheatsheet.families()[family]}\n" in md
    for r in cheatsheet.rules():
        assert re.search(rf"^### {re.escape(r.title)} \(`{re.escape(r.id)}`\) — (proved|checked)$", md, re.MULTILINE), r.id
    assert md.count("$$") >= 2 * len(cheatsheet.rules())


def test_rules_json_is_the_export(sheet: Sheet) -> None:
    """build/rules.json is the JSON export of the verified catalog, valid against its schema."""
    import jsonschema

    from cheatsheet.export import export_json, schema

    view = catalog_view(sheet)
    text = sheet.path("rules.json").read_text(encoding="utf-8")
    assert text == export_json(list(view.rules), list(view.verdicts))
    jsonschema.validate(json.loads(text), schema())


@pytest.mark.parametrize("env", [{"CHEATSHEET_CACHE_DIR": "/somewhere/cache"}, {"XDG_CACHE_HOME": "/xdg"}, {}])
def test_build_cache_sits_next_to_the_verdicts(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The build's cache folder (computed without importing the verifier) is the verdict cache's sibling."""
    from cheatsheet.build import _cache_root
    from cheatsheet.verify.runner import cache_dir

    for name in ("CHEATSHEET_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _cache_root() == cache_dir().parent.parent / "build"


def test_no_change_build_does_not_import_sympy(cached: Sheet, tmp_path: Path) -> None:
    """The up-to-date fast path of the command stays light: no sympy (0.4 s of imports) in the process."""
    out = cached.copy_to(tmp_path / "build")
    build(BuildOptions(out=out, quiet=True))
    probe = ("import sys; from cheatsheet.cli import main\n"
             "try:\n    main(['build', '--out', sys.argv[1], '--quiet'])\nexcept SystemExit as e:\n    assert not e.code, e\n"
             "assert 'sympy' not in sys.modules, 'sympy was imported'")
    run = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True, text=True, check=False,
                         env={**os.environ, "CHEATSHEET_CACHE_DIR": str(cached.cache)})
    assert run.returncode == 0, run.stderr


def test_outputs_hash_like_the_manifest(cached: Sheet) -> None:
    """The manifest of the build folder records each output's digest (what --check and the fast path trust)."""
    manifest = json.loads(_manifest_path(cached.out).read_text(encoding="utf-8"))
    assert manifest["outputs"] == {n: hashlib.sha256(cached.path(n).read_bytes()).hexdigest() for n in OUTPUTS}
