"""The wheel: built from the source tree, installed into a fresh virtual environment of its own, it carries the
templates and fonts and builds the sheet from a folder that is not the checkout.

The venv sees no other site-packages (a venv made with ``--system-site-packages`` from inside a venv would see the
base interpreter's packages, not the outer venv's): the wheel and its dependencies, pinned by the checkout's
constraints.txt, are installed into it by pip (from pip's cache when it has them). The test runs from a temporary
working directory and checks where the package and its templates were imported from. The build reuses the
session's verdict and page caches, so its outputs must be byte-identical to the session build's.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from _sheet import Sheet

pytestmark = pytest.mark.slow  # a wheel, a fresh venv and a build from it

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built by pip from the source tree (offline when hatchling is installed)."""
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-build-isolation")
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
    (whl,) = dist.glob("cheatsheet-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv of its own (no system site-packages) with the wheel and its pinned dependencies installed
    into it; returns its bin folder. The outer pip installs (``--python``), so the venv needs no pip of its own;
    pip's cache serves what it downloaded before, and ``--no-compile`` skips byte-compiling sympy and the rest
    (measured with a warm cache: 12 s, against 35–45 s compiling)."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=300)
    python = env / "bin" / "python"
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-compile",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            "-c",
            str(CONSTRAINTS),
            str(wheel),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"installed the wheel and its dependencies in {time.perf_counter() - start:.1f} s")
    return env / "bin"


def run(
    bin_dir: Path, cwd: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A command with the venv's bin folder first on PATH, as an activated venv has it (and no PYTHONPATH or
    VIRTUAL_ENV of the outer environment, which would let the checkout or another venv leak in)."""
    outer = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **outer,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(bin_dir.parent),
            **(env or {}),
        },
    )


def test_wheel_carries_templates_and_fonts(wheel: Path) -> None:
    """Every template, the bundled fonts with their license, the schema and the record are in the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    missing = {t for t in templates if f"cheatsheet/templates/{t}" not in names}
    assert not missing, f"not in the wheel: {sorted(missing)}"
    fonts = [n for n in names if n.startswith("cheatsheet/templates/fonts/") and n.endswith(".otf")]
    assert len(fonts) >= 4 and "cheatsheet/templates/fonts/GUST-FONT-LICENSE.txt" in names
    assert {"cheatsheet/data/rules.schema.json", "cheatsheet/data/verdicts.json", "cheatsheet/py.typed"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.slow
def test_installed_package_comes_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    """In the venv, from a folder outside the checkout, cheatsheet and its templates are the installed ones, and
    every dependency is the venv's own at the version constraints.txt pins."""
    probe = (
        "import cheatsheet, sys; from cheatsheet.render.resources import templates_dir; "
        "print(cheatsheet.__file__); print(templates_dir()); print(sys.prefix)"
    )
    result = run(venv, tmp_path, venv / "python", "-c", probe)
    assert result.returncode == 0, result.stderr
    package, templates, prefix = result.stdout.split()
    assert Path(package).is_relative_to(prefix) and Path(prefix) == venv.parent
    assert Path(templates) == Path(package).parent / "templates"
    assert not Path(package).is_relative_to(ROOT)
    pins = dict(
        line.split("==")
        for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    probe = (
        "import importlib.metadata as md, sympy, numpy, weasyprint; "
        "print(' '.join(f'{n}={md.version(n)}' for n in ('sympy', 'numpy', 'weasyprint', 'click', 'jinja2'))); "
        "print(sympy.__file__); print(numpy.__file__)"
    )
    result = run(venv, tmp_path, venv / "python", "-c", probe)
    assert result.returncode == 0, result.stderr
    versions, sympy_file, numpy_file = result.stdout.splitlines()
    for item in versions.split():
        name, version = item.split("=")
        assert pins[{"jinja2": "Jinja2"}.get(name, name)] == version, item
    assert Path(sympy_file).is_relative_to(prefix) and Path(numpy_file).is_relative_to(prefix)


@pytest.mark.slow
def test_build_from_the_wheel(venv: Path, sheet: Sheet, tmp_path: Path) -> None:
    """`cheatsheet build --out TMP --formats html,json,pdf --quiet` with the installed command: the outputs
    are byte-identical to the session build (same templates, same fonts, deterministic)."""
    out = tmp_path / "out"
    result = run(
        venv,
        tmp_path,
        "cheatsheet",
        "build",
        "--out",
        out,
        "--formats",
        "html,json,pdf",
        "--quiet",
        env={"CHEATSHEET_CACHE_DIR": str(sheet.cache)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    names = {p.name for p in out.iterdir()}
    assert names == {"cheatsheet.html", "rules.json", "cheatsheet.pdf", "cheatsheet-letter.pdf"}
    differ = sorted(n for n in names if (out / n).read_bytes() != sheet.path(n).read_bytes())
    assert not differ, f"{differ} differ from the checkout's build"
