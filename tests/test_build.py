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
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _sheet import OUTPUTS, Sheet, capture_pages, catalog_view
from click.testing import CliRunner, Result

import cheatsheet
import cheatsheet.catalog
from cheatsheet.build import BuildError, BuildOptions, _manifest_path, build
from cheatsheet.cli import main
from cheatsheet.rule import Rule

STAGES = ("catalog", "verify", "latex", "math", "html", "pdf", "exports", "write", "total")  # at least these, in order


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


def cache_payload(path: Path) -> bytes:
    """The payload of a cache entry (after its header line ``cheatsheet-cache/1 <digest>``)."""
    header, _, payload = path.read_bytes().partition(b"\n")
    assert header.startswith(b"cheatsheet-cache/1 "), header[:40]
    return payload


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_cli_prints_its_stages_and_rebuilds_identical_bytes(cached: Sheet, tmp_path: Path) -> None:
    """A build into a new folder prints each stage with its time, then what it wrote; the files are
    byte-identical to the session's (the build is deterministic)."""
    out = tmp_path / "out"
    result = cli("build", "--out", str(out), "--formats", "html,json,latex,md")
    assert result.exit_code == 0, result.output
    for stage in ("catalog", "verify", "latex", "math", "html", "exports", "write", "total"):
        assert re.search(rf"^\s+{stage}\s+\d+\.\d\d s(  \(.+\))?$", result.output, re.MULTILINE), (stage, result.output)
    assert "pdf " not in result.output
    assert "wrote cheatsheet.html, rules.json, cheatsheet.tex, cheatsheet.md" in result.output
    assert files_in(out) == {"cheatsheet.html", "rules.json", "cheatsheet.tex", "cheatsheet.md"}
    for name in files_in(out):
        assert (out / name).read_bytes() == cached.path(name).read_bytes(), name


@pytest.mark.slow
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
    from cheatsheet import sheet as view

    original = view.card

    def patched(rule: Rule, verdict: object) -> view.Card:
        c = original(rule, verdict)  # type: ignore[arg-type]
        return change(c) if rule.id == rule_id else c

    monkeypatch.setattr(view, "card", patched)


@pytest.mark.slow
def test_formula_that_does_not_typeset_names_its_rule(
    cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A formula the engines reject (here an unbalanced brace in softplus's derivative) stops the build
    with exit 1 and an error naming the rule and the formula; nothing is written."""
    _patch_card(
        monkeypatch,
        "softplus",
        lambda c: dataclasses.replace(
            c,
            formulas=tuple(
                dataclasses.replace(f, tex=f.tex + r" + \frac{1}{") if f.role == "derivative" else f for f in c.formulas
            ),
        ),
    )
    out = cached.copy_to(tmp_path / "build")
    before = snapshot(out)
    result = cli("build", "--out", str(out), "--formats", "html,pdf")
    assert result.exit_code == 1, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert "rule 'softplus'" in error and "does not typeset" in error and r"\frac{1}{" in error
    assert snapshot(out) == before


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["wide", "tall"])
def test_a_card_that_does_not_fit_is_a_layout_error(
    cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    """A formula wider than a card with nowhere to break it (a product of 40 factors), or a card taller
    than a column: exit 1, one error naming the card and what to do; nothing is written."""
    wide = r" ".join(rf"\sigma({k} x)" for k in range(2, 42))

    def change(c: Any) -> Any:
        if problem == "wide":
            return dataclasses.replace(
                c,
                formulas=tuple(
                    dataclasses.replace(f, tex=f.tex + " " + wide) if f.role == "derivative" else f for f in c.formulas
                ),
            )
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


@pytest.mark.slow
def test_a_failed_write_leaves_whole_files(cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes are all or nothing: when replacing one output fails (after another was already replaced), the
    build stops with an error naming it (exit 2), every file is its old bytes again, no temporary file is
    left, and the next build (not 'up to date': the manifest was not updated) finishes the job."""
    patch_catalog(monkeypatch, "relu", notes=(*cheatsheet.get("relu").notes, "An extra note for this test."))
    out = cached.copy_to(tmp_path / "build")
    before = snapshot(out)
    real_replace = os.replace
    replaced: list[str] = []

    def failing(src: str, dst: str) -> None:
        if Path(dst).name == "cheatsheet.md":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)
        replaced.append(Path(dst).name)

    opts = BuildOptions(out=out, formats=("json", "latex", "md"), quiet=True)
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(BuildError, match=r"cannot write .*cheatsheet\.md: No space left on device") as caught:
        build(opts)
    assert caught.value.exit_code == 2
    monkeypatch.setattr(os, "replace", real_replace)
    assert "rules.json" in replaced, "the failure came after another output had been replaced"
    after = snapshot(out)
    assert set(after) == set(before), "no temporary file is left behind"
    assert after == before, "the outputs already replaced were put back: all old, no mix of old and new"
    report = build(opts)
    assert not report.up_to_date and "cheatsheet.md" in report.written
    assert "An extra note for this test." in (out / "cheatsheet.md").read_text(encoding="utf-8")


@pytest.mark.slow
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
    from cheatsheet.verifier.hashing import VERIFIER_VERSION

    yield {
        "verdicts": cached.cache / "verdicts" / VERIFIER_VERSION,
        "math": cached.cache / "build" / "math",
        "plots": cached.cache / "build" / "plots",
        "pages": cached.cache / "build" / "pdf" / "pages",
    }


@pytest.mark.slow
def test_one_rule_edit_redoes_only_that_rule(
    cached: Sheet, cache_folders: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asin's derivative printed in its stable form 1/√((1 − x)(1 + x)): only asin is re-verified, only that
    formula re-typeset and its plot re-drawn, only the cards that print it re-measured, and only the pages
    whose HTML changed are drawn again. Reverting the edit draws nothing and gives back the same bytes."""
    from cheatsheet.printing.latex import latex

    rule = cheatsheet.get("asin")
    (stable,) = dict(rule.stable_derivative).values()
    # (a derivation, if the rule has one, ends in the old printed form: it goes with the edit)
    patch_catalog(
        monkeypatch,
        "asin",
        derivative=stable,
        **({"derivation": None} if getattr(rule, "derivation", None) is not None else {}),
    )
    edited_tex = latex(stable)
    out = cached.copy_to(tmp_path / "build")
    heights_folder = cached.cache / "build" / "pdf" / "heights"
    heights_before = files_in(heights_folder)
    before = {k: files_in(v) for k, v in cache_folders.items()}
    calls: list[list[str]] = []
    printed: list[tuple[Any, ...]] = []
    with capture_pages(calls, printed):
        report = build(BuildOptions(out=out, quiet=True))
    new = {k: _new_files(v, before[k]) for k, v in cache_folders.items()}

    assert len(new["verdicts"]) == 1
    (verdict_file,) = new["verdicts"]
    assert json.loads(cache_payload(cache_folders["verdicts"] / verdict_file))["rule_id"] == "asin"
    assert new["math"], "the edited derivative was not typeset"
    for formula in new["math"]:  # on its card, and wherever a worked example prints it
        assert f"{edited_tex}</span>" in json.loads(cache_payload(cache_folders["math"] / formula))["svg"]
    assert edited_tex in (out / "cheatsheet.tex").read_text(encoding="utf-8")
    assert len(new["plots"]) == 1
    (sections,) = printed
    showing = [c for s in sections for c in s.cards if any(edited_tex in f.tex for f in c.formulas)]
    assert showing and showing[0].id == "asin"
    measured = files_in(heights_folder) - heights_before
    assert len(measured) == len(showing), "only the cards that print the edited formula are measured again"
    (htmls,) = calls
    assert len(htmls) == len(cached.page_htmls)
    changed = {h for h, old in zip(htmls, cached.page_htmls, strict=False) if h != old}
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
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "cheatsheet.tex"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (tmp_path / "cheatsheet.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "cheatsheet.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    squashed = re.sub(r"\s+", "", text)
    missing = [r.id for r in cheatsheet.rules() if r.id not in squashed]
    assert not missing, missing


def test_markdown_has_every_rule(sheet: Sheet) -> None:
    """cheatsheet.md: a heading per family and per rule (title, id, status), math in $...$."""
    md = sheet.path("cheatsheet.md").read_text(encoding="utf-8")
    for family in {r.family for r in cheatsheet.rules()}:
        assert f"\n## {cheatsheet.families()[family]}\n" in md
    for r in cheatsheet.rules():
        assert re.search(rf"^### {re.escape(r.title)} \(`{re.escape(r.id)}`\) — (proved|checked)$", md, re.MULTILINE), (
            r.id
        )
    assert md.count("$$") >= 2 * len(cheatsheet.rules())


@pytest.mark.slow
def test_rules_json_is_the_export(sheet: Sheet) -> None:
    """build/rules.json is the JSON export of the verified catalog, valid against its schema."""
    import jsonschema

    from cheatsheet.render.rules_json import export_json, schema

    view = catalog_view(sheet)
    text = sheet.path("rules.json").read_text(encoding="utf-8")
    assert text == export_json(list(view.rules), list(view.verdicts))
    jsonschema.validate(json.loads(text), schema())


@pytest.mark.parametrize("env", [{"CHEATSHEET_CACHE_DIR": "/somewhere/cache"}, {"XDG_CACHE_HOME": "/xdg"}, {}])
def test_build_cache_sits_next_to_the_verdicts(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The build's cache folder (computed without importing the verifier) is the verdict cache's sibling."""
    from cheatsheet.build import _cache_root
    from cheatsheet.verifier.runner import cache_dir

    for name in ("CHEATSHEET_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _cache_root() == cache_dir().parent.parent / "build"


@pytest.mark.slow
def test_no_change_build_does_not_import_sympy(cached: Sheet, tmp_path: Path) -> None:
    """The up-to-date fast path of the command stays light: no sympy (0.4 s of imports) in the process."""
    out = cached.copy_to(tmp_path / "build")
    build(BuildOptions(out=out, quiet=True))
    probe = (
        "import sys; from cheatsheet.cli import main\n"
        "try:\n    main(['build', '--out', sys.argv[1], '--quiet'])\nexcept SystemExit as e:\n    assert not e.code, e\n"
        "assert 'sympy' not in sys.modules, 'sympy was imported'"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CHEATSHEET_CACHE_DIR": str(cached.cache)},
    )
    assert run.returncode == 0, run.stderr


def test_outputs_hash_like_the_manifest(cached: Sheet) -> None:
    """The manifest of the build folder records each output's digest (what --check and the fast path trust)."""
    manifest = json.loads(cache_payload(_manifest_path(cached.out)))
    assert manifest["outputs"] == {n: hashlib.sha256(cached.path(n).read_bytes()).hexdigest() for n in OUTPUTS}


# ------------------------------------------------------------------------------ damaged and tampered caches
def _forge(path: Path, payload: bytes) -> None:
    """Write ``payload`` as a well-formed entry (a valid digest) at ``path``: what another version of the code,
    or an editor who knows the format, could leave; the reader must still check the value's type and fields."""
    from cheatsheet import cache

    cache.write_entry(path, payload)


def _flip(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) * 2 // 3] ^= 0x01
    path.write_bytes(bytes(raw))


def _fifo_entry(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)  # nobody writes to it: a reader that opens it blocks


def _zero_entry(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


#: Ways a cache entry gets damaged, each applied to a different entry of each kind.
DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "a flipped bit": _flip,
    "empty": lambda p: p.write_bytes(b""),
    "not UTF-8": lambda p: p.write_bytes(b"\xff\xfe\x80 garbage"),
    "not UTF-8 with a valid digest": lambda p: _forge(p, b"\xff\xfe\x80"),
    "[]": lambda p: p.write_bytes(b"[]"),
    "[] with a valid digest": lambda p: _forge(p, b"[]"),
    "null with a valid digest": lambda p: _forge(p, b"null"),
    "the payload without its header": lambda p: p.write_bytes(cache_payload(p)),
    "a FIFO": _fifo_entry,
    "a link to /dev/zero": _zero_entry,
}


def _copy_cache(sheet: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the session's (warm) cache, used by this test only."""
    cache = tmp_path / "cache"
    shutil.copytree(sheet.cache, cache, symlinks=True)
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(cache))
    return cache


def _entries_read(*args: str) -> set[Path]:
    """The cache entries that `cheatsheet build ARGS` reads and finds valid (a clean build, to learn which
    entries a build uses: the session cache also holds entries of edited catalogs that no build reads now)."""
    from cheatsheet import cache

    read: set[Path] = set()
    real = cache.read_entry

    def logging(path: Path) -> bytes | None:
        payload = real(path)
        if payload is not None:
            read.add(path)
        return payload

    mp = pytest.MonkeyPatch()
    mp.setattr(cache, "read_entry", logging)
    try:
        result = cli("build", *args)
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    return read


def _entries(folder: Path, used: set[Path]) -> list[Path]:
    return sorted(p for p in used if p.parent == folder)


def _damage_each_way(folder: Path, used: set[Path], skip: frozenset[Path] = frozenset()) -> list[Path]:
    """Damage one entry of ``folder`` that a build uses in each way of DAMAGE (and copy one entry over
    another); returns them."""
    entries = [p for p in _entries(folder, used) if p not in skip]
    assert len(entries) > len(DAMAGE) + 2, folder
    for path, damage in zip(entries, DAMAGE.values(), strict=False):
        damage(path)
    source, target = entries[len(DAMAGE)], entries[len(DAMAGE) + 1]
    target.write_bytes(source.read_bytes())  # another key's valid entry under this key's name
    return entries[: len(DAMAGE) + 2]


def _edit_payload(path: Path, edit: Callable[[Any], Any]) -> None:
    """Change an entry's JSON payload and keep its header: an edit by hand (the digest no longer matches)."""
    header, _, payload = path.read_bytes().partition(b"\n")
    path.write_bytes(header + b"\n" + json.dumps(edit(json.loads(payload)), ensure_ascii=False).encode("utf-8"))


@pytest.mark.slow
def test_damaged_or_edited_cache_entries_are_recomputed_html_json(
    cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typeset formulas (SVG and MathML), plots, rules.json entries and the folder's manifest, each damaged in
    every way (truncated, a flipped bit, empty, not UTF-8, `[]`, a FIFO, a link to /dev/zero, another entry's
    bytes, valid JSON of the wrong type) or edited (sigmoid's MathML made σ(x)(1 + σ(x)) with an
    `<img onerror>`, its rules.json entry given a wrong derivative, marked proved): the build succeeds and its
    outputs are byte-identical to a clean build's (with the cache as it was); nothing damaged is printed."""
    from cheatsheet import cache as entries

    cache = _copy_cache(cached, tmp_path, monkeypatch)
    build_cache = cache / "build"
    clean = tmp_path / "clean"
    used = _entries_read("--out", str(clean), "--formats", "html,json")
    math_edit = [
        p
        for p in _entries(build_cache / "math", used)
        if "\\sigma^{\\prime}(x) = \\sigma(x) (1 - \\sigma(x))" in json.loads(cache_payload(p))["svg"]
    ]
    export_edit = [p for p in _entries(build_cache / "export", used) if json.loads(cache_payload(p))["id"] == "sigmoid"]
    assert math_edit and export_edit
    evil = (
        "<math><mi>σ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>(</mo><mn>1</mn><mo>+</mo><mi>σ</mi><mo>(</mo><mi>x</mi>"
        "<mo>)</mo><mo>)</mo></math><img src=x onerror=alert(1)>"
    )
    for path in math_edit:
        _edit_payload(path, lambda e: {**e, "mathml": evil})

    def wrong_derivative(entry: dict[str, Any]) -> dict[str, Any]:
        d = dict(entry["derivatives"][0], latex="\\sigma(x) (1 + \\sigma(x))", str="sigmoid(x)*(1 + sigmoid(x))")
        return {**entry, "derivatives": [d], "verdict": {**entry.get("verdict", {}), "status": "proved"}}

    for path in export_edit:
        _edit_payload(path, wrong_derivative)
    damaged = {
        kind: _damage_each_way(build_cache / kind, used, frozenset(math_edit + export_edit))
        for kind in ("math", "plots", "export")
    }
    # valid entries of the wrong shape: an SVG/MathML pair that is not text, an entry of another rule
    _forge(damaged["math"][-1], json.dumps({"svg": 3, "mathml": None}).encode())
    _forge(damaged["export"][-1], json.dumps({"id": "not_this_rule"}).encode())
    _forge(damaged["plots"][-1], b"<p>not a picture</p>")
    out = cached.copy_to(tmp_path / "out")
    for name in ("cheatsheet.html", "rules.json"):  # something to write
        (out / name).write_bytes(b"old")
    _forge(_manifest_path(out), b"[]")  # this folder's manifest: valid JSON of the wrong type

    result = cli("build", "--out", str(out), "--formats", "html,json")
    assert result.exit_code == 0, result.output
    for name in ("cheatsheet.html", "rules.json"):
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    html = (out / "cheatsheet.html").read_text(encoding="utf-8")
    assert "onerror" not in html and "(1 + \\sigma(x))" not in (out / "rules.json").read_text(encoding="utf-8")
    for kind, paths in damaged.items():  # each damaged entry was recomputed and written back whole
        assert all(entries.read_entry(p) is not None for p in paths + math_edit + export_edit), kind
    again = cli("build", "--out", str(out), "--formats", "html,json")
    assert again.exit_code == 0 and "up to date" in again.output, again.output


@pytest.mark.slow
def test_damaged_cache_entries_are_recomputed_pdf(
    cached: Sheet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn pages (a truncated page PDF made pypdf fail the build), the footers and measured card heights,
    damaged in every way: the A4 PDF is rebuilt byte-identical to the clean build's."""
    from cheatsheet import cache as entries

    cache = _copy_cache(cached, tmp_path, monkeypatch)
    pdf_cache = cache / "build" / "pdf"
    clean = tmp_path / "clean"
    used = _entries_read("--out", str(clean), "--formats", "pdf", "--paper", "a4")
    pages = _entries(pdf_cache / "pages", used)
    truncated = pages[0]
    raw = truncated.read_bytes()
    _forge(truncated, cache_payload(truncated)[: len(raw) // 2])  # a truncated PDF, even with a valid digest
    _forge(pages[1], cache_payload(pages[1]).replace(b"%%EOF", b"%%EOX"))
    _forge(pages[2], b"%PDF-1.7\nnot a pdf\n%%EOF\n")  # looks like a PDF at both ends, but is none
    _flip(pages[3])
    (footers,) = _entries(pdf_cache / "footers", used)
    DAMAGE["truncated"](footers)
    heights = _entries(pdf_cache / "heights", used)
    for path, damage in zip(heights, DAMAGE.values(), strict=False):
        damage(path)
    k = len(DAMAGE)
    for path, value in zip(
        heights[k:], (["tall", ""], [-5.0, ""], [float("nan"), ""], [1.0], {"h": 1}, [True, ""]), strict=False
    ):
        _forge(path, json.dumps(value).encode())
    out = tmp_path / "out"
    result = cli("build", "--out", str(out), "--formats", "pdf", "--paper", "a4")
    assert result.exit_code == 0, result.output
    assert (out / "cheatsheet.pdf").read_bytes() == (clean / "cheatsheet.pdf").read_bytes()
    assert all(entries.read_entry(p) is not None for p in [*pages[:4], footers, *heights[: k + 6]])


@pytest.mark.slow
def test_damaged_verdict_cache_entries_are_verified_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict entry that is damaged, edited (a failed rule made 'proved'), or another rule's is no verdict:
    the rule is verified again and gets the same verdict as a clean run."""
    from cheatsheet.verifier.hashing import VERIFIER_VERSION, rule_hash
    from cheatsheet.verifier.runner import verify_many

    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(tmp_path))
    rules = [cheatsheet.get(i) for i in ("relu", "tanh", "exp", "sigmoid", "softsign")]
    clean = verify_many(rules)
    from cheatsheet import cache

    folder = tmp_path / "verdicts" / VERIFIER_VERSION
    paths = [cache.entry_path(folder, rule_hash(r), ".json") for r in rules]
    _flip(paths[0])
    _edit_payload(paths[1], lambda v: {**v, "status": "proved", "method": "edited"})
    _forge(paths[2], cache_payload(paths[3]))  # sigmoid's verdict under exp's name, with a valid digest
    _forge(paths[3], b'{"rule_id": "sigmoid"}')
    DAMAGE["a link to /dev/zero"](paths[4])
    seen: list[tuple[str, bool]] = []
    again = verify_many(rules, progress=lambda v, from_cache: seen.append((v.rule_id, from_cache)))
    assert sorted(seen) == sorted((r.id, False) for r in rules), "every damaged entry was a miss"
    assert [v.to_dict(timing=False) for v in again] == [v.to_dict(timing=False) for v in clean]


def test_cache_entry_format_binds_key_and_content(tmp_path: Path) -> None:
    """An entry reads back only under its own folder kind and key, and only with its own bytes."""
    from cheatsheet import cache

    math, plots = tmp_path / "build" / "math", tmp_path / "build" / "plots"
    cache.write_json(math, "key", {"svg": "<svg/>", "mathml": "<math/>"})
    assert cache.read_json(math, "key") == {"svg": "<svg/>", "mathml": "<math/>"}
    assert cache.read_json(math, "other") is None and cache.read_json(plots, "key") is None
    path = cache.entry_path(math, "key", ".json")
    shutil.copy(path, cache.entry_path(math, "other", ".json"))
    assert cache.read_json(math, "other") is None, "an entry copied under another key is a miss"
    path.write_bytes(path.read_bytes().replace(b"<math/>", b"<math>x</math>"))
    assert cache.read_json(math, "key") is None, "an edit is a miss"
    cache.write(math, "big", b"x" * 10)
    assert cache.read(math, "big") == b"x" * 10


# ------------------------------------------------------------------------------ all old or all new; stale temporary files
_KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from cheatsheet.build import BuildOptions, build
out, when = Path(sys.argv[1]), sys.argv[2]
calls = []

def killing(real, ours):
    def wrapped(*args):
        if ours(args):
            calls.append(args)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(*args)
    return wrapped

if when == "writing":  # killed while the second output is written aside (before its fsync)
    os.fsync = killing(os.fsync, lambda a: True)
else:  # killed between two renames into the output folder
    os.replace = killing(os.replace, lambda a: Path(a[1]).parent == out)
build(BuildOptions(out=out, formats=("json", "latex", "md"), quiet=True, plugins=False, jobs=1))
"""


@pytest.mark.slow
@pytest.mark.parametrize("when", ["writing", "renaming"])
def test_a_killed_build_leaves_whole_files_and_the_next_build_cleans_up(
    cached: Sheet, tmp_path: Path, when: str
) -> None:
    """SIGKILL during the write phase. While the outputs are written aside: every output is still the old one.
    During the renames (microseconds; the documented window): each output is whole, old or new. Either way the
    killed build's temporary files are left, and the next build removes them (a user's files and a live
    process's temporary file stay) and writes every output, byte-identical to an uninterrupted build."""
    names = ("rules.json", "cheatsheet.tex", "cheatsheet.md")
    out = tmp_path / "out"
    out.mkdir()
    old = {n: cached.path(n).read_bytes() + b"\n(an older build)\n" for n in names}
    for n, data in old.items():
        (out / n).write_bytes(data)
    keep = {
        ".cheatsheet.md.bak": b"a user's file",
        "notes.tmp": b"mine",
        ".rules.json.x.tmp.orig": b"mine too",
        ".rules.json.cheatsheet-1-0123abcd.tmp": b"a running process's (pid 1)",
    }
    for n, data in keep.items():
        (out / n).write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, str(out), when],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "CHEATSHEET_CACHE_DIR": str(cached.cache)},
    )
    assert run.returncode == -9, (run.returncode, run.stderr)
    left = files_in(out) - set(names) - set(keep)
    assert left and all(
        re.fullmatch(r"\.(rules\.json|cheatsheet\.tex|cheatsheet\.md)\.cheatsheet-\d+-[0-9a-f]+\.tmp", n) for n in left
    ), left
    now = {n: (out / n).read_bytes() for n in names}

    report = build(BuildOptions(out=out, formats=("json", "latex", "md"), quiet=True, plugins=False, jobs=1))
    assert not report.up_to_date
    assert files_in(out) == set(names) | set(keep), "the killed build's temporary files are gone, nothing else"
    assert all((out / n).read_bytes() == data for n, data in keep.items())
    clean = tmp_path / "clean"  # an uninterrupted build of the same sources
    build(BuildOptions(out=clean, formats=("json", "latex", "md"), quiet=True, plugins=False, jobs=1))
    new = {n: (clean / n).read_bytes() for n in names}
    assert {n: (out / n).read_bytes() for n in names} == new
    if when == "writing":
        assert now == old, "killed before the renames: every output is the old one"
    else:  # killed after the first rename: that output new, the others old, each whole
        assert now == {
            "rules.json": new["rules.json"],
            "cheatsheet.tex": old["cheatsheet.tex"],
            "cheatsheet.md": old["cheatsheet.md"],
        }


def test_stale_temporary_files_only_ours(tmp_path: Path) -> None:
    """remove_stale_temps removes our pattern's files whose process is gone, or that are older than an hour;
    never a live process's recent file, a file for another name, a folder, or anything else."""
    from cheatsheet.fsutil import STALE_SECONDS, remove_stale_temps

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    files = {
        f".rules.json.cheatsheet-{gone}-0123abcd.tmp": True,  # its process is gone
        ".rules.json.cheatsheet-1-0123abcd.tmp": False,  # pid 1 runs
        ".cheatsheet.md.cheatsheet-1-89abcdef.tmp": True,  # pid 1 runs, but the file is two hours old
        f".cheatsheet.tex.cheatsheet-{os.getpid()}-0123abcd.tmp": False,  # this process's own
        ".cheatsheet.html.a1B2c3D4.tmp": True,  # the older mkstemp name, two hours old
        ".cheatsheet.pdf.a1B2c3D4.tmp": False,  # the older mkstemp name, recent
        f".notes.txt.cheatsheet-{gone}-0123abcd.tmp": False,  # not for an output
        f".rules.json.cheatsheet-{gone}-0123abcd.tmp.keep": False,
        "rules.json.tmp": False,
        f"rules.json.cheatsheet-{gone}-0123abcd.tmp": False,  # no leading dot: not our name
    }
    old = time.time() - 2 * STALE_SECONDS
    for name in files:
        (tmp_path / name).write_bytes(b"x")
        if name.startswith((".cheatsheet.md.", ".cheatsheet.html.")):
            os.utime(tmp_path / name, (old, old))
    (tmp_path / f".cheatsheet.md.cheatsheet-{gone}-00000000.tmp").mkdir()
    names = ["rules.json", "cheatsheet.md", "cheatsheet.tex", "cheatsheet.html", "cheatsheet.pdf"]
    removed = remove_stale_temps(tmp_path, names)
    assert removed == sorted(n for n, stale in files.items() if stale)
    assert {p.name for p in tmp_path.iterdir()} == {n for n, stale in files.items() if not stale} | {
        f".cheatsheet.md.cheatsheet-{gone}-00000000.tmp"
    }
    assert remove_stale_temps(tmp_path / "missing", names) == []


def test_rule_file_limit_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build reads --rules files for its fingerprint with the loader's size limit (kept apart: no sympy)."""
    from cheatsheet import build as build_module
    from cheatsheet.checking.rulefile import MAX_FILE_BYTES

    assert build_module.RULE_FILE_BYTES == MAX_FILE_BYTES


def test_unreadable_rules_file_makes_no_fingerprint(tmp_path: Path) -> None:
    """The no-change check never raises nor reads a device: an unusable --rules file means 'not up to date',
    and the loader then reports it."""
    from cheatsheet.build import _input_fingerprint

    (tmp_path / "dir.toml").mkdir()
    for path in (tmp_path / "missing.toml", Path("/dev/zero"), tmp_path / "dir.toml", Path("/proc/self/mem")):
        assert _input_fingerprint(BuildOptions(rule_files=(path,), plugins=False)) is None, path
    good = tmp_path / "ok.toml"
    good.write_text('[[rule]]\nid = "a"\nfunction = "x^2"\nderivative = "2*x"\n', encoding="utf-8")
    assert isinstance(_input_fingerprint(BuildOptions(rule_files=(good,), plugins=False)), str)
