"""Benchmark: `cheatsheet build`, stage by stage, against pdflatex compiling the same sheet.

Run: python benchmarks/build.py [--repeat R] [--cold-repeat C] [--jobs N] [--rev GIT_REV]

The benchmark works on a snapshot of the source tree (cheatsheet/ and templates/ copied to a temporary
folder and imported from there; from a git revision with --rev), so that edits made elsewhere while it
runs cannot disturb it. Three
scenarios, each build in a fresh process (as a user runs the command), every output format, A4 and Letter:

- cold: an empty cache (every rule verified, every formula typeset, every card measured, every page drawn);
- no change: the same build again (the fingerprint fast path); timed both as the build's own report and
  as the whole `cheatsheet build --quiet` process;
- one-rule edit: one rule's printed derivative replaced by its numerically stable form (an equivalent
  formula the verifier must prove again, that must be typeset again, whose card must be measured and
  drawn again) and its build fingerprint changed, as editing the rule's source would. Each run edits a
  different rule, starting from a build of the unedited catalog, so that no run is served by another's cache.

Side by side, in the same run: pdflatex compiling the LaTeX export of the same sheet (cheatsheet.tex, one
pass after a warm-up pass, whole process), the comparison of issue 3. Prints medians and the ratios against
the issue's targets: one-rule edit <= 3x pdflatex, no-change build <= 0.5 s, cold build <= 30 s (2 cores).
It measures; it asserts nothing. These machines are shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Rules whose derivative has an equivalent stable form to print instead (one per edit run, in this order):
#: 1/√(1 − x²) becomes 1/√((1 − x)(1 + x)), and so on.
EDITS = ("asin", "acos", "acosh", "atanh", "squareplus", "softmin")

# One build in this (fresh) process; prints the report as JSON. argv[1]: {"out", "jobs", "edit", "src"}.
DRIVER = r"""
import json, sys, time
start = time.perf_counter()
args = json.loads(sys.argv[1])
import dataclasses, pathlib
import cheatsheet
from cheatsheet import build as B
assert pathlib.Path(cheatsheet.__file__).is_relative_to(args["src"]), cheatsheet.__file__
if args["edit"]:
    import cheatsheet.catalog
    rules = cheatsheet.catalog.load()
    rule = next(r for r in rules if r.id == args["edit"])
    (wrt, stable), = rule.stable_derivative
    changes = {"derivative": ((wrt, stable),)}
    if getattr(rule, "derivation", None) is not None:
        changes["derivation"] = None  # its last step is the old printed form
    edited = dataclasses.replace(rule, **changes)
    patched = tuple(edited if r.id == rule.id else r for r in rules)
    cheatsheet.catalog.load = lambda: patched
    fingerprint = B._input_fingerprint
    B._input_fingerprint = lambda opts: fingerprint(opts) + "|edited " + args["edit"]  # as a source edit would
report = B.build(B.BuildOptions(out=pathlib.Path(args["out"]), jobs=args["jobs"], quiet=True))
print(json.dumps({"timings": report.timings, "up_to_date": report.up_to_date, "written": report.written,
                  "process": time.perf_counter() - start}))
"""


_SRC = Path()  # the snapshot of the sources (set in main)


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "CHEATSHEET_CACHE_DIR": str(cache), "PYTHONPATH": str(_SRC)}


def _build(
    out: Path, cache: Path, jobs: int, edit: str | None = None
) -> tuple[dict[str, float], float, dict[str, Any]]:
    """One build in a fresh process: (stage -> seconds, whole-process wall time, the report)."""
    start = time.perf_counter()
    spec = json.dumps({"out": str(out), "jobs": jobs, "edit": edit, "src": str(_SRC)})
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, spec], check=False, env=_env(cache), capture_output=True, text=True, cwd=_SRC
    )
    wall = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"build failed (edit={edit}):\n{run.stdout}\n{run.stderr}")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return dict(report["timings"]), wall, report


def _cli(out: Path, cache: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cheatsheet", "build", "--out", str(out), "--quiet", "--jobs", str(jobs)],
        env=_env(cache),
        check=True,
        cwd=_SRC,
    )
    return time.perf_counter() - start


def _pdflatex(tex: Path, work: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["pdflatex", "-interaction=batchmode", "-halt-on-error", tex.name],
        cwd=work,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _median(rows: list[dict[str, float]], stage: str) -> float | None:
    values = [r[stage] for r in rows if stage in r]
    return statistics.median(values) if values else None


def _cell(value: float | None) -> str:
    return f"{value:9.2f}" if value is not None else f"{'-':>9s}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the no-change, edit and pdflatex timings")
    parser.add_argument("--cold-repeat", type=int, default=2, help="cold builds (each takes minutes)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rev", help="benchmark this git revision (e.g. HEAD) instead of the working tree")
    args = parser.parse_args()
    if not shutil.which("pdflatex"):
        raise SystemExit("pdflatex is missing: run `make setup-test` (texlive)")
    load0 = os.getloadavg()

    global _SRC
    with tempfile.TemporaryDirectory(prefix="cheatsheet-bench-") as tmp_name:
        tmp = Path(tmp_name)
        _SRC = tmp / "src"
        if args.rev:
            _SRC.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.rev, "cheatsheet", "templates"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(_SRC)], input=archive, check=True)
        else:
            for folder in ("cheatsheet", "templates"):
                shutil.copytree(ROOT / folder, _SRC / folder, ignore=shutil.ignore_patterns("__pycache__"))
        cold, cold_wall, cold_digests = [], [], []
        for k in range(args.cold_repeat):
            out, cache = tmp / f"cold{k}" / "build", tmp / f"cold{k}" / "cache"
            timings, wall, _ = _build(out, cache, args.jobs)
            cold.append(timings)
            cold_wall.append(wall)
            cold_digests.append(_digests(out))
            print(f"  cold build {k + 1}/{args.cold_repeat}: {wall:.1f} s", file=sys.stderr)
        out, cache = tmp / f"cold{args.cold_repeat - 1}" / "build", tmp / f"cold{args.cold_repeat - 1}" / "cache"

        unchanged, unchanged_wall, cli_wall = [], [], []
        for _ in range(args.repeat):
            timings, wall, report = _build(out, cache, args.jobs)
            assert report["up_to_date"], "a build with nothing changed was not up to date"
            unchanged.append(timings)
            unchanged_wall.append(wall)
            cli_wall.append(_cli(out, cache, args.jobs))

        edit, edit_wall, drawn = [], [], []
        pages_dir = cache / "build" / "pdf" / "pages"
        for k in range(args.repeat):
            rule = EDITS[k % len(EDITS)]
            _build(out, cache, args.jobs, edit=None)  # back to the unedited catalog (served from the cache)
            before = set(pages_dir.iterdir())
            timings, wall, _ = _build(out, cache, args.jobs, edit=rule)
            drawn.append(len(set(pages_dir.iterdir()) - before))
            edit.append(timings)
            edit_wall.append(wall)
            print(
                f"  one-rule edit {k + 1}/{args.repeat} ({rule}): {wall:.1f} s, {drawn[-1]} pages drawn",
                file=sys.stderr,
            )

        work = tmp / "latex"
        work.mkdir()
        shutil.copy(tmp / "cold0" / "build" / "cheatsheet.tex", work / "cheatsheet.tex")
        _pdflatex(work / "cheatsheet.tex", work)  # warm-up (and the .aux for page x of y)
        latex = [_pdflatex(work / "cheatsheet.tex", work) for _ in range(args.repeat)]
        latex_pages = _pages(work / "cheatsheet.pdf")
        pages = _pages(tmp / "cold0" / "build" / "cheatsheet.pdf")
        identical = all(d == cold_digests[0] for d in cold_digests)
        n_rules = len(json.loads((tmp / "cold0" / "build" / "rules.json").read_text(encoding="utf-8"))["rules"])

    load1 = os.getloadavg()

    tex = statistics.median(latex)
    cold_t, none_t, edit_t = statistics.median(cold_wall), statistics.median(cli_wall), statistics.median(edit_wall)
    print(f"source: {'git ' + args.rev if args.rev else 'the working tree'} (a snapshot)")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end "
        "(a shared machine: the figures are noisy)"
    )
    print(
        f"sheet: {n_rules} rules, {pages} pages (A4 and Letter); jobs {args.jobs}; medians over "
        f"{args.cold_repeat} cold and {args.repeat} other runs"
    )
    print(f"cold builds byte-identical to each other: {'yes' if identical else 'NO'}")
    print()
    print(f"{'stage (s)':<22s}{'cold':>9s}{'no change':>11s}{'one-rule edit':>15s}")
    stages = list(dict.fromkeys(name for rows in (cold, edit, unchanged) for r in rows for name in r))
    stages = [n for n in stages if n != "total"] + ["total"]
    for stage in stages:
        print(
            f"{stage:<22s}{_cell(_median(cold, stage))}  {_cell(_median(unchanged, stage))}    "
            f"{_cell(_median(edit, stage))}"
        )
    print(f"{'process (wall)':<22s}{_cell(cold_t)}  {_cell(statistics.median(unchanged_wall))}    {_cell(edit_t)}")
    print(f"{'`cheatsheet build -q`':<22s}{'':9s}  {_cell(none_t)}")
    print(f"pages drawn by a one-rule edit: {statistics.median(drawn):.0f} of {pages} (median)")
    print()
    print(
        f"pdflatex cheatsheet.tex (one pass, whole process, {latex_pages} pages): {tex:.2f} s "
        f"(min {min(latex):.2f}, max {max(latex):.2f})"
    )
    print()
    print(f"{'target (issue 3)':<36s}{'measured':>12s}{'target':>10s}")
    rows = [
        ("cold full build", f"{cold_t:.1f} s", "<= 30 s", cold_t <= 30),
        ("no-change build (whole command)", f"{none_t:.2f} s", "<= 0.5 s", none_t <= 0.5),
        ("one-rule edit / pdflatex", f"{edit_t / tex:.1f}x", "<= 3x", edit_t / tex <= 3),
    ]
    for name, value, target, met in rows:
        print(f"{name:<36s}{value:>12s}{target:>10s}   {'met' if met else 'MISSED'}")
    print(f"{'cold build / pdflatex':<36s}{cold_t / tex:>11.1f}x")
    print(f"{'no-change build / pdflatex':<36s}{none_t / tex:>11.2f}x")


if __name__ == "__main__":
    main()
