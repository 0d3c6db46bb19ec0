"""Build the sheet: verified catalog -> LaTeX -> typeset math and plots -> HTML -> PDF, plus exports.

The only module that writes files. Stages run in order, each timed; every expensive product is cached
by content hash (verdicts, typeset formulas, plots, PDFs), so an edit to one rule re-verifies and
re-typesets only that rule, and a build with nothing changed stops at the first step: the fingerprint
of every input (package sources, templates, fonts, options, dependency versions) matches the one
recorded for this output folder, and the outputs are still what was written. Outputs are written
atomically and only when their bytes change.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import cheatsheet
from cheatsheet.fsutil import atomic_write

__all__ = ["ALL_FORMATS", "BuildError", "BuildOptions", "BuildReport", "build", "stale_outputs"]

ALL_FORMATS = ("pdf", "html", "json", "latex", "md")
_PACKAGE = Path(__file__).resolve().parent
_DEPENDENCIES = ("sympy", "mpmath", "jinja2", "weasyprint", "pydyf", "ziamath", "ziafont", "latex2mathml", "numpy")
MATH_PX = 10.4  # formula size in CSS px (7.8 pt), matched to the 7.4 pt Termes text


class BuildError(Exception):
    """A build that cannot go on: the message names what is wrong; ``exit_code`` 1 (a rule) or 2 (input)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class BuildOptions:
    """What to build and where."""

    out: Path = Path("build")
    papers: tuple[str, ...] = ("a4", "letter")
    formats: tuple[str, ...] = ALL_FORMATS
    jobs: int = max(1, os.cpu_count() or 1)
    quiet: bool = False
    rule_files: tuple[Path, ...] = ()
    plugins: bool = True


@dataclass
class BuildReport:
    """What a build did: the files it wrote or left unchanged and the time of each stage."""

    outputs: dict[str, Path] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    up_to_date: bool = False


def _cache_root() -> Path:
    """$CHEATSHEET_CACHE_DIR/build, the same base folder as verify.runner.cache_dir (computed here: the runner
    imports sympy, and the no-change path needs this folder for the manifest; a test keeps the two equal)."""
    root = os.environ.get("CHEATSHEET_CACHE_DIR")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cheatsheet"
    return base / "build"


def _output_names(opts: BuildOptions) -> list[str]:
    from cheatsheet.render.html import PAPERS

    names = []
    if "pdf" in opts.formats:
        names += [f"cheatsheet{PAPERS[p].suffix}.pdf" for p in opts.papers]
    if "html" in opts.formats:
        names.append("cheatsheet.html")
    if "json" in opts.formats:
        names.append("rules.json")
    if "latex" in opts.formats:
        names.append("cheatsheet.tex")
    if "md" in opts.formats:
        names.append("cheatsheet.md")
    return names


# ------------------------------------------------------------------------------ fingerprint
def _input_fingerprint(opts: BuildOptions) -> str:
    """Hash of everything a build reads, computed without importing sympy (the no-change fast path)."""
    from cheatsheet.render.resources import templates_dir

    h = hashlib.sha256()
    h.update(json.dumps([sorted(opts.papers), sorted(opts.formats), cheatsheet.__version__, opts.plugins]).encode())
    if opts.plugins:  # installed plugin catalogs are inputs too
        from importlib.metadata import entry_points

        for ep in sorted(entry_points(group="cheatsheet.catalogs"), key=lambda e: e.name):
            h.update(f"{ep.name}={ep.value}={ep.dist.version if ep.dist else ''}".encode())
    for dep in _DEPENDENCIES:
        try:
            h.update(f"{dep}={metadata.version(dep)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dep}=none".encode())
    roots = [_PACKAGE, templates_dir()]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    for f in opts.rule_files:
        h.update(hashlib.sha256(Path(f).read_bytes()).digest())
    return h.hexdigest()


def _manifest_path(out: Path) -> Path:
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return _cache_root() / "manifests" / f"{key}.json"


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _up_to_date(opts: BuildOptions, fingerprint: str) -> bool:
    try:
        manifest = json.loads(_manifest_path(opts.out).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    if manifest.get("fingerprint") != fingerprint:
        return False
    outputs: dict[str, str] = manifest.get("outputs", {})
    names = _output_names(opts)
    return set(outputs) == set(names) and all(_digest(opts.out / n) == d for n, d in outputs.items())


# ------------------------------------------------------------------------------ stages
class _Stages:
    def __init__(self, report: BuildReport, echo: Callable[[str], None]) -> None:
        self.report = report
        self.echo = echo

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.report.timings.append((name, seconds))
        self.echo(f"  {name:<10s} {seconds:6.2f} s")


def _load_rules(opts: BuildOptions) -> list[Any]:
    """The catalog, plus the rules of --rules files and of installed plugin catalogs (entry point group
    ``cheatsheet.catalogs``), loaded, validated and verified under a time limit; bad input raises
    :class:`cheatsheet.custom.CustomRuleError` (exit code 2, or 1 for a false claim) before anything is written."""
    rules = list(cheatsheet.rules())
    if opts.rule_files or opts.plugins:
        from cheatsheet import custom

        rules += custom.load_for_build(opts.rule_files, rules, plugins=opts.plugins)
    return rules


def _verified(rules: Sequence[Any], opts: BuildOptions) -> list[Any]:
    from cheatsheet.verify.runner import verify_many

    verdicts = verify_many(rules, jobs=opts.jobs, use_cache=True)
    bad = [v for v in verdicts if not v.ok]
    if bad:
        lines = [f"{v.rule_id}: {v.reason or v.summary()}" for v in bad]
        raise BuildError(f"{len(bad)} rule(s) failed verification; nothing was rendered:\n  " + "\n  ".join(lines), 1)
    return verdicts


def _svg_snippet(item: tuple[str, str, bool, float]) -> tuple[str, str]:
    """(snippet, error): the SVG picture, broken into lines wider than ``max_px``, with its TeX source as
    invisible text (the PDF stays searchable)."""
    from html import escape

    from cheatsheet.render import math as tmath

    key, tex, display, max_px = item
    try:
        picture = tmath.svg_within(tex, max_px, prefix=f"{key}-", size_px=MATH_PX, display=display).html()
    except tmath.TypesetError as exc:
        return "", str(exc)
    return picture + f'<span class="tex">{escape(tex)}</span>', ""


def _typeset(cards: Sequence[Any], jobs: int = 1) -> tuple[dict[str, str], dict[str, str]]:
    """SVG (for the PDF) and MathML (for the HTML) of every formula, cached together by content; the SVGs
    typeset in parallel when many are new."""
    from cheatsheet.render import math as tmath
    from cheatsheet.render.paged import GEOMETRY

    source = hashlib.sha256(Path(tmath.__file__).read_bytes()).hexdigest()  # a changed quirk fix re-typesets
    engines = [metadata.version("ziamath"), metadata.version("latex2mathml")]
    cache = _cache_root() / "math"
    owner: dict[str, str] = {}
    items: dict[str, tuple[str, str, bool, float]] = {}
    for c in cards:
        for f in c.formulas:
            owner.setdefault(f.key, c.id)
            max_px = GEOMETRY.step_px if f.role == "step" else GEOMETRY.formula_px
            items.setdefault(f.key, (f.key, f.tex, f.role in ("function", "derivative"), round(max_px, 3)))
    svg_html: dict[str, str] = {}
    mathml: dict[str, str] = {}
    paths: dict[str, Path] = {}
    missing: list[str] = []
    for key, (_, tex, display, max_px) in items.items():
        digest = hashlib.sha256(json.dumps([key, tex, MATH_PX, display, engines, source, max_px]).encode()).hexdigest()
        paths[key] = cache / f"{digest}.json"
        try:
            entry = json.loads(paths[key].read_text(encoding="utf-8"))
            svg_html[key], mathml[key] = entry["svg"], entry["mathml"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            missing.append(key)
    work = [items[k] for k in missing]
    if jobs > 1 and len(work) > 16:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            done = list(pool.map(_svg_snippet, work, chunksize=16))
    else:
        done = [_svg_snippet(w) for w in work]
    for key, (snippet, error) in zip(missing, done):
        _, tex, display, _ = items[key]
        if error:
            raise BuildError(f"rule {owner[key]!r}: the formula {tex!r} does not typeset: {error}", 1)
        try:
            mathml[key] = tmath.mathml(tex, display=display)
        except tmath.TypesetError as exc:
            raise BuildError(f"rule {owner[key]!r}: the formula {tex!r} does not typeset: {exc}", 1) from exc
        svg_html[key] = snippet
        try:
            atomic_write(paths[key], json.dumps({"svg": snippet, "mathml": mathml[key]}, ensure_ascii=False))
        except OSError:
            pass
    return svg_html, mathml


def _plots(rules: Sequence[Any], cards: Sequence[Any]) -> dict[str, str]:
    from cheatsheet.render.plots import plot_svg
    from cheatsheet.verify.hashing import rule_hash

    out: dict[str, str] = {}
    cache = _cache_root() / "plots"
    by_id = {r.id: r for r in rules}
    from cheatsheet.render import plots as plots_module

    source = hashlib.sha256(Path(plots_module.__file__).read_bytes()).hexdigest()[:16]  # a changed plotter re-draws
    for c in cards:
        if not c.scalar_plot:
            continue
        rule = by_id[c.id]
        path = cache / f"{rule_hash(rule)}-{source}.svg"
        try:
            out[c.id] = path.read_text(encoding="utf-8")
            continue
        except FileNotFoundError:
            pass
        svg = plot_svg(rule)
        if svg is None:
            continue
        out[c.id] = svg
        try:
            atomic_write(path, svg)
        except OSError:
            pass
    return out


def _cached_entry() -> Callable[[Any, Any], dict[str, Any]]:
    """:func:`cheatsheet.export.rule_entry`, cached by the pickled rule and verdict and the package's code
    outside the catalog (printing a rule's entry takes about 7 ms; an edit re-prints only that rule)."""
    import pickle

    from cheatsheet.export import rule_entry

    code = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE.rglob("*.py") if "catalog" not in p.relative_to(_PACKAGE).parts):
        code.update(hashlib.sha256(path.read_bytes()).digest())
    for dep in ("sympy", "mpmath"):
        code.update(metadata.version(dep).encode())
    cache = _cache_root() / "export"

    def entry(rule: Any, verdict: Any) -> dict[str, Any]:
        try:
            key = hashlib.sha256(code.digest() + pickle.dumps((rule, verdict), protocol=5)).hexdigest()
        except (pickle.PicklingError, TypeError, AttributeError):  # e.g. a plugin's rule: printed every time
            return rule_entry(rule, verdict)
        path = cache / f"{key}.json"
        try:
            cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return cached
        except (FileNotFoundError, ValueError):
            pass
        fresh = rule_entry(rule, verdict)
        try:
            atomic_write(path, json.dumps(fresh, sort_keys=True, ensure_ascii=False))
        except OSError:
            pass
        return fresh

    return entry


def _meta(rules: Sequence[Any], verdicts: Sequence[Any]) -> Any:
    from cheatsheet.render.html import Meta
    from cheatsheet.verify.hashing import catalog_fingerprint

    counts = {s: sum(v.status == s for v in verdicts) for s in ("proved", "checked")}
    return Meta(
        title="Derivatives for Machine Learning",
        subtitle=f"A machine-checked cheat sheet: {len(rules)} rules, {counts['proved']} proved symbolically, "
        f"{counts['checked']} checked at 50 digits; every formula printed from the verified expression.",
        subject="Derivatives of the functions of machine learning, verified by sympy and mpmath, "
        "with PyTorch's conventions at kinks",
        keywords="derivative, gradient, Jacobian, activation, softmax, loss, normalization, backpropagation, PyTorch",
        author="cheatsheet",
        version=cheatsheet.__version__,
        fingerprint=catalog_fingerprint(rules),
        conventions="Notation: σ(x) = 1/(1 + e⁻ˣ); Φ and φ the standard normal CDF and density; 𝟙[·] the indicator; "
        "δᵢⱼ the Kronecker delta. Vector rules give the Jacobian entry ∂fᵢ/∂xⱼ or the gradient entry ∂f/∂xᵢ; matrix "
        "gradients are in denominator layout (the shape of the input). At a kink: PyTorch's value, JAX's where it "
        "differs, and ∂ the subdifferential (the hull of the one-sided derivatives). Plots: f solid, f′ dashed; "
        "open dots are one-sided limits, filled dots the value PyTorch returns.",
        counts=counts,
    )


def _pdf_metadata(meta: Any) -> dict[str, str]:
    return {
        "/Title": meta.title,
        "/Subject": meta.subject,
        "/Keywords": meta.keywords,
        "/Author": meta.author,
        "/Creator": f"cheatsheet {meta.version}",
        "/Producer": f"WeasyPrint {metadata.version('weasyprint')}, pypdf {metadata.version('pypdf')}",
    }


def _render(opts: BuildOptions, stages: _Stages) -> dict[str, bytes]:
    """Every output's bytes, by file name."""
    from cheatsheet.render import view

    with stages.stage("catalog"):
        rules = _load_rules(opts)
    with stages.stage("verify"):
        verdicts = _verified(rules, opts)
    with stages.stage("latex"):
        cards = view.cards(rules, verdicts)
    with stages.stage("examples"):
        from cheatsheet.render.panels import panel_sections

        extra = panel_sections()
        sections = view.sections(cards, extra)  # the PDF: Derivations, then the examples and panels
        page_sections = view.sections(cards, extra, derivations=False)  # the HTML: derivations under each card
        all_cards = cards + [c for s in extra for c in s.cards]
        meta = _meta(rules, verdicts)
    files: dict[str, bytes] = {}
    needs_math = bool({"pdf", "html"} & set(opts.formats))
    if needs_math:
        with stages.stage("math"):
            svg_html, mathml = _typeset(all_cards, opts.jobs)
            plots = _plots(rules, cards)
    if "html" in opts.formats:
        from cheatsheet.render.html import PAPERS, render_page

        with stages.stage("html"):
            links = {f"PDF ({PAPERS[p].css})": f"cheatsheet{PAPERS[p].suffix}.pdf" for p in ("a4", "letter")}
            links["rules.json"] = "rules.json"
            files["cheatsheet.html"] = render_page(page_sections, meta, mathml, plots, links).encode("utf-8")
    if "pdf" in opts.formats:
        from cheatsheet.render.html import PAPERS, footer_document, measure_document, print_page
        from cheatsheet.render.paged import LayoutError, render_pdf
        from cheatsheet.render.resources import templates_dir

        with stages.stage("pdf"):
            try:
                pdfs = render_pdf(
                    sections,
                    lambda page: print_page(sections, meta, page, svg_html, plots),
                    lambda cards, masthead: measure_document(sections, meta, cards, masthead, svg_html, plots),
                    opts.papers,
                    _pdf_metadata(meta),
                    base=templates_dir(),
                    cache=_cache_root() / "pdf",
                    jobs=opts.jobs,
                    footer_html=lambda total: footer_document(meta, total),
                )
            except LayoutError as exc:
                raise BuildError(str(exc), 1) from exc
            for p, pdf in pdfs.items():
                files[f"cheatsheet{PAPERS[p].suffix}.pdf"] = pdf
    with stages.stage("exports"):
        if "json" in opts.formats:
            from cheatsheet.export import export_json

            files["rules.json"] = export_json(rules, verdicts, entry=_cached_entry()).encode("utf-8")
        if "latex" in opts.formats:
            from cheatsheet.render.exports import latex_document

            files["cheatsheet.tex"] = latex_document(view.sections(cards), meta).encode("utf-8")
        if "md" in opts.formats:
            from cheatsheet.render.exports import markdown_document

            files["cheatsheet.md"] = markdown_document(view.sections(cards), meta).encode("utf-8")
    return files


def build(opts: BuildOptions, echo: Callable[[str], None] | None = None) -> BuildReport:
    """Build every requested output into ``opts.out``; raises :class:`BuildError` and writes nothing on failure."""
    say = (lambda s: None) if opts.quiet or echo is None else echo
    report = BuildReport()
    stages = _Stages(report, say)
    start = time.perf_counter()
    fingerprint = _input_fingerprint(opts)
    if _up_to_date(opts, fingerprint):
        report.up_to_date = True
        report.unchanged = _output_names(opts)
        report.outputs = {n: opts.out / n for n in report.unchanged}
        report.timings.append(("total", time.perf_counter() - start))
        say(f"up to date: nothing changed since the last build into {opts.out} ({report.timings[-1][1]:.2f} s)")
        return report
    files = _render(opts, stages)
    with stages.stage("write"):
        for name, data in files.items():
            path = opts.out / name
            report.outputs[name] = path
            try:
                if _digest(path) == hashlib.sha256(data).hexdigest():
                    report.unchanged.append(name)
                    continue
                atomic_write(path, data)
            except OSError as exc:  # an output folder that cannot be written is bad input, not a crash
                raise BuildError(f"cannot write {path}: {exc.strerror or exc}; pick a writable --out folder", 2) from exc
            report.written.append(name)
        manifest = {"fingerprint": fingerprint, "outputs": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
        try:
            atomic_write(_manifest_path(opts.out), json.dumps(manifest, sort_keys=True))
        except OSError:
            pass
    report.timings.append(("total", time.perf_counter() - start))
    say(f"  {'total':<10s} {report.timings[-1][1]:6.2f} s")
    return report


def stale_outputs(opts: BuildOptions) -> list[str]:
    """Rebuild into a temporary folder and name each committed output that differs (or is missing)."""
    with tempfile.TemporaryDirectory(prefix="cheatsheet-check-") as tmp:
        fresh = BuildOptions(out=Path(tmp), papers=opts.papers, formats=opts.formats, jobs=opts.jobs, quiet=True,
                             rule_files=opts.rule_files, plugins=opts.plugins)
        report = build(fresh)
        stale = []
        for name in report.outputs:
            if _digest(opts.out / name) != _digest(Path(tmp) / name):
                stale.append(name)
        return stale

