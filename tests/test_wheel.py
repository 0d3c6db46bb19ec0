"""The wheel: built from the source tree, installed into a fresh virtual environment, it carries the templates
and fonts and builds the sheet from a folder that is not the checkout.

The venv sees the system site-packages (so no dependency is downloaded), but cheatsheet itself must come
from the wheel: the test runs from a temporary working directory and checks where the package and its
templates were imported from. The build reuses the session's verdict and page caches, so its outputs must
be byte-identical to the session build's.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from _sheet import Sheet, full_build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Sheet:
    return full_build(tmp_path_factory)


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
    """A fresh venv (system site-packages visible) with the wheel installed into it; returns its bin folder."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env)], check=True,
                   timeout=300)
    python = env / "bin" / "python"
    # the outer pip installs into the venv; --ignore-installed: the editable checkout is visible through the
    # system site-packages, and the wheel must win over it
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", "--ignore-installed", str(wheel)], check=True, capture_output=True, text=True, timeout=600)
    return env / "bin"


def run(bin_dir: Path, cwd: Path, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], check=False, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **(env or {})})


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


def test_installed_package_comes_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    """In the venv, from a folder outside the checkout, cheatsheet and its templates are the installed ones."""
    probe = ("import cheatsheet, sys; from cheatsheet.render.resources import templates_dir; "
             "print(cheatsheet.__file__); print(templates_dir()); print(sys.prefix)")
    result = run(venv, tmp_path, venv / "python", "-c", probe)
    assert result.returncode == 0, result.stderr
    package, templates, prefix = result.stdout.split()
    assert Path(package).is_relative_to(prefix) and Path(prefix) == venv.parent
    assert Path(templates) == Path(package).parent / "templates"
    assert not Path(package).is_relative_to(ROOT)


def test_build_from_the_wheel(venv: Path, sheet: Sheet, tmp_path: Path) -> None:
    """`cheatsheet build --out TMP --formats html,json,pdf --quiet` with the installed command: the outputs
    are byte-identical to the session build (same templates, same fonts, deterministic)."""
    out = tmp_path / "out"
    result = run(venv, tmp_path, "cheatsheet", "build", "--out", out, "--formats", "html,json,pdf", "--quiet",
                 env={"CHEATSHEET_CACHE_DIR": str(sheet.cache)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    names = {p.name for p in out.iterdir()}
    assert names == {"cheatsheet.html", "rules.json", "cheatsheet.pdf", "cheatsheet-letter.pdf"}
    differ = sorted(n for n in names if (out / n).read_bytes() != sheet.path(n).read_bytes())
    assert not differ, f"{differ} differ from the checkout's build"
