"""The same bytes on every machine, and only the needed work (issue 16).

- **Last-bit noise changes nothing printed.** Every float64 result numpy's matrix products, reductions,
  transcendental functions and linear algebra (and Python's ``math`` functions, i.e. the platform's libm) give
  on the path of the worked examples, the panels and the plots is perturbed by 1–3 ulps (seeded): what the
  templates print is unchanged. A float64 finite difference, as the sheet printed before, does change under the
  same noise (so the noise is strong enough to catch a machine-dependent figure). The computation also runs
  with 1 and with 2 BLAS threads in subprocesses and prints the same. ``OPENBLAS_CORETYPE`` and
  ``OPENBLAS_L2_SIZE`` are left as the environment has them. Not perturbed: + − × ÷ and sqrt, which IEEE 754
  rounds correctly on every platform (the figures' geometry relies on them), and results that are exactly
  zero (exact on every machine).
- **The shipped record is trusted, what changed is verified.** A build reads the verdict of every rule whose
  content hash and verifier version match ``cheatsheet/data/verdicts.json``; a changed rule, an entry whose hash
  was altered, a record of another verifier version are verified; ``--reverify`` verifies everything.
- **Other platforms.** The pools run with the spawn start method (``CHEATSHEET_START_METHOD=spawn``) and give
  the same verdicts and bytes; ``--jobs 1`` never starts a pool.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import cheatsheet

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


# ==================================================================================== what is printed
def printed() -> str:
    """Everything the worked examples, the panels and the plots put on the sheet: each panel card as the
    template prints it (formulas by key), every formula's LaTeX (numbers inside formulas included), the text
    fields that carry numbers, and the SVG of every rule's plot."""
    from cheatsheet.render.html import environment
    from cheatsheet.render.panels import formulas_of, panel_sections
    from cheatsheet.render.plots import plot_svg

    macro = environment().get_template("panels.html.j2").module.panel  # type: ignore[attr-defined]
    parts: list[str] = []
    for section in panel_sections():
        for card in section.cards:
            parts.append(str(macro(card, defaultdict(str))))
            parts += [f"{f.key}: {f.tex}" for f in formulas_of(card.data)]
    for rule in cheatsheet.rules():
        svg = plot_svg(rule)
        if svg is not None:
            parts.append(svg)
    return "\n".join(parts)


def printed_digest() -> str:
    """SHA-256 of :func:`printed` (what the subprocesses report)."""
    return hashlib.sha256(printed().encode("utf-8")).hexdigest()


# ==================================================================================== last-bit noise
_NEXTAFTER = np.nextafter  # bound before any patching
_ISFINITE = np.isfinite


class Noise:
    """Adds 1–3 ulps (seeded, in either direction) to every finite nonzero float64 a wrapped function returns."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.touched = 0

    def array(self, value: np.ndarray) -> np.ndarray:
        out = np.array(value, dtype=np.float64, copy=True)
        steps = self.rng.integers(1, 4, size=out.shape)
        towards = np.where(self.rng.integers(0, 2, size=out.shape) == 1, np.inf, -np.inf)
        live = _ISFINITE(out) & (out != 0)
        for k in range(3):
            mask = live & (steps > k)
            out[mask] = _NEXTAFTER(out[mask], towards[mask])
        self.touched += int(live.sum())
        return out

    def __call__(self, value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return self.array(value) if value.dtype == np.float64 else value
        if isinstance(value, np.float64):
            return np.float64(self.array(np.array([value]))[0])
        if isinstance(value, float):
            return float(self.array(np.array([value]))[0])
        if isinstance(value, tuple):  # eigh's (eigenvalues, eigenvectors), slogdet's (sign, logabsdet)
            items = [self(v) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        return value

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def noisy(*args: Any, **kwargs: Any) -> Any:
            return self(fn(*args, **kwargs))

        return noisy


_NUMPY = (
    "matmul",
    "dot",
    "vdot",
    "inner",
    "outer",
    "einsum",
    "tensordot",
    "sum",
    "mean",
    "prod",
    "cumsum",
    "exp",
    "expm1",
    "exp2",
    "log",
    "log1p",
    "log2",
    "log10",
    "power",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "hypot",
)
_LINALG = ("eigh", "eigvalsh", "eig", "eigvals", "solve", "inv", "det", "slogdet", "norm", "lstsq", "cholesky")
_MATH = (
    "exp",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "pow",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "erf",
    "erfc",
    "gamma",
    "lgamma",
    "hypot",
    "dist",
    "exp2",
    "cbrt",
)


def apply_noise(monkeypatch: pytest.MonkeyPatch, n: Noise) -> None:
    """numpy's and math's functions (and the float64 tables of the evaluators, which hold numpy's functions
    since import) return their results with ``n``'s last-bit noise until ``monkeypatch`` is undone."""
    from cheatsheet.evaluate import backends
    from cheatsheet.evaluate import matrix as matrixeval

    for name in _NUMPY:
        monkeypatch.setattr(np, name, n.wrap(getattr(np, name)))
    for name in _LINALG:
        monkeypatch.setattr(np.linalg, name, n.wrap(getattr(np.linalg, name)))
    for name in _MATH:
        if hasattr(math, name):
            monkeypatch.setattr(math, name, n.wrap(getattr(math, name)))
    for key, fn in list(backends._FLOAT_FUNCS.items()):  # the float64 backend's function table
        monkeypatch.setitem(backends._FLOAT_FUNCS, key, n.wrap(fn))
    for key, (f64, mp) in list(matrixeval._SCALAR_FUNCS.items()):
        monkeypatch.setitem(matrixeval._SCALAR_FUNCS, key, (n.wrap(f64), mp))


def _float64_fd_figure() -> str:
    """The MLP's central-difference check as the sheet printed it before: float64 forward passes (numpy
    products, the rules' float64 evaluation), step 1e-6, the largest difference to 2 digits."""
    from cheatsheet.examples import number
    from cheatsheet.examples.mlp import DEFAULT, backprop

    act, loss = cheatsheet.get(DEFAULT.activation), cheatsheet.get(DEFAULT.loss)
    p = DEFAULT.arrays()

    def f(q: dict[str, np.ndarray]) -> float:
        h = np.asarray(act.evaluate(np.matmul(q["W1"], q["x"]) + q["b1"]), dtype=float)
        return float(loss.evaluate(np.matmul(q["W2"], h) + q["b2"], np.array([DEFAULT.y])))

    grads = backprop().gradients
    worst = 0.0
    for name, value in p.items():
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in p.items()}
            minus = {k: v.copy() for k, v in p.items()}
            plus[name][idx] += 1e-6
            minus[name][idx] -= 1e-6
            worst = max(worst, abs((f(plus) - f(minus)) / 2e-6 - float(np.asarray(grads[name])[idx])))
    return number(worst, 2)


@pytest.mark.slow
def test_printed_numbers_survive_last_bit_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples, panels and plots print the same bytes when every float64 result on their path moves by ulps;
    the same noise moves the float64 finite-difference figure the sheet printed before."""
    reference = printed()
    fd_reference = _float64_fd_figure()
    noise = Noise(16)
    apply_noise(monkeypatch, noise)
    # the noise is strong enough to move a float64 figure of the kind the sheet used to print ...
    moved = [_float64_fd_figure() for _ in range(3)]
    assert any(m != fd_reference for m in moved), f"the noise did not move the float64 figure {fd_reference}"
    # ... and moves nothing the sheet prints now
    before = noise.touched
    again = printed()
    assert noise.touched > before, "the printed path called no wrapped function: the test would prove nothing"
    if again != reference:
        import difflib

        diff = "\n".join(list(difflib.unified_diff(reference.splitlines(), again.splitlines(), lineterm="", n=0))[:20])
        pytest.fail(f"last-bit noise changed what is printed:\n{diff}")


def test_noise_moves_what_it_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wrappers really move float64 results, and leave exact zeros and other types alone."""
    x = np.linspace(0.1, 2.0, 50)
    exact = np.exp(x)
    tanh = math.tanh(0.3)
    noise = Noise(16)
    apply_noise(monkeypatch, noise)
    assert noise(np.array([0.0]))[0] == 0.0 and noise(np.array([1, 2])).dtype == np.int64
    assert np.count_nonzero(np.exp(x) != exact) == 50
    assert math.tanh(0.3) != tanh and abs(math.tanh(0.3) - tanh) <= 3 * math.ulp(tanh)
    assert noise.touched >= 51


@pytest.mark.slow
def test_same_output_with_one_and_two_blas_threads() -> None:
    """The examples, panels and plots computed in subprocesses with 1 and with 2 BLAS/OpenMP threads print the
    same bytes, and the same as this process (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are left alone)."""
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); from test_reproducible import printed_digest; print(printed_digest())"
    digests = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT, check=False
        )
        assert out.returncode == 0, out.stderr
        digests.append(out.stdout.strip())
    assert digests[0] == digests[1] == printed_digest()


# ==================================================================================== the record
#: A small catalog for the record tests: a record is written for it in a temporary folder (so that the tests do
#: not depend on the shipped record being current; test_shipped_record_vouches_for_the_whole_catalog checks that).
SMALL = ("sigmoid", "relu", "softsign", "square", "tanh")


@pytest.fixture
def small_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The catalog cut down to SMALL (no worked examples or panels: they need other rules), and a record of its
    verdicts, verified now, in a temporary file that :data:`cheatsheet.verifier.record.RECORD_PATH` points to."""
    import cheatsheet.catalog
    from cheatsheet.render import panels
    from cheatsheet.verifier import record
    from cheatsheet.verifier.runner import verify_many

    chosen = tuple(r for r in cheatsheet.catalog.load() if r.id in SMALL)
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: chosen)
    monkeypatch.setattr(panels, "panel_sections", list)
    path = tmp_path / "verdicts.json"
    path.write_text(record.record_json(verify_many(chosen, use_cache=False)), encoding="utf-8")
    monkeypatch.setattr(record, "RECORD_PATH", path)
    return path


def _edit_record(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def verified_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the rules the verifier runs on in this process (builds with --jobs 1)."""
    from cheatsheet.verifier import runner

    seen: list[str] = []
    real = runner._safe_verify

    def spy(rule: Any, prove: bool) -> Any:
        seen.append(rule.id)
        return real(rule, prove)

    monkeypatch.setattr(runner, "_safe_verify", spy)
    return seen


def _build_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    """`cheatsheet build --formats json --jobs 1` into a new folder with an empty cache; its output."""
    from click.testing import CliRunner

    from cheatsheet.cli import main

    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        main, ["build", "--out", str(tmp_path / "out"), "--formats", "json", "--jobs", "1", "--no-plugins", *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _verify_line(output: str) -> str:
    (line,) = [ln for ln in output.splitlines() if ln.strip().startswith("verify")]
    return line


def test_shipped_record_vouches_for_the_whole_catalog() -> None:
    """The shipped record holds a trusted verdict for every catalog rule, so that a build from a fresh clone
    verifies nothing (its verify stage takes well under 2 s)."""
    from cheatsheet.verifier.record import RECORD_PATH
    from cheatsheet.verifier.runner import trusted_verdicts

    rules = cheatsheet.rules()
    trusted = trusted_verdicts(rules, RECORD_PATH)
    missing = [r.id for k, r in enumerate(rules) if k not in trusted]
    assert not missing, (
        f"the shipped record does not vouch for {len(missing)} rule(s) ({', '.join(missing[:5])}, ...): "
        "refresh it with `cheatsheet verify`"
    )


def test_build_trusts_the_record_and_verifies_only_a_changed_rule(
    small_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verified_ids: list[str]
) -> None:
    """With an empty cache, a build reads every verdict from the record; with one rule changed (square's
    derivative written x + x: the same function, another content hash), exactly that rule is verified."""
    from sympy import Add

    import cheatsheet.catalog
    from cheatsheet.verifier.hashing import rule_hash

    line = _verify_line(_build_json(tmp_path / "a", monkeypatch))
    assert line.endswith(f"({len(SMALL)} from the record, 0 verified)"), line
    assert verified_ids == []

    square = cheatsheet.get("square")
    x = square.inputs[0].symbol
    changed = dataclasses.replace(square, derivative=((square.inputs[0].name, Add(x, x, evaluate=False)),))
    assert rule_hash(changed) != rule_hash(square)
    patched = tuple(changed if r.id == "square" else r for r in cheatsheet.rules())
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: patched)
    line = _verify_line(_build_json(tmp_path / "b", monkeypatch))
    assert line.endswith(f"({len(SMALL) - 1} from the record, 1 verified)"), line
    assert verified_ids == ["square"]


def test_a_tampered_record_is_verified_not_trusted(
    small_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verified_ids: list[str]
) -> None:
    """A record entry whose content hash was altered (or whose verifier version is another) vouches for nothing:
    that rule is verified. The record's path is read at build time (here a file in a temporary folder)."""

    def tamper(data: dict[str, Any]) -> None:
        entry = data["rules"]["softsign"]
        entry["content_hash"] = ("0" if entry["content_hash"][0] != "0" else "1") + entry["content_hash"][1:]
        data["rules"]["relu"]["verifier_version"] = "0.0"

    _edit_record(small_catalog, tamper)
    line = _verify_line(_build_json(tmp_path, monkeypatch))
    assert line.endswith(f"({len(SMALL) - 2} from the record, 2 verified)"), line
    assert sorted(verified_ids) == ["relu", "softsign"]


def test_trusted_verdicts_need_every_stamp(small_catalog: Path, tmp_path: Path) -> None:
    """Only proved/checked entries of this rule, hash and verifier version are trusted; a record written by another
    verifier version, or a missing or malformed one, vouches for nothing."""
    from cheatsheet.verifier.hashing import VERIFIER_VERSION
    from cheatsheet.verifier.record import load_record_file
    from cheatsheet.verifier.runner import trusted_verdicts

    rules = [cheatsheet.get(i) for i in ("sigmoid", "relu", "softsign", "tanh")]
    table, version = load_record_file(small_catalog)
    assert version == VERIFIER_VERSION
    assert sorted(trusted_verdicts(rules, table)) == [0, 1, 2, 3]
    assert sorted(trusted_verdicts(rules, small_catalog)) == [0, 1, 2, 3]
    bad = json.loads(json.dumps(table))
    bad["relu"]["status"] = "failed"
    bad["softsign"]["rule_id"] = "sigmoid"
    del bad["tanh"]
    assert sorted(trusted_verdicts(rules, bad)) == [0]

    def other_version(data: dict[str, Any]) -> None:
        data["verifier_version"] = "0.0"

    assert trusted_verdicts(rules, _edit_record(small_catalog, other_version)) == {}
    assert trusted_verdicts(rules, tmp_path / "missing.json") == {}
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    assert trusted_verdicts(rules, tmp_path / "broken.json") == {}


def test_reverify_verifies_every_rule(
    small_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verified_ids: list[str]
) -> None:
    """--reverify trusts neither the record nor the cache, and gives the verdicts the record holds (with the
    record's PyTorch comparison, so that the cards do not depend on where a verdict came from)."""
    from cheatsheet.build import BuildOptions, _verified

    def with_torch(data: dict[str, Any]) -> None:
        data["rules"]["relu"]["extra"] = {"torch": {"status": "conforms"}}

    _edit_record(small_catalog, with_torch)
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(tmp_path / "cache"))
    rules = [cheatsheet.get(i) for i in ("sigmoid", "relu", "square")]
    notes: list[str] = []
    trusted = _verified(rules, BuildOptions(jobs=1), notes)
    assert notes == ["3 from the record, 0 verified"] and verified_ids == []
    notes.clear()
    fresh = _verified(rules, BuildOptions(jobs=1, reverify=True), notes)
    assert notes == ["0 from the record, 3 verified"] and verified_ids == ["sigmoid", "relu", "square"]
    assert fresh[1].extra == {"torch": {"status": "conforms"}}
    for a, b in zip(trusted, fresh, strict=False):
        assert a.to_dict(timing=False) == b.to_dict(timing=False), a.rule_id


def test_cli_reverify_option_is_documented() -> None:
    from click.testing import CliRunner

    from cheatsheet.cli import main

    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0 and "--reverify" in result.output


# ==================================================================================== start methods
def test_start_method_defaults_to_fork_where_it_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from cheatsheet import pools

    monkeypatch.delenv(pools.START_METHOD_ENV, raising=False)
    assert pools.start_method() == ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert pools.start_method() == "spawn" and not pools.shares_memory()
    monkeypatch.setenv(pools.START_METHOD_ENV, "fork")
    with pytest.raises(
        pools.StartMethodError, match="CHEATSHEET_START_METHOD='fork' is not a start method of this platform"
    ):
        pools.start_method()


def test_bad_start_method_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cheatsheet.cli import main

    monkeypatch.setenv("CHEATSHEET_START_METHOD", "threads")
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "out"), "--formats", "json"])
    assert result.exit_code == 2 and "CHEATSHEET_START_METHOD='threads'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_spawned_verify_workers_rebuild_their_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With spawn, workers see none of this process's globals: catalog rules are rebuilt by id, a custom rule
    from its pickle; a rule no worker can rebuild exactly (a copy of a catalog rule under another id, whose
    textbook-ordered expressions unpickle in another form) is verified here. The verdicts equal a serial run."""
    from cheatsheet.checking.rulefile import load_rule_file
    from cheatsheet.verifier import runner
    from cheatsheet.verifier.runner import verify_sources

    custom = load_rule_file(TESTS / "data" / "rules" / "swish_beta.toml")
    copy = dataclasses.replace(cheatsheet.get("softsign"), id="softsign_copy")
    rules = [cheatsheet.get("sigmoid"), cheatsheet.get("relu"), *custom, copy]
    serial = verify_sources(rules, jobs=1, use_cache=False).verdicts
    here: list[str] = []
    real = runner._safe_verify

    def in_parent(rule: Any, prove: bool) -> Any:
        here.append(rule.id)
        return real(rule, prove)

    monkeypatch.setattr(runner, "_safe_verify", in_parent)
    monkeypatch.setenv("CHEATSHEET_START_METHOD", "spawn")
    spawned = verify_sources(rules, jobs=2, use_cache=False)
    assert spawned.sources == ["verified"] * len(rules)
    assert [v.to_dict(timing=False) for v in spawned.verdicts] == [v.to_dict(timing=False) for v in serial]
    assert "sigmoid" not in here and "relu" not in here and custom[0].id not in here, here
    assert set(here) <= {"softsign_copy"}


class _NoPool:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("--jobs 1 started a process pool")


class _SpyPool:
    """ProcessPoolExecutor that records its start method and the module that started it."""

    started: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, where: str) -> None:
        self.where = where

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from concurrent.futures import ProcessPoolExecutor

        ctx = kwargs.get("mp_context")
        _SpyPool.started.append((self.where, ctx.get_start_method() if ctx is not None else "default"))
        return ProcessPoolExecutor(*args, **kwargs)


_POOL_MODULES = (
    "cheatsheet.verifier.runner",
    "cheatsheet.build",
    "cheatsheet.render.measure",
    "cheatsheet.render.drawing",
    "cheatsheet.render.join",
)


def _subset_build(out: Path, cache: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """A cold build (empty cache, --reverify) of 20 catalog rules, every format: enough rules that every pool of
    the build has work (verifying, typesetting, measuring, drawing, joining)."""
    import cheatsheet.catalog
    from cheatsheet.build import BuildOptions, build
    from cheatsheet.render import panels

    chosen = tuple(cheatsheet.catalog.load()[:20])
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: chosen)
    monkeypatch.setattr(panels, "panel_sections", list)
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(cache))
    build(BuildOptions(out=out, jobs=jobs, quiet=True, reverify=True, plugins=False))
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.slow
def test_parallel_stages_under_spawn_equal_a_build_without_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 1 builds with every pool forbidden; --jobs 2 with CHEATSHEET_START_METHOD=spawn starts a spawn pool
    in every parallel stage; both cold, and the outputs are the same bytes."""
    import importlib

    modules = [importlib.import_module(m) for m in _POOL_MODULES]
    with monkeypatch.context() as mp:
        for module in modules:
            mp.setattr(module, "ProcessPoolExecutor", _NoPool)
        serial = _subset_build(tmp_path / "serial", tmp_path / "cache-serial", 1, mp)
    _SpyPool.started = []
    with monkeypatch.context() as mp:
        for module in modules:
            mp.setattr(module, "ProcessPoolExecutor", _SpyPool(module.__name__))
        mp.setenv("CHEATSHEET_START_METHOD", "spawn")
        spawned = _subset_build(tmp_path / "spawn", tmp_path / "cache-spawn", 2, mp)
    assert {m for _, m in _SpyPool.started} == {"spawn"}
    assert {w for w, _ in _SpyPool.started} == set(_POOL_MODULES), _SpyPool.started
    assert len([w for w, _ in _SpyPool.started if w.startswith("cheatsheet.render.")]) == 3, (
        "measuring, drawing and joining"
    )
    assert sorted(serial) == sorted(spawned) and len(serial) == 6
    differ = [name for name in serial if serial[name] != spawned[name]]
    assert not differ, f"{differ} differ between the spawn build and the build without pools"


def test_verify_stage_line_counts_each_source() -> None:
    """The stage line of the verify stage names how many verdicts came from where."""
    from cheatsheet.build import BuildReport, _Stages

    lines: list[str] = []
    stages = _Stages(BuildReport(), lines.append)
    with stages.stage("verify") as notes:
        notes.append("151 from the record, 0 verified")
    assert re.fullmatch(r"  verify +\d+\.\d\d s  \(151 from the record, 0 verified\)", lines[0]), lines[0]
