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
from cheatsheet import cache
from cheatsheet.fsutil import FileProblem, WriteError, read_regular_file, remove_stale_temps, write_all

__all__ = ["ALL_FORMATS", "BuildError", "BuildOptions", "BuildReport", "build", "stale_outputs"]

ALL_FORMATS = ("pdf", "html", "json", "latex", "md")
_PACKAGE = Path(__file__).resolve().parent
_DEPENDENCIES = ("sympy", "mpmath", "jinja2", "weasyprint", "pydyf", "ziamath", "ziafont", "latex2mathml", "numpy")
MATH_PX = 10.4  # formula size in CSS px (7.8 pt), matched to the 7.4 pt Termes text
# cheatsheet.checking.rulefile.MAX_FILE_BYTES, the largest rule file (not imported: custom imports sympy, which the
# no-change path must not; a test keeps the two equal)
RULE_FILE_BYTES = 1_000_000


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
    reverify: bool = False  # verify every rule now: neither the shipped record nor the cache is trusted


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
    return cache.base_dir() / "build"


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
def _input_fingerprint(opts: BuildOptions) -> str | None:
    """Hash of everything a build reads, computed without importing sympy (the no-change fast path); None when a
    --rules file cannot be read (the build then goes on, and loading the rules reports every such problem)."""
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
        try:  # bounded, regular files only: never /dev/zero into memory, never a FIFO that blocks
            h.update(hashlib.sha256(read_regular_file(f, RULE_FILE_BYTES, what="a TOML rule file")).digest())
        except FileProblem:
            return None
    return h.hexdigest()


def _manifest_key(out: Path) -> str:
    return str(out.resolve())


def _manifest_path(out: Path) -> Path:
    """The cache entry that records the fingerprint and the outputs' digests of the last build into ``out``."""
    return cache.entry_path(_cache_root() / "manifests", _manifest_key(out), ".json")


def read_manifest(out: Path) -> dict[str, Any] | None:
    """``{"fingerprint": str, "outputs": {name: sha256}}`` of the last build into ``out``; None when there is none
    or the entry is damaged or of the wrong shape (then the build is simply not up to date)."""
    manifest = cache.read_json(_cache_root() / "manifests", _manifest_key(out))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("fingerprint"), str):
        return None
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not all(isinstance(n, str) and isinstance(d, str) for n, d in outputs.items()):
        return None
    return manifest


def _digest(path: Path) -> str | None:
    """The sha256 of an existing output, or None (missing, or not a regular file: it is then replaced)."""
    try:
        return hashlib.sha256(read_regular_file(path, 1 << 30, what="an output file")).hexdigest()
    except FileProblem:
        return None


def _up_to_date(opts: BuildOptions, fingerprint: str | None) -> bool:
    manifest = read_manifest(opts.out)
    if fingerprint is None or manifest is None or manifest["fingerprint"] != fingerprint:
        return False
    outputs: dict[str, str] = manifest["outputs"]
    names = _output_names(opts)
    return set(outputs) == set(names) and all(_digest(opts.out / n) == d for n, d in outputs.items())


# ------------------------------------------------------------------------------ stages
class _Stages:
    def __init__(self, report: BuildReport, echo: Callable[[str], None]) -> None:
        self.report = report
        self.echo = echo

    @contextmanager
    def stage(self, name: str) -> Iterator[list[str]]:
        """Time the block; what it appends to the list it gets is printed after the time, in brackets."""
        start = time.perf_counter()
        notes: list[str] = []
        yield notes
        seconds = time.perf_counter() - start
        self.report.timings.append((name, seconds))
        self.echo(f"  {name:<10s} {seconds:6.2f} s" + (f"  ({'; '.join(notes)})" if notes else ""))


def _load_rules(opts: BuildOptions) -> list[Any]:
    """The catalog, plus the rules of --rules files and of installed plugin catalogs (entry point group
    ``cheatsheet.catalogs``), loaded, validated and verified under a time limit; bad input raises
    :class:`cheatsheet.checking.problems.CustomRuleError` (exit code 2, or 1 for a false claim) before anything is written."""
    rules = list(cheatsheet.rules())
    if opts.rule_files or opts.plugins:
        from cheatsheet.checking import custom

        rules += custom.load_for_build(opts.rule_files, rules, plugins=opts.plugins)
    return rules


def _verified(rules: Sequence[Any], opts: BuildOptions, notes: list[str] | None = None) -> list[Any]:
    """Every rule's verdict: from the shipped record where it vouches for the rule (same content hash and
    verifier version), else from the user's cache, else verified now; ``--reverify`` verifies every rule.
    ``notes`` gets how many came from where, for the stage line."""
    from cheatsheet.verifier import record
    from cheatsheet.verifier.runner import verify_sources

    # record.RECORD_PATH is read here, not bound at import, so that tests can point the build at a copy
    done = verify_sources(
        rules, jobs=opts.jobs, use_cache=not opts.reverify, record=None if opts.reverify else record.RECORD_PATH
    )
    # a verdict verified now carries the record's PyTorch comparison for the same content, as one read from the
    # record does: the cards (their PyTorch mark) do not depend on where the verdict came from
    verdicts = record.with_conformance(done.verdicts, record.RECORD_PATH)
    if notes is not None:
        cached = done.count("cache")
        notes.append(
            f"{done.count('record')} from the record, "
            + (f"{cached} from the cache, " if cached else "")
            + f"{done.count('verified')} verified"
        )
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
    from cheatsheet.render.layout import GEOMETRY

    source = tmath.source_digest()  # a changed quirk fix re-typesets
    engines = [metadata.version("ziamath"), metadata.version("latex2mathml")]
    folder = _cache_root() / "math"
    owner: dict[str, str] = {}
    items: dict[str, tuple[str, str, bool, float]] = {}
    for c in cards:
        for f in c.formulas:
            owner.setdefault(f.key, c.id)
            max_px = GEOMETRY.step_px if f.role == "step" else GEOMETRY.formula_px
            items.setdefault(f.key, (f.key, f.tex, f.role in ("function", "derivative"), round(max_px, 3)))
    svg_html: dict[str, str] = {}
    mathml: dict[str, str] = {}
    digests: dict[str, str] = {}
    missing: list[str] = []
    for key, (_, tex, display, max_px) in items.items():
        digests[key] = hashlib.sha256(
            json.dumps([key, tex, MATH_PX, display, engines, source, max_px]).encode()
        ).hexdigest()
        entry = cache.read_json(folder, digests[key])
        if isinstance(entry, dict) and isinstance(entry.get("svg"), str) and isinstance(entry.get("mathml"), str):
            svg_html[key], mathml[key] = entry["svg"], entry["mathml"]
        else:  # none, or damaged: typeset again
            missing.append(key)
    work = [items[k] for k in missing]
    if jobs > 1 and len(work) > 16:
        from cheatsheet.pools import context

        with ProcessPoolExecutor(max_workers=jobs, mp_context=context()) as pool:
            done = list(pool.map(_svg_snippet, work, chunksize=16))
    else:
        done = [_svg_snippet(w) for w in work]
    for key, (snippet, error) in zip(missing, done, strict=False):
        _, tex, display, _ = items[key]
        if error:
            raise BuildError(f"rule {owner[key]!r}: the formula {tex!r} does not typeset: {error}", 1)
        try:
            mathml[key] = tmath.mathml(tex, display=display)
        except tmath.TypesetError as exc:
            raise BuildError(f"rule {owner[key]!r}: the formula {tex!r} does not typeset: {exc}", 1) from exc
        svg_html[key] = snippet
        cache.write_json(folder, digests[key], {"svg": snippet, "mathml": mathml[key]})
    return svg_html, mathml


def _plots(rules: Sequence[Any], cards: Sequence[Any]) -> dict[str, str]:
    from cheatsheet.render.plots import plot_svg
    from cheatsheet.verifier.hashing import rule_hash

    out: dict[str, str] = {}
    folder = _cache_root() / "plots"
    by_id = {r.id: r for r in rules}
    from cheatsheet.render import plots as plots_module

    source = hashlib.sha256(Path(plots_module.__file__).read_bytes()).hexdigest()[:16]  # a changed plotter re-draws
    for c in cards:
        if not c.scalar_plot:
            continue
        rule = by_id[c.id]
        key = f"{rule_hash(rule)}-{source}"
        cached = cache.read_text(folder, key, ".svg")
        if cached is not None and cached.startswith("<svg") and cached.endswith("</svg>"):
            out[c.id] = cached
            continue
        svg = plot_svg(rule)
        if svg is None:
            continue
        out[c.id] = svg
        cache.write(folder, key, svg.encode("utf-8"), ".svg")
    return out


def _cached_entry() -> Callable[[Any, Any], dict[str, Any]]:
    """:func:`cheatsheet.render.rules_json.rule_entry`, cached by the pickled rule and verdict and the package's code
    outside the catalog (printing a rule's entry takes about 7 ms; an edit re-prints only that rule)."""
    import pickle

    from cheatsheet.render.rules_json import rule_entry

    code = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE.rglob("*.py") if "catalog" not in p.relative_to(_PACKAGE).parts):
        code.update(hashlib.sha256(path.read_bytes()).digest())
    for dep in ("sympy", "mpmath"):
        code.update(metadata.version(dep).encode())
    folder = _cache_root() / "export"

    def entry(rule: Any, verdict: Any) -> dict[str, Any]:
        try:
            key = hashlib.sha256(code.digest() + pickle.dumps((rule, verdict), protocol=5)).hexdigest()
        except (pickle.PicklingError, TypeError, AttributeError):  # e.g. a plugin's rule: printed every time
            return rule_entry(rule, verdict)
        cached = cache.read_json(folder, key)
        if isinstance(cached, dict) and cached.get("id") == rule.id:
            return cached
        fresh = rule_entry(rule, verdict)
        cache.write_json(folder, key, fresh)
        return fresh

    return entry


def _meta(rules: Sequence[Any], verdicts: Sequence[Any]) -> Any:
    from cheatsheet.render.html import Meta
    from cheatsheet.verifier.hashing import catalog_fingerprint

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
    from cheatsheet import sheet

    with stages.stage("catalog"):
        rules = _load_rules(opts)
    with stages.stage("verify") as notes:
        verdicts = _verified(rules, opts, notes)
    with stages.stage("latex"):
        cards = sheet.cards(rules, verdicts)
    with stages.stage("examples"):
        from cheatsheet.render.panels import panel_sections

        extra = panel_sections()
        sections = sheet.sections(cards, extra)  # the PDF: Derivations, then the examples and panels
        page_sections = sheet.sections(cards, extra, derivations=False)  # the HTML: derivations under each card
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
            from cheatsheet.render.rules_json import export_json

            files["rules.json"] = export_json(rules, verdicts, entry=_cached_entry()).encode("utf-8")
        if "latex" in opts.formats:
            from cheatsheet.render.documents import latex_document

            files["cheatsheet.tex"] = latex_document(sheet.sections(cards), meta).encode("utf-8")
        if "md" in opts.formats:
            from cheatsheet.render.documents import markdown_document

            files["cheatsheet.md"] = markdown_document(sheet.sections(cards), meta).encode("utf-8")
    return files


def build(opts: BuildOptions, echo: Callable[[str], None] | None = None) -> BuildReport:
    """Build every requested output into ``opts.out``; raises :class:`BuildError` and writes nothing on failure."""
    say = (lambda s: None) if opts.quiet or echo is None else echo
    report = BuildReport()
    stages = _Stages(report, say)
    start = time.perf_counter()
    from cheatsheet.pools import StartMethodError, start_method

    try:
        start_method()  # a bad CHEATSHEET_START_METHOD is bad input, named before any work
    except StartMethodError as exc:
        raise BuildError(str(exc), 2) from exc
    # temporary files that an earlier, killed build left in the output folder (only ours: see fsutil)
    remove_stale_temps(opts.out, _output_names(BuildOptions(papers=("a4", "letter"))))
    fingerprint = _input_fingerprint(opts)
    if not opts.reverify and _up_to_date(opts, fingerprint):
        report.up_to_date = True
        report.unchanged = _output_names(opts)
        report.outputs = {n: opts.out / n for n in report.unchanged}
        report.timings.append(("total", time.perf_counter() - start))
        say(f"up to date: nothing changed since the last build into {opts.out} ({report.timings[-1][1]:.2f} s)")
        return report
    files = _render(opts, stages)
    with stages.stage("write"):
        changed: dict[Path, bytes] = {}
        for name, data in files.items():
            path = opts.out / name
            report.outputs[name] = path
            if _digest(path) == hashlib.sha256(data).hexdigest():
                report.unchanged.append(name)
            else:
                changed[path] = data
                report.written.append(name)
        try:  # all changed outputs at once: every one written and synced aside, then all renamed in
            write_all(changed)
        except WriteError as exc:  # an output folder that cannot be written is bad input, not a crash
            raise BuildError(
                f"cannot write {exc.target}: {exc.strerror or exc}; pick a writable --out folder", 2
            ) from exc
        if fingerprint is not None:
            manifest = {
                "fingerprint": fingerprint,
                "outputs": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()},
            }
            cache.write_json(_cache_root() / "manifests", _manifest_key(opts.out), manifest)
    report.timings.append(("total", time.perf_counter() - start))
    say(f"  {'total':<10s} {report.timings[-1][1]:6.2f} s")
    return report


def stale_outputs(opts: BuildOptions) -> list[str]:
    """Rebuild into a temporary folder and name each committed output that differs (or is missing)."""
    with tempfile.TemporaryDirectory(prefix="cheatsheet-check-") as tmp:
        fresh = BuildOptions(
            out=Path(tmp),
            papers=opts.papers,
            formats=opts.formats,
            jobs=opts.jobs,
            quiet=True,
            rule_files=opts.rule_files,
            plugins=opts.plugins,
            reverify=opts.reverify,
        )
        report = build(fresh)
        stale = []
        for name in report.outputs:
            if _digest(opts.out / name) != _digest(Path(tmp) / name):
                stale.append(name)
        return stale
